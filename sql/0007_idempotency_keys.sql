-- Retries by key (docs/contract.md §3.1): an upload that carries `Idempotency-Key` records
-- the key here, in the same transaction as its submission, with what it was (module
-- and bytes) and the exact answer it got. A later upload with the same key from the
-- same student within upload.idempotency_window_s gets that answer and stores
-- nothing, or the 422 line when it carries another module or other bytes. The student's
-- rows older than the window are deleted when the student next uses a key, so the
-- table holds at most one window of keyed uploads per student.
CREATE TABLE IF NOT EXISTS upload_keys (
  student_id INT UNSIGNED NOT NULL,
  idempotency_key VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  module_id INT UNSIGNED NOT NULL,
  sha256 CHAR(64) NOT NULL,
  submission_id CHAR(16) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  answer TEXT NOT NULL,
  PRIMARY KEY (student_id, idempotency_key),
  KEY ix_upload_keys_created (student_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
