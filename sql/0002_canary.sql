-- End-to-end canary (docs/contract.md §6). A canary student per course (students.canary)
-- owns the canary token; its submissions carry submissions.canary so every student-,
-- grade- and queue-facing query can leave them out with one indexed-row predicate.
-- canaries holds, per module, the known-good archive and the verdict it must get;
-- `ojctl canary set` writes it, oj-watchdog reads it. Applied once (schema_version).

-- The queue index gains canary as its last column: queue positions count
-- "queued AND canary = 0 AND received_at < x" from the index alone (without it, every
-- queued row ahead costs a primary-key lookup: measured 3800 queued rows, 5 ms -> 70 ms
-- per count); the runner's claim still reads (status, received_at) in order.
--
-- ix_submissions_dedup makes retry detection (then by same student, module and
-- SHA-256; since 0007 by Idempotency-Key) a point lookup instead of a walk over the student's submissions for the
-- module; measured with ops/bench/receipt_dedup_bench.py (docs/benchmarks.md).
ALTER TABLE students ADD COLUMN canary BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE submissions ADD COLUMN canary BOOLEAN NOT NULL DEFAULT 0,
  DROP INDEX ix_submissions_queue, ADD INDEX ix_submissions_queue (status, received_at, canary),
  ADD INDEX ix_submissions_dedup (student_id, module_id, sha256);

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
