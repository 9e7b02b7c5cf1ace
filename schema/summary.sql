-- summary.sql - per-vCPU summary tables for the canned `exitlog stat` reports.
--
-- Executed by the store when a recording is created, on the empty tables.
-- From then on the writer thread keeps every summary table up to date as
-- rows arrive, in the same transactions as the raw rows (store/wsum.c), so
-- the summary matches the committed raw tables at every commit, also after
-- a crash.  Re-running this file is harmless: it recreates every summary
-- row from the raw tables; store_close() does so only when the writer could
-- not keep the summary exact, and it repairs a database written by an older
-- exitlog (`sqlite3 rec.db < schema/summary.sql`).
--
-- The reports read these small tables instead of grouping millions of
-- exits.  They fall back to the raw tables by themselves when the summary
-- is missing or stale: sum_info records the last seq of exits, pio and
-- mmio that went into the summary, and a report uses the summary only when
-- those equal the tables' current max(seq).
--
-- Conventions: *_ns sums are integers; *_sumsq are REAL sums of squares
-- (for the standard deviation, without integer overflow); a NULL time
-- counts as 0.  Every table is keyed by vcpu, so `--vcpu N` works.

-- Exits per vCPU and exit reason.
CREATE TABLE IF NOT EXISTS sum_exits (
    vcpu         INTEGER NOT NULL,  -- exits.vcpu
    reason       INTEGER NOT NULL,  -- exits.reason (KVM_EXIT_*)
    n            INTEGER NOT NULL,  -- number of exits
    handle_sum   INTEGER NOT NULL,  -- sum of handle_ns
    handle_min   INTEGER NOT NULL,  -- min of handle_ns
    handle_max   INTEGER NOT NULL,  -- max of handle_ns
    handle_sumsq REAL NOT NULL,     -- sum of handle_ns^2
    guest_sum    INTEGER NOT NULL,  -- sum of guest_ns
    guest_min    INTEGER NOT NULL,
    guest_max    INTEGER NOT NULL,
    guest_sumsq  REAL NOT NULL,
    PRIMARY KEY (vcpu, reason)
);

-- Port IO exits per vCPU, port, direction and claiming device.
CREATE TABLE IF NOT EXISTS sum_pio (
    vcpu         INTEGER NOT NULL,
    port         INTEGER NOT NULL,  -- pio.port
    is_write     INTEGER NOT NULL,  -- 1 = OUT, 0 = IN
    device       TEXT,              -- pio.device, NULL = unclaimed
    n            INTEGER NOT NULL,  -- exits (a rep string is one)
    bytes        INTEGER NOT NULL,  -- sum of size*count
    handle_sum   INTEGER NOT NULL,
    handle_min   INTEGER NOT NULL,
    handle_max   INTEGER NOT NULL,
    handle_sumsq REAL NOT NULL,
    guest_sum    INTEGER NOT NULL
);

-- MMIO exits per vCPU, guest-physical address, direction and device.
CREATE TABLE IF NOT EXISTS sum_mmio (
    vcpu         INTEGER NOT NULL,
    gpa          INTEGER NOT NULL,  -- mmio.gpa
    is_write     INTEGER NOT NULL,  -- 1 = store, 0 = load
    device       TEXT,              -- mmio.device, NULL = unclaimed
    n            INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,  -- sum of len
    handle_sum   INTEGER NOT NULL,
    handle_min   INTEGER NOT NULL,
    handle_max   INTEGER NOT NULL,
    handle_sumsq REAL NOT NULL,
    guest_sum    INTEGER NOT NULL
);

-- Exits per vCPU, exit reason and millisecond of exits.t_ns: what
-- `exitlog timeline` counts for buckets that are whole milliseconds.
CREATE TABLE IF NOT EXISTS sum_timeline (
    vcpu   INTEGER NOT NULL,
    reason INTEGER NOT NULL,
    ms     INTEGER NOT NULL,        -- t_ns / 1000000
    n      INTEGER NOT NULL,        -- exits
    t_min  INTEGER NOT NULL,        -- min(t_ns) of them
    t_max  INTEGER NOT NULL,        -- max(t_ns) of them
    PRIMARY KEY (vcpu, reason, ms)
) WITHOUT ROWID;

-- Every pio and mmio access of a block device (a device of the disks table
-- or one that issued a blk_requests row: iopath's devices) with its exit's
-- times, packed per device: what `exitlog iopath` reads instead of
-- joining pio, mmio, exits and registers row by row.  recs holds n records
-- of a varint format (store/devacc.h: seq, pio/mmio, address, is_write,
-- bytes, first data byte, t_ns, guest_ns, handle_ns).  A row holds one
-- device's records of a range of 4096 seqs (first_seq / 4096), in seq
-- order.  The writer keeps it as rows arrive; this file only empties the
-- table (it cannot pack blobs): `exitlog` rebuilds it at close when needed,
-- and readers use it only when its record count equals the block devices'
-- rows of sum_pio and sum_mmio.
CREATE TABLE IF NOT EXISTS sum_devacc (
    device    TEXT NOT NULL,        -- pio.device / mmio.device
    first_seq INTEGER NOT NULL,     -- seq of the first record
    last_seq  INTEGER NOT NULL,     -- seq of the last record
    n         INTEGER NOT NULL,     -- records
    recs      BLOB NOT NULL,
    PRIMARY KEY (device, first_seq)
);

-- What the summary covers.  Keys: exits_max_seq, pio_max_seq,
-- mmio_max_seq (max(seq) of each table when summarized; NULL for an empty
-- table), exits (row count summarized).
CREATE TABLE IF NOT EXISTS sum_info (
    key   TEXT PRIMARY KEY,
    value
);

SAVEPOINT exitlog_summary;

DELETE FROM sum_exits;
INSERT INTO sum_exits
SELECT vcpu, reason, count(*),
       sum(coalesce(handle_ns, 0)), min(coalesce(handle_ns, 0)), max(coalesce(handle_ns, 0)),
       total(CAST(coalesce(handle_ns, 0) AS REAL) * coalesce(handle_ns, 0)),
       sum(coalesce(guest_ns, 0)), min(coalesce(guest_ns, 0)), max(coalesce(guest_ns, 0)),
       total(CAST(coalesce(guest_ns, 0) AS REAL) * coalesce(guest_ns, 0))
FROM exits GROUP BY vcpu, reason;

DELETE FROM sum_pio;
INSERT INTO sum_pio
SELECT e.vcpu, p.port, p.is_write, p.device, count(*), sum(p.size * p.count),
       sum(coalesce(e.handle_ns, 0)), min(coalesce(e.handle_ns, 0)), max(coalesce(e.handle_ns, 0)),
       total(CAST(coalesce(e.handle_ns, 0) AS REAL) * coalesce(e.handle_ns, 0)),
       sum(coalesce(e.guest_ns, 0))
FROM pio p JOIN exits e ON e.seq = p.seq
GROUP BY e.vcpu, p.port, p.is_write, p.device;

DELETE FROM sum_mmio;
INSERT INTO sum_mmio
SELECT e.vcpu, m.gpa, m.is_write, m.device, count(*), sum(m.len),
       sum(coalesce(e.handle_ns, 0)), min(coalesce(e.handle_ns, 0)), max(coalesce(e.handle_ns, 0)),
       total(CAST(coalesce(e.handle_ns, 0) AS REAL) * coalesce(e.handle_ns, 0)),
       sum(coalesce(e.guest_ns, 0))
FROM mmio m JOIN exits e ON e.seq = m.seq
GROUP BY e.vcpu, m.gpa, m.is_write, m.device;

DELETE FROM sum_timeline;
INSERT INTO sum_timeline
SELECT vcpu, reason, t_ns / 1000000, count(*), min(t_ns), max(t_ns)
FROM exits GROUP BY vcpu, reason, t_ns / 1000000;

DELETE FROM sum_devacc;

DELETE FROM sum_info;
INSERT INTO sum_info(key, value) VALUES
    ('exits_max_seq', (SELECT max(seq) FROM exits)),
    ('pio_max_seq', (SELECT max(seq) FROM pio)),
    ('mmio_max_seq', (SELECT max(seq) FROM mmio)),
    ('exits', (SELECT sum(n) FROM sum_exits));

RELEASE exitlog_summary;
