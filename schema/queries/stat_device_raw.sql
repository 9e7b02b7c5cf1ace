-- stat_device_raw.sql - `exitlog stat --event device` from the raw pio,
-- mmio and exits tables: the same columns as stat_device.sql without the
-- summary tables.
-- Parameter :vcpu - one vCPU index, or NULL for all vCPUs.
WITH io AS (
    SELECT p.device, count(*) AS pio_n, 0 AS mmio_n, sum(p.size * p.count) AS bytes,
           sum(coalesce(e.handle_ns, 0)) AS handle_sum, sum(coalesce(e.guest_ns, 0)) AS guest_sum
    FROM pio p JOIN exits e ON e.seq = p.seq
    WHERE :vcpu IS NULL OR e.vcpu = :vcpu GROUP BY p.device
    UNION ALL
    SELECT m.device, 0, count(*), sum(m.len),
           sum(coalesce(e.handle_ns, 0)), sum(coalesce(e.guest_ns, 0))
    FROM mmio m JOIN exits e ON e.seq = m.seq
    WHERE :vcpu IS NULL OR e.vcpu = :vcpu GROUP BY m.device),
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
