-- timeline_range.sql - the time span of a recording, to choose the
-- timeline's bucket width: exits, first and last exits.t_ns.
-- Parameter :vcpu - one vCPU index, or NULL for all vCPUs.
SELECT count(*) AS n, min(t_ns) AS t_min, max(t_ns) AS t_max
FROM exits WHERE :vcpu IS NULL OR vcpu = :vcpu;
