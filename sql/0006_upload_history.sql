-- The upload path reads a student's history for a module in one index-only scan: how
-- many uploads fall in the token's rate window, and whether one has the same bytes and
-- is still queued or running or recent (retry detection, since replaced by 0007's keys). With status and
-- sha256 in the index that read touches no table row, so retry detection adds no
-- measurable cost to an upload. It replaces both indexes it extends: the student's
-- submissions by time (its prefix) and (student_id, module_id, sha256).
ALTER TABLE submissions
  ADD INDEX ix_submissions_history (student_id, module_id, received_at, status, sha256),
  DROP INDEX ix_submissions_student_module,
  DROP INDEX ix_submissions_dedup;
