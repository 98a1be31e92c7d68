"""Guest networks, network offerings and security groups.

NetworkServiceImpl.createGuestNetwork / updateGuestNetwork / deleteNetwork / searchForNetworks,
NetworkOrchestrator.createGuestNetwork and the network gurus' design(), ConfigurationManagerImpl
createNetworkOffering / updateNetworkOffering / searchForNetworkOfferings. Each zone gets its
system networks (Public, Management, Control, Storage) as createZone makes them; they are
stored with parentid `system:<traffic type>`.
"""

from __future__ import annotations

import ipaddress

from ..errors import (
    CS_INSUFFICIENT_CAPACITY,
    INSUFFICIENT_CAPACITY_ERROR,
    ApiError,
    cloud_runtime,
    invalid_parameter,
    permission_denied,
)
from ..registry import Context, command, reconciler
from ..store import new_uuid
from .common import is_ipv4, is_ipv6, zone_of
from .physicalnetworks import (
    PROVIDER_ELEMENTS,
    db_id,
    element_of,
    job_failure,
    physical_networks_with_traffic,
    vnets_of,
    zone_text,
)
from .routers import create_router, destroy_routers_of
from .vlans import (
    cidr_of,
    commit_range,
    ip_long,
    is_netmask,
    isolation_value,
    netmask_of,
    network_text,
    ranges_of_network,
    same_isolation,
)

SERVICES = ("Vpn", "Dhcp", "Dns", "Gateway", "Firewall", "Lb", "UserData", "SourceNat", "StaticNat",
            "PortForwarding", "SecurityGroup", "NetworkACL", "Connectivity")
CAPABILITIES = ("SupportedProtocols", "SupportedLbAlgorithms", "SupportedLBIsolation", "SupportedStickinessMethods",
                "MultipleIps", "SupportedSourceNatTypes", "SupportedVpnTypes", "VpnTypes", "TrafficStatistics",
                "LoadBalancingSupportedIps", "AllowDnsSuffixModification", "RedundantRouter", "ElasticIp",
                "AssociatePublicIP", "ElasticLb", "AutoScaleCounters", "InlineMode", "SupportedTrafficDirection",
                "SupportedEgressProtocols", "HealthCheckPolicy", "SslTermination", "LbSchemes",
                "DhcpAccrossMultipleSubnets", "DistributedRouter", "StretchedL2Subnet", "RegionLevelVpc", "NoVlan",
                "PublicAccess", "ExtraDhcpOptions", "VmAutoScaling")
OFFERING_DETAILS = ("InternalLbProvider", "PublicLbProvider", "servicepackageuuid", "servicepackagedescription",
                    "PromiscuousMode", "MacAddressChanges", "ForgedTransmits", "MacLearning", "RelatedNetworkOffering",
                    "domainid", "zoneid", "pvlanType", "internetProtocol")
VPC_ONLY_PROVIDERS = ("VpcVirtualRouter", "JuniperContrailVpcRouter", "InternalLbVm")
ROUTER_PROVIDERS = ("VirtualRouter", "VpcVirtualRouter")
# Providers whose Dns element lets the network domain be chosen (AllowDnsSuffixModification).
DNS_SUFFIX_PROVIDERS = ("VirtualRouter", "VpcVirtualRouter", "ConfigDrive", "Nsx", "Netris", "Tungsten")
RFC1918 = tuple(ipaddress.IPv4Network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"))
SYSTEM_TRAFFIC = ("Public", "Management", "Control", "Storage")
SYSTEM_BROADCAST = {"Public": "Vlan", "Management": "Native", "Control": "LinkLocal", "Storage": "Native"}


def provider_name(name: str) -> str:
    """Network.Provider's own spelling of a provider name (fresh-install data writes VPCVirtualRouter)."""
    return next((known for known in PROVIDER_ELEMENTS if known.lower() == name.lower()), name)


def setting_int(ctx: Context, name: str, default: int) -> int:
    try:
        return int(ctx.setting(name) or default)
    except ValueError:
        return default


def setting_true(ctx: Context, name: str) -> bool:
    return str(ctx.setting(name)).lower() == "true"


def account_number(ctx: Context, account: dict) -> int:
    """The account's numeric id (system 1, admin 2, ...): its place among accounts in creation order."""
    ids = [a["id"] for a in ctx.store.find("account")]
    return ids.index(account["id"]) + 1 if account["id"] in ids else 0


# -- network offerings --------------------------------------------------------------------


def services_of(offering: dict) -> dict[str, list[str]]:
    return {service: [provider_name(p) for p in providers]
            for service, providers in (offering.get("_services") or {}).items()}


def service_entries(offering: dict) -> list[dict]:
    """ServiceResponse list: Gateway left out, the offering's own capabilities for Lb, SourceNat, StaticNat."""
    entries = []
    for service, providers in services_of(offering).items():
        if service == "Gateway":
            continue
        entry = {"name": service, "provider": [{"name": provider} for provider in providers]}
        capabilities = offering_capabilities(offering, service)
        if capabilities:
            entry["capability"] = capabilities
        entries.append(entry)
    return entries


def capability(name: str, value: str, can_choose: bool = False) -> dict:
    return {"name": name, "value": value, "canchooseservicecapability": can_choose}


def offering_capabilities(offering: dict, service: str) -> list[dict]:
    flag = lambda key: "true" if offering.get(key) else "false"  # noqa: E731
    if service == "Lb":
        return [capability("SupportedLBIsolation", "dedicated" if offering.get("_dedicatedlb", True) else "shared"),
                capability("ElasticLb", flag("_elasticlb")), capability("InlineMode", flag("_inline")),
                capability("VmAutoScaling", flag("_supportsvmautoscaling"))]
    if service == "SourceNat":
        return [capability("SupportedSourceNatTypes", "perzone" if offering.get("_sharedsourcenat") else "peraccount"),
                capability("RedundantRouter", flag("_redundantrouter"))]
    if service == "StaticNat":
        return [capability("ElasticIp", flag("_elasticip")),
                capability("AssociatePublicIP", flag("_associatepublicip"))]
    return []


def default_router_offering(ctx: Context) -> dict | None:
    return ctx.store.find_one("serviceoffering", where=lambda so: so.get("_unique_name") == "Cloud.Com-SoftwareRouter")


def offering_view(ctx: Context, offering: dict) -> dict:
    """NetworkOfferingResponse as createNetworkOfferingResponse fills it."""
    providers = {p for providers in services_of(offering).values() for p in providers}
    rate = offering.get("_networkrate")
    if rate is None:
        rate = setting_int(ctx, "network.throttling.rate", 200)
    router_offering = offering.get("serviceofferingid") or (default_router_offering(ctx) or {}).get("id")
    view = {key: value for key, value in offering.items() if key not in ("service", "networkrate")}
    view.update({
        "networkrate": -1 if rate == 0 else rate, "serviceofferingid": router_offering,
        "service": service_entries(offering), "forvpc": bool(offering.get("forvpc")),
        "fortungsten": "Tungsten" in providers, "fornsx": "Nsx" in providers,
        "supportsstrechedl2subnet": bool(offering.get("_strechedl2subnet")),
        "supportspublicaccess": bool(offering.get("_publicaccess")),
        "supportsinternallb": bool(offering.get("_internallb")),
        "internetprotocol": offering.get("_internetprotocol") or "IPv4",
        "specifyasnumber": bool(offering.get("specifyasnumber")), "hasannotations": False,
        "egressdefaultpolicy": bool(offering.get("egressdefaultpolicy")),
    })
    if offering.get("_details"):
        view["details"] = offering["_details"]
    return view


def canonical(name: str, choices: tuple[str, ...]) -> str | None:
    return next((choice for choice in choices if choice.lower() == name.lower()), None)


def offering_services_from(p: dict, guest_type: str) -> tuple[dict[str, list[str]], bool | None]:
    """The service -> providers map of createNetworkOffering; returns it with the inferred forvpc."""
    for_vpc = p.get("forvpc")
    services: dict[str, list[str]] = {}
    for name in p.get("supportedservices") or []:
        service = canonical(name, SERVICES)
        if service is None or service == "Gateway":
            raise invalid_parameter(f"Invalid service {name}")
        if for_vpc is None and service in ("SecurityGroup", "Firewall"):
            for_vpc = False
        elif for_vpc is None and service == "NetworkACL":
            for_vpc = True
        if service == "SecurityGroup":
            if guest_type != "Shared":
                raise invalid_parameter("Security group service is supported for network offerings with guest ip "
                                        "type Shared")
            services[service] = ["SecurityGroupProvider"]
            continue
        services[service] = []
    return services, for_vpc


def service_provider_pairs(p: dict) -> dict[str, list[str]]:
    """CreateNetworkOfferingCmd.getServiceProviders: serviceproviderlist[i].service/provider grouped by service."""
    pairs: dict[str, list[str]] = {}
    for entry in p.get("serviceproviderlist") or []:
        pairs.setdefault(entry.get("service"), []).append(entry.get("provider"))
    return pairs


def apply_service_providers(p: dict, services: dict[str, list[str]],
                            for_vpc: bool | None) -> tuple[bool | None, str | None]:
    """Fill the providers chosen per service; returns (forvpc, firewall provider)."""
    firewall_provider, dhcp_provider, vr_userdata = None, None, False
    combinations: dict[str, set[str]] = {}
    for service_name, providers in service_provider_pairs(p).items():
        service = canonical(service_name or "", SERVICES)
        if service not in services:
            raise invalid_parameter(f"Service {service_name} is not enabled for the network offering, can't add a "
                                    "provider to it")
        if service != "Lb" and len(providers) > 1:
            raise invalid_parameter("In the current release only one provider can be specified for the service if the "
                                    "service is not LB")
        chosen = []
        for name in providers:
            provider = canonical(name or "", (*PROVIDER_ELEMENTS, "JuniperSRX", "F5BigIp", "ExternalDhcpServer",
                                              "ExternalGateWay", "None"))
            if provider is None:
                raise invalid_parameter(f"Invalid service provider: {name}")
            if provider in ("CiscoVnmc", "PaloAlto"):
                firewall_provider = provider
            if service in ("PortForwarding", "StaticNat") and provider == "VirtualRouter":
                firewall_provider = provider
            if for_vpc is None and provider in VPC_ONLY_PROVIDERS:
                for_vpc = True
            if service == "Dhcp":
                dhcp_provider = provider
            if service == "UserData" and provider == "VirtualRouter":
                vr_userdata = True
            chosen.append(provider)
            combinations.setdefault(provider, set()).add(service)
        services[service] = chosen
    if dhcp_provider is None and vr_userdata:
        raise invalid_parameter("Without VR as dhcp provider, User data can't selected for VR. Please select VR as "
                                "DHCP provider ")
    check_provider_combinations(combinations)
    return for_vpc, firewall_provider


def check_provider_combinations(combinations: dict[str, set[str]]) -> None:
    """NetworkModel.canProviderSupportServices."""
    for provider, chosen in combinations.items():
        capabilities, can_enable = element_of(provider)
        if not can_enable:
            required = [s for s in capabilities if s not in ("Gateway", "Firewall")]
            if len(chosen - {"Firewall"}) != len(required):
                raise invalid_parameter("Cannot enable subset of Services, Please specify the complete list of "
                                        f"Services: {', '.join(required)}  for Service Provider {provider}")
        for service in chosen:
            if service not in capabilities:
                raise cloud_runtime(f"{provider} Provider cannot provide service {service}")


def service_capabilities(p: dict) -> dict[str, dict[str, str]]:
    """servicecapabilitylist[i].service/capabilitytype/capabilityvalue per service."""
    found: dict[str, dict[str, str]] = {}
    for entry in p.get("servicecapabilitylist") or []:
        name, value = entry.get("capabilitytype"), entry.get("capabilityvalue")
        known = canonical(name or "", CAPABILITIES)
        if known is None or name is None or value is None:
            raise invalid_parameter(f"Invalid capability:{name} capability value:{value}")
        service = canonical(entry.get("service") or "", SERVICES) or entry.get("service")
        found.setdefault(service, {})[known] = value
    return found


def check_capabilities(services: dict[str, list[str]], caps: dict[str, dict[str, str]]) -> dict:
    """The LB, source NAT and static NAT capability rules; returns the offering's flags."""
    flags = {"_dedicatedlb": False, "_elasticlb": False, "_inline": False, "_publiclb": False, "_internallb": False,
             "_sharedsourcenat": False, "_redundantrouter": False, "_elasticip": False, "_associatepublicip": False,
             "_supportsvmautoscaling": False}
    lb = caps.get("Lb") or {}
    if lb and "Lb" not in services:
        raise invalid_parameter("Capabilities for LB service can be specifed only when LB service is enabled for "
                                "network offering.")
    if lb:
        check_lb_capabilities(lb)
        isolation = lb.get("SupportedLBIsolation")
        flags["_dedicatedlb"] = "dedicated" in isolation if isolation else True
        flags["_elasticlb"] = "true" in lb.get("ElasticLb", "")
        flags["_inline"] = "true" in lb.get("InlineMode", "")
        schemes = lb.get("LbSchemes") or ""
        flags["_internallb"], flags["_publiclb"] = "internal" in schemes, "public" in schemes
        flags["_supportsvmautoscaling"] = "true" in lb.get("VmAutoScaling", "")
        if flags["_publiclb"] and flags["_internallb"]:
            raise invalid_parameter("Public lb and internal lb can't be enabled at the same time on the offering")
    source_nat = caps.get("SourceNat") or {}
    if source_nat and "SourceNat" not in services:
        raise invalid_parameter("Capabilities for source NAT service can be specified only when source NAT service is "
                                "enabled for network offering.")
    if source_nat:
        check_source_nat_capabilities(source_nat)
        flags["_sharedsourcenat"] = "perzone" in source_nat.get("SupportedSourceNatTypes", "")
        flags["_redundantrouter"] = "true" in source_nat.get("RedundantRouter", "").lower()
    static_nat = caps.get("StaticNat") or {}
    if static_nat:
        check_static_nat_capabilities(static_nat)
        flags["_elasticip"] = "true" in static_nat.get("ElasticIp", "")
        flags["_associatepublicip"] = flags["_elasticip"] and "true" in static_nat.get("AssociatePublicIP", "")
    if "Lb" in services and not flags["_internallb"] and not flags["_publiclb"]:
        flags["_publiclb"] = True
    if not lb:
        flags["_dedicatedlb"] = True
    return flags


def check_lb_capabilities(lb: dict[str, str]) -> None:
    allowed = "Only SupportedLBIsolation,ElasticLb,InlineMode,LbSchemes,VmAutoScaling capabilities can be specified " \
              "for LB service"
    if len(lb) > 4 or "SupportedLBIsolation" not in lb:
        raise invalid_parameter(allowed)
    for name, value in lb.items():
        if name == "SupportedLBIsolation" and ("dedicated" in value) == ("shared" in value):
            raise invalid_parameter("Either dedicated or shared isolation can be specified for SupportedLBIsolation")
        if name in ("ElasticLb", "InlineMode", "VmAutoScaling") and "true" not in value and "false" not in value:
            raise invalid_parameter(f"Unknown specified value for {name}")
        if name == "LbSchemes" and "internal" not in value and "public" not in value:
            raise invalid_parameter("Unknown specified value for LbSchemes")
        if name not in ("SupportedLBIsolation", "ElasticLb", "InlineMode", "LbSchemes", "VmAutoScaling"):
            raise invalid_parameter(allowed)


def check_source_nat_capabilities(source_nat: dict[str, str]) -> None:
    text = "Only SupportedSourceNatTypes, RedundantRouter capabilities can be specified for source nat service"
    if len(source_nat) > 2:
        raise invalid_parameter(text)
    for name, value in source_nat.items():
        if name == "SupportedSourceNatTypes":
            if value not in ("peraccount", "perzone"):
                raise invalid_parameter("Either peraccount or perzone source NAT type can be specified for "
                                        "SupportedSourceNatTypes")
        elif name == "RedundantRouter":
            if value.lower() not in ("true", "false"):
                raise invalid_parameter("Unknown specified value for RedundantRouter")
        else:
            raise invalid_parameter(text)


def check_static_nat_capabilities(static_nat: dict[str, str]) -> None:
    elastic, associate = False, True
    for name, value in static_nat.items():
        lowered = value.lower()
        if ("true" in lowered) == ("false" in lowered):
            raise invalid_parameter(f"Unknown specified value ({lowered}) for {name}")
        if name == "ElasticIp":
            elastic = "true" in lowered
        elif name == "AssociatePublicIP":
            associate = "true" in lowered
        else:
            raise invalid_parameter("Only ElasticIp and AssociatePublicIP capability can be sepcified for static nat "
                                    "service")
    if not elastic and associate:
        raise invalid_parameter("Capability AssociatePublicIP can only be set when capability ElasticIp is true")


def check_offering_basics(ctx: Context, p: dict) -> tuple[str, str, str]:
    """Traffic type, guest type and availability of createNetworkOffering (and their texts)."""
    mode = p.get("networkmode")
    if mode is not None and mode not in ("NATTED", "ROUTED"):
        raise invalid_parameter("Invalid mode passed. Valid values: [NATTED, ROUTED]")
    traffic = canonical(p["traffictype"], ("None", "Public", "Guest", "Storage", "Management", "Control", "Vpn"))
    if traffic is None:
        raise invalid_parameter("Invalid value for traffictype. Supported traffic types: Public, Management, Control, "
                                "Guest, Vlan or Storage")
    if traffic != "Guest":
        raise invalid_parameter("Only traffic type Guest is supported in the current release")
    guest_type = canonical(p["guestiptype"], ("Shared", "Isolated", "L2"))
    if guest_type is None:
        raise invalid_parameter('Invalid "type" parameter is given; can have Shared and Isolated values')
    protocol = (p.get("internetprotocol") or "").lower()
    if protocol:
        if guest_type != "Isolated":
            raise invalid_parameter("internetprotocol is supported only for Isolated guest type")
        if protocol != "ipv4" and not setting_true(ctx, "ipv6.offering.enabled"):
            raise invalid_parameter("Configuration ipv6.offering.enabled needs to be enabled for creating IPv6 "
                                    "supported network offering")
    availability = canonical(p.get("availability") or "Optional", ("Required", "Optional"))
    if availability is None:
        raise invalid_parameter("Invalid value for Availability. Supported types: Required, Optional")
    if p.get("serviceofferingid"):
        check_router_service_offering(ctx, p["serviceofferingid"])
    routing = p.get("routingmode")
    if routing is not None and routing.lower() not in ("static", "dynamic"):
        raise invalid_parameter(f"Invalid value {routing} for Routing Mode, Supported values: Static, Dynamic.")
    return guest_type, availability, protocol


def check_router_service_offering(ctx: Context, offering_id: str) -> None:
    offering = ctx.store.get("serviceoffering", offering_id)
    if offering is None:
        raise invalid_parameter(f"Could not find specified service offering [{offering_id}].")
    if offering.get("state") == "Inactive":
        raise invalid_parameter(f"The specified service offering [{offering['name']}] is inactive.")
    if str(offering.get("systemvmtype") or "").lower() != "domainrouter":
        raise invalid_parameter(f"The specified service offering [{offering['name']}] is of type "
                                f"[{offering.get('systemvmtype')}]. Virtual routers can only be created with service "
                                "offering of type [domainrouter].")


def check_offering_rules(ctx: Context, p: dict, guest_type: str, availability: str,
                         services: dict[str, list[str]]) -> None:
    """The inner createNetworkOffering rules on ip ranges, persistence, mode and availability."""
    if p.get("specifyipranges"):
        if guest_type == "Isolated" and "SourceNat" in services:
            raise invalid_parameter("SpecifyIpRanges can only be true for Shared network offerings and Isolated with "
                                    "no SourceNat service")
    elif guest_type == "Shared":
        raise invalid_parameter("SpecifyIpRanges should always be true for Shared network offerings")
    if p.get("specifyasnumber"):
        raise invalid_parameter("SpecifyAsNumber can only be true for network offerings for NSX")
    if p.get("ispersistent") and guest_type == "Shared":
        raise invalid_parameter("isPersistent should be false if network offering's type is Shared")
    if p.get("networkmode"):
        if guest_type != "Isolated":
            raise invalid_parameter("networkMode should be set only for Isolated network offerings")
        if p["networkmode"] == "ROUTED" and not setting_true(ctx, "routed.network.vpc.enabled"):
            raise invalid_parameter("Configuration routed.network.vpc.enabled needs to be enabled for Routed networks")
    if availability == "Required":
        if not (guest_type == "Isolated" and "SourceNat" in services):
            raise invalid_parameter("Availability can be Required only for networkOfferings of type Isolated and with "
                                    "SourceNat enabled")
        required = required_offering(ctx)
        if required is not None:
            number = db_id(ctx, "networkoffering", required["id"])
            raise invalid_parameter(f"System already has network offering id={number} with availability Required")


def required_offering(ctx: Context, other_than: str | None = None) -> dict | None:
    return ctx.store.find_one("networkoffering", where=lambda o: o.get("availability") == "Required"
                              and not o.get("_issystem") and o["id"] != other_than)


def offering_details(p: dict) -> dict[str, str]:
    details = {}
    for entry in p.get("details") or []:
        for key, value in entry.items():
            known = canonical(key, OFFERING_DETAILS)
            if known is None:
                raise invalid_parameter(f"Unsupported detail {key}")
            details[known] = value
    return details


@command("createNetworkOffering")
def create_network_offering(ctx: Context, p: dict) -> dict:
    guest_type, availability, protocol = check_offering_basics(ctx, p)
    services, for_vpc = offering_services_from(p, guest_type)
    for_vpc, firewall_provider = apply_service_providers(p, services, for_vpc)
    flags = check_capabilities(services, service_capabilities(p))
    egress = p.get("egressdefaultpolicy", True)
    if firewall_provider is not None:
        services["Firewall"] = [firewall_provider]
        if firewall_provider not in ("JuniperSRX", "PaloAlto", "VirtualRouter") and not egress:
            raise invalid_parameter(f"Firewall egress with default policy {str(egress).lower()} is not supported by "
                                    f"the provider {firewall_provider}")
    details = offering_details(p)
    check_offering_rules(ctx, p, guest_type, availability, services)
    rate = p.get("networkrate")
    offering = {
        "name": p["name"], "displaytext": p.get("displaytext") or p["name"], "tags": clean_tags(p.get("tags")),
        "created": ctx.timestamp(), "traffictype": "Guest", "isdefault": False,
        "specifyvlan": bool(p.get("specifyvlan")), "conservemode": p.get("conservemode", True),
        "specifyipranges": bool(p.get("specifyipranges")), "availability": availability,
        "state": "Enabled" if p.get("enable") else "Disabled", "guestiptype": guest_type,
        "serviceofferingid": p.get("serviceofferingid"), "forvpc": bool(for_vpc),
        "networkmode": p.get("networkmode"), "ispersistent": bool(p.get("ispersistent")),
        "egressdefaultpolicy": egress, "maxconnections": p.get("maxconnections") if "Lb" in services else None,
        "domainid": ",".join(p.get("domainid") or []) or None, "zoneid": ",".join(p.get("zoneid") or []) or None,
        "routingmode": canonical(p["routingmode"], ("Static", "Dynamic")) if p.get("routingmode") else None,
        "specifyasnumber": bool(p.get("specifyasnumber")),
        "_services": services, "_issystem": False, "_networkrate": max(rate, 0) if rate is not None else None,
        "_details": details or None, "_internetprotocol": {"dualstack": "DualStack"}.get(protocol),
        "_keepalive": bool(p.get("keepaliveenabled")), **flags,
    }
    offering.update(offering_scope_names(ctx, offering))
    return offering_view(ctx, ctx.store.insert("networkoffering", offering))


def clean_tags(tags: str | None) -> str | None:
    """StringUtils.cleanupTags: trimmed, comma separated, none left empty."""
    if tags is None:
        return None
    cleaned = ",".join(tag.strip() for tag in tags.split(",") if tag.strip())
    return cleaned or None


def offering_scope_names(ctx: Context, offering: dict) -> dict:
    """The joined domain and zone names of an offering's domainid / zoneid lists."""
    domains = [d for d in (offering.get("domainid") or "").split(",") if d]
    zones = [z for z in (offering.get("zoneid") or "").split(",") if z]
    return {"domain": ",".join(ctx.name_of("domain", d) or "" for d in domains) or None,
            "zone": ",".join(ctx.name_of("zone", z) or "" for z in zones) or None}


def scope_ids(ctx: Context, text: str | None, kind: str, everything: str) -> list[str] | None:
    """updateNetworkOffering's comma separated domainid / zoneid (public / all means none)."""
    if not text:
        return None
    if "," not in text and text.strip() == everything:
        return []
    ids = [part.strip() for part in text.split(",")]
    if any(ctx.store.get(kind, part) is None for part in ids):
        raise invalid_parameter(f"Failed to create network offering because invalid {kind} has been specified.")
    return ids


@command("updateNetworkOffering")
def update_network_offering(ctx: Context, p: dict) -> dict:
    offering = ctx.store.get("networkoffering", p.get("id"))
    if offering is None:
        raise invalid_parameter(f"unable to find network offering {p.get('id')}")
    if offering.get("_issystem"):
        raise invalid_parameter("Can't update system network offerings")
    domains = scope_ids(ctx, p.get("domainid"), "domain", "public")
    zones = scope_ids(ctx, p.get("zoneid"), "zone", "all")
    if p.get("state") is not None:
        state = canonical(p["state"], ("Disabled", "Enabled"))
        if state is None:
            raise invalid_parameter(f"Incorrect state value: {p['state']}")
        offering["state"] = state
    if p.get("tags") is not None:
        offering["tags"] = clean_tags(p["tags"])
    if p.get("availability") is not None:
        offering["availability"] = check_new_availability(ctx, offering, p["availability"])
    for key in ("name", "displaytext"):
        if p.get(key) is not None:
            offering[key] = p[key]
    if p.get("sortkey") is not None:
        offering["_sortkey"] = p["sortkey"]
    if p.get("maxconnections") is not None and "Lb" in services_of(offering):
        offering["maxconnections"] = p["maxconnections"]
    if domains is not None:
        offering["domainid"] = ",".join(domains) or None
    if zones is not None:
        offering["zoneid"] = ",".join(zones) or None
    offering.update(offering_scope_names(ctx, offering))
    return offering_view(ctx, ctx.store.update("networkoffering", offering))


def check_new_availability(ctx: Context, offering: dict, wanted: str) -> str:
    availability = canonical(wanted, ("Required", "Optional"))
    if availability is None:
        raise invalid_parameter("Invalid value for Availability. Supported types: Required, Optional")
    if availability == "Required":
        if not (offering.get("guestiptype") == "Isolated" and "SourceNat" in services_of(offering)):
            raise invalid_parameter("Availability can be Required only for networkOfferings of type Isolated and with "
                                    "SourceNat enabled")
        other = required_offering(ctx, other_than=offering["id"])
        if other is not None:
            number = db_id(ctx, "networkoffering", other["id"])
            raise invalid_parameter(f"System already has network offering id={number} with availability Required")
    return availability


@command("listNetworkOfferings")
def list_network_offerings(ctx: Context, p: dict) -> list[dict]:
    keyword = p.pop("keyword", None)  # matches the name or the display text
    zone = ctx.store.get("zone", p["zoneid"]) if p.get("zoneid") else None
    offerings = [o for o in ctx.store.find("networkoffering") if not o.get("_issystem")]
    offerings.sort(key=lambda o: o.get("_sortkey") or 0)
    if zone is not None and zone["networktype"] == "Basic":
        return []
    if keyword:
        offerings = [o for o in offerings if keyword.lower() in o["name"].lower()
                     or keyword.lower() in str(o.get("displaytext")).lower()]
    offerings = [o for o in offerings if offering_matches(o, p)]
    if p.get("networkid"):
        offerings = offerings_for_upgrade(ctx, p["networkid"], offerings)
    services = [canonical_service_or_fail(name) for name in p.get("supportedservices") or []]
    if services:
        offerings = [o for o in offerings if all(s in services_of(o) for s in services)]
    if p.get("sourcenatsupported") is not None:
        offerings = [o for o in offerings if ("SourceNat" in services_of(o)) == p["sourcenatsupported"]]
    if p.get("forvpc") is not None:
        offerings = [o for o in offerings if bool(o.get("forvpc")) == p["forvpc"]]
    if zone is not None:
        offerings = [o for o in offerings if usable_in_zone(ctx, zone, o, services)]
    return [offering_view(ctx, o) for o in offerings]


def canonical_service_or_fail(name: str) -> str:
    service = canonical(name, SERVICES)
    if service is None:
        raise invalid_parameter(f"Invalid service specified {name}")
    return service


def offering_matches(offering: dict, p: dict) -> bool:
    exact = {"id": "id", "name": "name", "traffictype": "traffictype", "isdefault": "isdefault",
             "specifyvlan": "specifyvlan", "availability": "availability", "state": "state",
             "specifyipranges": "specifyipranges", "guestiptype": "guestiptype", "routingmode": "routingmode"}
    for param, key in exact.items():
        wanted = p.get(param)
        if wanted is None:
            continue
        have = offering.get(key)
        if isinstance(wanted, str):
            if str(have).lower() != wanted.lower():
                return False
        elif bool(have) != wanted:
            return False
    if p.get("displaytext") and p["displaytext"].lower() not in str(offering.get("displaytext")).lower():
        return False
    if p.get("istagged") is not None and bool(offering.get("tags")) != p["istagged"]:
        return False
    if p.get("tags") is not None:
        shared_default = (p.get("guestiptype") or "").lower() == "shared" and offering.get("isdefault")
        if offering.get("tags") != p["tags"] and not shared_default:
            return False
    if p.get("zoneid") and offering.get("zoneid") and p["zoneid"] not in offering["zoneid"].split(","):
        return False
    return not (p.get("domainid") and offering.get("domainid") and p["domainid"] not in offering["domainid"].split(","))


def usable_in_zone(ctx: Context, zone: dict, offering: dict, services: list[str]) -> bool:
    """The offering's providers are enabled on the zone's guest physical network (and its tags match)."""
    guest_networks = physical_networks_with_traffic(ctx, zone["id"], "Guest")
    tags = [tag for pn in guest_networks for tag in pn.get("_tags") or []]
    allow_null = sum(1 for pn in guest_networks if not pn.get("_tags"))
    if allow_null > 1:
        raise cloud_runtime(f"There are more than 1 physical network with empty tag in the zone id="
                            f"{db_id(ctx, 'zone', zone['id'])}")
    if (tags or allow_null) and not ((offering.get("tags") is not None or allow_null)
                                     and (offering.get("tags") is None or offering["tags"] in tags)):
        return False
    pn = find_physical_network(ctx, zone, offering.get("tags"), "Guest")
    wanted = services or list(services_of(offering))
    providers = {provider for service in wanted for provider in services_of(offering).get(service, [])}
    enabled = {nsp["name"].lower() for nsp in ctx.store.find("provider", parentid=pn["id"])
               if nsp["state"] == "Enabled"}
    return all(provider.lower() in enabled for provider in providers)


def offerings_for_upgrade(ctx: Context, network_id: str, offerings: list[dict]) -> list[dict]:
    network = ctx.store.get("network", network_id)
    if network is None:
        raise invalid_parameter(f"Unable to find the network by id={network_id}")
    current = ctx.store.get("networkoffering", network["networkofferingid"]) or {}
    if current.get("_issystem"):
        raise invalid_parameter("Can't update system networks")
    return [o for o in offerings if o["id"] != current["id"] and can_upgrade(current, o)]


def can_upgrade(old: dict, new: dict) -> bool:
    """The parts of NetworkServiceImpl.canUpgrade a simulator can judge."""
    old_services, new_services = services_of(old), services_of(new)
    return (old.get("guestiptype") == new.get("guestiptype") and old.get("traffictype") == new.get("traffictype")
            and ("SecurityGroup" in old_services) == ("SecurityGroup" in new_services)
            and (new.get("tags") is None or new.get("tags") == old.get("tags"))
            and bool(old.get("specifyvlan")) == bool(new.get("specifyvlan"))
            and (old.get("networkmode") or "NATTED") == (new.get("networkmode") or "NATTED")
            and bool(old.get("forvpc")) == bool(new.get("forvpc")))


def find_physical_network(ctx: Context, zone: dict, tag: str | None, traffic_type: str | None) -> dict:
    """NetworkModel.findPhysicalNetworkId."""
    if traffic_type:
        candidates = physical_networks_with_traffic(ctx, zone["id"], traffic_type)
    else:
        candidates = ctx.store.find("physicalnetwork", zoneid=zone["id"])
    if not candidates:
        raise invalid_parameter(f"Unable to find physical network in zone id={db_id(ctx, 'zone', zone['id'])}")
    if len(candidates) == 1:
        return candidates[0]
    chosen = None
    for pn in candidates:
        if tag is None and not pn.get("_tags"):
            if chosen is not None:
                raise cloud_runtime(f"There is more than 1 physical network with empty tag in the zone "
                                    f"{zone_text(ctx, zone)}")
            chosen = pn
        elif tag is not None and tag in (pn.get("_tags") or []):
            return pn
    if chosen is None:
        raise invalid_parameter(f"Unable to find physical network which match the tags {tag}")
    return chosen


# -- system networks ----------------------------------------------------------------------


def system_offering(ctx: Context, traffic_type: str) -> dict | None:
    return ctx.store.find_one("networkoffering",
                              where=lambda o: o.get("_issystem") and o.get("traffictype") == traffic_type)


def system_account(ctx: Context) -> dict:
    return ctx.store.find_one("account", name="system") or {}


def create_system_networks(ctx: Context, zone: dict) -> None:
    """createDefaultSystemNetworks: Public (not in advanced zones with security groups), Management,
    Control and Storage, owned by the system account."""
    owner = system_account(ctx)
    for traffic in SYSTEM_TRAFFIC:
        if traffic == "Public" and zone["networktype"] == "Advanced" and zone.get("securitygroupsenabled"):
            continue
        offering = system_offering(ctx, traffic) or {}
        network = {
            "id": new_uuid(), "broadcastdomaintype": SYSTEM_BROADCAST[traffic], "traffictype": traffic,
            "zoneid": zone["id"], "networkofferingid": offering.get("id"), "state": "Setup",
            "account": owner.get("name"), "domainid": owner.get("domainid"), "domain": owner.get("domain"),
            "domainpath": "ROOT", "restartrequired": False, "specifyipranges": bool(offering.get("specifyipranges")),
            "displaynetwork": True, "strechedl2subnet": False, "redundantrouter": False, "created": ctx.timestamp(),
            "_accountid": owner.get("id"), "_cidrs": [], "_gateways": [],
        }
        network["related"] = network["id"]
        if traffic == "Control":
            network.update({"cidr": "169.254.0.0/16", "gateway": "169.254.0.1", "netmask": "255.255.0.0",
                            "_cidrs": ["169.254.0.0/16"], "_gateways": ["169.254.0.1"]})
        ctx.store.insert("network", network, parentid=f"system:{traffic}")


@reconciler
def zone_system_networks(ctx: Context) -> None:
    """Every zone has its system networks, and none outlive their zone (createZone / deleteZone)."""
    if ctx.store.count("zone") == ctx.store.count("network", parentid="system:Control"):
        return
    zones = {zone["id"]: zone for zone in ctx.store.find("zone")}
    have = {net["zoneid"] for net in ctx.store.find("network", parentid="system:Control")}
    for zone_id, zone in zones.items():
        if zone_id not in have:
            create_system_networks(ctx, zone)
    for traffic in SYSTEM_TRAFFIC:
        for network in ctx.store.find("network", parentid=f"system:{traffic}"):
            if network["zoneid"] not in zones:
                for vlan in ranges_of_network(ctx, network):
                    ctx.store.delete("vlaniprange", vlan["id"])
                ctx.store.delete("network", network["id"])


# -- the network response -----------------------------------------------------------------


def is_admin(ctx: Context) -> bool:
    """ResponseView.Full: root admins see a network's VLAN, broadcast URI and details."""
    return ctx.user.get("roletype") == "Admin"


def network_view(ctx: Context, network: dict) -> dict:
    """NetworkResponse as createNetworkResponse fills it from the network and its offering."""
    offering = ctx.store.get("networkoffering", network.get("networkofferingid")) or {}
    zone = ctx.store.get("zone", network["zoneid"]) or {}
    view = {key: value for key, value in network.items() if key not in ("vlan", "broadcasturi")}
    view.update({
        "networkofferingname": offering.get("name"), "networkofferingdisplaytext": offering.get("displaytext"),
        "networkofferingconservemode": offering.get("conservemode"),
        "networkofferingavailability": offering.get("availability"),
        "issystem": bool(offering.get("_issystem")), "ispersistent": bool(offering.get("ispersistent")),
        "specifyvlan": bool(offering.get("specifyvlan")),
        "supportsvmautoscaling": bool(offering.get("_supportsvmautoscaling")),
        **network_dns(network, zone),
        "service": network_services(offering), "canusefordeploy": can_use_for_deploy(ctx, network, offering),
        "tags": [], "hasannotations": False, "receivedbytes": 0, "sentbytes": 0,
    })
    if network.get("type") == "Isolated" and not network.get("vpcid"):
        view["egressdefaultpolicy"] = bool(offering.get("egressdefaultpolicy"))
    if is_admin(ctx):
        view["details"] = network.get("_details") or {}
        if network.get("broadcasturi"):
            view["broadcasturi"] = network["broadcasturi"]
            scheme = network["broadcasturi"].split("://", 1)[0].lower()
            view["vlan"] = isolation_value(network["broadcasturi"]) if scheme in ("vlan", "vxlan") else "N/A"
    return view


def network_dns(network: dict, zone: dict) -> dict:
    """getNetworkIp4Dns / getNetworkIp6Dns: the network's own DNS pair, else the zone's."""
    ip4 = (network.get("dns1"), network.get("dns2")) if network.get("dns1") else (zone.get("dns1"), zone.get("dns2"))
    ip6 = ((network.get("ip6dns1"), network.get("ip6dns2")) if network.get("ip6dns1")
           else (zone.get("ip6dns1"), zone.get("ip6dns2")))
    return {"dns1": ip4[0], "dns2": ip4[1], "ip6dns1": ip6[0], "ip6dns2": ip6[1]}


def network_services(offering: dict) -> list[dict]:
    return service_entries(offering) if offering else []


def can_use_for_deploy(ctx: Context, network: dict, offering: dict) -> bool:
    """NetworkModel.canUseForDeploy: guest networks with room for one more address."""
    if network.get("traffictype") != "Guest":
        return False
    if network.get("type") == "L2" or not services_of(offering):
        return True
    if network.get("type") == "Shared":
        if not network.get("gateway"):
            return True
        size = sum(ip_long(v["endip"]) - ip_long(v["startip"]) + 1 - len(v.get("_ipsinuse") or [])
                   for v in ranges_of_network(ctx, network) if v.get("startip"))
        return size > 0
    return bool(network.get("cidr"))


# -- createNetwork ------------------------------------------------------------------------


def resolve_physical_network(ctx: Context, p: dict, offering: dict, zone: dict) -> str:
    """CreateNetworkCmd.getPhysicalNetworkId."""
    if p.get("physicalnetworkid"):
        if offering.get("guestiptype") in ("Shared", "L2"):
            return p["physicalnetworkid"]
        raise invalid_parameter("Physical network ID can be specified for networks of guest IP type Shared or L2 "
                                "only.")
    return find_physical_network(ctx, zone, offering.get("tags"), offering.get("traffictype"))["id"]


def owning_account(ctx: Context, p: dict) -> dict:
    if p.get("account") and p.get("domainid"):
        account = ctx.store.find_one("account", name=p["account"], where=lambda a: a.get("domainid") == p["domainid"])
        if account is None:
            raise invalid_parameter(f"Unable to find account {p['account']} in domain id={p['domainid']}")
        return account
    return ctx.account


def acl_type_of(ctx: Context, p: dict, offering: dict) -> str:
    wanted = p.get("acltype")
    guest = offering.get("guestiptype")
    if wanted is not None:
        acl = canonical(wanted, ("Account", "Domain"))
        if acl is None:
            raise invalid_parameter("Incorrect aclType specified. Check the API documentation for supported types")
        if guest == "Isolated" and acl != "Account":
            raise invalid_parameter("AclType should be Account for network of type Isolated")
        return acl
    if guest in ("Isolated", "L2"):
        return "Account"
    if ctx.user.get("roletype") == "Admin":
        return "Domain"
    if ctx.user.get("roletype") == "User":
        return "Account"
    raise invalid_parameter("AclType must be specified for shared network created by domain admin")


def check_domain_network(ctx: Context, p: dict, offering: dict, acl: str) -> bool:
    """isDomainSpecificNetworkRequested."""
    if acl == "Domain":
        if ctx.user.get("roletype") not in ("Admin", "DomainAdmin"):
            raise permission_denied("Only admin can create networks with aclType=Domain")
        if offering.get("guestiptype") != "Shared":
            raise invalid_parameter("Only Shared networks can have aclType=Domain")
        return True
    if p.get("subdomainaccess") is not None:
        raise invalid_parameter("Parameter subDomainAccess can be specified only with aclType=Domain")
    return False


def check_ipv4_parameters(p: dict) -> tuple[bool, str | None, str | None]:
    """The gateway / netmask / start / end checks; returns (ipv4, cidr, end ip)."""
    gateway, netmask, start_ip, end_ip = p.get("gateway"), p.get("netmask"), p.get("startip"), p.get("endip")
    ipv4 = bool(gateway and netmask)
    if gateway is not None:
        if is_ipv6(gateway):
            pass
        elif is_ipv4(gateway):
            ipv4 = True
        else:
            raise invalid_parameter("Gateway parameter is invalid")
    if not ipv4:
        return False, None, end_ip
    if start_ip is not None:
        if not is_ipv4(start_ip):
            raise invalid_parameter("Invalid format for the startIp parameter")
        if end_ip is None:
            end_ip = start_ip
        elif not is_ipv4(end_ip):
            raise invalid_parameter("Invalid format for the endIp parameter")
        if gateway is None or netmask is None:
            raise invalid_parameter("gateway and netmask should be defined when startIP/endIP are passed in")
    cidr = None
    if gateway is not None and netmask is not None:
        if is_netmask(netmask) and is_ipv4(gateway) and gateway in network_or_broadcast(gateway, netmask):
            raise invalid_parameter("Invalid gateway IP provided. Either the IP is broadcast or network IP.")
        if not is_ipv4(gateway):
            raise invalid_parameter("Invalid gateway")
        if not is_netmask(netmask):
            raise invalid_parameter("Invalid netmask")
        cidr = cidr_of(gateway, netmask)
    return True, cidr, end_ip


def network_or_broadcast(gateway: str, netmask: str) -> tuple[str, str]:
    subnet = ipaddress.IPv4Network(cidr_of(gateway, netmask))
    return str(subnet.network_address), str(subnet.broadcast_address)


def check_vlan_use(ctx: Context, zone: dict, pn: dict, offering: dict, vlan: str, bypass: bool) -> None:
    """The VLAN of a new guest network: not in the dynamic range, not already used."""
    shared = offering.get("guestiptype") == "Shared"
    if shared and not offering.get("specifyvlan"):
        bypass = True
    value = isolation_value(vlan)
    if not (bypass and shared) and value and value.isdigit() and int(value) in vnets_of(pn):
        raise invalid_parameter(f"The VLAN tag to use for new guest network, {vlan} is already being used for dynamic "
                                f"vlan allocation for the guest network in zone {zone['name']}")
    uri_networks = [net for net in ctx.store.find("network", zoneid=zone["id"])
                    if net.get("broadcasturi") and same_isolation(net["broadcasturi"], vlan)]
    if not (bypass and offering.get("guestiptype") != "Isolated"):
        if uri_networks:
            raise invalid_parameter(f"Network with vlan {vlan} already exists or overlaps with other network vlans in "
                                    f"zone {zone_text(ctx, zone)}")
    elif not bypass and any(net.get("type") == "Isolated" for net in uri_networks):
        raise invalid_parameter(f"There is an existing isolated/shared network that overlaps with vlan id:{vlan} in "
                                f"zone {zone_text(ctx, zone)}")


def network_domain_for(ctx: Context, p: dict, offering: dict, zone: dict, owner: dict) -> str | None:
    dns_providers = services_of(offering).get("Dns")
    if dns_providers is None:
        return p.get("networkdomain")
    if not any(provider in DNS_SUFFIX_PROVIDERS for provider in dns_providers):
        if p.get("networkdomain") is not None:
            raise invalid_parameter(f"Domain name change is not supported by network offering id="
                                    f"{db_id(ctx, 'networkoffering', offering['id'])} in zone {zone_text(ctx, zone)}")
        return None
    if p.get("networkdomain") is None:
        # the account's (or domain's) own network domain, else the zone's, else a generated one
        inherited = owner.get("networkdomain") or zone.get("domain")
        suffix = ctx.setting("guest.domain.suffix") or "cloud.internal"
        return inherited or f"cs{account_number(ctx, owner):x}{suffix}"
    check_domain_name(p["networkdomain"])
    return p["networkdomain"]


def check_domain_name(name: str) -> None:
    """NetUtils.verifyDomainName."""
    labels = name.split(".")
    valid = len(name) <= 190 and all(
        0 < len(label) <= 63 and label[0] != "-" and label[-1] != "-"
        and all(c.isascii() and (c.isalnum() or c == "-") for c in label) for label in labels)
    if not valid:
        raise invalid_parameter("Invalid network domain. Total length shouldn't exceed 190 chars. Each domain label "
                                "must be between 1 and 63 characters long, can contain ASCII letters 'a' through 'z', "
                                "the digits '0' through '9', and the hyphen ('-'); can't start or end with \"-\"")


def check_zone_rules(ctx: Context, zone: dict, offering: dict, acl: str, domain_id: str | None,
                     p: dict, vlan: str | None) -> str | None:
    """NetworkOrchestrator.createGuestNetwork's zone checks; returns the VLAN (untagged in basic zones)."""
    services = services_of(offering)
    if zone["networktype"] == "Basic":
        if acl != "Domain":
            raise invalid_parameter("Only AclType=Domain can be specified for network creation in Basic zone")
        if any(net.get("traffictype") == "Guest" for net in ctx.store.find("network", zoneid=zone["id"])):
            raise invalid_parameter("Can't have more than one Guest network in zone with network type Basic")
        if not (offering.get("guestiptype") == "Shared" and "SourceNat" not in services):
            raise invalid_parameter("For zone of type Basic only offerings of guestType Shared with disabled SourceNat "
                                    "service are allowed")
        root = ctx.store.find_one("domain", name="ROOT") or {}
        if domain_id not in (None, root.get("id")):
            raise invalid_parameter("Guest network in Basic zone should be dedicated to ROOT domain")
        if p.get("subdomainaccess") is False:
            raise invalid_parameter("Subdomain access should be set to true for the guest network in the Basic zone")
        if vlan is not None and vlan.lower() != "untagged":
            raise invalid_parameter("Only vlan untagged can be created in the zone of type Basic")
        return vlan or "untagged"
    if zone.get("securitygroupsenabled"):
        if p.get("isolatedpvlan"):
            raise invalid_parameter("Isolated Private VLAN is not supported with security group!")
        if offering.get("guestiptype") not in ("Shared", "L2"):
            raise invalid_parameter("Only shared or L2 guest network can be created in security group enabled zone")
        if "SourceNat" in services:
            raise invalid_parameter("Service SourceNat is not allowed in security group enabled zone")
    if offering.get("_elasticip") or offering.get("_elasticlb"):
        raise invalid_parameter("Elastic IP and Elastic LB services are supported in zone of type Basic")
    return vlan


def guest_state(zone: dict, offering: dict, vlan: str | None) -> str:
    """The guru's design(): Setup when the VLAN is known up front, else Allocated."""
    if zone["networktype"] == "Basic":
        return "Setup"
    if offering.get("guestiptype") == "Shared":
        return "Setup" if vlan else "Allocated"
    return "Setup" if offering.get("specifyvlan") and not offering.get("ispersistent") else "Allocated"


def designed_subnet(ctx: Context, zone: dict, offering: dict, cidr: str | None, gateway: str | None,
                    network_id: str) -> tuple[str | None, str | None]:
    """GuestNetworkGuru.design: an isolated network without a CIDR takes the zone's guest CIDR."""
    if cidr or offering.get("guestiptype") != "Isolated" or zone["networktype"] != "Advanced":
        return cidr, gateway
    if offering.get("networkmode") == "ROUTED" or not services_of(offering):
        return None, None
    guest_cidr = zone.get("guestcidraddress")
    if not guest_cidr:
        text = (f'Network {{"id": 0, "name": "null", "uuid": "{network_id}", '
                f'"networkofferingid": {db_id(ctx, "networkoffering", offering["id"])}}}')
        raise cloud_runtime(f"Can't design network {text}; guest CIDR is not configured per zone "
                            f"{zone_text(ctx, zone)}")
    subnet = ipaddress.IPv4Network(guest_cidr, strict=False)
    return guest_cidr, str(subnet.network_address + 1)


def allocate_vnet(ctx: Context, pn: dict, network_id: str) -> str:
    """DataCenterDao.allocateVnet: the lowest free vnet of the physical network."""
    taken = {int(net["_vnet"]) for net in ctx.store.find("network", zoneid=pn["zoneid"])
             if net.get("physicalnetworkid") == pn["id"] and str(net.get("_vnet") or "").isdigit()}
    free = sorted(vnets_of(pn) - taken)
    if not free:
        return ""
    return str(free[0])


@command("createNetwork")
def create_network(ctx: Context, p: dict) -> dict:
    offering = ctx.store.get("networkoffering", p["networkofferingid"])
    zone = zone_of(ctx, p["zoneid"])
    pn_id = resolve_physical_network(ctx, p, offering, zone)
    if offering.get("_issystem"):
        raise invalid_parameter("Unable to find network offering by specified id")
    owner = owning_account(ctx, p)
    pn = ctx.store.get("physicalnetwork", pn_id)
    if pn is None:
        raise invalid_parameter("Unable to find a physical network having the specified physical network id")
    if zone.get("allocationstate") == "Disabled" and ctx.user.get("roletype") != "Admin":
        raise permission_denied("Cannot perform this operation since specified Zone is currently disabled")
    acl = acl_type_of(ctx, p, offering)
    guest = offering.get("guestiptype")
    if guest != "Shared" and (p.get("routerip") or p.get("routeripv6")):
        raise invalid_parameter("Router IP can be specified only for Shared networks")
    domain_network = check_domain_network(ctx, p, offering, acl)
    if acl == "Domain":
        owner = system_account(ctx)
    if not setting_true(ctx, "allow.duplicate.networkname") and ctx.store.find(
            "network", name=p["name"], where=lambda net: net.get("_accountid") == owner["id"]):
        raise invalid_parameter(f"Another network with same name already exists within account: {owner['name']}")
    check_shared_addresses(ctx, p, offering, owner)
    ipv4, cidr, end_ip = check_ipv4_parameters(p)
    ipv6 = bool(p.get("ip6cidr") and p.get("ip6gateway")) or is_ipv6(p.get("gateway"))
    if ipv6 and (zone["networktype"] != "Advanced" or guest != "Shared"):
        raise invalid_parameter("Can only support create IPv6 network with advance shared network!")
    vlan = check_vlan_parameters(ctx, p, offering)
    create_vlan = bool(p.get("startip") and end_ip and zone["networktype"] == "Advanced"
                       and (guest == "Shared" or (guest == "Isolated" and "SourceNat" not in services_of(offering))))
    create_vlan = create_vlan or (ipv6 and guest != "Isolated")
    if create_vlan and not offering.get("specifyipranges"):
        raise invalid_parameter("Network offering with specified id doesn't support adding multiple ip ranges")
    if guest == "Shared":
        if not offering.get("specifyipranges"):
            raise cloud_runtime("The 'specifyipranges' parameter should be true for Shared Networks")
        if ipv4 and p.get("startip") is None:
            raise cloud_runtime("IPv4 address range needs to be provided")
    if offering.get("forvpc"):
        raise invalid_parameter("Network offering can be used for VPC networks only")
    if offering.get("_internallb"):
        raise invalid_parameter("Internal Lb can be enabled on vpc networks only")
    network = new_guest_network(ctx, p, zone, pn, offering, owner, acl, domain_network, cidr, vlan)
    if create_vlan:
        commit_range(ctx, zone, network, pn["id"], for_virtual=False, for_systemvms=False, pod_id=None,
                     start_ip=p.get("startip"), end_ip=end_ip, gateway=p.get("gateway"), netmask=p.get("netmask"),
                     vlan_id=network_vlan_id(network) if vlan is None else vlan,
                     bypass_vlan_check=bool(p.get("bypassvlanoverlapcheck")), domain=None, owner=None,
                     ipv6=(p.get("startipv6"), p.get("endipv6") or p.get("startipv6"), p.get("ip6gateway"),
                           p.get("ip6cidr")))
        network = ctx.store.get("network", network["id"])
    if offering.get("ispersistent"):
        network = implement_network(ctx, network, zone, pn, offering)
    return network_view(ctx, network)


def network_vlan_id(network: dict) -> str | None:
    uri = network.get("broadcasturi")
    return isolation_value(uri) if uri else None


def check_shared_addresses(ctx: Context, p: dict, offering: dict, owner: dict) -> None:
    if offering.get("guestiptype") == "Shared" and not p.get("vpcid") \
            and not setting_true(ctx, "allow.empty.start.end.ipaddress") \
            and not any(p.get(k) for k in ("startip", "endip", "startipv6", "endipv6")):
        raise invalid_parameter("Either IPv4 or IPv6 start and end address are mandatory")


def check_vlan_parameters(ctx: Context, p: dict, offering: dict) -> str | None:
    vlan = p.get("vlan")
    if p.get("isolatedpvlan") and offering.get("guestiptype") == "Isolated":
        raise invalid_parameter("Can only support create Private VLAN network with advanced shared or L2 network!")
    if offering.get("guestiptype") == "Shared" and not offering.get("specifyvlan") and vlan is not None:
        raise invalid_parameter("Cannot specify vlanId when create a network from network offering with "
                                "specifyvlan=false")
    if ctx.user.get("roletype") != "Admin" and (offering.get("specifyvlan") or vlan is not None
                                                or p.get("bypassvlanoverlapcheck")):
        raise invalid_parameter("Only ROOT admin is allowed to specify vlanId or bypass vlan overlap check")
    return vlan


def new_guest_network(ctx: Context, p: dict, zone: dict, pn: dict, offering: dict, owner: dict, acl: str,
                      domain_network: bool, cidr: str | None, vlan: str | None) -> dict:
    """NetworkOrchestrator.createGuestNetwork: its checks, then the guru's design, persisted."""
    if offering.get("state") != "Enabled":
        raise invalid_parameter("Can't use specified network offering id as its state is not Enabled")
    if pn.get("state") != "Enabled":
        raise invalid_parameter(f"Specified physical network id is in incorrect state:{pn.get('state')}")
    domain_id = p.get("domainid") if domain_network else None
    vlan = check_zone_rules(ctx, zone, offering, acl, domain_id, p, vlan)
    if vlan is not None and not offering.get("specifyvlan") and not (
            offering.get("guestiptype") == "Shared" or zone["networktype"] == "Basic"):
        raise invalid_parameter("Can't specify vlan; corresponding offering says specifyVlan=false")
    if vlan is None and offering.get("specifyvlan"):
        raise invalid_parameter("Vlan has to be specified; corresponding offering says specifyVlan=true")
    if vlan is not None and zone["networktype"] == "Advanced":
        check_vlan_use(ctx, zone, pn, offering, vlan, bool(p.get("bypassvlanoverlapcheck")))
    network_domain = network_domain_for(ctx, p, offering, zone, owner)
    check_cidr_rules(zone, offering, cidr, p.get("ip6cidr"), ctx)
    network_id = new_uuid()
    vnet = None
    if vlan is None and offering.get("guestiptype") == "Shared" and not offering.get("specifyvlan") \
            and p.get("startip") and zone["networktype"] == "Advanced":
        vnet = allocate_vnet(ctx, pn, network_id)
        if not vnet:
            raise invalid_parameter("Cannot allocate a vnet for this Shared network")
        vlan = vnet
    cidr, gateway = designed_subnet(ctx, zone, offering, cidr, p.get("gateway") if cidr else None, network_id)
    return ctx.store.insert("network", guest_network_record(
        ctx, p, zone, pn, offering, owner, acl, domain_network, network_id, cidr, gateway, vlan, vnet, network_domain))


def check_cidr_rules(zone: dict, offering: dict, cidr: str | None, ip6_cidr: str | None, ctx: Context) -> None:
    services = services_of(offering)
    guest = offering.get("guestiptype")
    required = zone["networktype"] == "Advanced" and (guest == "Shared" or (
        guest == "Isolated" and "SourceNat" not in services and "Gateway" not in services))
    if cidr is None and ip6_cidr is None and required:
        if guest == "Shared":
            raise invalid_parameter("Gateway/netmask are required when creating Shared networks.")
        raise invalid_parameter("gateway/netmask are required when create network of type Isolated with service "
                                "SourceNat disabled")
    if zone["networktype"] == "Basic" and cidr is not None:
        raise invalid_parameter("StartIp/endIp/gateway/netmask can't be specified for zone of type Basic")
    if cidr is not None and guest == "Isolated" and not setting_true(ctx, "allow.non.rfc1918.compliant.ips"):
        subnet = ipaddress.IPv4Network(cidr, strict=False)
        if not any(subnet.subnet_of(block) for block in RFC1918):
            raise invalid_parameter(f"Virtual Guest Cidr {cidr} is not RFC 1918 or 6598 compliant")


def vr_mtus(ctx: Context, p: dict) -> tuple[int, int]:
    """validateMtuConfig: the zone maxima unless users may choose, then clamped to [68, max]."""
    public_max = setting_int(ctx, "vr.public.interface.max.mtu", 1500)
    private_max = setting_int(ctx, "vr.private.interface.max.mtu", 1500)
    if not setting_true(ctx, "allow.end.users.to.specify.vr.mtu"):
        return public_max, private_max
    public = p.get("publicmtu") or public_max
    private = p.get("privatemtu") or private_max
    return min(max(public, 68), public_max), min(max(private, 68), private_max)


def guest_network_record(ctx: Context, p: dict, zone: dict, pn: dict, offering: dict, owner: dict, acl: str,
                         domain_network: bool, network_id: str, cidr: str | None, gateway: str | None,
                         vlan: str | None, vnet: str | None, network_domain: str | None) -> dict:
    vxlan = (pn.get("_isolationmethods") or [""])[0].lower() == "vxlan"
    broadcast_uri = None
    broadcast_type = "Native" if zone["networktype"] == "Basic" else "Vlan"
    if vlan is not None:
        value = isolation_value(vlan)
        broadcast_uri = f"{'vxlan' if vxlan else 'vlan'}://{value}"
        broadcast_type = "Native" if value.lower() == "untagged" else ("Vxlan" if vxlan else "Vlan")
    public_mtu, private_mtu = vr_mtus(ctx, p)
    guest = offering.get("guestiptype")
    domain = ctx.store.get("domain", p.get("domainid")) if domain_network and p.get("domainid") else \
        ctx.store.find_one("domain", name="ROOT") or {}
    record = {
        "id": network_id, "name": p["name"], "displaytext": p.get("displaytext") or p["name"],
        "broadcastdomaintype": broadcast_type, "traffictype": "Guest", "gateway": gateway,
        "netmask": netmask_of(cidr) if cidr else None, "cidr": cidr, "zoneid": zone["id"],
        "networkofferingid": offering["id"], "state": guest_state(zone, offering, vlan), "related": network_id,
        "broadcasturi": broadcast_uri, "dns1": p.get("dns1") if guest != "L2" else None,
        "dns2": p.get("dns2") if guest != "L2" else None, "type": guest, "acltype": acl,
        "networkdomain": network_domain, "physicalnetworkid": pn["id"], "restartrequired": False,
        "specifyipranges": bool(offering.get("specifyipranges")), "ip6gateway": p.get("ip6gateway"),
        "ip6cidr": p.get("ip6cidr"), "displaynetwork": p.get("displaynetwork", True) is not False,
        "strechedl2subnet": bool(offering.get("_strechedl2subnet")), "externalid": p.get("externalid"),
        "redundantrouter": bool(offering.get("_redundantrouter")), "created": ctx.timestamp(),
        "publicmtu": public_mtu, "privatemtu": private_mtu,
        "ip6dns1": p.get("ip6dns1") if guest != "L2" else None, "ip6dns2": p.get("ip6dns2") if guest != "L2" else None,
        "_accountid": owner["id"], "_cidrs": [cidr] if cidr else [], "_gateways": [gateway] if gateway else [],
        "_vnet": vnet, "_details": {},
    }
    if acl == "Account":
        record.update({"account": owner["name"], "domainid": owner.get("domainid"), "domain": owner.get("domain"),
                       "domainpath": owner.get("domainpath") or "ROOT"})
    else:
        record.update({"domainid": domain.get("id"), "domain": domain.get("name"),
                       "domainpath": domain.get("path") or "ROOT",
                       "subdomainaccess": True if p.get("subdomainaccess") is None else p["subdomainaccess"]})
    return record


def implement_network(ctx: Context, network: dict, zone: dict, pn: dict, offering: dict) -> dict:
    """implementNetwork for a persistent network: a VLAN from the range, the router, Implemented."""
    needs_vnet = zone["networktype"] == "Advanced" and offering.get("guestiptype") != "Shared"
    if not network.get("broadcasturi") and needs_vnet:
        vnet = allocate_vnet(ctx, pn, network["id"])
        if not vnet:
            raise insufficient_capacity(f"Unable to allocate vnet as a part of network {network_text(ctx, network)} "
                                          "implement ")
        network["_vnet"] = vnet
        network["broadcasturi"] = f"vlan://{vnet}"
        network["broadcastdomaintype"] = "Vlan"
    network["state"] = "Implemented"
    ctx.store.update("network", network)
    if any(provider in ROUTER_PROVIDERS for providers in services_of(offering).values() for provider in providers):
        create_router(ctx, network, zone, offering)
    return network


def insufficient_capacity(text: str) -> ApiError:
    """InsufficientCapacityException: 533 / 4325."""
    return ApiError(INSUFFICIENT_CAPACITY_ERROR, text, CS_INSUFFICIENT_CAPACITY)


# -- updateNetwork / deleteNetwork --------------------------------------------------------


@command("updateNetwork", instance_type="Network")
def update_network(ctx: Context, p: dict) -> dict:
    network = ctx.store.get("network", p["id"])
    if network is None:
        raise invalid_parameter("Specified network id doesn't exist in the system")
    if network.get("state") == "Destroy":
        raise invalid_parameter("Don't allow to update network in state Destroy")
    offering = ctx.store.get("networkoffering", network["networkofferingid"]) or {}
    if offering.get("_issystem"):
        raise invalid_parameter("Can't update system networks")
    if network.get("traffictype") != "Guest":
        raise invalid_parameter("Can't allow networks which traffic type is not Guest")
    for key in ("name", "displaytext"):
        if p.get(key) is not None:
            network[key] = p[key]
    if p.get("displaynetwork") is not None:
        network["displaynetwork"] = p["displaynetwork"]
    if p.get("networkofferingid") and network.get("type") != "Isolated":
        raise invalid_parameter("NetworkOffering update can be performed for Isolated networks only.")
    if p.get("networkdomain") is not None and network.get("type") not in ("Isolated", "Shared"):
        raise invalid_parameter("Domain suffix update can only be performed for Isolated and shared networks.")
    if p.get("networkofferingid"):
        offering = change_offering(ctx, network, offering, p)
    update_dns(network, p)
    if p.get("networkdomain") is not None:
        check_domain_name(p["networkdomain"])
        if not any(provider in DNS_SUFFIX_PROVIDERS for provider in services_of(offering).get("Dns", [])):
            raise invalid_parameter(f"Domain name change is not supported by the network offering "
                                    f"{offering_text(ctx, offering)}")
        network["networkdomain"] = p["networkdomain"]
    if p.get("guestvmcidr") is not None:
        check_guest_vm_cidr(ctx, network, p)
    if p.get("publicmtu") is not None or p.get("privatemtu") is not None:
        network["publicmtu"], network["privatemtu"] = vr_mtus(ctx, {**network, **p})
    return network_view(ctx, ctx.store.update("network", network))


def offering_text(ctx: Context, offering: dict) -> str:
    return (f'NetworkOffering {{"id":{db_id(ctx, "networkoffering", offering.get("id", ""))},'
            f'"uuid":"{offering.get("id")}","name":"{offering.get("name")}"}}')


def change_offering(ctx: Context, network: dict, old: dict, p: dict) -> dict:
    new = ctx.store.get("networkoffering", p["networkofferingid"])
    if new is None or new.get("_issystem"):
        raise invalid_parameter("Unable to find network offering with specified id")
    if new.get("state") != "Enabled":
        raise invalid_parameter("Network offering with specified id is not in Enabled state, can't upgrade to it")
    if bool(new.get("forvpc")) != bool(old.get("forvpc")):
        kind = "a vpc offering " if new.get("forvpc") else "not a vpc offering"
        raise invalid_parameter(f"Can't update as the new offering is {kind}")
    if new["id"] != old["id"]:
        if not can_upgrade(old, new):
            raise invalid_parameter(f"Can't upgrade from network offering {old['id']} to {new['id']}; check logs for "
                                    "more information")
        network["networkofferingid"] = new["id"]
        network["redundantrouter"] = bool(new.get("_redundantrouter"))
    return new


def update_dns(network: dict, p: dict) -> None:
    """checkAndUpdateNetworkDns: an empty value clears the network's own DNS."""
    for key in ("dns1", "dns2", "ip6dns1", "ip6dns2"):
        if p.get(key) is not None:
            network[key] = p[key] or None


def check_guest_vm_cidr(ctx: Context, network: dict, p: dict) -> None:
    zone = zone_of(ctx, network["zoneid"])
    if zone["networktype"] == "Basic":
        raise invalid_parameter("Guest VM CIDR can't be specified for zone with Basic networking")
    if network.get("type") != "Isolated":
        raise invalid_parameter("Can only allow IP Reservation in networks with guest type Isolated")
    if p.get("networkofferingid") and p["networkofferingid"] != network["networkofferingid"]:
        raise invalid_parameter("Cannot specify this network offering change and guestVmCidr at same time. Specify "
                                "only one.")
    if network.get("state") not in ("Implemented", "Allocated"):
        raise invalid_parameter(f"The network must be in Implemented or Allocated state. IP Reservation cannot be "
                                f"applied in {network.get('state')} state")
    try:
        wanted = ipaddress.IPv4Network(p["guestvmcidr"], strict=False)
    except ValueError:
        raise invalid_parameter("Invalid format of Guest VM CIDR.") from None
    if not any(wanted.subnet_of(block) for block in RFC1918):
        raise invalid_parameter("Invalid format of Guest VM CIDR. Make sure it is RFC1918 compliant. ")
    network.setdefault("networkcidr", network.get("cidr"))
    network["cidr"] = str(wanted)
    network["netmask"] = str(wanted.netmask)


@command("deleteNetwork", instance_type="Network")
def delete_network(ctx: Context, p: dict) -> None:
    network = ctx.store.get("network", p["id"])
    if network is None:
        raise invalid_parameter("Unable to find a network with the specified ID.")
    offering = ctx.store.get("networkoffering", network.get("networkofferingid")) or {}
    if offering.get("_issystem"):
        raise invalid_parameter("Network with specified id is system and can't be removed")
    if p.get("forced") and ctx.user.get("roletype") != "Admin":
        raise invalid_parameter("Delete network with 'forced' option can only be called by root admins")
    in_use = [v for v in ranges_of_network(ctx, network) if v.get("_ipsinuse")]
    if in_use and not p.get("forced"):
        raise job_failure(f"Failed to delete network {network_text(ctx, network)}; was unable to cleanup corresponding "
                          "ip ranges")
    destroy_routers_of(ctx, network["id"])
    for vlan in ranges_of_network(ctx, network):
        ctx.store.delete("vlaniprange", vlan["id"])
    ctx.store.delete("network", network["id"])


# -- listNetworks -------------------------------------------------------------------------


def visible_to_caller(ctx: Context, network: dict, p: dict) -> bool:
    """Admins see everything with listall (or in the ROOT domain); others their own and domain networks."""
    if ctx.user.get("roletype") == "Admin":
        return bool(p.get("listall")) or network.get("domainpath", "ROOT") == "ROOT"
    if network.get("acltype") == "Domain":
        return network.get("domainid") == ctx.account.get("domainid")
    return network.get("_accountid") == ctx.account.get("id")


@command("listNetworks")
def list_networks(ctx: Context, p: dict) -> list[dict]:
    system = bool(p.get("issystem")) and ctx.user.get("roletype") == "Admin"
    if system and (p.get("account") or p.get("domainid")):
        raise invalid_parameter("System network belongs to system, account and domainId parameters can't be "
                                "specified")
    if p.get("networkfilter") and p["networkfilter"].lower() not in (
            "all", "account", "domain", "accountdomain", "shared", "routedvpc"):
        raise invalid_parameter(f"Invalid value of networkfilter: {p['networkfilter']}")
    networks = ctx.store.find("network", uuid=p.get("id"), zoneid=p.get("zoneid"))
    offerings = {o["id"]: o for o in ctx.store.find("networkoffering")}
    networks = [net for net in networks
                if bool(offerings.get(net.get("networkofferingid"), {}).get("_issystem")) == system]
    if not system:
        networks = [net for net in networks if visible_to_caller(ctx, net, p)]
    networks = [net for net in networks if network_matches(ctx, net, p, offerings)]
    return [network_view(ctx, net) for net in reversed(networks)]  # Filter(id, ascending=false)


def network_matches(ctx: Context, network: dict, p: dict, offerings: dict) -> bool:
    text_filters = {"name": "name", "type": "type", "traffictype": "traffictype", "acltype": "acltype"}
    for param, key in text_filters.items():
        if p.get(param) is not None and str(network.get(key)).lower() != p[param].lower():
            return False
    exact = {"physicalnetworkid": "physicalnetworkid", "networkofferingid": "networkofferingid", "vpcid": "vpcid",
             "restartrequired": "restartrequired", "specifyipranges": "specifyipranges",
             "displaynetwork": "displaynetwork"}
    for param, key in exact.items():
        if p.get(param) is not None and network.get(key) != p[param]:
            return False
    if p.get("forvpc") is not None and bool(network.get("vpcid")) != p["forvpc"]:
        return False
    if p.get("vlan") is not None and not (network.get("broadcasturi") and same_isolation(network["broadcasturi"],
                                                                                          p["vlan"])):
        return False
    if p.get("account") and p.get("domainid") and (network.get("account") != p["account"]
                                                   or network.get("domainid") != p["domainid"]):
        return False
    offering = offerings.get(network.get("networkofferingid"), {})
    services = [canonical_service_or_fail(name) for name in p.get("supportedservices") or []]
    if services and not all(s in services_of(offering) for s in services):
        return False
    return p.get("canusefordeploy") is None or can_use_for_deploy(ctx, network, offering) == p["canusefordeploy"]


# -- security groups ----------------------------------------------------------------------


@command("listSecurityGroups")
def list_security_groups(ctx: Context, p: dict) -> list[dict]:
    groups = ctx.store.find("securitygroup", uuid=p.get("id"))
    if p.get("account") and p.get("domainid"):
        account = ctx.store.find_one("account", name=p["account"], where=lambda a: a.get("domainid") == p["domainid"])
        if account is None:
            raise invalid_parameter(f"Unable to find account by name {p['account']} in domain {p['domainid']}")
        groups = [g for g in ctx.store.find("securitygroup", parentid=account["id"]) if g in groups]
    elif not p.get("listall") and not p.get("id"):
        groups = [g for g in ctx.store.find("securitygroup", parentid=ctx.account.get("id")) if g in groups]
    if p.get("securitygroupname"):
        groups = [g for g in groups if g["name"].lower() == p["securitygroupname"].lower()]
    if p.get("domainid") and not p.get("account"):
        groups = [g for g in groups if g.get("domainid") == p["domainid"]]
    return [{"domainpath": "ROOT", "ingressrule": [], "egressrule": [], "tags": [], "virtualmachinecount": 0,
             "virtualmachineids": [], **g} for g in groups]

