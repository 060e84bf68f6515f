-- Staff management, server-side session details, two-factor sign-in and an append-only audit log.

-- A disabled account cannot sign in and its sessions are deleted when it is disabled. Accounts
-- are never deleted by the application: the audit log keeps naming them.
ALTER TABLE staff
    ADD COLUMN disabled_at          TIMESTAMPTZ,
    -- Set when an admin resets the password: the account must choose its own at next sign-in.
    ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT false,
    -- TOTP (RFC 6238) secret, base32, once enrolment was confirmed with a first code.
    ADD COLUMN totp_secret          TEXT,
    ADD COLUMN totp_enabled_at      TIMESTAMPTZ,
    -- A secret shown for enrolment but not yet confirmed.
    ADD COLUMN totp_pending_secret  TEXT,
    -- The last time step whose code was accepted: a code is accepted once (a later step only).
    ADD COLUMN totp_last_step       BIGINT;

-- One-time recovery codes, stored as SHA-256 hashes (they are random, 50 bits each: a slow
-- hash would add nothing). A used code keeps its row, so it cannot be used again.
CREATE TABLE staff_recovery_codes (
    staff_id  BIGINT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    code_hash TEXT   NOT NULL,
    used_at   TIMESTAMPTZ,
    PRIMARY KEY (staff_id, code_hash)
);

-- A number to name a session by in the sessions list: the id is the cookie's value, a bearer
-- credential that must never be shown, even to its owner's other sessions.
ALTER TABLE staff_sessions ADD COLUMN handle BIGSERIAL;
CREATE UNIQUE INDEX staff_sessions_handle ON staff_sessions (handle);

-- The audit log is append-only for the application: no UPDATE, no TRUNCATE, and DELETE only
-- by the retention prune (`cmr-admin prune-audit`), which says so in its transaction and can
-- only remove entries older than 30 days whatever it is configured to keep. The one update
-- allowed is the foreign key's own: clearing `staff_id` when an operator deletes an account
-- by hand (the entry keeps `actor_email`).
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.staff_id IS NULL AND OLD.staff_id IS NOT NULL
           AND (to_jsonb(NEW) - 'staff_id') = (to_jsonb(OLD) - 'staff_id') THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only: entries are never updated';
    ELSIF TG_OP = 'DELETE' THEN
        IF current_setting('cmr_admin.audit_prune', true) = 'on'
           AND OLD.at < now() - interval '30 days' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only: entries are removed only by the retention prune';
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- The audit viewer filters by actor and by action over a date range.
CREATE INDEX audit_log_staff_idx ON audit_log (staff_id, at DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, at DESC);
