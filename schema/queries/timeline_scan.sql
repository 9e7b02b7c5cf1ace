-- timeline_scan.sql - `exitlog timeline` input: every exit's time,
-- reason and vCPU (the columns of --by-vcpu), in table order (one pass, no sort: the analyzer counts per bucket
-- itself).  timeline.sql computes the same counts with a GROUP BY.
-- Parameter :vcpu - one vCPU index, or NULL for all vCPUs.
SELECT t_ns, reason, vcpu FROM exits WHERE :vcpu IS NULL OR vcpu = :vcpu;
