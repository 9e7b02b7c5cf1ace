-- iopath_input_devices.sql - `exitlog iopath` input: the block devices
-- (a disk attached, or a request issued), whether the board names a
-- 'command' register for them (then a write to it starts a command; else
-- a 'notify' write or an exit that issued a request does), and their
-- interrupt line (devices.irq, for irqs rows without a device).
SELECT d.device,
       EXISTS (SELECT 1 FROM registers r WHERE r.device = d.device
               AND r.name = 'command' AND r.is_write = 1) AS has_command,
       (SELECT v.irq FROM devices v WHERE v.name = d.device) AS irq
FROM (SELECT device FROM disks UNION SELECT device FROM blk_requests) d
ORDER BY d.device;
