-- iopath_input_dma.sql - `exitlog iopath` input: the devices' guest-memory
-- accesses in seq order.
SELECT seq, device, len FROM dma ORDER BY seq;
