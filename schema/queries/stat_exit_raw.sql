-- stat_exit_raw.sql - `exitlog stat --event exit` from the raw exits table:
-- the same columns as stat_exit.sql without the summary table (used for
-- imported traces and interrupted recordings; a full scan and GROUP BY).
-- Parameter :vcpu - one vCPU index, or NULL for all vCPUs.
WITH s AS (
    SELECT reason, count(*) AS n, sum(coalesce(handle_ns, 0)) AS handle_sum,
           min(coalesce(handle_ns, 0)) AS handle_min, max(coalesce(handle_ns, 0)) AS handle_max,
           total(CAST(coalesce(handle_ns, 0) AS REAL) * coalesce(handle_ns, 0)) AS handle_sumsq,
           sum(coalesce(guest_ns, 0)) AS guest_sum
    FROM exits WHERE :vcpu IS NULL OR vcpu = :vcpu
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
