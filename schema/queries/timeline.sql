-- timeline.sql - `exitlog timeline`: exits per time bucket and exit reason.
-- Parameters :bucket_ns - bucket width in ns (bucket b covers
--   [b*bucket_ns, (b+1)*bucket_ns) of exits.t_ns);
--   :vcpu - one vCPU index, or NULL for all vCPUs.
-- Only non-empty (bucket, reason) pairs are returned; the analyzer fills
-- the gaps with zeros and pivots reasons into columns.
SELECT e.bucket, e.reason, coalesce(r.name, 'reason_' || e.reason) AS name, e.n
FROM (SELECT t_ns / :bucket_ns AS bucket, reason, count(*) AS n FROM exits
      WHERE :vcpu IS NULL OR vcpu = :vcpu
      GROUP BY 1, 2) e
LEFT JOIN exit_reasons r ON r.reason = e.reason
ORDER BY e.bucket, e.reason;
