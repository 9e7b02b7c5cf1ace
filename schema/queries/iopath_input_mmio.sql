-- iopath_input_mmio.sql - `exitlog iopath` input: the MMIO exits of the
-- block devices in seq order, with the role of the register (as in the
-- view v_dev_access) and the first data byte.
SELECT m.seq, m.device, m.len AS bytes,
       CASE WHEN r.name = 'data' THEN 'data'
            WHEN m.is_write AND r.name = 'command' THEN 'command'
            WHEN m.is_write AND r.name LIKE '%notify%' THEN 'notify'
            WHEN m.is_write THEN 'setup'
            WHEN r.name IN ('status', 'altstatus') THEN 'status'
            ELSE 'other' END AS role,
       '0x' || lower(hex(substr(m.data, 1, 1))) AS byte0,
       e.t_ns, e.guest_ns, e.handle_ns
FROM mmio m JOIN exits e ON e.seq = m.seq
LEFT JOIN registers r ON r.space = 'mmio' AND r.addr = m.gpa AND r.is_write = m.is_write
WHERE m.device IN (SELECT device FROM disks UNION SELECT device FROM blk_requests)
ORDER BY m.seq;
