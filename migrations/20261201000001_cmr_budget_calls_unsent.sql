-- A call admitted ahead of need (`app/src/server/cmr_budget/warm.rs`) that nobody used is
-- taken out of the window rather than recorded as ended: it never left the dashboard, so CMR
-- never counted it, and counting it a window more would hold a slot back from callers that
-- need it. Only calls whose end was not recorded are taken out: a call that was used ends
-- through `cmr_budget_calls_over` and keeps counting a window after its answer.
CREATE FUNCTION cmr_budget_calls_unsent(ids BIGINT[])
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    budget    cmr_budget%ROWTYPE := cmr_budget_locked();
    keep_ids  BIGINT[] := '{}';
    keep_from TIMESTAMPTZ[] := '{}';
    keep_over TIMESTAMPTZ[] := '{}';
    i         INTEGER;
BEGIN
    FOR i IN 1 .. coalesce(cardinality(budget.call_ids), 0) LOOP
        IF budget.over[i] IS NOT NULL OR NOT budget.call_ids[i] = ANY (ids) THEN
            keep_ids := keep_ids || budget.call_ids[i];
            keep_from := keep_from || budget.admitted[i];
            keep_over := keep_over || budget.over[i];
        END IF;
    END LOOP;
    IF cardinality(keep_ids) < coalesce(cardinality(budget.call_ids), 0) THEN
        UPDATE cmr_budget SET call_ids = keep_ids, admitted = keep_from, over = keep_over;
    END IF;
END
$$;
