/*
 * kvmhold - keep two idle VMs alive in the sandbox's L1 for its whole life,
 * so that KVM's static keys never flip while the tests create and destroy
 * their VMs.
 *
 * Why (issue 10, docs/testing.md "L1 freezes"): the first VM that L1's KVM
 * creates turns on static keys -- preempt_notifier_key (kvm_create_vm),
 * apic_sw_disabled (a vCPU's LAPIC, software-disabled at reset),
 * kvm_has_noapic_vcpu (a vCPU without an in-kernel LAPIC) -- and the last
 * VM destroyed turns them off.  Each flip live-patches the kernel's jump
 * sites with int3 + IPIs (text_poke_bp).  Under QEMU's multi-threaded TCG
 * that patching livelocked L1: both CPUs stuck at the jump site of
 * preempt_notifier_key right after `sti` in finish_task_switch, one of
 * them in the int3 handler.  With one VM of each kind alive from boot to
 * power-off, the counts never return to 0: nothing is patched again.
 *
 * Two VMs: one with an in-kernel irqchip and one vCPU (holds
 * preempt_notifier_key and apic_sw_disabled), one without an irqchip with
 * one vCPU (holds kvm_has_noapic_vcpu).  Their vCPUs never run.  It then
 * sleeps until killed (L1 powers off under it).  Built static into the
 * sandbox initramfs by scripts/sandbox/mkinitramfs.
 *
 * Usage: kvmhold    Prints "kvmhold: holding" on stderr, or one line saying
 *                   which ioctl failed, and exits 1 then.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "kvmhold: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(void)
{
	int kvm, vm_apic, vm_noapic;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("/dev/kvm");
	vm_apic = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm_apic < 0)
		return fail("KVM_CREATE_VM");
	if (ioctl(vm_apic, KVM_CREATE_IRQCHIP, 0) < 0)
		return fail("KVM_CREATE_IRQCHIP");
	if (ioctl(vm_apic, KVM_CREATE_VCPU, 0) < 0)
		return fail("KVM_CREATE_VCPU (with LAPIC)");
	vm_noapic = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm_noapic < 0)
		return fail("KVM_CREATE_VM");
	if (ioctl(vm_noapic, KVM_CREATE_VCPU, 0) < 0)
		return fail("KVM_CREATE_VCPU (without LAPIC)");
	fprintf(stderr, "kvmhold: holding\n");
	for (;;)
		pause();
}
