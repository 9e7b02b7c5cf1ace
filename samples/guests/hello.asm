; hello.asm - the smallest exitlog guest: one line on COM1, then HLT.
;
; Console output (exact, 25 bytes, "\n" only):
;   Hello from exitlog guest\n
;
; Exits (exitlog VMM, THRE always set):
;   25 x IN  0x3fd (LSR, size 1)   one poll per byte
;   25 x OUT 0x3f8 (THR, size 1)   one per byte, the bytes of the line above
;    1 x HLT                       end of the run
; No other port is touched.

[bits 16]
[org 0x7c00]

        jmp     start               ; entry at 0x7c00: skip the library code

%include "guest.inc"
%include "serial.inc"

start:
        GUEST_START
        mov     si, msg
        call    serial_puts
        jmp     guest_halt          ; cli; hlt

msg:    db      `Hello from exitlog guest\n`, 0

        GUEST_END
