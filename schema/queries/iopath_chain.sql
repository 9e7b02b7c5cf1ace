-- iopath_chain.sql - `exitlog iopath --request ID`: the chain behind a block
-- request, in seq order.  A request owns the span of its device's exits
-- from :first_seq to before :end_seq (NULL: to the end), as `exitlog iopath`
-- computes it (or v_iopath_spans: first_seq, end_seq): every exit of the
-- span (setup writes, the command, status polls, data transfers), the
-- block requests the span issued, the interrupt raises/lowers and the DMA
-- of the device in that range.
-- Parameters :device, :first_seq, :end_seq.
-- Columns: seq, kind ('exit'|'blk'|'irq'|'dma'), role (exits: setup,
-- command, data, status, notify, other; blk: the op; irq: raise/lower;
-- dma: read/write), vcpu, t_ns, what (port/address and direction, or the
-- request / line / range), register ('ata0.status'), bytes, value (first
-- data byte of an exit, latency_ns of a request, the line level, the DMA
-- status), guest_ns, handle_ns.
WITH ev AS (
    SELECT x.seq, 0 AS ord, 'exit' AS kind, x.role, x.vcpu, x.t_ns,
           x.addr_hex || ' ' || x.dir AS what,
           x.device || '.' || coalesce(x.register, '?') AS register, x.bytes,
           x.byte0 AS value, x.guest_ns, x.handle_ns
    FROM v_dev_access x
    WHERE x.seq >= :first_seq AND x.seq < coalesce(:end_seq, 9223372036854775807)
      AND x.device = :device
    UNION ALL
    SELECT b.seq, 1, 'blk', b.op, NULL, NULL,
           'request ' || b.id || ': sector ' || b.sector || ' +' || b.nsectors,
           b.device, b.nsectors * 512, b.latency_ns, NULL, NULL
    FROM blk_requests b
    WHERE b.seq >= :first_seq AND b.seq < coalesce(:end_seq, 9223372036854775807)
      AND b.device = :device
    UNION ALL
    SELECT i.seq, 2, 'irq', CASE WHEN i.level THEN 'raise' ELSE 'lower' END, NULL, NULL,
           'line ' || i.line, :device, NULL, i.level, NULL, NULL
    FROM irqs i
    WHERE i.seq >= :first_seq AND i.seq < coalesce(:end_seq, 9223372036854775807)
      AND (i.device = :device OR (i.device IS NULL AND i.line =
           (SELECT d.irq FROM devices d WHERE d.name = :device)))
    UNION ALL
    SELECT m.seq, 3, 'dma', CASE WHEN m.is_write THEN 'write' ELSE 'read' END, NULL, NULL,
           printf('0x%x +%d', m.gpa, m.len), m.device, m.len, m.status, NULL, NULL
    FROM dma m
    WHERE m.seq >= :first_seq AND m.seq < coalesce(:end_seq, 9223372036854775807)
      AND m.device = :device)
SELECT seq, kind, role, vcpu, t_ns, what, register, bytes, value, guest_ns, handle_ns
FROM ev ORDER BY seq, ord;
