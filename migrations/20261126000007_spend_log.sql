-- Money the dashboard spent from the partner wallet, one row per charged item (a domain
-- renewed; orders later), written when CMR accepted the paid call. CMR lists no spend history
-- per partner action, so this is the dashboard's own record. `outcome` is 'charged', or
-- 'unknown' when CMR's answer was lost (it may or may not have been charged).
CREATE TABLE spend_log (
    id           BIGSERIAL PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL,
    staff_id     BIGINT REFERENCES staff (id) ON DELETE SET NULL,
    action       TEXT        NOT NULL,
    customer_id  TEXT        NOT NULL,
    target       TEXT        NOT NULL,
    amount_cents BIGINT      NOT NULL,
    currency     TEXT        NOT NULL,
    outcome      TEXT        NOT NULL CHECK (outcome IN ('charged', 'unknown'))
);
CREATE INDEX spend_log_at ON spend_log (at DESC);
