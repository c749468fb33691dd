-- End-to-end canary (issue 10 item 4). A canary student per course (students.canary)
-- owns the canary token; its submissions carry submissions.canary so every student-,
-- grade- and queue-facing query can leave them out with one indexed-row predicate.
-- canaries holds, per module, the known-good archive and the verdict it must get;
-- `ojctl canary set` writes it, oj-watchdog reads it. Applied once (schema_version).

ALTER TABLE students ADD COLUMN canary BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE submissions ADD COLUMN canary BOOLEAN NOT NULL DEFAULT 0;

CREATE TABLE IF NOT EXISTS canaries (
  module_id INT UNSIGNED NOT NULL PRIMARY KEY,
  student_id INT UNSIGNED NOT NULL,
  archive MEDIUMBLOB NOT NULL,
  archive_sha256 CHAR(64) NOT NULL,
  expect_verdict VARCHAR(16) NOT NULL,
  expect_score DOUBLE NULL,
  interval_s INT UNSIGNED NULL,
  judge_target_s INT UNSIGNED NULL,
  enabled BOOLEAN NOT NULL DEFAULT 1,
  updated_at DATETIME(6) NOT NULL,
  CONSTRAINT fk_canaries_module FOREIGN KEY (module_id) REFERENCES modules (id),
  CONSTRAINT fk_canaries_student FOREIGN KEY (student_id) REFERENCES students (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
