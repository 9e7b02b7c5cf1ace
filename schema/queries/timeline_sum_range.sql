-- timeline_sum_range.sql - timeline_range.sql from the summary table
-- sum_timeline (schema/summary.sql): the number of exits and the first and
-- last exits.t_ns, without scanning exits.  The analyzer uses it only when
-- the summary is fresh (analyzer_summary_fresh()).
-- Parameter :vcpu - one vCPU index, or NULL for all vCPUs.
SELECT coalesce(sum(n), 0) AS n, min(t_min) AS t_min, max(t_max) AS t_max
FROM sum_timeline WHERE :vcpu IS NULL OR vcpu = :vcpu;
