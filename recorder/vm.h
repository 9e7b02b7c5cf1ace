/*
 * vm.h - the KVM side of the recorder: /dev/kvm, the VM, guest RAM and the
 * vCPU, following Documentation/virt/kvm/api.rst.  No device logic here.
 */
#ifndef EXITLOG_VM_H
#define EXITLOG_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#define VM_MAX_VCPUS 8

struct vm {
	int sys_fd;             /* /dev/kvm */
	int vm_fd;
	int api_version;
	uint8_t *ram;           /* guest RAM, mapped at gpa 0 */
	uint64_t ram_size;
	int vcpu_fd;            /* vCPU 0 (the BSP): = vcpu_fds[0] */
	struct kvm_run *run;    /* its shared kvm_run page: = runs[0] */
	size_t run_size;
	int nvcpus;
	int vcpu_fds[VM_MAX_VCPUS];
	struct kvm_run *runs[VM_MAX_VCPUS];
	bool irqchip;           /* in-kernel PIC/IOAPIC/LAPIC created */
};

/*
 * Open /dev/kvm, check the API version (12) and the capabilities the
 * recorder relies on, create the VM with `ram_bytes` of RAM at gpa 0 (below
 * the 3 GiB PCI hole) and `nvcpus` vCPUs (1..VM_MAX_VCPUS; ids 0..n-1,
 * vCPU 0 the boot CPU).  With `irqchip`, also the in-kernel
 * PIC/IOAPIC/LAPIC (KVM_CREATE_IRQCHIP) and PIT (KVM_CREATE_PIT2), before the
 * vCPUs as the API requires; the other vCPUs then wait in
 * KVM_MP_STATE_UNINITIALIZED for the guest's INIT/SIPI, which KVM handles.  Returns 0 or -errno with one line in
 * err; -ENOENT/-EACCES mean /dev/kvm itself is missing or not usable.
 */
int vm_create(struct vm *vm, uint64_t ram_bytes, bool irqchip, int nvcpus,
	      char *err, size_t errlen);
void vm_destroy(struct vm *vm);

/* Put the vCPU in 16-bit real mode at CS:IP 0000:`ip`, SP `sp`, IF clear. */
int vm_setup_realmode(struct vm *vm, uint16_t ip, uint16_t sp);

/* Drive interrupt line `line` with the in-kernel irqchip (KVM_IRQ_LINE);
 * no-op returning -ENODEV without one. */
int vm_irq_line(struct vm *vm, int line, int level);

#endif
