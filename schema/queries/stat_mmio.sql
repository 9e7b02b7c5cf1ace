-- stat_mmio.sql - `exitlog stat --event mmio`: MMIO exits per
-- (address, direction), read from the summary table sum_mmio, with the
-- claiming device and the register name from the registers table.
-- stat_mmio_raw.sql computes the same from mmio and exits.
-- Parameter :vcpu - one vCPU index, or NULL for all vCPUs.
-- Rows: every (address, direction) that occurred plus every named MMIO
-- register of the board (n = 0 when never accessed).  bytes sums the
-- access widths (mmio.len).
WITH s AS (
    SELECT gpa, is_write, max(device) AS device, sum(n) AS n, sum(bytes) AS bytes,
           sum(handle_sum) AS handle_sum, min(handle_min) AS handle_min,
           max(handle_max) AS handle_max, total(handle_sumsq) AS handle_sumsq,
           sum(guest_sum) AS guest_sum
    FROM sum_mmio WHERE :vcpu IS NULL OR vcpu = :vcpu
    GROUP BY gpa, is_write),
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
