-- iopath_devices.sql - `exitlog iopath --summary` in SQL: per block device,
-- the requests, the exits attributed to them, exits per request and per
-- KiB (the figure that compares IDE PIO with virtio-blk), and the device
-- exits no request owns.  Its csv output equals `exitlog iopath DB
-- --summary --format csv` (computed in one pass by analyzer/iopath_core.c).
--   exits              exits in spans that issued a request (span > 0)
--   kib                KiB the requests transferred (nsectors * 512 / 1024)
--   device_ns          sum over those spans of handle_ns - backend_ns (>= 0)
--   backend_ns         latency_ns of all the device's requests
--   other_commands     spans (commands) that issued no request: IDENTIFY,
--                      SET FEATURES, ...; other_command_codes lists their codes
--   other_data_exits   data-register exits outside request spans
--   pre_exits          exits before the first command (span 0)
--   device_exits       every exit the device claimed
WITH sp AS MATERIALIZED (SELECT * FROM v_iopath_spans),
dev AS (SELECT device FROM disks UNION SELECT device FROM blk_requests),
r AS (SELECT device, count(*) AS requests, sum(nsectors) * 512 / 1024.0 AS kib,
             sum(coalesce(latency_ns, 0)) AS backend_ns
      FROM blk_requests GROUP BY device),
a AS (SELECT device,
             sum(CASE WHEN span > 0 AND requests > 0 THEN exits ELSE 0 END) AS exits,
             sum(CASE WHEN span > 0 AND requests > 0 THEN data_exits ELSE 0 END) AS data_exits,
             sum(CASE WHEN span > 0 AND requests > 0 THEN irqs ELSE 0 END) AS irqs,
             sum(CASE WHEN span > 0 AND requests > 0 THEN guest_ns ELSE 0 END) AS guest_ns,
             sum(CASE WHEN span > 0 AND requests > 0 THEN handle_ns ELSE 0 END) AS handle_ns,
             sum(CASE WHEN span > 0 AND requests > 0
                      THEN max(handle_ns - backend_ns, 0) ELSE 0 END) AS device_ns,
             sum(span > 0 AND requests = 0) AS other_commands,
             sum(CASE WHEN span > 0 AND requests = 0 THEN exits ELSE 0 END) AS other_exits,
             sum(CASE WHEN span > 0 AND requests > 0 THEN 0 ELSE data_exits END)
                 AS other_data_exits,
             sum(CASE WHEN span = 0 THEN exits ELSE 0 END) AS pre_exits,
             sum(exits) AS device_exits
      FROM sp GROUP BY device),
c AS (SELECT device, group_concat(command, ',') AS codes
      FROM (SELECT DISTINCT device, command FROM sp WHERE span > 0 AND requests = 0
            ORDER BY device, command)
      GROUP BY device)
SELECT dev.device, coalesce(r.requests, 0) AS requests, coalesce(r.kib, 0) AS kib,
       coalesce(a.exits, 0) AS exits,
       coalesce(a.exits, 0) * 1.0 / nullif(r.requests, 0) AS exits_per_request,
       coalesce(a.exits, 0) / nullif(r.kib, 0) AS exits_per_kib,
       coalesce(a.data_exits, 0) AS data_exits, coalesce(a.irqs, 0) AS irqs,
       coalesce(a.guest_ns, 0) AS guest_ns, coalesce(a.handle_ns, 0) AS handle_ns,
       coalesce(a.device_ns, 0) AS device_ns, coalesce(r.backend_ns, 0) AS backend_ns,
       coalesce(a.other_commands, 0) AS other_commands, c.codes AS other_command_codes,
       coalesce(a.other_exits, 0) AS other_exits,
       coalesce(a.other_data_exits, 0) AS other_data_exits,
       coalesce(a.pre_exits, 0) AS pre_exits, coalesce(a.device_exits, 0) AS device_exits
FROM dev LEFT JOIN r ON r.device = dev.device
LEFT JOIN a ON a.device = dev.device
LEFT JOIN c ON c.device = dev.device
ORDER BY dev.device;
