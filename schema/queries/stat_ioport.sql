-- stat_ioport.sql - `exitlog stat --event ioport`: port IO exits per
-- (port, direction), read from the summary table sum_pio, with the
-- claiming device and the register name from the registers table.
-- stat_ioport_raw.sql computes the same from pio and exits.
-- Parameter :vcpu - one vCPU index, or NULL for all vCPUs.
-- Rows: every (port, direction) that occurred plus every named register of
-- the board (n = 0 when never accessed).  A rep ins/outs string is one
-- sample; bytes counts all of its size*count bytes.
WITH s AS (
    SELECT port, is_write, max(device) AS device, sum(n) AS n, sum(bytes) AS bytes,
           sum(handle_sum) AS handle_sum, min(handle_min) AS handle_min,
           max(handle_max) AS handle_max, total(handle_sumsq) AS handle_sumsq,
           sum(guest_sum) AS guest_sum
    FROM sum_pio WHERE :vcpu IS NULL OR vcpu = :vcpu
    GROUP BY port, is_write),
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
