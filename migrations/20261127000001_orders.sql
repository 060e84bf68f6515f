-- The orders the dashboard placed: CMR has no "list orders" call, so this is the list. A row is
-- written once CMR created the order (unconfirmed, nothing charged); its paid confirmation is
-- guarded by an idempotency key of its own (`order-process-<key>`), claimed before the call.
CREATE TABLE orders (
    id               BIGSERIAL PRIMARY KEY,
    -- The order form's key (created when the form opened): one form, one order.
    idempotency_key  TEXT        NOT NULL UNIQUE,
    customer_id      TEXT        NOT NULL,
    customer_label   TEXT        NOT NULL DEFAULT '',
    kind             TEXT        NOT NULL CHECK (kind IN ('new_domains', 'more_mailboxes')),
    -- The checked order (domains, years, mailboxes by domain, provider, auto-renew).
    request          JSONB       NOT NULL,
    summary          TEXT        NOT NULL,
    -- Space-separated, for search.
    domains          TEXT        NOT NULL,
    total_cents      BIGINT,
    currency         TEXT        NOT NULL DEFAULT 'USD',
    -- False when CMR stated no price and the total is the dashboard's estimate.
    price_stated     BOOLEAN     NOT NULL,
    state            TEXT        NOT NULL CHECK (state IN ('prepared', 'awaiting_approval',
                         'sending', 'pending', 'processing', 'completed', 'failed', 'unknown')),
    cmr_order_id     TEXT        NOT NULL UNIQUE,
    action_id        TEXT,
    prepared_by      BIGINT      REFERENCES staff (id) ON DELETE SET NULL,
    confirmed_by     BIGINT      REFERENCES staff (id) ON DELETE SET NULL,
    approved_by      BIGINT      REFERENCES staff (id) ON DELETE SET NULL,
    -- Why the last step was refused, or why CMR failed the order.
    note             TEXT,
    -- Status polling with backoff, shared by every viewer and instance: whoever moves
    -- `next_check_at` forward asks CMR; everyone else reads this row.
    checks           INTEGER     NOT NULL DEFAULT 0,
    checked_at       TIMESTAMPTZ,
    next_check_at    TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX orders_by_state ON orders (state, created_at DESC);
CREATE INDEX orders_by_customer ON orders (customer_id, created_at DESC);

-- Every status an order was seen in, and where from (dashboard, cmr, webhook).
CREATE TABLE order_events (
    id        BIGSERIAL PRIMARY KEY,
    order_id  BIGINT      NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    at        TIMESTAMPTZ NOT NULL,
    status    TEXT        NOT NULL,
    source    TEXT        NOT NULL CHECK (source IN ('dashboard', 'cmr', 'webhook')),
    detail    TEXT
);
CREATE INDEX order_events_by_order ON order_events (order_id, at);
