-- stat_device.sql - `exitlog stat --event device`: per device model, the
-- exits it claimed (port IO + MMIO, from the summary tables sum_pio and
-- sum_mmio), their handling and guest time, the bytes they moved, the
-- block requests it issued and the interrupts it raised.
-- stat_device_raw.sql computes the same from the raw tables.
-- Parameter :vcpu - one vCPU index, or NULL for all vCPUs (requests and
--   IRQs count on the vCPU whose exit they happened in).
-- Rows: every device of the board plus device NULL (unclaimed accesses)
-- when there were any.  irqs counts raises (level 1) of the device's line.
WITH io AS (
    SELECT device, sum(n) AS pio_n, 0 AS mmio_n, sum(bytes) AS bytes,
           sum(handle_sum) AS handle_sum, sum(guest_sum) AS guest_sum
    FROM sum_pio WHERE :vcpu IS NULL OR vcpu = :vcpu GROUP BY device
    UNION ALL
    SELECT device, 0, sum(n), sum(bytes), sum(handle_sum), sum(guest_sum)
    FROM sum_mmio WHERE :vcpu IS NULL OR vcpu = :vcpu GROUP BY device),
a AS (SELECT device, sum(pio_n) AS pio_n, sum(mmio_n) AS mmio_n, sum(bytes) AS bytes,
             sum(handle_sum) AS handle_sum, sum(guest_sum) AS guest_sum
      FROM io GROUP BY device),
b AS (SELECT b.device, count(*) AS requests, sum(b.nsectors) * 512 AS blk_bytes
      FROM blk_requests b
      WHERE :vcpu IS NULL OR (SELECT e.vcpu FROM exits e WHERE e.seq = b.seq) = :vcpu
      GROUP BY b.device),
q AS (SELECT coalesce(i.device, (SELECT d.name FROM devices d WHERE d.irq = i.line LIMIT 1)) AS device,
             count(*) AS irqs
      FROM irqs i
      WHERE i.level = 1
        AND (:vcpu IS NULL OR (SELECT e.vcpu FROM exits e WHERE e.seq = i.seq) = :vcpu)
      GROUP BY 1),
k AS (SELECT name AS device FROM devices UNION SELECT device FROM a)
SELECT k.device, d.kind, coalesce(a.pio_n, 0) + coalesce(a.mmio_n, 0) AS n,
       coalesce(a.pio_n, 0) AS pio_n, coalesce(a.mmio_n, 0) AS mmio_n,
       coalesce(a.bytes, 0) AS bytes, coalesce(a.handle_sum, 0) AS handle_sum,
       coalesce(a.guest_sum, 0) AS guest_sum, coalesce(b.requests, 0) AS requests,
       coalesce(b.blk_bytes, 0) AS blk_bytes, coalesce(q.irqs, 0) AS irqs
FROM k LEFT JOIN a ON a.device IS k.device
LEFT JOIN devices d ON d.name = k.device
LEFT JOIN b ON b.device = k.device
LEFT JOIN q ON q.device = k.device
ORDER BY k.device IS NULL, k.device;
