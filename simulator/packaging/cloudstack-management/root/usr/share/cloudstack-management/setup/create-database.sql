-- acsible stand-in for CloudStack's create-database.sql: drops the cloud database and the cloud user, then makes
-- them again. cloudstack-setup-databases replaces the 'cloud' user and password literals with the ones it is given
-- (and, with --skip-users-auto-creation, drops the CREATE USER, GRANT and DROP USER statements).

DROP USER IF EXISTS 'cloud'@'localhost';
DROP USER IF EXISTS 'cloud'@'%';

DROP DATABASE IF EXISTS `billing`;
DROP DATABASE IF EXISTS `cloud`;

CREATE DATABASE `cloud`;

CREATE USER 'cloud'@'localhost' IDENTIFIED BY 'cloud';
CREATE USER 'cloud'@'%' IDENTIFIED BY 'cloud';

GRANT ALL ON cloud.* TO 'cloud'@'localhost';
GRANT ALL ON cloud.* TO 'cloud'@'%';

GRANT PROCESS ON *.* TO 'cloud'@'localhost';
GRANT PROCESS ON *.* TO 'cloud'@'%';

COMMIT;
