-- Callers that ask for the budget at the same moment (a page's five reads, a burst of pages)
-- are admitted together: one statement grants as many of them as the window has room for, in
-- their order, instead of one statement (one round trip, one lock on the budget's row) each.
-- The rules are those of `cmr_budget_admit` (20261127000002). That function stays, unused by
-- this release, so that an instance still running the previous release during a rolling
-- upgrade keeps working on the same budget row; a later release drops it.

-- `wanted` admissions in one statement: `ids` holds the calls granted now (the first
-- `cardinality(ids)` callers may start), and when fewer than `wanted` were granted, `wait_ms`
-- says how many milliseconds until it is worth asking again for the rest (0 when all were).
-- With `max_starts` 0 nothing is counted: all may start, and no ids are given.
CREATE FUNCTION cmr_budget_admit_many(
    wanted      INTEGER,
    interactive BOOLEAN,
    max_starts  INTEGER,
    window_ms   INTEGER,
    claim_ms    INTEGER,
    max_call_ms INTEGER,
    OUT wait_ms DOUBLE PRECISION,
    OUT ids     BIGINT[]
)
LANGUAGE plpgsql
AS $$
DECLARE
    span       INTERVAL := window_ms * INTERVAL '1 millisecond';
    longest    INTERVAL := max_call_ms * INTERVAL '1 millisecond';
    budget     cmr_budget%ROWTYPE := cmr_budget_locked();
    -- Read after the lock is ours: time spent waiting for it is not counted as spent budget.
    now_at     TIMESTAMPTZ := clock_timestamp();
    keep_ids   BIGINT[] := '{}';
    keep_from  TIMESTAMPTZ[] := '{}';
    keep_over  TIMESTAMPTZ[] := '{}';
    -- When each counted call could stop counting if those under way ended now (the hint).
    frees_at   TIMESTAMPTZ[] := '{}';
    i          INTEGER;
    in_window  INTEGER;
    granted    INTEGER := 0;
    ready_at   TIMESTAMPTZ;
BEGIN
    ids := '{}';
    FOR i IN 1 .. coalesce(cardinality(budget.call_ids), 0) LOOP
        IF coalesce(budget.over[i], budget.admitted[i] + longest) + span > now_at THEN
            keep_ids := keep_ids || budget.call_ids[i];
            keep_from := keep_from || budget.admitted[i];
            keep_over := keep_over || budget.over[i];
            frees_at := frees_at || (coalesce(budget.over[i], now_at) + span);
        END IF;
    END LOOP;
    in_window := cardinality(keep_ids);
    IF budget.paused_until > now_at THEN
        ready_at := budget.paused_until;
    ELSIF max_starts <= 0 THEN
        NULL;
    ELSIF NOT interactive AND in_window < max_starts
          AND budget.people_waiting_until > now_at THEN
        ready_at := budget.people_waiting_until;
    ELSE
        granted := GREATEST(0, LEAST(wanted, max_starts - in_window));
        FOR i IN 0 .. granted - 1 LOOP
            ids := ids || (budget.next_call + i);
            keep_ids := keep_ids || (budget.next_call + i);
            keep_from := keep_from || now_at;
            keep_over := keep_over || NULL::TIMESTAMPTZ;
            frees_at := frees_at || (now_at + span);
        END LOOP;
        in_window := in_window + granted;
        IF granted < wanted THEN
            -- Once this call stops counting, fewer than `max_starts` remain.
            SELECT sorted[in_window - max_starts + 1] INTO ready_at
              FROM (SELECT array_agg(f ORDER BY f) AS sorted FROM unnest(frees_at) f) s;
        END IF;
    END IF;

    UPDATE cmr_budget SET call_ids = keep_ids, admitted = keep_from, over = keep_over,
                          next_call = budget.next_call + granted;
    IF ready_at IS NULL THEN
        wait_ms := 0;
        RETURN;
    END IF;
    IF interactive THEN
        UPDATE cmr_budget
           SET people_waiting_until = GREATEST(people_waiting_until,
                                               ready_at + claim_ms * INTERVAL '1 millisecond');
    END IF;
    wait_ms := GREATEST(1000 * extract(epoch FROM ready_at - now_at), 1);
END
$$;

-- Calls' ends are recorded together (cmr_budget_calls_over, 20261129000001); the one-call
-- function it replaced has no caller left.
DROP FUNCTION cmr_budget_call_over(BIGINT);
