-- The outage ledger and grace (docs/operations.md). Every statement is idempotent, so a
-- migration interrupted halfway can run again; columns are added through
-- information_schema checks because MySQL 8 has no ADD COLUMN IF NOT EXISTS.

-- Per UTC minute, what the watchdog saw of intake (imported from its journal).
CREATE TABLE IF NOT EXISTS outage_minutes (
  minute DATETIME(6) NOT NULL PRIMARY KEY,
  probes INT UNSIGNED NOT NULL DEFAULT 0,
  probes_failed INT UNSIGNED NOT NULL DEFAULT 0,
  uploads INT UNSIGNED NOT NULL DEFAULT 0,
  uploads_5xx INT UNSIGNED NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Uploads refused with 503/5xx whose fields the app had read (imported from the pool's
-- journal). token/course/module are as sent, validated for form only.
CREATE TABLE IF NOT EXISTS refused_attempts (
  id CHAR(16) NOT NULL PRIMARY KEY,
  at DATETIME(6) NOT NULL,
  status SMALLINT UNSIGNED NOT NULL,
  token CHAR(8) NOT NULL,
  course VARCHAR(32) NOT NULL,
  module VARCHAR(32) NOT NULL,
  reason VARCHAR(16) NOT NULL,
  KEY ix_refused_token (token, course, module, at),
  KEY ix_refused_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per (module, incident) the watchdog acted on: a suggestion sent or a
-- deadline extended. The primary key makes each happen once.
CREATE TABLE IF NOT EXISTS grace_decisions (
  module_id INT UNSIGNED NOT NULL,
  incident_start DATETIME(6) NOT NULL,
  incident_end DATETIME(6) NOT NULL,
  action VARCHAR(8) NOT NULL,
  minutes INT UNSIGNED NOT NULL,
  decided_at DATETIME(6) NOT NULL,
  old_deadline DATETIME(6) NOT NULL,
  new_deadline DATETIME(6) NULL,
  PRIMARY KEY (module_id, incident_start),
  CONSTRAINT fk_grace_module FOREIGN KEY (module_id) REFERENCES modules (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- modules.grace_policy: off | suggest | auto
SET @oj_have := (SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()
  AND TABLE_NAME = 'modules' AND COLUMN_NAME = 'grace_policy');
SET @oj_ddl := IF(@oj_have = 0,
  'ALTER TABLE modules ADD COLUMN grace_policy VARCHAR(8) NOT NULL DEFAULT ''suggest''', 'DO 0');
PREPARE oj_stmt FROM @oj_ddl;
EXECUTE oj_stmt;
DEALLOCATE PREPARE oj_stmt;

-- submissions.on_time_refused_at: accepted as on time after the deadline because this
-- token's upload was refused at that time, before the deadline (late = 0 then).
SET @oj_have := (SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()
  AND TABLE_NAME = 'submissions' AND COLUMN_NAME = 'on_time_refused_at');
SET @oj_ddl := IF(@oj_have = 0,
  'ALTER TABLE submissions ADD COLUMN on_time_refused_at DATETIME(6) NULL', 'DO 0');
PREPARE oj_stmt FROM @oj_ddl;
EXECUTE oj_stmt;
DEALLOCATE PREPARE oj_stmt;
