; storm.asm - an exit storm for benchmarks: STORM_N one-byte OUTs to an
; unclaimed port, then "storm: done\n" on COM1 and HLT.
;
; Port 0x404: claimed by no device of exitlog's board (nor of QEMU's pc
; machine); 0x80 is avoided on purpose, it may become a POST-code port.
; An OUT to an unclaimed port is dropped by the VMM but still logged.
;
; STORM_N (default 40000, any value 1..0xffffffff) is set at assembly time:
;   nasm -f bin -I samples/guests/ -DSTORM_N=1000000 -o storm.bin storm.asm
;
; The loop body has exactly one exiting instruction: iteration k (k = 0 ..
; STORM_N-1) writes the byte (STORM_N - k) & 0xff (the low byte of the
; remaining count) to port 0x404.
;
; Console output (exact):  storm: done\n          (12 bytes)
; Exits (exitlog VMM):
;   STORM_N x OUT 0x404 (size 1)
;   12 x IN 0x3fd + 12 x OUT 0x3f8 (the line above)
;   1 x HLT

[bits 16]
[org 0x7c00]

%ifndef STORM_N
%define STORM_N 40000
%endif
%if STORM_N < 1 || STORM_N > 0xffffffff
%error "STORM_N must be in 1..0xffffffff"
%endif

STORM_PORT      equ 0x404

        jmp     start               ; entry at 0x7c00: skip the library code

%include "guest.inc"
%include "serial.inc"

start:
        GUEST_START
        mov     dx, STORM_PORT
        mov     ecx, STORM_N
.storm: mov     al, cl              ; data = low byte of the remaining count
        out     dx, al              ; the only exit of the loop
        dec     ecx
        jnz     .storm
        PUTS    `storm: done\n`
        jmp     guest_halt

        GUEST_END
