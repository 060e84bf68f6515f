-- A write whose answer never came (timeout, reset, 5xx) may or may not have been applied by
-- CMR. It is recorded as 'unknown', never as 'error' ("nothing changed"), so nobody retries a
-- change that may already have happened.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_outcome_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_outcome_check
    CHECK (outcome IN ('ok', 'error', 'unknown'));

