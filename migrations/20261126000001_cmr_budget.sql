-- CMR allows 5 calls per second per API key for the whole partner, however many instances of
-- the dashboard share the key. Each instance keeps its own in-process limiter (arrival order,
-- deadlines), and then asks this database before every call it sends: the budget all instances
-- share. One database serves one partner key, so there is one budget per database.
--
-- Everything is timed by the database's clock (`clock_timestamp()`), never the instances':
-- clock skew between machines cannot let two of them spend the same second twice.

-- When each admitted call was let through. Rows older than the window are deleted by the next
-- admission, so the table holds a few rows at most.
CREATE TABLE cmr_budget_starts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX cmr_budget_starts_started_at ON cmr_budget_starts (started_at);

-- One row. `paused_until`: no call starts before it (CMR answered 429 to some instance with
-- that Retry-After). `people_waiting_until`: an interactive call was told to wait and will ask
-- again about then; background work is not admitted before it, so a slot that frees goes to
-- the person. Both simply run out: a caller that gives up leaves nothing to clean.
CREATE TABLE cmr_budget_state (
    only_row              BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    paused_until          TIMESTAMPTZ,
    people_waiting_until  TIMESTAMPTZ
);
INSERT INTO cmr_budget_state (only_row) VALUES (TRUE);

-- One admission, in one statement: one round trip, and the lock is held only while the
-- database runs it, so no caller ever sleeps holding it and one that gives up mid-call cannot
-- leave it taken. Answers 0 when the call may start now (its start is recorded), otherwise how
-- many milliseconds until it is worth asking again (the caller sleeps without a connection).
--
-- `max_starts` calls may start within any `window_ms`; callers pass a lower `max_starts` for
-- background work, which is also held back while people are waiting (`claim_ms` is how long
-- after its turn an interactive caller's claim lasts, to cover its trip back here).
-- The transaction-scoped advisory lock ('CMRbudgt' as 8 bytes) makes count-then-insert atomic
-- across connections and instances; it is released when the statement's transaction ends.
CREATE FUNCTION cmr_budget_admit(
    interactive BOOLEAN,
    max_starts  INTEGER,
    window_ms   INTEGER,
    claim_ms    INTEGER
)
RETURNS DOUBLE PRECISION
LANGUAGE plpgsql
AS $$
DECLARE
    span       INTERVAL := window_ms * INTERVAL '1 millisecond';
    now_at     TIMESTAMPTZ;
    state      cmr_budget_state%ROWTYPE;
    in_window  BIGINT;
    ready_at   TIMESTAMPTZ;
BEGIN
    -- A start lost in a crash costs nothing (it only frees a slot early, and the window is
    -- a second long), so this transaction does not wait for its WAL flush: that wait was
    -- most of an admission's time. Transaction-scoped: nothing else is affected.
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM pg_advisory_xact_lock(4849622956577679220);
    -- Read after the lock is ours: time spent waiting for it is not counted as spent budget.
    now_at := clock_timestamp();
    SELECT * INTO state FROM cmr_budget_state;
    IF state.paused_until > now_at THEN
        ready_at := state.paused_until;
    ELSIF max_starts > 0 THEN
        DELETE FROM cmr_budget_starts WHERE started_at <= now_at - span;
        SELECT count(*) INTO in_window FROM cmr_budget_starts;
        IF in_window >= max_starts THEN
            -- Once this start leaves the window, fewer than `max_starts` remain in it.
            SELECT started_at + span INTO ready_at FROM cmr_budget_starts
                ORDER BY started_at OFFSET in_window - max_starts LIMIT 1;
        ELSIF NOT interactive AND state.people_waiting_until > now_at THEN
            ready_at := state.people_waiting_until;
        END IF;
    END IF;

    IF ready_at IS NULL THEN
        IF max_starts > 0 THEN
            INSERT INTO cmr_budget_starts (started_at) VALUES (now_at);
        END IF;
        RETURN 0;
    END IF;
    IF interactive THEN
        UPDATE cmr_budget_state
           SET people_waiting_until = GREATEST(people_waiting_until,
                                               ready_at + claim_ms * INTERVAL '1 millisecond');
    END IF;
    RETURN GREATEST(1000 * extract(epoch FROM ready_at - now_at), 1);
END
$$;

-- A 429 seen by any instance holds back every instance for its Retry-After. A shorter pause
-- never cuts a longer one short.
CREATE FUNCTION cmr_budget_record_pause(pause_ms INTEGER)
RETURNS TIMESTAMPTZ
LANGUAGE sql
AS $$
    UPDATE cmr_budget_state
       SET paused_until = GREATEST(paused_until,
                                   clock_timestamp() + pause_ms * INTERVAL '1 millisecond')
    RETURNING paused_until;
$$;
