-- kernel_stat.sql - `exitlog stat --event kernel`: every vmexit by hardware
-- reason, from kernel_exits (record --ktrace, or exitlog import), with the
-- userspace side joined in -- like `perf kvm stat`, plus how many of each
-- reason went on to userspace and as which KVM_EXIT_* reason.
-- Parameter :vcpu - one vCPU index, or NULL for all vCPUs
--   (sqlite3 shell: .param set :vcpu NULL).
-- Needs kernel_entries (schema/ktrace.sql) as well.
-- Columns, per (isa, reason):
--   n            kernel exits
--   n_user       of them, with user_seq set (went to userspace)
--   n_timed      of them, with a kernel_entries row (re-entered)
--   time_sum/min/max/sumsq   exit -> re-entry, ns (perf kvm stat's "time":
--                in-kernel handling, plus userspace for the n_user ones)
--   kernel_n, kernel_sum     the same for the exits handled in the kernel only
--   user_reasons the userspace exits they became, e.g. 'IO:812 MMIO:3'
-- The analyzer derives the percentages and averages; order: n descending.
WITH g AS (
    SELECT k.isa, k.reason, k.reason_name AS name, count(*) AS n,
           count(k.user_seq) AS n_user, count(n.t_ns) AS n_timed,
           total(n.t_ns - k.t_ns) AS time_sum,
           min(n.t_ns - k.t_ns) AS time_min, max(n.t_ns - k.t_ns) AS time_max,
           total((n.t_ns - k.t_ns) * 1.0 * (n.t_ns - k.t_ns)) AS time_sumsq,
           count(CASE WHEN k.user_seq IS NULL THEN n.t_ns END) AS kernel_n,
           total(CASE WHEN k.user_seq IS NULL THEN n.t_ns - k.t_ns END) AS kernel_sum
    FROM kernel_exits k LEFT JOIN kernel_entries n ON n.kexit_id = k.id
    WHERE :vcpu IS NULL OR k.vcpu = :vcpu
    GROUP BY k.isa, k.reason, k.reason_name),
u AS (
    SELECT k.isa, k.reason, coalesce(r.name, 'reason_' || e.reason) AS uname, count(*) AS c
    FROM kernel_exits k JOIN exits e ON e.seq = k.user_seq
    LEFT JOIN exit_reasons r ON r.reason = e.reason
    WHERE :vcpu IS NULL OR k.vcpu = :vcpu
    GROUP BY 1, 2, 3
    ORDER BY c DESC, uname),
uu AS (
    SELECT isa, reason, group_concat(uname || ':' || c, ' ') AS user_reasons
    FROM u GROUP BY isa, reason)
SELECT g.isa, g.reason, g.name, g.n, g.n_user, g.n_timed, g.time_sum,
       coalesce(g.time_min, 0) AS time_min, coalesce(g.time_max, 0) AS time_max,
       g.time_sumsq, g.kernel_n, g.kernel_sum, uu.user_reasons
FROM g LEFT JOIN uu ON uu.isa = g.isa AND uu.reason = g.reason
ORDER BY g.n DESC, g.isa, g.reason;
