-- stat_mmio_raw.sql - `exitlog stat --event mmio` from the raw mmio and
-- exits tables: the same columns as stat_mmio.sql without the summary.
-- Parameter :vcpu - one vCPU index, or NULL for all vCPUs.
WITH s AS (
    SELECT m.gpa, m.is_write, max(m.device) AS device, count(*) AS n, sum(m.len) AS bytes,
           sum(coalesce(e.handle_ns, 0)) AS handle_sum, min(coalesce(e.handle_ns, 0)) AS handle_min,
           max(coalesce(e.handle_ns, 0)) AS handle_max,
           total(CAST(coalesce(e.handle_ns, 0) AS REAL) * coalesce(e.handle_ns, 0)) AS handle_sumsq,
           sum(coalesce(e.guest_ns, 0)) AS guest_sum
    FROM mmio m JOIN exits e ON e.seq = m.seq
    WHERE :vcpu IS NULL OR e.vcpu = :vcpu
    GROUP BY m.gpa, m.is_write),
k AS (SELECT addr AS gpa, is_write FROM registers WHERE space = 'mmio'
      UNION SELECT gpa, is_write FROM s)
SELECT k.gpa, k.is_write, coalesce(s.device, r.device) AS device, r.name AS register,
       coalesce(s.n, 0) AS n, coalesce(s.bytes, 0) AS bytes,
       coalesce(s.handle_sum, 0) AS handle_sum, coalesce(s.handle_min, 0) AS handle_min,
       coalesce(s.handle_max, 0) AS handle_max, coalesce(s.handle_sumsq, 0) AS handle_sumsq,
       coalesce(s.guest_sum, 0) AS guest_sum
FROM k LEFT JOIN s ON s.gpa = k.gpa AND s.is_write = k.is_write
LEFT JOIN registers r ON r.space = 'mmio' AND r.addr = k.gpa AND r.is_write = k.is_write
ORDER BY k.gpa, k.is_write;
