-- ktrace.sql - side tables of the kernel-handled exits (kernel_exits, in
-- exitlog.sql), written by `exitlog record --ktrace` and `exitlog import`.
--
-- Compiled into the binary and executed (idempotent: IF NOT EXISTS) when the
-- kernel events are written.  Sources: the kvm tracepoints (kvm:kvm_exit,
-- kvm_entry, kvm_pio, kvm_mmio, kvm_msr, kvm_cpuid, ...), each record decoded
-- with libtraceevent from the kernel's own event format.
--
-- Conventions (as in exitlog.sql)
--   t_ns      ns on the clock and origin of exits.t_ns (record --ktrace: the
--             "mono" trace clock = CLOCK_MONOTONIC, minus the recording's
--             origin).  For an import: the trace file's clock (trace-cmd's
--             default "local" is ns), minus the first event's timestamp.
--   vcpu      the kvm vcpu_id; for events without one, the vcpu of the last
--             kvm_exit or kvm_entry of the same thread; NULL when unknown.
--   kexit_id  kernel_exits.id of the exit being handled when the event fired:
--             the last kvm_exit of the same thread (the kvm events of one exit
--             all fire on its vCPU thread, between that kvm_exit and the next
--             kvm_entry -- or, for a PIO/MMIO read completed by userspace, in
--             the KVM_RUN that resumes it).  NULL before the first kvm_exit.
--   64-bit values (rip, info1, gpa, data, rax, ...) are SQLite INTEGERs: a
--   value >= 2^63 reads as negative; printf('%x', col) shows its bits.
--
-- kernel_exits (exitlog.sql) rows: one per kvm:kvm_exit.  isa is 'vmx' (the
-- event's isa field = 1) or 'svm' (2); reason is the code the kernel's symbol
-- table is indexed by (VMX: basic exit reason = exit_reason & 0xffff; SVM: the
-- exitcode), reason_name the kernel's own name for it from the event's
-- __print_symbolic() table ('io', 'hlt', 'npf', 'msr', 'cpuid', 'interrupt',
-- ... on SVM; 'IO_INSTRUCTION', 'EPT_VIOLATION', ... on VMX), rip = guest_rip,
-- info1/info2 = exit_info1/exit_info2 (VMX: exit qualification / ...).
-- user_seq: exits.seq of the userspace exit this kernel exit caused: for each
-- exits row in seq order, the last kvm_exit of the same vcpu with
-- t_ns <= exits.t_ns, unless an earlier exits row already claimed it (a
-- KVM_RUN that returns without entering the guest, e.g. a signal before
-- entry, has no kernel exit of its own).  NULL: handled in the kernel.
--
-- Meta keys written with these tables:
--   ktrace.events        kvm records kept (all tables below plus kernel_exits)
--   ktrace.exits         kvm_exit records (= rows of kernel_exits)
--   ktrace.entries       kvm_entry records
--   ktrace.lost_events   events the kernel lost: record --ktrace: the sum over
--                        CPUs of per_cpu/cpuN/stats "overrun:" + "dropped
--                        events:" (+ "entries:" left unread); import: the
--                        missed-events counts in the trace's buffer headers.
--                        Never silently dropped: also a warning on stderr.
--   ktrace.missed_unknown  import: buffer pages that flagged lost events
--                        without a count
--   ktrace.clock         the trace clock ('mono' for record --ktrace)
--   ktrace.buffer_kb     per-CPU ring buffer size (record --ktrace)
--   ktrace.tid           the traced vCPU thread (record --ktrace)
--   ktrace.skipped_events  import: records of non-kvm events, not kept
--   source               import: 'trace-cmd' (absent for exitlog recordings)
--   import_path          import: the trace file as given

-- The kvm_entry that resumed the guest after each kvm_exit (the next kvm_entry
-- of the same vcpu).  t_ns - kernel_exits.t_ns is the time from the exit to
-- the re-entry: handling in the kernel, plus userspace when user_seq is set
-- (the time `perf kvm stat` reports).  Exits with no later entry (the last
-- one) have no row.
CREATE TABLE IF NOT EXISTS kernel_entries (
    kexit_id       INTEGER PRIMARY KEY REFERENCES kernel_exits(id),
    t_ns           INTEGER NOT NULL,    -- when the guest was re-entered
    rip            INTEGER,             -- kvm_entry.rip (guest RIP at entry), NULL if absent
    immediate_exit INTEGER              -- kvm_entry.immediate_exit (1: entry aborted at once), NULL if absent
);

-- kvm:kvm_pio: port IO that KVM decoded (handled in the kernel -- PIC, PIT,
-- ... with an in-kernel irqchip -- or passed to userspace, then also in pio).
CREATE TABLE IF NOT EXISTS kernel_pio (
    id       INTEGER PRIMARY KEY,       -- 1..N in time order
    kexit_id INTEGER REFERENCES kernel_exits(id),
    t_ns     INTEGER NOT NULL,
    vcpu     INTEGER,
    port     INTEGER NOT NULL,          -- IO port
    size     INTEGER NOT NULL,          -- access width: 1, 2 or 4
    is_write INTEGER NOT NULL,          -- 1 = OUT, 0 = IN (kvm_pio.rw)
    count    INTEGER NOT NULL,          -- repetitions (> 1 for rep ins/outs)
    val      INTEGER                    -- first value transferred (kvm_pio.val)
);

-- kvm:kvm_mmio: MMIO KVM emulated or completed.
CREATE TABLE IF NOT EXISTS kernel_mmio (
    id       INTEGER PRIMARY KEY,
    kexit_id INTEGER REFERENCES kernel_exits(id),
    t_ns     INTEGER NOT NULL,
    vcpu     INTEGER,
    type     TEXT NOT NULL,             -- the kernel's name: 'read', 'write', 'unsatisfied-read'
                                        -- (an unsatisfied read goes to userspace)
    len      INTEGER NOT NULL,          -- access width in bytes
    gpa      INTEGER NOT NULL,          -- guest-physical address
    val      INTEGER NOT NULL           -- value read or written (0 for an unsatisfied read)
);

-- kvm:kvm_msr: RDMSR/WRMSR KVM emulated.
CREATE TABLE IF NOT EXISTS kernel_msr (
    id       INTEGER PRIMARY KEY,
    kexit_id INTEGER REFERENCES kernel_exits(id),
    t_ns     INTEGER NOT NULL,
    vcpu     INTEGER,
    msr      INTEGER NOT NULL,          -- MSR index (ECX)
    is_write INTEGER NOT NULL,          -- 1 = WRMSR, 0 = RDMSR
    data     INTEGER NOT NULL,          -- value read or written
    fault    INTEGER NOT NULL           -- 1 when KVM injected #GP (kvm_msr.exception)
);

-- kvm:kvm_cpuid: CPUID KVM emulated.
CREATE TABLE IF NOT EXISTS kernel_cpuid (
    id       INTEGER PRIMARY KEY,
    kexit_id INTEGER REFERENCES kernel_exits(id),
    t_ns     INTEGER NOT NULL,
    vcpu     INTEGER,
    function INTEGER NOT NULL,          -- leaf (EAX in)
    idx      INTEGER NOT NULL,          -- subleaf (ECX in)
    rax      INTEGER NOT NULL,          -- results
    rbx      INTEGER NOT NULL,
    rcx      INTEGER NOT NULL,
    rdx      INTEGER NOT NULL,
    found    INTEGER                    -- 1 when KVM had an entry for the leaf, NULL if absent
);

-- kvm:kvm_userspace_exit: each return of KVM_RUN to the VMM.  For an import
-- this is how the kernel view knows which exits went to userspace (there is
-- no exits table then); in a recording there is one row per exits row.
CREATE TABLE IF NOT EXISTS kernel_userspace (
    id       INTEGER PRIMARY KEY,
    kexit_id INTEGER REFERENCES kernel_exits(id), -- the kvm_exit it ended: the thread's
                                        -- last one; NULL when KVM_RUN returned without
                                        -- a new kvm_exit (e.g. a signal before entry)
    t_ns     INTEGER NOT NULL,
    vcpu     INTEGER,
    reason   INTEGER NOT NULL,          -- kvm_run.exit_reason (KVM_EXIT_*; names in exit_reasons)
    errno    INTEGER NOT NULL           -- KVM_RUN's result: 0, or -errno (-4: EINTR, a signal)
);

-- Every other kvm event kept (record --ktrace: kvm_hypercall, kvm_inj_virq;
-- import: all other kvm:* events, e.g. kvm_fpu, kvm_apic, kvm_set_irq), as
-- the kernel's print format renders it.
CREATE TABLE IF NOT EXISTS kernel_events (
    id       INTEGER PRIMARY KEY,
    kexit_id INTEGER REFERENCES kernel_exits(id),
    t_ns     INTEGER NOT NULL,
    vcpu     INTEGER,
    event    TEXT NOT NULL,             -- event name without the system ('kvm_userspace_exit')
    info     TEXT NOT NULL              -- the kernel's text, e.g. 'reason KVM_EXIT_IO (2)'
);

CREATE INDEX IF NOT EXISTS kernel_exits_user_seq ON kernel_exits(user_seq);
CREATE INDEX IF NOT EXISTS kernel_pio_kexit ON kernel_pio(kexit_id);
CREATE INDEX IF NOT EXISTS kernel_mmio_kexit ON kernel_mmio(kexit_id);
CREATE INDEX IF NOT EXISTS kernel_msr_kexit ON kernel_msr(kexit_id);
CREATE INDEX IF NOT EXISTS kernel_cpuid_kexit ON kernel_cpuid(kexit_id);
CREATE INDEX IF NOT EXISTS kernel_events_kexit ON kernel_events(kexit_id);
CREATE INDEX IF NOT EXISTS kernel_userspace_kexit ON kernel_userspace(kexit_id);
