; storm_timed.asm - samples/guests/storm.asm with a stopwatch, for
; bench/overhead.sh: the same loop (STORM_N one-byte OUTs to the unclaimed
; port 0x404, data = low byte of the remaining count) between two RDTSCs,
; then the TSC ticks the loop took on COM1, then "storm: done" and HLT.
;
;   nasm -f bin -I samples/guests/ -DSTORM_N=200000 -o storm_timed.bin bench/storm_timed.asm
;
; RDTSC does not exit (KVM does not intercept it), so the stopwatch adds no
; exit to the loop; the ticks are the guest's own view of how long its
; STORM_N exits took, whatever the VMM or a tracer did meanwhile, and the
; same measure under every configuration.  Only ratios of ticks are used
; (the TSC frequency is not needed).
;
; Console output (exact):  storm: tsc=0xHHHHHHHHHHHHHHHH\nstorm: done\n
; Exits: STORM_N x OUT 0x404, then 2 per console byte (LSR IN + THR OUT), HLT.

[bits 16]
[org 0x7c00]

%ifndef STORM_N
%define STORM_N 200000
%endif
%if STORM_N < 1 || STORM_N > 0xffffffff
%error "STORM_N must be in 1..0xffffffff"
%endif

STORM_PORT      equ 0x404

        jmp     start

%include "guest.inc"
%include "serial.inc"

start:
        GUEST_START
        rdtsc
        mov     [t0], eax
        mov     [t0 + 4], edx
        mov     dx, STORM_PORT
        mov     ecx, STORM_N
.storm: mov     al, cl              ; data = low byte of the remaining count
        out     dx, al              ; the only exit of the loop
        dec     ecx
        jnz     .storm
        rdtsc
        sub     eax, [t0]
        sbb     edx, [t0 + 4]
        mov     [t0], eax
        PUTS    `storm: tsc=0x`
        mov     eax, edx
        call    print_hex32
        mov     eax, [t0]
        call    print_hex32
        PUTS    `\nstorm: done\n`
        jmp     guest_halt

t0:     dd      0, 0

        GUEST_END
