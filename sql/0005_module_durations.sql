-- The wait estimate uses the recent judge durations of the submission's own module
-- (its judge sets the pace). This index makes "the module's newest done jobs"
-- a range read, even at a deadline when hundreds of queued rows are newer.
ALTER TABLE submissions
  ADD INDEX ix_submissions_module_status (module_id, status, received_at);
