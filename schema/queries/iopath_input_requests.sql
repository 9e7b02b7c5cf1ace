-- iopath_input_requests.sql - `exitlog iopath` input: the block requests in
-- issue order (seq, then id).
SELECT id, seq, device, op, sector, nsectors, status, latency_ns
FROM blk_requests ORDER BY seq, id;
