-- CMR's webhook events as received: one row per eventId (a redelivery is recognised and not
-- stored or applied twice). `data` is the payload with every secret removed (mailbox
-- passwords, app passwords, authenticator secrets): those are never stored.
CREATE TABLE cmr_events (
    event_id      TEXT PRIMARY KEY,
    event         TEXT NOT NULL,
    received_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- CMR's `cmr-x-timestamp`.
    sent_at       TIMESTAMPTZ NOT NULL,
    -- The customer it concerns, when the payload names one (`userId`): their timeline.
    customer_id   TEXT,
    data          JSONB NOT NULL,
    -- Set once the event has been applied to the index; an event type the dashboard does not
    -- know is kept and marked applied with nothing changed.
    applied_at    TIMESTAMPTZ,
    apply_error   TEXT
);
CREATE INDEX cmr_events_customer ON cmr_events (customer_id, received_at DESC);
CREATE INDEX cmr_events_unapplied ON cmr_events (received_at) WHERE applied_at IS NULL;
