-- The shared CMR budget counted each call from its admission for one window (plus 50 ms of
-- margin). CMR counts a call when it arrives, which is anywhere between its admission and its
-- answer: on a busy machine a call admitted early could leave late and arrive beside calls
-- admitted a window later (7 calls in one second were seen with two instances on two busy
-- cores). Now each call counts from its admission until a window after its answer (or until
-- the caller gave up), which holds whatever the delay in between: if six calls arrived within
-- one second, the last admitted would have been admitted while the other five were still
-- counting.
--
-- `calls` holds, per admitted call: its id, when it was admitted, and when it was over (NULL
-- while under way). A call whose end was never reported (its process died) stops counting
-- `max_call_ms` after its admission (the client's longest call), so nothing leaks for good.
DROP FUNCTION cmr_budget_admit(BOOLEAN, INTEGER, INTEGER, INTEGER);

ALTER TABLE cmr_budget DROP COLUMN starts;
ALTER TABLE cmr_budget
    ADD COLUMN next_call  BIGINT        NOT NULL DEFAULT 1,
    ADD COLUMN call_ids   BIGINT[]      NOT NULL DEFAULT '{}',
    ADD COLUMN admitted   TIMESTAMPTZ[] NOT NULL DEFAULT '{}',
    ADD COLUMN over       TIMESTAMPTZ[] NOT NULL DEFAULT '{}';

-- One admission, in one statement (see the earlier migration for why): `wait_ms` 0 and the
-- call's id when it may start now, otherwise how many milliseconds until it is worth asking
-- again (and no id).
CREATE FUNCTION cmr_budget_admit(
    interactive BOOLEAN,
    max_starts  INTEGER,
    window_ms   INTEGER,
    claim_ms    INTEGER,
    max_call_ms INTEGER,
    OUT wait_ms DOUBLE PRECISION,
    OUT call_id BIGINT
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
    ready_at   TIMESTAMPTZ;
BEGIN
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
    ELSIF max_starts > 0 THEN
        IF in_window >= max_starts THEN
            -- Once this call stops counting, fewer than `max_starts` remain.
            SELECT sorted[in_window - max_starts + 1] INTO ready_at
              FROM (SELECT array_agg(f ORDER BY f) AS sorted FROM unnest(frees_at) f) s;
        ELSIF NOT interactive AND budget.people_waiting_until > now_at THEN
            ready_at := budget.people_waiting_until;
        END IF;
    END IF;

    IF ready_at IS NULL THEN
        IF max_starts > 0 THEN
            call_id := budget.next_call;
            keep_ids := keep_ids || call_id;
            keep_from := keep_from || now_at;
            keep_over := keep_over || NULL::TIMESTAMPTZ;
        END IF;
        UPDATE cmr_budget SET call_ids = keep_ids, admitted = keep_from, over = keep_over,
                              next_call = budget.next_call + 1;
        wait_ms := 0;
        RETURN;
    END IF;
    UPDATE cmr_budget SET call_ids = keep_ids, admitted = keep_from, over = keep_over;
    IF interactive THEN
        UPDATE cmr_budget
           SET people_waiting_until = GREATEST(people_waiting_until,
                                               ready_at + claim_ms * INTERVAL '1 millisecond');
    END IF;
    wait_ms := GREATEST(1000 * extract(epoch FROM ready_at - now_at), 1);
END
$$;

-- A call is over (answered, failed, or its caller gave up): it counts for one more window.
CREATE FUNCTION cmr_budget_call_over(id BIGINT)
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    budget cmr_budget%ROWTYPE := cmr_budget_locked();
    pos    INTEGER := array_position(budget.call_ids, id);
    overs  TIMESTAMPTZ[] := budget.over;
BEGIN
    IF pos IS NOT NULL AND overs[pos] IS NULL THEN
        overs[pos] := clock_timestamp();
        UPDATE cmr_budget SET over = overs;
    END IF;
END
$$;
