; triple.asm - a test-only fixture for the e2e harness (tests/e2e/t_harness.sh,
; fixtures-freeze/t_triple.sh): a flat real-mode guest that triple-faults at
; once.  With an IDT limit of 0, int3 cannot be delivered (#GP), nor can the
; #GP (#DF), nor the #DF: the CPU shuts down, KVM_EXIT_SHUTDOWN, and the
; recorder says "guest triple-faulted".
[bits 16]
[org 0x7c00]
        cli
        lidt    [idt0]
        int3
        hlt
idt0:   dw      0
        dd      0
