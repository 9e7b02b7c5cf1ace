-- iopath_input_irqs.sql - `exitlog iopath` input: interrupt raises (level
-- 1) in seq order, with the driving device when the row names it (else the
-- line is matched against devices.irq).
SELECT seq, device, line FROM irqs WHERE level = 1 ORDER BY seq;
