-- Each runner process records when it started and its pid, so that a restart (a crash
-- and its supervisor's restart, which takes a second or two) is visible: the watchdog's
-- runner_restarted check alerts when a runner's started_at changes.
ALTER TABLE runners
  ADD COLUMN started_at DATETIME(6) NULL,
  ADD COLUMN pid INT UNSIGNED NULL;
