-- stat_ioport_raw.sql - `exitlog stat --event ioport` from the raw pio and
-- exits tables: the same columns as stat_ioport.sql without the summary.
-- Parameter :vcpu - one vCPU index, or NULL for all vCPUs.
WITH s AS (
    SELECT p.port, p.is_write, max(p.device) AS device, count(*) AS n,
           sum(p.size * p.count) AS bytes,
           sum(coalesce(e.handle_ns, 0)) AS handle_sum, min(coalesce(e.handle_ns, 0)) AS handle_min,
           max(coalesce(e.handle_ns, 0)) AS handle_max,
           total(CAST(coalesce(e.handle_ns, 0) AS REAL) * coalesce(e.handle_ns, 0)) AS handle_sumsq,
           sum(coalesce(e.guest_ns, 0)) AS guest_sum
    FROM pio p JOIN exits e ON e.seq = p.seq
    WHERE :vcpu IS NULL OR e.vcpu = :vcpu
    GROUP BY p.port, p.is_write),
k AS (SELECT addr AS port, is_write FROM registers WHERE space = 'pio'
      UNION SELECT port, is_write FROM s)
SELECT k.port, k.is_write, coalesce(s.device, r.device) AS device, r.name AS register,
       coalesce(s.n, 0) AS n, coalesce(s.bytes, 0) AS bytes,
       coalesce(s.handle_sum, 0) AS handle_sum, coalesce(s.handle_min, 0) AS handle_min,
       coalesce(s.handle_max, 0) AS handle_max, coalesce(s.handle_sumsq, 0) AS handle_sumsq,
       coalesce(s.guest_sum, 0) AS guest_sum
FROM k LEFT JOIN s ON s.port = k.port AND s.is_write = k.is_write
LEFT JOIN registers r ON r.space = 'pio' AND r.addr = k.port AND r.is_write = k.is_write
ORDER BY k.port, k.is_write;
