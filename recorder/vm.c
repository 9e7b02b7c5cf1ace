/*
 * vm.c - /dev/kvm, VM, RAM and vCPU setup (see vm.h).  Follows
 * Documentation/virt/kvm/api.rst: KVM_GET_API_VERSION must be 12;
 * KVM_CAP_USER_MEMORY and KVM_CAP_IMMEDIATE_EXIT are required (the latter is
 * how a signal stops KVM_RUN without a race).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "recorder/vm.h"

static const struct {
	int cap;
	const char *name;
} required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
};

static void vm_reset_fds(struct vm *vm)
{
	vm->sys_fd = vm->vm_fd = vm->vcpu_fd = -1;
	for (int i = 0; i < VM_MAX_VCPUS; i++)
		vm->vcpu_fds[i] = -1;
}

/* vCPU `id`: its fd and run page; APs wait for INIT/SIPI (in-kernel LAPIC). */
static int vm_add_vcpu(struct vm *vm, int id, char *err, size_t errlen)
{
	int rc;

	vm->vcpu_fds[id] = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (vm->vcpu_fds[id] < 0) {
		rc = -errno;
		snprintf(err, errlen, "KVM_CREATE_VCPU %d: %s", id, strerror(errno));
		return rc;
	}
	vm->nvcpus = id + 1;
	vm->runs[id] = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			    vm->vcpu_fds[id], 0);
	if (vm->runs[id] == MAP_FAILED) {
		rc = -errno;
		vm->runs[id] = NULL;
		snprintf(err, errlen, "mmap kvm_run of vCPU %d: %s", id, strerror(errno));
		return rc;
	}
	if (id > 0 && vm->irqchip) {
		struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_UNINITIALIZED };

		if (ioctl(vm->vcpu_fds[id], KVM_SET_MP_STATE, &mp) < 0) {
			rc = -errno;
			snprintf(err, errlen, "KVM_SET_MP_STATE of vCPU %d: %s", id, strerror(errno));
			return rc;
		}
	}
	return 0;
}

/*
 * Guest RAM: anonymous memory whose address is a multiple of 2 MiB, like
 * gpa 0, and marked for transparent huge pages.  KVM maps a guest page
 * with a 2 MiB page only when the host address and the gpa agree modulo
 * 2 MiB; a kernel before 6.7 aligns only file mappings that way, so a
 * plain mmap() gave 4 KiB nested page-table entries throughout (one
 * nested page fault per 4 KiB a guest touches: costly under nested
 * virtualization).  QEMU aligns and advises its RAM the same way.
 * Returns the mapping of `bytes` bytes, or NULL with errno set.
 */
static uint8_t *ram_map(uint64_t bytes)
{
	const uint64_t align = 2u << 20;
	uint8_t *raw, *ram;
	uint64_t head;

	raw = mmap(NULL, bytes + align, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	head = (align - ((uintptr_t)raw & (align - 1))) & (align - 1);
	ram = raw + head;
	/* give back the slack on both sides: the mapping is exactly `bytes` */
	if (head)
		munmap(raw, head);
	munmap(ram + bytes, align - head);
	madvise(ram, bytes, MADV_HUGEPAGE); /* advice: no THP is no error */
	return ram;
}

int vm_create(struct vm *vm, uint64_t ram_bytes, bool irqchip, int nvcpus,
	      char *err, size_t errlen)
{
	struct kvm_userspace_memory_region region;
	int rc, mmap_size;

	memset(vm, 0, sizeof(*vm));
	vm_reset_fds(vm);
	if (nvcpus < 1 || nvcpus > VM_MAX_VCPUS) {
		snprintf(err, errlen, "%d vCPUs: must be 1..%d", nvcpus, VM_MAX_VCPUS);
		return -EINVAL;
	}

	vm->sys_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->sys_fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "/dev/kvm: %s (no usable KVM here: run under scripts/with-kvm)",
			 strerror(errno));
		return rc;
	}
	vm->api_version = ioctl(vm->sys_fd, KVM_GET_API_VERSION, 0);
	if (vm->api_version != KVM_API_VERSION) {
		rc = -EPROTO;
		snprintf(err, errlen, "/dev/kvm: API version %d, exitlog needs %d",
			 vm->api_version, KVM_API_VERSION);
		goto fail;
	}
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (ioctl(vm->sys_fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			rc = -EOPNOTSUPP;
			snprintf(err, errlen, "/dev/kvm: missing capability %s", required_caps[i].name);
			goto fail;
		}
	}
	vm->vm_fd = ioctl(vm->sys_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		goto fail;
	}
	/* Intel needs a TSS region for real mode; harmless elsewhere. */
	if (ioctl(vm->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0)
		ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL);

	vm->ram_size = ram_bytes;
	vm->ram = ram_map(ram_bytes);
	if (!vm->ram) {
		rc = -errno;
		snprintf(err, errlen, "guest RAM (%llu MiB): %s",
			 (unsigned long long)(ram_bytes >> 20), strerror(errno));
		goto fail;
	}
	memset(&region, 0, sizeof(region));
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = ram_bytes;
	region.userspace_addr = (uint64_t)(uintptr_t)vm->ram;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		rc = -errno;
		snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		goto fail;
	}

	if (irqchip) {
		struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

		if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
			rc = -errno;
			snprintf(err, errlen, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
			goto fail;
		}
		vm->irqchip = true;
		if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
			rc = -errno;
			snprintf(err, errlen, "KVM_CREATE_PIT2: %s", strerror(errno));
			goto fail;
		}
	}

	mmap_size = ioctl(vm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < (int)sizeof(struct kvm_run)) {
		rc = -EPROTO;
		snprintf(err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %d", mmap_size);
		goto fail;
	}
	vm->run_size = (size_t)mmap_size;
	for (int i = 0; i < nvcpus; i++) {
		rc = vm_add_vcpu(vm, i, err, errlen);
		if (rc)
			goto fail;
	}
	vm->vcpu_fd = vm->vcpu_fds[0];
	vm->run = vm->runs[0];
	return 0;
fail:
	vm_destroy(vm);
	return rc;
}

void vm_destroy(struct vm *vm)
{
	for (int i = 0; i < vm->nvcpus; i++) {
		if (vm->runs[i])
			munmap(vm->runs[i], vm->run_size);
		if (vm->vcpu_fds[i] >= 0)
			close(vm->vcpu_fds[i]);
	}
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	memset(vm, 0, sizeof(*vm));
	vm_reset_fds(vm);
}

static void seg_real(struct kvm_segment *s, uint16_t sel)
{
	s->selector = sel;
	s->base = (uint64_t)sel << 4;
	s->limit = 0xffff;
}

int vm_setup_realmode(struct vm *vm, uint16_t ip, uint16_t sp)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	seg_real(&sregs.cs, 0);
	seg_real(&sregs.ds, 0);
	seg_real(&sregs.es, 0);
	seg_real(&sregs.fs, 0);
	seg_real(&sregs.gs, 0);
	seg_real(&sregs.ss, 0);
	sregs.cr0 &= ~1ULL; /* PE off: real mode */
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;

	memset(&regs, 0, sizeof(regs));
	regs.rip = ip;
	regs.rsp = sp;
	regs.rflags = 0x2; /* reserved bit 1; IF clear */
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}

int vm_irq_line(struct vm *vm, int line, int level)
{
	struct kvm_irq_level irq = { .irq = (uint32_t)line, .level = (uint32_t)level };

	if (!vm->irqchip)
		return -ENODEV;
	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0 ? -errno : 0;
}
