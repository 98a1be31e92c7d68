-- acsible stand-in for CloudStack's create-schema-premium.sql: the usage database's job table (the stand-in
-- usage server records its runs there; the real one has many more tables).

DROP TABLE IF EXISTS `cloud_usage`.`usage_job`;

CREATE TABLE `cloud_usage`.`usage_job` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `host` varchar(255),
  `pid` int(10),
  `job_type` int(1),
  `scheduled` int(1),
  `start_millis` bigint unsigned NOT NULL DEFAULT 0 COMMENT 'start time in milliseconds of the aggregation range used by this job',
  `end_millis` bigint unsigned NOT NULL DEFAULT 0 COMMENT 'end time in milliseconds of the aggregation range used by this job',
  `exec_time` bigint unsigned NOT NULL DEFAULT 0 COMMENT 'how long in milliseconds it took for the job to execute',
  `start_date` DATETIME COMMENT 'start date of the aggregation range used by this job',
  `end_date` DATETIME COMMENT 'end date of the aggregation range used by this job',
  `success` int(1),
  `heartbeat` DATETIME NOT NULL,
  PRIMARY KEY (`id`),
  INDEX `i_usage_job__end_millis`(`end_millis`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
