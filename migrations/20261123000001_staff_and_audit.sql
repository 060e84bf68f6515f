-- Staff accounts: the only people who can use the dashboard. CMR knows nothing about them.
CREATE TABLE staff (
    id                  BIGSERIAL PRIMARY KEY,
    email               TEXT        NOT NULL,
    display_name        TEXT        NOT NULL,
    role                TEXT        NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    -- PHC string (argon2id with its parameters); never leaves the server.
    password_hash       TEXT        NOT NULL,
    password_changed_at TIMESTAMPTZ NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL
);
-- Emails compare case-insensitively, so "Ann@x.com" and "ann@x.com" are one account.
CREATE UNIQUE INDEX staff_email_lower_key ON staff (lower(email));

-- Failed sign-ins, keyed by the normalised email that was typed. Rows exist for unknown emails
-- too, so the lockout behaves the same whether or not an account exists (no enumeration).
CREATE TABLE sign_in_throttle (
    email             TEXT PRIMARY KEY,
    failures          INTEGER     NOT NULL,
    window_started_at TIMESTAMPTZ NOT NULL,
    locked_until      TIMESTAMPTZ
);

-- Every mutation and every security event. Append-only by convention: nothing updates or
-- deletes rows here. Secrets (passwords, keys, mailbox credentials) are never written.
CREATE TABLE audit_log (
    id              BIGSERIAL PRIMARY KEY,
    at              TIMESTAMPTZ NOT NULL,
    -- NULL for events without a signed-in actor (a failed sign-in, the first-run setup).
    staff_id        BIGINT REFERENCES staff (id) ON DELETE SET NULL,
    -- Copied so the entry stays readable if the account is later removed; for a failed
    -- sign-in it is the email that was typed.
    actor_email     TEXT,
    action          TEXT        NOT NULL,
    target_kind     TEXT,
    target_id       TEXT,
    -- [{"field": "...", "before": ..., "after": ...}]
    changes         JSONB       NOT NULL DEFAULT '[]'::jsonb,
    outcome         TEXT        NOT NULL CHECK (outcome IN ('ok', 'error')),
    upstream_status INTEGER,
    message         TEXT,
    action_id       TEXT
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);
CREATE INDEX audit_log_target_idx ON audit_log (target_kind, target_id, at DESC);
