-- kernel_user.sql - the footer of `exitlog stat --event kernel`: userspace
-- exits recorded (exits) and how many have a kernel counterpart
-- (kernel_exits.user_seq); for an import both are 0.
-- Parameter :vcpu - one vCPU index, or NULL for all vCPUs.
SELECT (SELECT count(*) FROM exits WHERE :vcpu IS NULL OR vcpu = :vcpu) AS user_exits,
       (SELECT count(DISTINCT user_seq) FROM kernel_exits
         WHERE user_seq IS NOT NULL AND (:vcpu IS NULL OR vcpu = :vcpu)) AS matched;
