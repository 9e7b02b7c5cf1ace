-- iopath_input_requests.sql - `exitlog iopath` input: the block requests in
-- issue order (seq, then id), with when each completed: done_seq (= seq for
-- a synchronous request, the blk_done event for an asynchronous one),
-- done_ns (issue to completion: t_ns of that seq minus t_ns of the issuing
-- exit) and exits_between (exits the guest made while it was in flight:
-- the work asynchronous IO buys).
SELECT b.id, b.seq, b.device, b.op, b.sector, b.nsectors, b.status, b.latency_ns,
       coalesce(b.done_seq, b.seq) AS done_seq,
       coalesce((SELECT e.t_ns FROM events e WHERE e.seq = b.done_seq),
                (SELECT x.t_ns FROM exits x WHERE x.seq = b.done_seq),
                (SELECT x.t_ns FROM exits x WHERE x.seq = b.seq))
         - (SELECT x.t_ns FROM exits x WHERE x.seq = b.seq) AS done_ns,
       (SELECT count(*) FROM exits x
        WHERE x.seq > b.seq AND x.seq < coalesce(b.done_seq, b.seq)) AS exits_between
FROM blk_requests b ORDER BY b.seq, b.id;
