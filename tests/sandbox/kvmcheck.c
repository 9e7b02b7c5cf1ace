/* kvmcheck - smallest proof that /dev/kvm works (natively or in the with-kvm sandbox).
 *
 * Opens /dev/kvm, checks KVM_GET_API_VERSION == 12, creates a VM with 4 KiB of
 * guest memory holding a real-mode program
 *     mov al, 'K' ; mov dx, 0x3f8 ; out dx, al ; hlt
 * runs one vCPU and checks it sees KVM_EXIT_IO (OUT of 'K' to 0x3f8), then
 * KVM_EXIT_HLT. Prints "kvmcheck: ok api=12 exits=IO(0x3f8,'K'),HLT" and exits 0;
 * prints "kvmcheck: FAIL ..." to stderr and exits 1 otherwise.
 * Build: cc -o kvmcheck tests/sandbox/kvmcheck.c (tests/sandbox/selftest.sh does).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUEST_BASE 0x1000u
#define GUEST_SIZE 0x1000u

static void die(const char *fmt, ...)
{
    va_list ap;
    int err = errno;

    fputs("kvmcheck: FAIL ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (err)
        fprintf(stderr, " (%s)", strerror(err));
    fputc('\n', stderr);
    exit(1);
}

static const char *exit_name(uint32_t reason)
{
    switch (reason) {
    case KVM_EXIT_IO: return "IO";
    case KVM_EXIT_HLT: return "HLT";
    case KVM_EXIT_MMIO: return "MMIO";
    case KVM_EXIT_SHUTDOWN: return "SHUTDOWN";
    case KVM_EXIT_FAIL_ENTRY: return "FAIL_ENTRY";
    case KVM_EXIT_INTERNAL_ERROR: return "INTERNAL_ERROR";
    default: return "OTHER";
    }
}

int main(void)
{
    static const uint8_t code[] = {
        0xb0, 'K',              /* mov al, 'K'    */
        0xba, 0xf8, 0x03,       /* mov dx, 0x3f8  */
        0xee,                   /* out dx, al     */
        0xf4,                   /* hlt            */
    };
    struct kvm_userspace_memory_region region;
    struct kvm_sregs sregs;
    struct kvm_regs regs;
    struct kvm_run *run;
    uint8_t *mem;
    int kvm, vm, vcpu, api, mmap_size;

    errno = 0;
    kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        die("open /dev/kvm");
    api = ioctl(kvm, KVM_GET_API_VERSION, 0);
    if (api != 12)
        die("KVM_GET_API_VERSION = %d, want 12", api);
    vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        die("KVM_CREATE_VM");

    mem = mmap(NULL, GUEST_SIZE, PROT_READ | PROT_WRITE,
               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        die("mmap guest memory");
    memcpy(mem, code, sizeof(code));
    memset(&region, 0, sizeof(region));
    region.slot = 0;
    region.guest_phys_addr = GUEST_BASE;
    region.memory_size = GUEST_SIZE;
    region.userspace_addr = (uintptr_t)mem;
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        die("KVM_SET_USER_MEMORY_REGION");

    vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        die("KVM_CREATE_VCPU");
    mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (mmap_size < (int)sizeof(*run))
        die("KVM_GET_VCPU_MMAP_SIZE = %d", mmap_size);
    run = mmap(NULL, (size_t)mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        die("mmap kvm_run");

    /* Real mode, CS:IP = 0000:1000. */
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
        die("KVM_GET_SREGS");
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
        die("KVM_SET_SREGS");
    memset(&regs, 0, sizeof(regs));
    regs.rip = GUEST_BASE;
    regs.rflags = 0x2;
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
        die("KVM_SET_REGS");

    /* First exit: the OUT. */
    if (ioctl(vcpu, KVM_RUN, 0) < 0)
        die("KVM_RUN #1");
    if (run->exit_reason != KVM_EXIT_IO)
        die("exit #1 is %s (%u), want IO", exit_name(run->exit_reason), run->exit_reason);
    {
        const uint8_t *data = (const uint8_t *)run + run->io.data_offset;

        if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != 0x3f8 ||
            run->io.size != 1 || run->io.count != 1 || data[0] != 'K')
            die("exit #1: dir=%u port=0x%x size=%u count=%u data=0x%02x, want OUT 0x3f8 1 1 'K'",
                run->io.direction, run->io.port, run->io.size, run->io.count, data[0]);
    }

    /* Second exit: the HLT. */
    if (ioctl(vcpu, KVM_RUN, 0) < 0)
        die("KVM_RUN #2");
    if (run->exit_reason != KVM_EXIT_HLT)
        die("exit #2 is %s (%u), want HLT", exit_name(run->exit_reason), run->exit_reason);

    printf("kvmcheck: ok api=%d exits=IO(0x3f8,'K'),HLT\n", api);
    return 0;
}
