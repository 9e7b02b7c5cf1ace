-- kernel_stat.sql - `exitlog stat --event kernel`: every vmexit by hardware
-- reason, from kernel_exits (record --ktrace, or exitlog import), with the
-- userspace side joined in -- like `perf kvm stat`, plus how many of each
-- reason went on to userspace and as which KVM_EXIT_* reason.
-- Parameter :vcpu - one vCPU index, or NULL for all vCPUs
--   (sqlite3 shell: .param set :vcpu NULL).
-- Needs the tables of schema/ktrace.sql (kernel_entries, kernel_userspace).
-- A kernel exit went to userspace when an exits row claims it (user_seq) or,
-- in an import (no exits rows), when a kvm_userspace_exit ended it; its
-- userspace reason is that row's exits.reason / kernel_userspace.reason.
-- Columns, per (isa, reason):
--   n            kernel exits
--   n_user       of them, went to userspace
--   n_timed      of them, with a kernel_entries row (re-entered)
--   time_sum/min/max   exit -> re-entry, ns (perf kvm stat's "time":
--                in-kernel handling, plus userspace for the n_user ones)
--   kernel_n, kernel_sum     the same for the exits handled in the kernel only
--   user_reasons the userspace exits they became, e.g. 'IO:812 MMIO:3'
-- The analyzer derives the percentages and averages; order: n descending.
WITH x AS (
    SELECT k.isa, k.reason, k.reason_name, n.t_ns - k.t_ns AS dt,
           coalesce(e.reason, u.reason) AS ureason,
           (k.user_seq IS NOT NULL OR u.kexit_id IS NOT NULL) AS to_user
    FROM kernel_exits k
    LEFT JOIN kernel_entries n ON n.kexit_id = k.id
    LEFT JOIN exits e ON e.seq = k.user_seq
    LEFT JOIN kernel_userspace u ON u.kexit_id = k.id
    WHERE :vcpu IS NULL OR k.vcpu = :vcpu),
g AS (
    SELECT isa, reason, reason_name AS name, count(*) AS n, sum(to_user) AS n_user,
           count(dt) AS n_timed, total(dt) AS time_sum, min(dt) AS time_min, max(dt) AS time_max,
           count(CASE WHEN NOT to_user THEN dt END) AS kernel_n,
           total(CASE WHEN NOT to_user THEN dt END) AS kernel_sum
    FROM x GROUP BY isa, reason, reason_name),
u AS (
    SELECT x.isa, x.reason, coalesce(r.name, 'reason_' || x.ureason) AS uname, count(*) AS c
    FROM x LEFT JOIN exit_reasons r ON r.reason = x.ureason
    WHERE x.to_user
    GROUP BY 1, 2, 3
    ORDER BY c DESC, uname),
uu AS (
    SELECT isa, reason, group_concat(uname || ':' || c, ' ') AS user_reasons
    FROM u GROUP BY isa, reason)
SELECT g.isa, g.reason, g.name, g.n, g.n_user, g.n_timed, g.time_sum,
       coalesce(g.time_min, 0) AS time_min, coalesce(g.time_max, 0) AS time_max,
       g.kernel_n, g.kernel_sum, uu.user_reasons
FROM g LEFT JOIN uu ON uu.isa = g.isa AND uu.reason = g.reason
ORDER BY g.n DESC, g.isa, g.reason;
