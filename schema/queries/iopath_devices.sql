-- iopath_devices.sql - `exitlog iopath` summary: per block device, the
-- requests, the exits attributed to them, exits per request and per KiB
-- (the figure that compares IDE PIO with virtio-blk), and the device exits
-- no request owns: commands that issued no request (IDENTIFY, SET
-- FEATURES, ... listed by command code) and exits before the first command.
--   exits        exits attributed to requests
--   device_exits every exit the device claimed (= exits + other_exits + pre_exits)
--   kib          KiB the requests transferred (nsectors * 512 / 1024)
SELECT s.device,
       coalesce(r.requests, 0) AS requests,
       coalesce(r.kib, 0) AS kib,
       sum(CASE WHEN s.requests > 0 THEN s.exits ELSE 0 END) AS exits,
       sum(CASE WHEN s.requests > 0 THEN s.exits ELSE 0 END) * 1.0
           / nullif(r.requests, 0) AS exits_per_request,
       sum(CASE WHEN s.requests > 0 THEN s.exits ELSE 0 END) / nullif(r.kib, 0) AS exits_per_kib,
       sum(CASE WHEN s.requests > 0 THEN s.data_exits ELSE 0 END) AS data_exits,
       sum(CASE WHEN s.requests > 0 THEN s.irqs ELSE 0 END) AS irqs,
       sum(CASE WHEN s.requests > 0 THEN s.guest_ns ELSE 0 END) AS guest_ns,
       sum(CASE WHEN s.requests > 0 THEN s.handle_ns ELSE 0 END) AS handle_ns,
       sum(CASE WHEN s.requests > 0 THEN max(s.handle_ns - s.backend_ns, 0) ELSE 0 END) AS device_ns,
       sum(s.backend_ns) AS backend_ns,
       sum(s.span > 0 AND s.requests = 0) AS other_commands,
       (SELECT group_concat(c, ',') FROM (SELECT DISTINCT command AS c FROM v_iopath_spans o
         WHERE o.device = s.device AND o.span > 0 AND o.requests = 0 ORDER BY 1))
           AS other_command_codes,
       sum(CASE WHEN s.span > 0 AND s.requests = 0 THEN s.exits ELSE 0 END) AS other_exits,
       sum(CASE WHEN s.requests = 0 THEN s.data_exits ELSE 0 END) AS other_data_exits,
       sum(CASE WHEN s.span = 0 THEN s.exits ELSE 0 END) AS pre_exits,
       sum(s.exits) AS device_exits
FROM v_iopath_spans s
LEFT JOIN (SELECT device, count(*) AS requests, sum(nsectors) * 512 / 1024.0 AS kib
           FROM blk_requests GROUP BY device) r ON r.device = s.device
GROUP BY s.device
ORDER BY s.device;
