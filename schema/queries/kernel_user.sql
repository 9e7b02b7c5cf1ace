-- kernel_user.sql - the footer of `exitlog stat --event kernel`: userspace
-- exits recorded (exits; 0 for an import), how many have their kernel exit
-- (kernel_exits.user_seq), and the KVM_RUN returns the kernel traced
-- (kernel_userspace).
-- Parameter :vcpu - one vCPU index, or NULL for all vCPUs.
SELECT (SELECT count(*) FROM exits WHERE :vcpu IS NULL OR vcpu = :vcpu) AS user_exits,
       (SELECT count(DISTINCT user_seq) FROM kernel_exits
         WHERE user_seq IS NOT NULL AND (:vcpu IS NULL OR vcpu = :vcpu)) AS matched,
       (SELECT count(*) FROM kernel_userspace WHERE :vcpu IS NULL OR vcpu = :vcpu) AS returns;
