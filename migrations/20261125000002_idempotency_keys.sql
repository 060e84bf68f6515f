-- One row per key a form or a paid action sends: written before the CMR call, so the same key
-- never reaches CMR twice (double submits, reloads after submit, a second tab, a second
-- instance). `request` is what was asked under the key: the same key with a different request
-- is refused. `response` is what a repeat is answered with once the call is done.
CREATE TABLE idempotency_keys (
    key         TEXT PRIMARY KEY,
    staff_id    BIGINT REFERENCES staff (id) ON DELETE SET NULL,
    action      TEXT        NOT NULL,
    request     JSONB       NOT NULL,
    -- pending: sent or about to be; done: CMR answered yes; failed: CMR refused (nothing
    -- changed, the key may be used again); unknown: the answer was lost.
    state       TEXT        NOT NULL CHECK (state IN ('pending', 'done', 'failed', 'unknown')),
    response    JSONB,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
