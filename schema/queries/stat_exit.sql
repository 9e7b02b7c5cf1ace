-- stat_exit.sql - `exitlog stat --event exit`: exits per exit reason, read
-- from the summary table sum_exits (schema/summary.sql).
-- stat_exit_raw.sql computes the same columns from the raw exits table; the
-- analyzer uses it when the summary is missing or stale.
-- Parameter :vcpu - one vCPU index, or NULL for all vCPUs
--   (sqlite3 shell: .param set :vcpu NULL).
-- One row per reason exit_reasons names plus any other code that occurred;
-- n = 0 rows are what --skip-zero drops.  Times are ns; a NULL time counts
-- as 0.  The analyzer derives Samples%, Time%, averages and the stddev.
WITH s AS (
    SELECT reason, sum(n) AS n, sum(handle_sum) AS handle_sum,
           min(handle_min) AS handle_min, max(handle_max) AS handle_max,
           total(handle_sumsq) AS handle_sumsq, sum(guest_sum) AS guest_sum
    FROM sum_exits WHERE :vcpu IS NULL OR vcpu = :vcpu
    GROUP BY reason),
k AS (SELECT reason FROM exit_reasons    -- the codes an x86 host can return
      WHERE name NOT GLOB 'S390_*' AND name NOT GLOB 'RISCV_*'
        AND name NOT IN ('DCR', 'OSI', 'EPR', 'WATCHDOG', 'ARM_NISV', 'PAPR_HCALL')
      UNION SELECT reason FROM s)
SELECT k.reason, coalesce(r.name, 'reason_' || k.reason) AS name,
       coalesce(s.n, 0) AS n, coalesce(s.handle_sum, 0) AS handle_sum,
       coalesce(s.handle_min, 0) AS handle_min, coalesce(s.handle_max, 0) AS handle_max,
       coalesce(s.handle_sumsq, 0) AS handle_sumsq, coalesce(s.guest_sum, 0) AS guest_sum
FROM k LEFT JOIN s ON s.reason = k.reason
LEFT JOIN exit_reasons r ON r.reason = k.reason
ORDER BY k.reason;
