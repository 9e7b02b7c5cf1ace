-- iopath_input_pio.sql - `exitlog iopath` input: the port IO exits of the
-- block devices in seq order, with the role of the register (as in the
-- view v_dev_access: data, command, notify, setup, status, other) and the
-- first data byte (the command code of a command write).
SELECT p.seq, p.device, p.size * p.count AS bytes,
       CASE WHEN r.name = 'data' THEN 'data'
            WHEN p.is_write AND r.name = 'command' THEN 'command'
            WHEN p.is_write AND r.name LIKE '%notify%' THEN 'notify'
            WHEN p.is_write THEN 'setup'
            WHEN r.name IN ('status', 'altstatus') THEN 'status'
            ELSE 'other' END AS role,
       '0x' || lower(hex(substr(p.data, 1, 1))) AS byte0,
       e.t_ns, e.guest_ns, e.handle_ns
FROM pio p JOIN exits e ON e.seq = p.seq
LEFT JOIN registers r ON r.space = 'pio' AND r.addr = p.port AND r.is_write = p.is_write
WHERE p.device IN (SELECT device FROM disks UNION SELECT device FROM blk_requests)
ORDER BY p.seq;
