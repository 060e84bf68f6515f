-- The shared CMR budget (20261126000001) in one unlogged row, admitted by two statements
-- instead of six. Measured at 4 admissions a second: the admission cost 0.43 ms of which a bare
-- round trip is 0.25 ms; the rest was the statements and their write-ahead log.
--
-- Unlogged: nothing here outlives a second or two (the starts of the last window, a 429
-- pause, a waiting person's claim), so a crash that empties the table loses nothing that
-- matters, and the admission writes no WAL (so it never waits for a flush either).
DROP FUNCTION cmr_budget_admit(BOOLEAN, INTEGER, INTEGER, INTEGER);
DROP FUNCTION cmr_budget_record_pause(INTEGER);
DROP TABLE cmr_budget_starts;
DROP TABLE cmr_budget_state;

-- One row. `starts`: when each call admitted within the last window was let through, oldest
-- first. `paused_until`: no call starts before it (CMR answered 429 to some instance with that
-- Retry-After). `people_waiting_until`: an interactive call was told to wait and will ask again
-- about then; background work is not admitted before it, so a slot that frees goes to the
-- person. Everything runs out by itself: a caller that gives up leaves nothing to clean.
CREATE UNLOGGED TABLE cmr_budget (
    only_row              BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    starts                TIMESTAMPTZ[] NOT NULL DEFAULT '{}',
    paused_until          TIMESTAMPTZ,
    people_waiting_until  TIMESTAMPTZ
);
INSERT INTO cmr_budget (only_row) VALUES (TRUE);

-- The row, locked for this transaction; created again if a crash emptied the table.
CREATE FUNCTION cmr_budget_locked()
RETURNS cmr_budget
LANGUAGE plpgsql
AS $$
DECLARE
    budget cmr_budget%ROWTYPE;
BEGIN
    SELECT * INTO budget FROM cmr_budget FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO cmr_budget (only_row) VALUES (TRUE) ON CONFLICT DO NOTHING;
        SELECT * INTO budget FROM cmr_budget FOR UPDATE;
    END IF;
    RETURN budget;
END
$$;

-- One admission, in one statement: one round trip, and the row lock is held only while the
-- database runs it, so no caller ever sleeps holding it and one that gives up mid-call cannot
-- leave it taken. Answers 0 when the call may start now (its start is recorded), otherwise how
-- many milliseconds until it is worth asking again (the caller sleeps without a connection).
--
-- `max_starts` calls may start within any `window_ms`; callers pass a lower `max_starts` for
-- background work, which is also held back while people are waiting (`claim_ms` is how long
-- after its turn an interactive caller's claim lasts, to cover its trip back here).
-- Admission only ever follows from the count of starts in the window; their order only makes
-- the "ask again in" hint exact (the database clock stepping back can only make it early).
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
    span      INTERVAL := window_ms * INTERVAL '1 millisecond';
    budget    cmr_budget%ROWTYPE := cmr_budget_locked();
    -- Read after the lock is ours: time spent waiting for it is not counted as spent budget.
    now_at    TIMESTAMPTZ := clock_timestamp();
    recent    TIMESTAMPTZ[] := '{}';
    start_at  TIMESTAMPTZ;
    in_window INTEGER;
    ready_at  TIMESTAMPTZ;
BEGIN
    FOREACH start_at IN ARRAY budget.starts LOOP
        IF start_at > now_at - span THEN
            recent := recent || start_at;
        END IF;
    END LOOP;
    in_window := cardinality(recent);
    IF budget.paused_until > now_at THEN
        ready_at := budget.paused_until;
    ELSIF max_starts > 0 THEN
        IF in_window >= max_starts THEN
            -- Once this start leaves the window, fewer than `max_starts` remain in it.
            ready_at := recent[in_window - max_starts + 1] + span;
        ELSIF NOT interactive AND budget.people_waiting_until > now_at THEN
            ready_at := budget.people_waiting_until;
        END IF;
    END IF;

    IF ready_at IS NULL THEN
        IF max_starts > 0 THEN
            recent := recent || now_at;
        END IF;
        UPDATE cmr_budget SET starts = recent;
        RETURN 0;
    END IF;
    IF interactive THEN
        UPDATE cmr_budget
           SET starts = recent,
               people_waiting_until = GREATEST(people_waiting_until,
                                               ready_at + claim_ms * INTERVAL '1 millisecond');
    END IF;
    RETURN GREATEST(1000 * extract(epoch FROM ready_at - now_at), 1);
END
$$;

-- A 429 seen by any instance holds back every instance for its Retry-After. A shorter pause
-- never cuts a longer one short.
CREATE FUNCTION cmr_budget_record_pause(pause_ms INTEGER)
RETURNS TIMESTAMPTZ
LANGUAGE plpgsql
AS $$
DECLARE
    budget cmr_budget%ROWTYPE := cmr_budget_locked();
    until  TIMESTAMPTZ := GREATEST(budget.paused_until,
                                   clock_timestamp() + pause_ms * INTERVAL '1 millisecond');
BEGIN
    UPDATE cmr_budget SET paused_until = until;
    RETURN until;
END
$$;
