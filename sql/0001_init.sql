-- Initial schema (docs/contract.md §4). Portable between MariaDB 10.11 and MySQL 8: InnoDB,
-- utf8mb4, times in UTC as DATETIME(6). Applied by `ojctl db migrate`.

CREATE TABLE IF NOT EXISTS courses (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code VARCHAR(32) NOT NULL,
  title VARCHAR(200) NOT NULL DEFAULT '',
  UNIQUE KEY uq_courses_code (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS modules (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  course_id INT UNSIGNED NOT NULL,
  code VARCHAR(32) NOT NULL,
  title VARCHAR(200) NOT NULL DEFAULT '',
  opens_at DATETIME(6) NOT NULL,
  deadline DATETIME(6) NOT NULL,
  late_until DATETIME(6) NULL,
  closed BOOLEAN NOT NULL DEFAULT 0,
  size_limit_bytes BIGINT UNSIGNED NOT NULL DEFAULT 12582912,
  judge_dir VARCHAR(1024) NOT NULL DEFAULT '',
  supersede BOOLEAN NOT NULL DEFAULT 1,
  closed_at DATETIME(6) NULL,
  UNIQUE KEY uq_modules_course_code (course_id, code),
  CONSTRAINT fk_modules_course FOREIGN KEY (course_id) REFERENCES courses (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS students (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  course_id INT UNSIGNED NOT NULL,
  student_no VARCHAR(64) NOT NULL,
  name VARCHAR(200) NOT NULL DEFAULT '',
  token CHAR(8) NOT NULL,
  enabled BOOLEAN NOT NULL DEFAULT 1,
  UNIQUE KEY uq_students_token (token),
  UNIQUE KEY uq_students_course_no (course_id, student_no),
  CONSTRAINT fk_students_course FOREIGN KEY (course_id) REFERENCES courses (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS submissions (
  id CHAR(16) NOT NULL PRIMARY KEY,
  student_id INT UNSIGNED NOT NULL,
  module_id INT UNSIGNED NOT NULL,
  received_at DATETIME(6) NOT NULL,
  size_bytes BIGINT UNSIGNED NOT NULL,
  sha256 CHAR(64) NOT NULL,
  storage_key VARCHAR(255) NOT NULL,
  late BOOLEAN NOT NULL DEFAULT 0,
  status VARCHAR(16) NOT NULL DEFAULT 'queued',
  attempts INT UNSIGNED NOT NULL DEFAULT 0,
  runner_id VARCHAR(128) NULL,
  lease_until DATETIME(6) NULL,
  started_at DATETIME(6) NULL,
  finished_at DATETIME(6) NULL,
  verdict VARCHAR(16) NULL,
  score DOUBLE NULL,
  max_score DOUBLE NULL,
  log MEDIUMTEXT NULL,
  log_truncated BOOLEAN NOT NULL DEFAULT 0,
  cpu_ms BIGINT UNSIGNED NULL,
  wall_ms BIGINT UNSIGNED NULL,
  peak_memory_kb BIGINT UNSIGNED NULL,
  client_ip VARCHAR(64) NOT NULL DEFAULT '',
  KEY ix_submissions_queue (status, received_at),
  KEY ix_submissions_student_module (student_id, module_id, received_at),
  KEY ix_submissions_module (module_id, received_at),
  CONSTRAINT fk_submissions_student FOREIGN KEY (student_id) REFERENCES students (id),
  CONSTRAINT fk_submissions_module FOREIGN KEY (module_id) REFERENCES modules (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS test_results (
  submission_id CHAR(16) NOT NULL,
  seq INT UNSIGNED NOT NULL,
  name VARCHAR(200) NOT NULL,
  passed BOOLEAN NOT NULL,
  score DOUBLE NULL,
  max_score DOUBLE NULL,
  message TEXT NULL,
  time_ms BIGINT UNSIGNED NULL,
  memory_kb BIGINT UNSIGNED NULL,
  PRIMARY KEY (submission_id, seq),
  CONSTRAINT fk_test_results_submission FOREIGN KEY (submission_id) REFERENCES submissions (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS runners (
  id VARCHAR(128) NOT NULL PRIMARY KEY,
  host VARCHAR(255) NOT NULL,
  slot INT UNSIGNED NOT NULL,
  state VARCHAR(16) NOT NULL DEFAULT 'idle',
  reason VARCHAR(255) NOT NULL DEFAULT '',
  submission_id CHAR(16) NULL,
  heartbeat_at DATETIME(6) NOT NULL,
  internal_errors INT UNSIGNED NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS audit_log (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at DATETIME(6) NOT NULL,
  actor VARCHAR(128) NOT NULL,
  action VARCHAR(64) NOT NULL,
  target VARCHAR(255) NOT NULL,
  detail TEXT NULL,
  KEY ix_audit_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
