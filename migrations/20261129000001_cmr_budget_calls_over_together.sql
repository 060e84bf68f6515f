-- Calls' ends recorded together: the dashboard now records the ends of the calls that finished
-- within a few milliseconds of each other in one statement, a moment after the answers (so the
-- bookkeeping runs after the pages and server functions have answered, not beside them). A
-- later end only makes a call count a little longer, never shorter.
CREATE FUNCTION cmr_budget_calls_over(ids BIGINT[])
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    budget  cmr_budget%ROWTYPE := cmr_budget_locked();
    overs   TIMESTAMPTZ[] := budget.over;
    now_at  TIMESTAMPTZ := clock_timestamp();
    changed BOOLEAN := FALSE;
    i       INTEGER;
BEGIN
    FOR i IN 1 .. coalesce(cardinality(budget.call_ids), 0) LOOP
        IF overs[i] IS NULL AND budget.call_ids[i] = ANY (ids) THEN
            overs[i] := now_at;
            changed := TRUE;
        END IF;
    END LOOP;
    IF changed THEN
        UPDATE cmr_budget SET over = overs;
    END IF;
END
$$;
