-- timeline_sum_scan.sql - timeline_scan.sql from the summary table
-- sum_timeline: one row per vCPU, exit reason and millisecond with its
-- exit count n, t_ns the start of that millisecond.  Exact for buckets that
-- are whole milliseconds (each millisecond falls in one bucket); the
-- analyzer uses it only then, and only when the summary is fresh.
-- Parameter :vcpu - one vCPU index, or NULL for all vCPUs.
SELECT ms * 1000000 AS t_ns, reason, n
FROM sum_timeline WHERE :vcpu IS NULL OR vcpu = :vcpu;
