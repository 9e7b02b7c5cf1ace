-- iopath_chain.sql - `exitlog iopath --request ID`: the chain behind one
-- block request, in seq order: every exit of its span (setup writes, the
-- command, status polls, data transfers), the block request(s) the span
-- issued, the interrupt level changes and the DMA of the device in the
-- span.  For a request that shares its span with others (a batch), this is
-- the shared span.
-- Parameter :request - the request id.
-- Columns: seq, kind ('exit'|'blk'|'irq'|'dma'), role (exits: setup,
-- command, data, status, notify, other; blk: the op; irq: raise/lower;
-- dma: read/write), vcpu, t_ns, what (port/address and direction, or the
-- request / line / range), register ('ata0.status'), bytes, value (first
-- data byte of an exit, latency_ns of a request, line level), guest_ns,
-- handle_ns.
WITH rq AS (SELECT device, span FROM v_iopath WHERE id = :request AND span > 0),
sp AS (SELECT s.device, s.first_seq, coalesce(s.end_seq, 9223372036854775807) AS end_seq
       FROM v_iopath_spans s JOIN rq ON s.device = rq.device AND s.span = rq.span),
ev AS (
    SELECT x.seq, 0 AS ord, 'exit' AS kind, x.role, x.vcpu, x.t_ns,
           x.addr_hex || ' ' || x.dir AS what,
           x.device || '.' || coalesce(x.register, '?') AS register, x.bytes,
           x.byte0 AS value, x.guest_ns, x.handle_ns
    FROM v_iopath_exits x JOIN rq ON x.device = rq.device AND x.span = rq.span
    UNION ALL
    SELECT b.seq, 1, 'blk', b.op, NULL, NULL,
           'request ' || b.id || ': sector ' || b.sector || ' +' || b.nsectors,
           b.device, b.nsectors * 512, b.latency_ns, NULL, NULL
    FROM blk_requests b JOIN sp ON b.device = sp.device
    WHERE b.seq >= sp.first_seq AND b.seq < sp.end_seq
    UNION ALL
    SELECT i.seq, 2, 'irq', CASE WHEN i.level THEN 'raise' ELSE 'lower' END, NULL, NULL,
           'line ' || i.line, sp.device, NULL, i.level, NULL, NULL
    FROM irqs i JOIN sp
    WHERE i.seq >= sp.first_seq AND i.seq < sp.end_seq
      AND (i.device = sp.device OR (i.device IS NULL AND i.line =
           (SELECT d.irq FROM devices d WHERE d.name = sp.device)))
    UNION ALL
    SELECT m.seq, 3, 'dma', CASE WHEN m.is_write THEN 'write' ELSE 'read' END, NULL, NULL,
           printf('0x%x +%d', m.gpa, m.len), m.device, m.len, m.status, NULL, NULL
    FROM dma m JOIN sp ON m.device = sp.device
    WHERE m.seq >= sp.first_seq AND m.seq < sp.end_seq)
SELECT seq, kind, role, vcpu, t_ns, what, register, bytes, value, guest_ns, handle_ns
FROM ev ORDER BY seq, ord;
