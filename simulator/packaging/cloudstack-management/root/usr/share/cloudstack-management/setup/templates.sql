-- acsible stand-in for CloudStack's templates.sql: the seeded templates, with the real ids, names, URLs and
-- checksums. The SYSTEM rows (1 XenServer, 3 KVM, 8 VMware, 9 HyperV) are what cloud-install-sys-tmplt picks
-- its template id from; the management server's first start points them at the current system VM template.

INSERT INTO `cloud`.`vm_template` (id, uuid, unique_name, name, public, featured, created, removed, type, hvm,
        bits, account_id, url, checksum, enable_password, display_text, format, guest_os_id, cross_zones,
        hypervisor_type, extractable)
    VALUES
    (1, UUID(), 'routing-1', 'SystemVM Template (XenServer)', 0, 0, UTC_TIMESTAMP(), NULL, 'SYSTEM', 0, 64, 1,
        'http://download.cloudstack.org/systemvm/4.6/systemvm64template-4.6.0-xen.vhd.bz2',
        '8886f554a499ec5405b6f203d9d36460', 0, 'SystemVM Template (XenServer)', 'VHD', 184, 1, 'XenServer', 0),
    (3, UUID(), 'routing-3', 'SystemVM Template (KVM)', 0, 0, UTC_TIMESTAMP(), NULL, 'SYSTEM', 0, 64, 1,
        'http://download.cloudstack.org/systemvm/4.6/systemvm64template-4.6.0-kvm.qcow2.bz2',
        'c059b0d051e0cd6fbe9d5d4fc40c7e5d', 0, 'SystemVM Template (KVM)', 'QCOW2', 15, 1, 'KVM', 0),
    (8, UUID(), 'routing-8', 'SystemVM Template (vSphere)', 0, 0, UTC_TIMESTAMP(), NULL, 'SYSTEM', 0, 64, 1,
        'http://download.cloudstack.org/systemvm/4.6/systemvm64template-4.6.0-vmware.ova',
        '4b415224fe00b258f66cad9fce9f73fc', 0, 'SystemVM Template (vSphere)', 'OVA', 15, 1, 'VMware', 0),
    (9, UUID(), 'routing-9', 'SystemVM Template (HyperV)', 0, 0, UTC_TIMESTAMP(), NULL, 'SYSTEM', 0, 64, 1,
        'http://download.cloudstack.org/systemvm/4.6/systemvm64template-4.6.0-hyperv.vhd.zip',
        '53e24bddfa56ea3139ed37af4b519013', 0, 'SystemVM Template (HyperV)', 'VHD', 15, 1, 'Hyperv', 0),
    (2, UUID(), 'centos53-x86_64', 'CentOS 5.3(64-bit) no GUI (XenServer)', 1, 1, UTC_TIMESTAMP(), UTC_TIMESTAMP(),
        'BUILTIN', 0, 64, 1, 'http://download.cloudstack.org/templates/builtin/f59f18fb-ae94-4f97-afd2-f84755767aca.vhd.bz2',
        'b63d854a9560c013142567bbae8d98cf', 0, 'CentOS 5.3(64-bit) no GUI (XenServer)', 'VHD', 12, 1, 'XenServer', 1),
    (4, UUID(), 'centos55-x86_64', 'CentOS 5.5(64-bit) no GUI (KVM)', 1, 1, UTC_TIMESTAMP(), NULL, 'BUILTIN', 0, 64, 1,
        'http://download.cloudstack.org/releases/2.2.0/eec2209b-9875-3c8d-92be-c001bd8a0faf.qcow2.bz2',
        'ed0e788280ff2912ea40f7f91ca7a249', 0, 'CentOS 5.5(64-bit) no GUI (KVM)', 'QCOW2', 112, 1, 'KVM', 1),
    (5, UUID(), 'centos56-x86_64-xen', 'CentOS 5.6(64-bit) no GUI (XenServer)', 1, 1, UTC_TIMESTAMP(), NULL, 'BUILTIN',
        0, 64, 1, 'http://download.cloudstack.org/templates/builtin/centos56-x86_64.vhd.bz2',
        '905cec879afd9c9d22ecc8036131a180', 0, 'CentOS 5.6(64-bit) no GUI (XenServer)', 'VHD', 142, 1, 'XenServer', 1),
    (6, UUID(), 'centos64-x64', 'CentOS 6.4(64-bit) GUI (Hyperv)', 1, 1, UTC_TIMESTAMP(), NULL, 'BUILTIN', 0, 64, 1,
        'http://download.cloudstack.org/releases/4.3/centos6_4_64bit.vhd.bz2',
        'eef6b9940ea3ed01221d963d4a012d0a', 0, 'CentOS 6.4 (64-bit) GUI (Hyperv)', 'VHD', 182, 1, 'Hyperv', 1),
    (7, UUID(), 'centos53-x64', 'CentOS 5.3(64-bit) no GUI (vSphere)', 1, 1, UTC_TIMESTAMP(), NULL, 'BUILTIN', 0, 64, 1,
        'http://download.cloudstack.org/releases/2.2.0/CentOS5.3-x86_64.ova',
        'f6f881b7f2292948d8494db837fe0f47', 0, 'CentOS 5.3(64-bit) no GUI (vSphere)', 'OVA', 12, 1, 'VMware', 1);
