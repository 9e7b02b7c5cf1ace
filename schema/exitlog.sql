-- exitlog.sql - the exitlog database schema (schema_version 1).
--
-- A recording is one SQLite database.  It opens in the stock sqlite3 shell.
-- Every table and column is documented here; this file is compiled into the
-- exitlog binary and executed when a recording is created.
--
-- Conventions
--   seq       the global order of exits and asynchronous events, 1..N,
--             gapless over exits.seq and events.seq together (v_seq lists
--             both).  Rows of other tables that a given exit or event
--             caused carry its seq.
--   *_ns      nanoseconds.  t_ns is measured from the start of the recording
--             on CLOCK_MONOTONIC.
--   device    the board's name for a device model ('com1', 'ata0', 'i8042',
--             'vblk0', ...); NULL where no device claimed the access.
--   data      little-endian bytes exactly as they crossed the bus.

-- Key/value facts about the recording.  Keys written by `exitlog record`:
--   schema_version   this file's version (an integer; readers refuse newer)
--   complete         '0' from the start, '1' in the last commit of a clean
--                    close: a '0' after the recorder ended means it was
--                    killed (or failed) and the file holds a gapless prefix
--                    1..max(exits.seq), no end-of-run keys and no summary
--                    tables; readers warn and use that prefix
--   tool_version     exitlog version that wrote the file
--   kvm_api_version  KVM_GET_API_VERSION
--   guest            path of the guest image as given
--   guest_kind       'flat' (real-mode binary at 0x7c00), 'bzimage' or 'vmlinux'
--                    (uncompressed ELF kernel)
--   guest_sha256     hash of the guest image
--   started_at       wall-clock start, ISO 8601 UTC
--   rtc_epoch        the CMOS clock's time at t_ns 0, Unix seconds (replay uses it)
--   mem_mb           guest RAM in MiB
--   vcpus            number of vCPUs (record --cpus N); exits.vcpu is 0..vcpus-1
--   logging          'on', or 'off' for --no-log (then only meta is written)
--   end_reason       why the run ended: 'hlt', 'reset', 'poweroff', 'shutdown',
--                    'internal_error', 'fail_entry', 'unknown', 'signal', ...
--   exit_count       number of rows in exits
--   event_count      number of rows in events (exit_count + event_count = the last seq)
--   blk_async        '1' when virtio-blk requests ran on the recorder's IO threads
--                    (their completions are 'blk_done' events; replay expects them)
--   disk<N>.path, disk<N>.kind ('ide'|'virtio'), disk<N>.device,
--   disk<N>.sectors, disk<N>.initial_sha256, disk<N>.final_sha256
--   ring_waits       times a vCPU waited for the writer (full ring), all vCPUs
--   ring_waits.vcpu<N>  the same for vCPU N alone (its own ring)
--   lag_waits        times a vCPU waited for the writer to commit what was put
--                    more than ~100 ms of recording ago (the durability bound,
--                    store/producer.c; inside the dispatch lock), all vCPUs
--   lag_waits.vcpu<N>  the same for vCPU N alone
--   lock_steps.vcpu<N>    exits vCPU N handled under the dispatch lock (run_step)
--   lock_wait_ns.vcpu<N>  summed time vCPU N waited for the dispatch lock, ns
--   lock_hold_ns.vcpu<N>  summed time vCPU N held it (seq, device access, log
--                         rows queued), ns; TSC deltas scaled to CLOCK_MONOTONIC.
--                         IO and console threads delivering events are not counted
--   lock_wait_p50_ns.vcpu<N>, lock_wait_p99_ns.vcpu<N>, lock_hold_p50_ns.vcpu<N>,
--   lock_hold_p99_ns.vcpu<N>  median and 99th percentile of one exit's wait and
--                         hold, ns (log-scale histogram: within ~20 %)
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT
);

-- One row per KVM_RUN return (a userspace exit), in the global order.
CREATE TABLE exits (
    seq       INTEGER PRIMARY KEY,  -- 1..N, gapless, the global order
    vcpu      INTEGER NOT NULL,     -- vCPU index (0 = the boot CPU) whose KVM_RUN
                                    -- returned; with several vCPUs, seq order is
                                    -- the order in which the devices saw the
                                    -- accesses (one lock), not a time order
    reason    INTEGER NOT NULL,     -- kvm_run.exit_reason (KVM_EXIT_* in linux/kvm.h)
    t_ns      INTEGER NOT NULL,     -- ns since recording start when KVM_RUN returned
    guest_ns  INTEGER,              -- ns spent inside KVM_RUN before this exit
    handle_ns INTEGER               -- ns spent in userspace handling this exit
);

-- Names of the KVM_EXIT_* codes (filled at creation for every code linux/kvm.h knows).
CREATE TABLE exit_reasons (
    reason INTEGER PRIMARY KEY,     -- KVM_EXIT_* value
    name   TEXT NOT NULL            -- 'IO', 'MMIO', 'HLT', 'SHUTDOWN', ...
);

-- Port IO exits (reason 2, KVM_EXIT_IO).  One row per exit, also for rep ins/outs.
CREATE TABLE pio (
    seq      INTEGER PRIMARY KEY REFERENCES exits(seq),
    port     INTEGER NOT NULL,      -- IO port; fixed for the whole rep string
    size     INTEGER NOT NULL,      -- access width: 1, 2 or 4
    is_write INTEGER NOT NULL,      -- 1 = OUT (guest to device), 0 = IN
    count    INTEGER NOT NULL,      -- repetitions: > 1 for rep ins/outs
    data     BLOB NOT NULL,         -- size*count bytes; for IN, the device's answer
    device   TEXT                   -- claiming device, NULL when unclaimed
);

-- MMIO exits (reason 6, KVM_EXIT_MMIO).
CREATE TABLE mmio (
    seq      INTEGER PRIMARY KEY REFERENCES exits(seq),
    gpa      INTEGER NOT NULL,      -- guest-physical address
    len      INTEGER NOT NULL,      -- access width in bytes (1..8)
    is_write INTEGER NOT NULL,      -- 1 = guest store, 0 = guest load
    data     BLOB NOT NULL,         -- len bytes; for a load, the device's answer
    device   TEXT                   -- claiming device, NULL when unclaimed
);

-- Block requests device models issued through the host interface.
CREATE TABLE blk_requests (
    id         INTEGER PRIMARY KEY, -- 1..M in issue order
    seq        INTEGER NOT NULL,    -- exit that issued it
    device     TEXT NOT NULL,       -- issuing device model ('ata0', 'vblk0')
    op         TEXT NOT NULL,       -- 'read', 'write' or 'flush'
    sector     INTEGER NOT NULL,    -- first 512-byte sector
    nsectors   INTEGER NOT NULL,    -- length in sectors (0 for flush)
    data_hash  TEXT,                -- sha256 (hex) of the data read or written; NULL for flush or failure
    status     INTEGER NOT NULL,    -- 0, or the -errno the block backend returned
    latency_ns INTEGER,             -- time the backend (pread/pwrite/fdatasync) took
    disk       INTEGER,             -- board disk index (disks.idx)
    done_seq   INTEGER              -- seq at which the device completed it: = seq for a
                                    -- synchronous request (IDE), the events.seq of its
                                    -- 'blk_done' event for an asynchronous one (virtio-blk
                                    -- on the IO thread); rows are inserted at completion,
                                    -- so id is the completion order
);
CREATE INDEX blk_requests_seq ON blk_requests(seq);

-- Asynchronous events: things that reach a device model from outside any
-- exit (a block request the IO thread finished, console input).  Each takes
-- its seq from the same counter as exits, under the same lock as device
-- dispatch, so seq is gapless over exits and events together; the replayer
-- delivers each event to its device at its seq.  The event's host-call rows
-- (dma, irqs, blk_requests.done_seq) carry the event's seq.
CREATE TABLE events (
    seq    INTEGER PRIMARY KEY,     -- in the exits' seq space (no exit has this seq)
    kind   TEXT NOT NULL,           -- 'blk_done' (a block request completed) or
                                    -- 'console_in' (bytes given to the UART's receiver)
    t_ns   INTEGER NOT NULL,        -- ns since recording start when it was delivered
    device TEXT,                    -- the device it was delivered to ('vblk0', 'com1')
    tag    INTEGER,                 -- blk_done: the device's request tag (virtio: the chain's head)
    status INTEGER,                 -- blk_done: the backend's result, 0 or -errno
    data   BLOB                     -- console_in: the bytes delivered; NULL otherwise
);

-- Interrupt line level changes device models asked for.
CREATE TABLE irqs (
    id    INTEGER PRIMARY KEY,
    seq   INTEGER NOT NULL,         -- exit during which the level changed
    line  INTEGER NOT NULL,         -- ISA/GSI line (4 = COM1, 14 = primary IDE)
    level INTEGER NOT NULL,         -- 0 or 1
    device TEXT                     -- device that drove it, when known
);
CREATE INDEX irqs_seq ON irqs(seq);

-- Guest-memory accesses device models made (DMA, virtqueues).
CREATE TABLE dma (
    id       INTEGER PRIMARY KEY,
    seq      INTEGER NOT NULL,      -- exit during which it happened
    device   TEXT NOT NULL,
    gpa      INTEGER NOT NULL,      -- guest-physical address
    len      INTEGER NOT NULL,      -- bytes
    is_write INTEGER NOT NULL,      -- 1 = device wrote guest memory, 0 = device read it
    data     BLOB,                  -- the bytes (read: what RAM held; write: what was written)
    status   INTEGER NOT NULL DEFAULT 0 -- 0, or -EFAULT when outside guest RAM (no data)
);
CREATE INDEX dma_seq ON dma(seq);

-- Exits KVM handled in the kernel, from the kvm:kvm_exit tracepoint (--ktrace).
CREATE TABLE kernel_exits (
    id          INTEGER PRIMARY KEY,
    t_ns        INTEGER NOT NULL,   -- same clock and origin as exits.t_ns
    vcpu        INTEGER NOT NULL,   -- vCPU index (kvm_exit's vcpu_id = exits.vcpu)
    isa         TEXT NOT NULL,      -- 'vmx' or 'svm'
    reason      INTEGER NOT NULL,   -- hardware exit code (VMX basic reason / SVM exitcode)
    reason_name TEXT NOT NULL,      -- the kernel's own name for it ('io', 'hlt', 'npf', ...)
    rip         INTEGER,            -- guest RIP at the exit
    info1       INTEGER,            -- exit_info1 / exit qualification
    info2       INTEGER,            -- exit_info2
    user_seq    INTEGER             -- exits.seq of the userspace exit this one caused, or NULL
);

-- Extra detail of exits the VMM could not handle (UNKNOWN, INTERNAL_ERROR,
-- FAIL_ENTRY, SHUTDOWN, SYSTEM_EVENT, ...), and of failed device accesses.
CREATE TABLE exit_info (
    seq    INTEGER PRIMARY KEY REFERENCES exits(seq),
    code   INTEGER,                 -- hardware_exit_reason / suberror / fail reason / event type
    detail TEXT                     -- human-readable description
);

-- The board: one row per device model of the recording.
CREATE TABLE devices (
    name   TEXT PRIMARY KEY,        -- 'com1', 'ata0', ...
    kind   TEXT NOT NULL,           -- 'uart16550', 'ata', 'i8042', ...
    irq    INTEGER,                 -- interrupt line, NULL if none
    disk   INTEGER                  -- disks.idx of its backing disk, NULL if none
);

-- Address ranges claimed on the bus.
CREATE TABLE regions (
    space  TEXT NOT NULL,           -- 'pio' or 'mmio'
    base   INTEGER NOT NULL,        -- first port / guest-physical address
    len    INTEGER NOT NULL,        -- number of ports / bytes
    device TEXT NOT NULL REFERENCES devices(name),
    PRIMARY KEY (space, base)
);

-- Register names per port/address and direction, for reports (e.g. 0x1f7 IN = 'status').
CREATE TABLE registers (
    space    TEXT NOT NULL,         -- 'pio' or 'mmio'
    addr     INTEGER NOT NULL,
    is_write INTEGER NOT NULL,
    device   TEXT NOT NULL,
    name     TEXT NOT NULL,         -- register name without the device prefix
    PRIMARY KEY (space, addr, is_write)
);

-- Disk images attached to the board.
CREATE TABLE disks (
    idx            INTEGER PRIMARY KEY, -- board disk index
    device         TEXT NOT NULL,       -- device model using it
    kind           TEXT NOT NULL,       -- 'ide' or 'virtio'
    path           TEXT NOT NULL,       -- image path as given
    sectors        INTEGER NOT NULL,    -- size in 512-byte sectors
    initial_sha256 TEXT NOT NULL,       -- image hash before the guest ran
    final_sha256   TEXT                 -- image hash after the run (NULL if the run died)
);

-- The names of KVM_EXIT_* codes, as linux/kvm.h spells them without the prefix.
INSERT INTO exit_reasons(reason, name) VALUES
    (0, 'UNKNOWN'),
    (1, 'EXCEPTION'),
    (2, 'IO'),
    (3, 'HYPERCALL'),
    (4, 'DEBUG'),
    (5, 'HLT'),
    (6, 'MMIO'),
    (7, 'IRQ_WINDOW_OPEN'),
    (8, 'SHUTDOWN'),
    (9, 'FAIL_ENTRY'),
    (10, 'INTR'),
    (11, 'SET_TPR'),
    (12, 'TPR_ACCESS'),
    (13, 'S390_SIEIC'),
    (14, 'S390_RESET'),
    (15, 'DCR'),
    (16, 'NMI'),
    (17, 'INTERNAL_ERROR'),
    (18, 'OSI'),
    (21, 'WATCHDOG'),
    (22, 'S390_TSCH'),
    (23, 'EPR'),
    (24, 'SYSTEM_EVENT'),
    (25, 'S390_STSI'),
    (26, 'IOAPIC_EOI'),
    (27, 'HYPERV'),
    (28, 'ARM_NISV'),
    (29, 'X86_RDMSR'),
    (30, 'X86_WRMSR'),
    (31, 'DIRTY_RING_FULL'),
    (32, 'AP_RESET_HOLD'),
    (33, 'X86_BUS_LOCK'),
    (34, 'XEN'),
    (35, 'RISCV_SBI'),
    (36, 'RISCV_CSR'),
    (37, 'NOTIFY');

-- ===================================================================
-- VIEWS: the common joins, so users' SQL stays short.  Read-only; they
-- cost nothing until queried.  `exitlog sql` and the analyzer create the
-- same views as TEMP views on databases written before a view existed.
-- Conventions: dir is 'IN'/'OUT' for port IO and 'R'/'W' for MMIO;
-- *_hex columns are lowercase '0x...' text; register is the name from the
-- registers table (NULL when the board did not name it) and label is
-- 'device.register'; perf_key is the key `perf kvm stat` uses.
-- ===================================================================

-- v_exits: every exit with its reason's name ('reason_N' for codes
-- exit_reasons does not know).
--   seq, vcpu, reason, reason_name, t_ns, guest_ns, handle_ns
CREATE VIEW v_exits AS
SELECT e.seq, e.vcpu, e.reason, coalesce(r.name, 'reason_' || e.reason) AS reason_name,
       e.t_ns, e.guest_ns, e.handle_ns
FROM exits e LEFT JOIN exit_reasons r ON r.reason = e.reason;

-- v_pio: port IO exits with timing, direction and register names.
--   seq, vcpu, t_ns, guest_ns, handle_ns   from exits
--   port, port_hex ('0x1f7'), is_write, dir ('IN'|'OUT'), size, count,
--   bytes (size*count: a rep string is one row), data, device,
--   register ('status'), label ('ata0.status'), perf_key ('0x1f7:PIN')
CREATE VIEW v_pio AS
SELECT p.seq, e.vcpu, e.t_ns, e.guest_ns, e.handle_ns,
       p.port, printf('0x%x', p.port) AS port_hex, p.is_write,
       CASE WHEN p.is_write THEN 'OUT' ELSE 'IN' END AS dir,
       p.size, p.count, p.size * p.count AS bytes, p.data, p.device,
       r.name AS register, p.device || '.' || r.name AS label,
       printf('0x%x:%s', p.port, CASE WHEN p.is_write THEN 'POUT' ELSE 'PIN' END) AS perf_key
FROM pio p JOIN exits e ON e.seq = p.seq
LEFT JOIN registers r ON r.space = 'pio' AND r.addr = p.port AND r.is_write = p.is_write;

-- v_mmio: MMIO exits with timing, direction and register names.
--   seq, vcpu, t_ns, guest_ns, handle_ns, gpa, gpa_hex, is_write,
--   dir ('R'|'W'), len, data, device, register, label,
--   perf_key ('0xfee000b0:W')
CREATE VIEW v_mmio AS
SELECT m.seq, e.vcpu, e.t_ns, e.guest_ns, e.handle_ns,
       m.gpa, printf('0x%x', m.gpa) AS gpa_hex, m.is_write,
       CASE WHEN m.is_write THEN 'W' ELSE 'R' END AS dir,
       m.len, m.data, m.device, r.name AS register, m.device || '.' || r.name AS label,
       printf('0x%x:%s', m.gpa, CASE WHEN m.is_write THEN 'W' ELSE 'R' END) AS perf_key
FROM mmio m JOIN exits e ON e.seq = m.seq
LEFT JOIN registers r ON r.space = 'mmio' AND r.addr = m.gpa AND r.is_write = m.is_write;

-- v_seq: the global order -- every exit and every event, one row per seq.
--   seq, what ('exit' | 'event'), vcpu (exits), reason (exits), kind
--   (events), t_ns, device (events)
CREATE VIEW v_seq AS
SELECT seq, 'exit' AS what, vcpu, reason, NULL AS kind, t_ns, NULL AS device FROM exits
UNION ALL
SELECT seq, 'event', NULL, NULL, kind, t_ns, device FROM events
ORDER BY seq;

-- v_blk: block requests with the issuing exit's vCPU and time.
--   id, seq, vcpu, t_ns, device, op, sector, nsectors, bytes (nsectors*512),
--   status, ok (status = 0), latency_ns, latency_us, data_hash, disk
CREATE VIEW v_blk AS
SELECT b.id, b.seq, e.vcpu, e.t_ns, b.device, b.op, b.sector, b.nsectors,
       b.nsectors * 512 AS bytes, b.status, b.status = 0 AS ok,
       b.latency_ns, b.latency_ns / 1000.0 AS latency_us, b.data_hash, b.disk
FROM blk_requests b LEFT JOIN exits e ON e.seq = b.seq;

-- v_irqs: interrupt level changes with the time of the exit they happened in.
--   id, seq, vcpu, t_ns, line, level, device (from devices.irq when the
--   row has none)
CREATE VIEW v_irqs AS
SELECT i.id, i.seq, e.vcpu, e.t_ns, i.line, i.level,
       coalesce(i.device, (SELECT d.name FROM devices d WHERE d.irq = i.line LIMIT 1)) AS device
FROM irqs i LEFT JOIN exits e ON e.seq = i.seq;

-- v_dev_access: every exit a device claimed (port IO and MMIO in one
-- stream), with the role its register plays in a command:
--   'command' a write to the register named 'command'
--   'data'    an access to the register named 'data'
--   'notify'  a write to a register whose name contains 'notify'
--   'setup'   any other write (sector count, LBA, device, features, ...)
--   'status'  a read of 'status' or 'altstatus'
--   'other'   any other read
-- Columns: seq, vcpu, t_ns, guest_ns, handle_ns, device, space ('pio'|
-- 'mmio'), addr (port or gpa), addr_hex, is_write, dir, bytes, register,
-- role, byte0 (first data byte as '0x..': the command code of a command).
CREATE VIEW v_dev_access AS
SELECT p.seq, e.vcpu, e.t_ns, e.guest_ns, e.handle_ns, p.device, 'pio' AS space,
       p.port AS addr, printf('0x%x', p.port) AS addr_hex, p.is_write,
       CASE WHEN p.is_write THEN 'OUT' ELSE 'IN' END AS dir, p.size * p.count AS bytes,
       r.name AS register,
       CASE WHEN r.name = 'data' THEN 'data'
            WHEN p.is_write AND r.name = 'command' THEN 'command'
            WHEN p.is_write AND r.name LIKE '%notify%' THEN 'notify'
            WHEN p.is_write THEN 'setup'
            WHEN r.name IN ('status', 'altstatus') THEN 'status'
            ELSE 'other' END AS role,
       '0x' || lower(hex(substr(p.data, 1, 1))) AS byte0
FROM pio p JOIN exits e ON e.seq = p.seq
LEFT JOIN registers r ON r.space = 'pio' AND r.addr = p.port AND r.is_write = p.is_write
WHERE p.device IS NOT NULL
UNION ALL
SELECT m.seq, e.vcpu, e.t_ns, e.guest_ns, e.handle_ns, m.device, 'mmio',
       m.gpa, printf('0x%x', m.gpa), m.is_write,
       CASE WHEN m.is_write THEN 'W' ELSE 'R' END, m.len, r.name,
       CASE WHEN r.name = 'data' THEN 'data'
            WHEN m.is_write AND r.name = 'command' THEN 'command'
            WHEN m.is_write AND r.name LIKE '%notify%' THEN 'notify'
            WHEN m.is_write THEN 'setup'
            WHEN r.name IN ('status', 'altstatus') THEN 'status'
            ELSE 'other' END,
       '0x' || lower(hex(substr(m.data, 1, 1)))
FROM mmio m JOIN exits e ON e.seq = m.seq
LEFT JOIN registers r ON r.space = 'mmio' AND r.addr = m.gpa AND r.is_write = m.is_write
WHERE m.device IS NOT NULL;

-- v_iopath_stream: the attribution of device exits to block requests
-- (docs/analyzer.md, "iopath").  One row per exit of a block device
-- (kind 0) and per block request (kind 1), per device in seq order:
--   is_cmd    1 for an exit that starts a command: a write to the register
--             named 'command'; on devices without such a register, a
--             'notify' write or an exit that issued a block request.
--   grp       number of non-setup exits of the device before this row: a
--             run of setup writes and the exit after it share a grp.
--   is_start  1 for the first exit of a grp that ends in a command: a
--             command's span starts with the setup writes just before it.
--   span      number of span starts up to this row (0 = before the first
--             command).  A request belongs to the span it was issued in.
-- Columns: seq, kind, req_id, device, role, is_cmd, is_start, span, plus
-- the v_dev_access columns for exits (NULL for requests).
CREATE VIEW v_iopath_stream AS
WITH blk_dev AS (SELECT device FROM disks UNION SELECT device FROM blk_requests),
cmd_dev AS (SELECT DISTINCT device FROM registers WHERE name = 'command' AND is_write = 1),
ev AS (
    SELECT a.seq, 0 AS kind, NULL AS req_id, a.device, a.role,
           CASE WHEN a.role = 'command' THEN 1
                WHEN a.device IN (SELECT device FROM cmd_dev) THEN 0
                WHEN a.role = 'notify' THEN 1
                WHEN EXISTS (SELECT 1 FROM blk_requests b
                             WHERE b.seq = a.seq AND b.device = a.device) THEN 1
                ELSE 0 END AS is_cmd,
           a.vcpu, a.t_ns, a.guest_ns, a.handle_ns, a.space, a.addr, a.addr_hex,
           a.is_write, a.dir, a.bytes, a.register, a.byte0
    FROM v_dev_access a WHERE a.device IN (SELECT device FROM blk_dev)
    UNION ALL
    SELECT b.seq, 1, b.id, b.device, 'request', 0,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM blk_requests b),
g AS (
    SELECT ev.*, coalesce(sum(CASE WHEN kind = 0 AND (role <> 'setup' OR is_cmd) THEN 1 ELSE 0 END)
           OVER (PARTITION BY device ORDER BY seq, kind, req_id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS grp
    FROM ev),
s AS (
    SELECT g.*, CASE WHEN kind = 0
                      AND seq = min(CASE WHEN kind = 0 THEN seq END) OVER (PARTITION BY device, grp)
                      AND max(is_cmd) OVER (PARTITION BY device, grp) = 1
                     THEN 1 ELSE 0 END AS is_start
    FROM g)
SELECT seq, kind, req_id, device, role, is_cmd, grp, is_start,
       sum(is_start) OVER (PARTITION BY device ORDER BY seq, kind, req_id
                           ROWS UNBOUNDED PRECEDING) AS span,
       vcpu, t_ns, guest_ns, handle_ns, space, addr, addr_hex, is_write, dir, bytes,
       register, byte0
FROM s;

-- v_iopath_exits: every exit of a block device with the request it is
-- attributed to.  request_id is the lowest request id issued in the
-- exit's span (the span's lead request), NULL for exits before the first
-- command (span 0) and for spans that issued no request (IDENTIFY, SET
-- FEATURES, ...).  Columns: seq, device, span, request_id, span_requests,
-- role, is_start, vcpu, t_ns, guest_ns, handle_ns, space, addr, addr_hex,
-- is_write, dir, bytes, register, byte0.
CREATE VIEW v_iopath_exits AS
WITH st AS MATERIALIZED (SELECT * FROM v_iopath_stream),
lead AS (SELECT device, span, min(req_id) AS lead_id, count(*) AS nreq
         FROM st WHERE kind = 1 AND span > 0 GROUP BY device, span)
SELECT st.seq, st.device, st.span, l.lead_id AS request_id, coalesce(l.nreq, 0) AS span_requests,
       st.role, st.is_start, st.vcpu, st.t_ns, st.guest_ns, st.handle_ns, st.space,
       st.addr, st.addr_hex, st.is_write, st.dir, st.bytes, st.register, st.byte0
FROM st LEFT JOIN lead l ON l.device = st.device AND l.span = st.span
WHERE st.kind = 0;

-- v_iopath_spans: one row per command span of a block device (span 0 =
-- the exits before the first command).
--   device, span, first_seq, last_seq, end_seq (first seq of the next
--   span, NULL for the last), command (byte0 of the span's command exit,
--   e.g. '0x20' READ SECTORS, '0xec' IDENTIFY; NULL for span 0),
--   requests, lead_id, backend_ns (sum of the requests' latency_ns),
--   exits and per role: setup_exits, command_exits, data_exits,
--   status_exits, notify_exits, other_exits; data_bytes (bytes moved by
--   'data' exits), guest_ns, handle_ns (sums over the exits), wall_ns
--   (first exit's t_ns to the end of the last exit's handling), irqs
--   (raises of the device's line, level 1, from first_seq to before
--   end_seq), dma_bytes (the device's DMA in the same range).
CREATE VIEW v_iopath_spans AS
WITH st AS MATERIALIZED (SELECT * FROM v_iopath_stream),
req AS (SELECT r.device, st.span, count(*) AS requests, min(r.id) AS lead_id,
               sum(coalesce(r.latency_ns, 0)) AS backend_ns
        FROM st JOIN blk_requests r ON r.id = st.req_id
        WHERE st.kind = 1 GROUP BY r.device, st.span),
sp AS (SELECT device, span, min(seq) AS first_seq, max(seq) AS last_seq,
              max(CASE WHEN is_cmd THEN byte0 END) AS command,
              count(*) AS exits,
              sum(role = 'setup') AS setup_exits, sum(role = 'command') AS command_exits,
              sum(role = 'data') AS data_exits, sum(role = 'status') AS status_exits,
              sum(role = 'notify') AS notify_exits, sum(role = 'other') AS other_exits,
              sum(CASE WHEN role = 'data' THEN bytes ELSE 0 END) AS data_bytes,
              sum(coalesce(guest_ns, 0)) AS guest_ns, sum(coalesce(handle_ns, 0)) AS handle_ns,
              max(t_ns + coalesce(handle_ns, 0)) - min(t_ns) AS wall_ns
       FROM st WHERE kind = 0 GROUP BY device, span),
rng AS (SELECT sp.*, lead(first_seq) OVER (PARTITION BY device ORDER BY span) AS end_seq FROM sp)
SELECT rng.device, rng.span, rng.first_seq, rng.last_seq, rng.end_seq,
       CASE WHEN rng.span > 0 THEN rng.command END AS command,
       coalesce(req.requests, 0) AS requests, req.lead_id,
       coalesce(req.backend_ns, 0) AS backend_ns, rng.exits, rng.setup_exits,
       rng.command_exits, rng.data_exits, rng.status_exits, rng.notify_exits,
       rng.other_exits, rng.data_bytes, rng.guest_ns, rng.handle_ns, rng.wall_ns,
       (SELECT count(*) FROM irqs i
        WHERE i.seq >= rng.first_seq AND i.seq < coalesce(rng.end_seq, 9223372036854775807)
          AND i.level = 1
          AND (i.device = rng.device OR (i.device IS NULL AND i.line =
               (SELECT d.irq FROM devices d WHERE d.name = rng.device)))) AS irqs,
       (SELECT coalesce(sum(m.len), 0) FROM dma m
        WHERE m.seq >= rng.first_seq AND m.seq < coalesce(rng.end_seq, 9223372036854775807)
          AND m.device = rng.device) AS dma_bytes
FROM rng LEFT JOIN req ON req.device = rng.device AND req.span = rng.span;

-- v_iopath: one row per block request with the exits attributed to it and
-- the time spent in each layer.  A span that issued several requests (a
-- virtio notify carrying a batch) charges its exits and times to its lead
-- request (lowest id); the others show 0 exits and lead_id pointing there.
--   id, device, op, sector, nsectors, kib, status, issue_seq, span,
--   lead_id, span_requests, command, first_seq, last_seq, exits,
--   setup_exits, command_exits, data_exits, status_exits, notify_exits,
--   other_exits, data_bytes, dma_bytes, irqs,
--   guest_ns    guest time before the attributed exits (driver work)
--   handle_ns   userspace handling of the attributed exits
--   backend_ns  the block backend (this request's latency_ns)
--   device_ns   handle_ns minus the span's backend time: device model + VMM
--   wall_ns     first attributed exit to the end of the last one's handling
CREATE VIEW v_iopath AS
WITH st AS MATERIALIZED (SELECT span, req_id FROM v_iopath_stream WHERE kind = 1),
sp AS MATERIALIZED (SELECT * FROM v_iopath_spans)
SELECT r.id, r.device, r.op, r.sector, r.nsectors, r.nsectors * 512 / 1024.0 AS kib,
       r.status, r.seq AS issue_seq, st.span, k.lead_id, coalesce(k.requests, 0) AS span_requests,
       k.command, s.first_seq, s.last_seq, coalesce(s.exits, 0) AS exits,
       coalesce(s.setup_exits, 0) AS setup_exits, coalesce(s.command_exits, 0) AS command_exits,
       coalesce(s.data_exits, 0) AS data_exits, coalesce(s.status_exits, 0) AS status_exits,
       coalesce(s.notify_exits, 0) AS notify_exits, coalesce(s.other_exits, 0) AS other_exits,
       coalesce(s.data_bytes, 0) AS data_bytes, coalesce(s.dma_bytes, 0) AS dma_bytes,
       coalesce(s.irqs, 0) AS irqs, coalesce(s.guest_ns, 0) AS guest_ns,
       coalesce(s.handle_ns, 0) AS handle_ns, coalesce(r.latency_ns, 0) AS backend_ns,
       coalesce(max(s.handle_ns - s.backend_ns, 0), 0) AS device_ns,
       coalesce(s.wall_ns, 0) AS wall_ns
FROM blk_requests r JOIN st ON st.req_id = r.id
LEFT JOIN sp k ON k.device = r.device AND k.span = st.span AND st.span > 0
LEFT JOIN sp s ON s.device = r.device AND s.span = st.span AND st.span > 0 AND s.lead_id = r.id;
