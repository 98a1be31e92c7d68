-- acsible stand-in for CloudStack's server-setup.sql: the values the database holds before the management
-- server first runs (its first start then adds every setting; the simulator keeps its own settings).

INSERT INTO `cloud`.`configuration` (category, instance, component, name, value, description)
    VALUES ('Hidden', 'DEFAULT', 'none', 'init', NULL, NULL);
INSERT INTO `cloud`.`configuration` (category, instance, component, name, value)
    VALUES ('Advanced', 'DEFAULT', 'RoleService', 'dynamic.apichecker.enabled', 'true');
INSERT INTO `cloud`.`configuration` (category, instance, component, name, value)
    VALUES ('Advanced', 'DEFAULT', 'RootCAProvider', 'ca.plugin.root.auth.strictness', 'true');
