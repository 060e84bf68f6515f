-- The partner-wide index: what partner-wide views need from CMR, which has no "all domains"
-- call and allows 5 calls a second. Filled by the background sync (app/src/server/index), and
-- refreshed by every live read a page makes (and, later, by CMR's webhooks).
--
-- Every row says when it was last seen and by what (`sync`, `live`, `webhook`). A row CMR no
-- longer returns is marked gone (`gone_at`), not deleted and not silently kept; seeing it again
-- clears the mark.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE index_customers (
    id        TEXT PRIMARY KEY,
    email     TEXT NOT NULL,
    name      TEXT NOT NULL,
    company   TEXT NOT NULL,
    country   TEXT NOT NULL,
    seen_at   TIMESTAMPTZ NOT NULL,
    seen_by   TEXT NOT NULL CHECK (seen_by IN ('sync', 'live', 'webhook')),
    gone_at   TIMESTAMPTZ
);
CREATE INDEX index_customers_email ON index_customers (lower(email));
CREATE INDEX index_customers_search ON index_customers
    USING gin ((lower(name || ' ' || email || ' ' || company)) gin_trgm_ops);

-- A domain name belongs to one customer; names are kept lower-case.
CREATE TABLE index_domains (
    name         TEXT PRIMARY KEY,
    domain_id    TEXT,
    customer_id  TEXT NOT NULL,
    status       TEXT NOT NULL,
    expires_on   DATE,
    auto_renew   BOOLEAN NOT NULL,
    provider     TEXT,
    seen_at      TIMESTAMPTZ NOT NULL,
    seen_by      TEXT NOT NULL CHECK (seen_by IN ('sync', 'live', 'webhook')),
    gone_at      TIMESTAMPTZ
);
CREATE INDEX index_domains_customer ON index_domains (customer_id);
CREATE INDEX index_domains_expiry ON index_domains (expires_on) WHERE gone_at IS NULL;
CREATE INDEX index_domains_search ON index_domains USING gin (name gin_trgm_ops);

CREATE TABLE index_subscriptions (
    id                       TEXT PRIMARY KEY,
    customer_id              TEXT NOT NULL,
    domain                   TEXT NOT NULL,
    status                   TEXT NOT NULL,
    period_end               DATE,
    auto_renew               BOOLEAN NOT NULL,
    mailboxes                INTEGER NOT NULL,
    price_per_mailbox_cents  BIGINT NOT NULL,
    provider                 TEXT,
    seen_at                  TIMESTAMPTZ NOT NULL,
    seen_by                  TEXT NOT NULL CHECK (seen_by IN ('sync', 'live', 'webhook')),
    gone_at                  TIMESTAMPTZ
);
CREATE INDEX index_subscriptions_customer ON index_subscriptions (customer_id);
CREATE INDEX index_subscriptions_domain ON index_subscriptions (domain);

CREATE TABLE index_mailboxes (
    id               TEXT PRIMARY KEY,
    email            TEXT NOT NULL,
    domain           TEXT NOT NULL,
    customer_id      TEXT,
    subscription_id  TEXT,
    status           TEXT NOT NULL,
    name             TEXT NOT NULL,
    on_warmup        BOOLEAN NOT NULL,
    seen_at          TIMESTAMPTZ NOT NULL,
    seen_by          TEXT NOT NULL CHECK (seen_by IN ('sync', 'live', 'webhook')),
    gone_at          TIMESTAMPTZ
);
CREATE INDEX index_mailboxes_email ON index_mailboxes (lower(email));
CREATE INDEX index_mailboxes_customer ON index_mailboxes (customer_id);
CREATE INDEX index_mailboxes_domain ON index_mailboxes (domain);
CREATE INDEX index_mailboxes_search ON index_mailboxes USING gin (lower(email) gin_trgm_ops);

-- The sync's one row: where the pass under way stands (so a restart resumes there), who runs
-- it (a lease: one instance at a time), and what the last passes did.
CREATE TABLE index_sync (
    only_row            BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    -- The instance running the sync, until when (renewed by every step).
    holder              TEXT,
    held_until          TIMESTAMPTZ,
    -- The pass under way: NULL between passes.
    pass_started_at     TIMESTAMPTZ,
    -- `customers`, `subscriptions`, `mailboxes` (pages; `cursor` is the next page number) or
    -- `domains` (per customer; `cursor` is the last customer id done).
    phase               TEXT,
    cursor              TEXT,
    -- Progress of the pass under way, in CMR calls.
    calls_done          INTEGER NOT NULL DEFAULT 0,
    calls_expected      INTEGER NOT NULL DEFAULT 0,
    -- The previous pass's start: a subscription or mailbox missing from two passes is gone.
    previous_pass_started_at TIMESTAMPTZ,
    last_full_pass_at   TIMESTAMPTZ,
    last_pass_seconds   DOUBLE PRECISION,
    last_pass_calls     INTEGER,
    errors              INTEGER NOT NULL DEFAULT 0,
    last_error          TEXT,
    last_error_at       TIMESTAMPTZ
);
INSERT INTO index_sync (only_row) VALUES (TRUE);
