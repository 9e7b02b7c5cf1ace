-- stat_blk.sql - `exitlog stat --event blk`: block requests per (device, op)
-- from blk_requests (a small table: no summary needed).
-- Parameter :vcpu - one vCPU index (the vCPU of the exit that issued the
--   request), or NULL for all vCPUs.
-- Rows: every (device, op) that occurred plus read/write/flush for every
-- disk of the board.  Latencies are the backend's latency_ns; requests
-- without one are counted but not timed.  p99_ns is the nearest-rank 99th
-- percentile: the ceil(0.99 * timed)-th smallest latency.
-- qd_max / qd_mean (per device, the same on each of its rows): the requests
-- in flight when each request was issued, itself included -- those issued
-- at or before its seq and completed after it (done_seq; a synchronous
-- request completes at its own seq) -- the largest and the mean of that.
-- Counted in one sweep (O(n log n), not a count per request): at a request's
-- seq S, in flight = issued at or before S - completed at or before S (a
-- completion never precedes its issue), plus the request itself when it
-- completed at S (a synchronous one).
WITH r AS (
    SELECT b.device, b.op, b.nsectors, b.status, b.latency_ns
    FROM blk_requests b
    WHERE :vcpu IS NULL OR (SELECT e.vcpu FROM exits e WHERE e.seq = b.seq) = :vcpu),
a AS (
    SELECT device, op, count(*) AS requests, sum(status <> 0) AS errors,
           sum(nsectors) AS sectors, count(latency_ns) AS timed,
           min(latency_ns) AS lat_min, max(latency_ns) AS lat_max, sum(latency_ns) AS lat_sum
    FROM r GROUP BY device, op),
rk AS (
    SELECT device, op, latency_ns,
           row_number() OVER (PARTITION BY device, op ORDER BY latency_ns) AS rn
    FROM r WHERE latency_ns IS NOT NULL),
p AS (SELECT rk.device, rk.op, rk.latency_ns AS p99 FROM rk
      JOIN a ON a.device = rk.device AND a.op = rk.op
      WHERE rk.rn = (99 * a.timed + 99) / 100),
ev AS (
    SELECT b.device, b.seq AS pos, 1 AS issued, 0 AS done,
           coalesce(b.done_seq, b.seq) <= b.seq AS self FROM blk_requests b
    UNION ALL
    SELECT b.device, coalesce(b.done_seq, b.seq), 0, 1, NULL FROM blk_requests b),
sw AS (
    SELECT device, self,
           sum(issued) OVER w - sum(done) OVER w + self AS n
    FROM ev
    WINDOW w AS (PARTITION BY device ORDER BY pos
                 RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)),
qd AS (
    SELECT device, max(n) AS qd_max, avg(n) AS qd_mean FROM sw
    WHERE self IS NOT NULL GROUP BY device),
k AS (SELECT device, op FROM a
      UNION SELECT d.device, o.op FROM disks d CROSS JOIN
            (SELECT 'read' AS op UNION ALL SELECT 'write' UNION ALL SELECT 'flush') o)
SELECT k.device, k.op, coalesce(a.requests, 0) AS requests, coalesce(a.errors, 0) AS errors,
       coalesce(a.sectors, 0) AS sectors, coalesce(a.sectors, 0) * 512 AS bytes,
       coalesce(a.timed, 0) AS timed, a.lat_min AS lat_min_ns, a.lat_max AS lat_max_ns,
       a.lat_sum AS lat_sum_ns, p.p99 AS p99_ns, qd.qd_max, qd.qd_mean
FROM k LEFT JOIN a ON a.device = k.device AND a.op = k.op
LEFT JOIN p ON p.device = k.device AND p.op = k.op
LEFT JOIN qd ON qd.device = k.device
ORDER BY k.device, k.op;
