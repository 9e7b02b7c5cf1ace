-- iopath.sql - `exitlog iopath` in SQL: one row per block request with the
-- exits attributed to it and the time in each layer, from the view
-- v_iopath (schema/exitlog.sql; the rule: docs/analyzer.md, "iopath").
-- Its csv output equals `exitlog iopath DB --format csv`, which computes
-- the same in one pass (analyzer/iopath_core.c) -- use that on large
-- recordings: the view's window functions sort every device exit.
-- done_seq, done_ns, exits_between: when the request completed (issue 13).
-- Parameter :request - one request id, or NULL for all requests.
SELECT id, device, op, sector, nsectors, kib, status, issue_seq, span, lead_id,
       span_requests, command, first_seq, last_seq, exits, setup_exits,
       command_exits, data_exits, status_exits, notify_exits, other_exits,
       data_bytes, dma_bytes, irqs, guest_ns, handle_ns, device_ns, backend_ns,
       wall_ns, done_seq, done_ns, exits_between
FROM v_iopath v JOIN (
    -- completion: see iopath_input_requests.sql
    SELECT b.id AS rid, coalesce(b.done_seq, b.seq) AS done_seq,
           coalesce((SELECT e.t_ns FROM events e WHERE e.seq = b.done_seq),
                    (SELECT x.t_ns FROM exits x WHERE x.seq = b.done_seq),
                    (SELECT x.t_ns FROM exits x WHERE x.seq = b.seq))
             - (SELECT x.t_ns FROM exits x WHERE x.seq = b.seq) AS done_ns,
           (SELECT count(*) FROM exits x
            WHERE x.seq > b.seq AND x.seq < coalesce(b.done_seq, b.seq)) AS exits_between
    FROM blk_requests b) d ON d.rid = v.id
WHERE :request IS NULL OR id = :request
ORDER BY id;
