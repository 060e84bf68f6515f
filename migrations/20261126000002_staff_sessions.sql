-- Sessions move from tower-sessions' own table to one this project owns, with the staff member
-- as a column: the authentication guard reads a session and its account in one query (one
-- round trip per request instead of two), and an account's sessions can be found, listed and
-- ended together. Sessions in the old table are not carried over: everyone signed in at the
-- upgrade signs in once more.
CREATE TABLE staff_sessions (
    -- tower-sessions' session id, as its text form (the cookie's value).
    id           TEXT PRIMARY KEY,
    -- NULL for a session that holds no sign-in.
    staff_id     BIGINT REFERENCES staff (id) ON DELETE CASCADE,
    -- tower-sessions' record, MessagePack-encoded.
    data         BYTEA NOT NULL,
    expiry_date  TIMESTAMPTZ NOT NULL
);
CREATE INDEX staff_sessions_staff_id ON staff_sessions (staff_id);
CREATE INDEX staff_sessions_expiry_date ON staff_sessions (expiry_date);

DROP SCHEMA IF EXISTS tower_sessions CASCADE;
