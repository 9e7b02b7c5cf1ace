; identify.asm - dump the IDENTIFY DEVICE data of the primary master.
; A diagnostic guest: compare what exitlog's ATA model answers with a
; reference device (samples/guests/qemu-check.sh runs it under QEMU).
;
; Console output:
;   ident: sectors=0x%08x\n                 words 60-61 (LBA28 sectors)
;   ident: model="<words 27-46>"\n          ATA strings: high byte of each
;   ident: serial="<words 10-19>"\n         word first; trailing spaces cut
;   ident: firmware="<words 23-26>"\n
;   ident: w000 %04x %04x %04x %04x %04x %04x %04x %04x\n
;   ident: w008 ...                          (32 lines, 8 words each,
;   ...                                       word numbers in decimal)
;   ident: w248 ...\n
;   ident: done\n
; then cli; hlt.
; Exits: OUT 0x3f6, one IDENTIFY (ata.inc: ata_identify), the console.

[bits 16]
[org 0x7c00]

        jmp     start               ; entry at 0x7c00: skip the library code

%include "guest.inc"
%include "serial.inc"
%include "ata.inc"

start:
        GUEST_START
        call    ata_init
        mov     di, BUF_IDENT
        call    ata_identify
        PUTS    `ident: sectors=0x`
        call    print_hex32
        call    print_nl

        PUTS    `ident: model="`
        mov     si, BUF_IDENT + 27 * 2
        mov     cx, 20
        call    print_ata_string
        PUTS    `"\nident: serial="`
        mov     si, BUF_IDENT + 10 * 2
        mov     cx, 10
        call    print_ata_string
        PUTS    `"\nident: firmware="`
        mov     si, BUF_IDENT + 23 * 2
        mov     cx, 4
        call    print_ata_string
        PUTS    `"\n`

        ; 32 lines of 8 words
        mov     si, BUF_IDENT
        xor     bx, bx              ; word number
.line:  PUTS    `ident: w`
        mov     ax, bx
        call    print_dec3
        mov     cx, 8
.word:  mov     al, ' '
        call    serial_putc
        lodsw
        call    print_hex16
        loop    .word
        call    print_nl
        add     bx, 8
        cmp     bx, 256
        jb      .line
        PUTS    `ident: done\n`
        jmp     guest_halt

; print_ata_string: CX words at DS:SI, high byte first, trailing spaces cut.
print_ata_string:
        pusha
        ; find the last non-space character: length in bytes = 2*CX
        mov     di, cx
        shl     di, 1               ; di = number of characters
.trim:  test    di, di
        jz      .done
        mov     bx, di
        dec     bx                  ; character index bx -> byte bx ^ 1
        xor     bx, 1
        cmp     byte [si + bx], ' '
        jne     .print
        dec     di
        jmp     .trim
.print: xor     cx, cx              ; character index
.char:  cmp     cx, di
        jae     .done
        mov     bx, cx
        xor     bx, 1
        mov     al, [si + bx]
        call    serial_putc
        inc     cx
        jmp     .char
.done:  popa
        ret

; print_dec3: AX (0..999) as 3 decimal digits.
print_dec3:
        pusha
        mov     bl, 100
        div     bl                  ; al = hundreds, ah = rest
        add     al, '0'
        call    serial_putc
        mov     al, ah
        xor     ah, ah
        mov     bl, 10
        div     bl
        add     al, '0'
        call    serial_putc
        mov     al, ah
        add     al, '0'
        call    serial_putc
        popa
        ret

        GUEST_END
