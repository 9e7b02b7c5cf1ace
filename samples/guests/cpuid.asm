; cpuid.asm - exits that KVM handles in the kernel (CPUID, RDMSR, HLT), for
; the --ktrace (kernel_exits) feature.  Nothing here reaches a userspace
; device except the console.
;
;   CPUID leaf 0   vendor string (EBX, EDX, ECX) and the highest leaf
;   CPUID leaf 1   processor signature (EAX)
;   RDMSR 0x10     IA32_TIME_STAMP_COUNTER (value not printed).  Note: on
;                  Intel (VMX) KVM lets the guest read this MSR without an
;                  exit, so it may not appear as a kernel exit at all.
;   RDMSR 0x1b     IA32_APIC_BASE, always intercepted and emulated by KVM.
;   HLT            with IF=0: ends the run.
; Only MSRs that KVM always implements are read: an unknown MSR would raise
; #GP, which with no IDT in real mode ends as a triple fault.
;
; Console output (host-dependent values as placeholders):
;   cpuid: vendor=<12 chars, e.g. GenuineIntel or AuthenticAMD>\n
;   cpuid: max_leaf=0x%08x leaf1.eax=0x%08x\n
;   cpuid: rdmsr 0x10 ok\n
;   cpuid: apic_base=0x%08x\n            (typically 0xfee00900: BSP, enabled)
;   cpuid: done\n
; Exits: 2 CPUID, 2 RDMSR (0x10 maybe not, see above), 1 HLT, plus
; 1 IN 0x3fd + 1 OUT 0x3f8 per console byte.

[bits 16]
[org 0x7c00]

        jmp     start               ; entry at 0x7c00: skip the library code

%include "guest.inc"
%include "serial.inc"

start:
        GUEST_START

        xor     eax, eax
        cpuid                       ; leaf 0
        mov     [max_leaf], eax
        mov     [vendor + 0], ebx
        mov     [vendor + 4], edx
        mov     [vendor + 8], ecx
        mov     eax, 1
        xor     ecx, ecx
        cpuid                       ; leaf 1
        mov     [leaf1_eax], eax
        mov     ecx, 0x10
        rdmsr                       ; IA32_TIME_STAMP_COUNTER
        mov     ecx, 0x1b
        rdmsr                       ; IA32_APIC_BASE
        mov     [apic_base], eax

        PUTS    `cpuid: vendor=`
        mov     si, vendor
        call    serial_puts
        call    print_nl
        PUTS    `cpuid: max_leaf=0x`
        mov     eax, [max_leaf]
        call    print_hex32
        PUTS    ` leaf1.eax=0x`
        mov     eax, [leaf1_eax]
        call    print_hex32
        call    print_nl
        PUTS    `cpuid: rdmsr 0x10 ok\n`
        PUTS    `cpuid: apic_base=0x`
        mov     eax, [apic_base]
        call    print_hex32
        call    print_nl
        PUTS    `cpuid: done\n`
        jmp     guest_halt

                align 4
max_leaf:       dd 0
leaf1_eax:      dd 0
apic_base:      dd 0
vendor:         times 12 db 0
                db 0                ; NUL for serial_puts

        GUEST_END
