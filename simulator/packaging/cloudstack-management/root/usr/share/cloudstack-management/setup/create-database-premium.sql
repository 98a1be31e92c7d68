-- acsible stand-in for CloudStack's create-database-premium.sql: drops and makes the usage database.

DROP DATABASE IF EXISTS `cloud_usage`;

CREATE DATABASE `cloud_usage`;

GRANT ALL ON cloud_usage.* TO 'cloud'@'localhost';
GRANT ALL ON cloud_usage.* TO 'cloud'@'%';

GRANT PROCESS ON *.* TO 'cloud'@'localhost';
GRANT PROCESS ON *.* TO 'cloud'@'%';

COMMIT;
