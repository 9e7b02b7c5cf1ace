; virtio-hostile.asm - a hostile driver for exitlog's virtio-blk model.
;
; Disk: the first --virtio-disk (PCI 00:01.0, IO BAR 0xc000), at least 4
; sectors; run with --mem 16 (the "end of RAM" requests below assume 16 MiB
; of guest RAM).  Sector 0 is expected to hold "exitlog-hostile\n" 32 times
; (the e2e test's image: `yes exitlog-hostile | head -c 1048576`); only
; sector 2 is written (the pattern, key 0x3c: byte i = (i & 0xff) ^ 0x3c).
;
; The driver (virtio.inc) sets the device up, then sends the requests
; below, one at a time, each as the only available chain (head 0), and
; prints what the device did: "hostile: NN <what>:" + vio_results
; (" st=.. used=.. len=.. isr=.. dev=..", see virtio.inc) + for reads
; " sum=0x%08x" (Fletcher-32, ata.inc, of the data buffer) + a verdict.
; The data buffer (0x9000, 1 KiB) is cleared before every request, so a
; read the device refused leaves sum=0x00000000.
;
;   01 read lba 0                          OK; text check of the bytes
;   02 write lba 2 (pattern)               OK
;   03 read lba 2                          OK; compared with the pattern
;   04 read lba = capacity                 IOERR (past the end)
;   05 read 2 sectors at capacity - 1      IOERR (runs past the end)
;   06 read lba 0xffffffffffffffff         IOERR
;   07 read, data len 0xfffffe00           IOERR (bigger than the device takes)
;   08 write lba 0, data len 0x00080200    IOERR (idem), nothing written
;   09 write lba 3, data at 0xf0000000     IOERR (outside RAM), nothing written
;   10 write lba 3, data at 0x00ffff00     IOERR (512 bytes across the end of RAM)
;   11 write lba 3, data at 2^64 - 0x100   IOERR (address + length wraps)
;   12 read lba 0, data at 0xf0000000      IOERR (outside RAM)
;   13 header at 0xf0000000                IOERR
;   14 GET_ID, status byte at 0xf0000000   ring error: NEEDS_RESET, ISR 2
;   15 read lba 2 while NEEDS_RESET        ignored
;      reset, re-initialise
;   16 queue PFN 0x000f0000 (rings outside RAM)  ring error
;      reset, re-initialise
;   17 avail.idx = N + 1 (more than a queue ahead)  ring error
;      reset, re-initialise
;   18 head index N (out of range)         ring error
;      reset, re-initialise
;   19 next index N (out of range)         ring error
;      reset, re-initialise
;   20 loop: desc 0 -> 1 -> 0 (readable)   ring error (chain longer than N)
;      reset, re-initialise
;   21 loop: desc 0 -> 1 -> 1 (writable)   ring error
;      reset, re-initialise
;   22 read lba 2                          OK; compared with the pattern
;   "hostile: done\n", cli; hlt.
;
; The exact console output is in README.md.

[bits 16]
[org 0x7c00]

        jmp     start

%include "guest.inc"
%include "serial.inc"
%include "ata.inc"                      ; fill_pattern, fletcher32, mem_equal, mem_zero
%include "virtio.inc"

PATTERN_KEY     equ 0x3c
BAD             equ 0xf0000000          ; far outside 16 MiB of RAM
RAM_END         equ 0x01000000          ; --mem 16

; SET_HDR type, sector (64-bit constant)
%macro SET_HDR 2
        mov     dword [VIO_HDR], %1
        mov     dword [VIO_HDR + 4], 0
        mov     dword [VIO_HDR + 8], (%2) & 0xffffffff
        mov     dword [VIO_HDR + 12], ((%2) >> 32) & 0xffffffff
%endmacro

; CHAIN3 data address (64-bit constant), length, flags
%macro CHAIN3 3
        mov     eax, (%1) & 0xffffffff
        mov     edx, ((%1) >> 32) & 0xffffffff
        mov     ecx, %2
        mov     bx, %3
        call    vio_chain3
%endmacro

; DESC index, address (64-bit constant), length, flags, next
%macro DESC 5
        mov     di, %1
        mov     eax, (%2) & 0xffffffff
        mov     edx, ((%2) >> 32) & 0xffffffff
        mov     ecx, %3
        mov     bx, %4
        mov     si, %5
        call    vio_desc
%endmacro

; KICK head
%macro KICK 1
        mov     ax, %1
        call    vio_kick
%endmacro

start:
        GUEST_START
        call    vio_pci_probe
        call    vio_init
        ; the pattern for sector 2
        mov     di, BUF_IO2
        mov     cx, 1
        mov     ah, PATTERN_KEY
        call    fill_pattern

        ; 01 ------------------------------------------------------------
        PUTS    `hostile: 01 read lba=0:`
        call    clear_io
        SET_HDR VBLK_T_IN, 0
        CHAIN3  BUF_IO, 512, VQ_WRITE
        KICK    0
        call    print_sum512
        call    check_text
        ; 02 ------------------------------------------------------------
        PUTS    `hostile: 02 write lba=2:`
        call    clear_io
        SET_HDR VBLK_T_OUT, 2
        CHAIN3  BUF_IO2, 512, 0
        KICK    0
        PUTS    ` sum=0x`
        mov     si, BUF_IO2
        mov     cx, 512
        call    fletcher32
        call    print_hex32
        call    print_nl
        ; 03 ------------------------------------------------------------
        PUTS    `hostile: 03 read lba=2:`
        call    read_lba2
        ; 04 ------------------------------------------------------------
        PUTS    `hostile: 04 read lba=capacity:`
        call    clear_io
        SET_HDR VBLK_T_IN, 0
        mov     eax, [vio_cap_lo]
        mov     [VIO_HDR + 8], eax
        mov     eax, [vio_cap_hi]
        mov     [VIO_HDR + 12], eax
        CHAIN3  BUF_IO, 512, VQ_WRITE
        KICK    0
        call    print_sum512
        call    print_nl
        ; 05 ------------------------------------------------------------
        PUTS    `hostile: 05 read n=2 lba=capacity-1:`
        call    clear_io
        SET_HDR VBLK_T_IN, 0
        mov     eax, [vio_cap_lo]
        mov     edx, [vio_cap_hi]
        sub     eax, 1
        sbb     edx, 0
        mov     [VIO_HDR + 8], eax
        mov     [VIO_HDR + 12], edx
        CHAIN3  BUF_IO, 1024, VQ_WRITE
        KICK    0
        PUTS    ` sum=0x`
        mov     si, BUF_IO
        mov     cx, 1024
        call    fletcher32
        call    print_hex32
        call    print_nl
        ; 06 ------------------------------------------------------------
        PUTS    `hostile: 06 read lba=0xffffffffffffffff:`
        call    clear_io
        SET_HDR VBLK_T_IN, 0xffffffffffffffff
        CHAIN3  BUF_IO, 512, VQ_WRITE
        KICK    0
        call    print_sum512
        call    print_nl
        ; 07 ------------------------------------------------------------
        PUTS    `hostile: 07 read len=0xfffffe00:`
        call    clear_io
        SET_HDR VBLK_T_IN, 0
        CHAIN3  BUF_IO, 0xfffffe00, VQ_WRITE
        KICK    0
        call    print_sum512
        call    print_nl
        ; 08 ------------------------------------------------------------
        PUTS    `hostile: 08 write lba=0 len=0x00080200:`
        call    clear_io
        SET_HDR VBLK_T_OUT, 0
        CHAIN3  BUF_IO2, 0x00080200, 0
        KICK    0
        call    print_nl
        ; 09 ------------------------------------------------------------
        PUTS    `hostile: 09 write lba=3 data@0x00000000f0000000:`
        call    clear_io
        SET_HDR VBLK_T_OUT, 3
        CHAIN3  BAD, 512, 0
        KICK    0
        call    print_nl
        ; 10 ------------------------------------------------------------
        PUTS    `hostile: 10 write lba=3 data@0x0000000000ffff00:`
        call    clear_io
        SET_HDR VBLK_T_OUT, 3
        CHAIN3  RAM_END - 0x100, 512, 0
        KICK    0
        call    print_nl
        ; 11 ------------------------------------------------------------
        PUTS    `hostile: 11 write lba=3 data@0xffffffffffffff00:`
        call    clear_io
        SET_HDR VBLK_T_OUT, 3
        CHAIN3  0xffffffffffffff00, 512, 0
        KICK    0
        call    print_nl
        ; 12 ------------------------------------------------------------
        PUTS    `hostile: 12 read lba=0 data@0x00000000f0000000:`
        call    clear_io
        SET_HDR VBLK_T_IN, 0
        CHAIN3  BAD, 512, VQ_WRITE
        KICK    0
        call    print_nl
        ; 13 ------------------------------------------------------------
        PUTS    `hostile: 13 read lba=0 header@0x00000000f0000000:`
        call    clear_io
        SET_HDR VBLK_T_IN, 0
        CHAIN3  BUF_IO, 512, VQ_WRITE
        DESC    0, BAD, 16, VQ_NEXT, 1
        KICK    0
        call    print_sum512
        call    print_nl
        ; 14 ------------------------------------------------------------
        PUTS    `hostile: 14 get-id status@0x00000000f0000000:`
        call    clear_io
        SET_HDR VBLK_T_GET_ID, 0
        CHAIN3  BUF_IO, 20, VQ_WRITE
        DESC    2, BAD, 1, VQ_WRITE, 0
        KICK    0
        PUTS    ` id=`
        mov     si, BUF_IO
        call    serial_puts             ; zero padded: stops at the first NUL
        call    print_nl
        ; 15 ------------------------------------------------------------
        PUTS    `hostile: 15 read lba=2 while NEEDS_RESET:`
        call    clear_io
        SET_HDR VBLK_T_IN, 2
        CHAIN3  BUF_IO, 512, VQ_WRITE
        KICK    0
        call    print_sum512
        call    print_nl
        call    vio_init
        ; 16 ------------------------------------------------------------
        PUTS    `hostile: 16 queue pfn=0x000f0000:`
        mov     dx, VIO_QUEUE_PFN
        mov     eax, BAD >> 12
        out     dx, eax
        call    clear_io
        SET_HDR VBLK_T_IN, 2
        CHAIN3  BUF_IO, 512, VQ_WRITE
        KICK    0
        call    print_nl
        call    vio_init
        ; 17 ------------------------------------------------------------
        PUTS    `hostile: 17 avail idx=qsize+1:`
        call    clear_io
        SET_HDR VBLK_T_IN, 2
        CHAIN3  BUF_IO, 512, VQ_WRITE
        mov     byte [VIO_STAT], 0xff
        mov     bx, [vq_avail]
        mov     ax, [vq_size]
        inc     ax
        mov     [bx + 2], ax            ; ring[0] = 0 (zeroed), idx = N + 1
        call    vio_notify
        call    vio_results
        call    print_nl
        call    vio_init
        ; 18 ------------------------------------------------------------
        PUTS    `hostile: 18 head=qsize:`
        call    clear_io
        SET_HDR VBLK_T_IN, 2
        CHAIN3  BUF_IO, 512, VQ_WRITE
        mov     ax, [vq_size]
        call    vio_kick
        call    print_nl
        call    vio_init
        ; 19 ------------------------------------------------------------
        PUTS    `hostile: 19 next=qsize:`
        call    clear_io
        SET_HDR VBLK_T_IN, 2
        CHAIN3  BUF_IO, 512, VQ_WRITE
        mov     ax, [vq_size]
        mov     di, [vq_desc]
        mov     [di + 14], ax           ; desc 0 (header): next = N
        KICK    0
        call    print_nl
        call    vio_init
        ; 20 ------------------------------------------------------------
        PUTS    `hostile: 20 loop 0->1->0 (readable):`
        call    clear_io
        SET_HDR VBLK_T_OUT, 2
        DESC    0, VIO_HDR, 16, VQ_NEXT, 1
        DESC    1, BUF_IO2, 512, VQ_NEXT, 0
        KICK    0
        call    print_nl
        call    vio_init
        ; 21 ------------------------------------------------------------
        PUTS    `hostile: 21 loop 0->1->1 (writable):`
        call    clear_io
        SET_HDR VBLK_T_IN, 2
        DESC    0, VIO_HDR, 16, VQ_NEXT, 1
        DESC    1, BUF_IO, 512, VQ_WRITE | VQ_NEXT, 1
        KICK    0
        call    print_sum512
        call    print_nl
        call    vio_init
        ; 22 ------------------------------------------------------------
        PUTS    `hostile: 22 read lba=2:`
        call    read_lba2
        PUTS    `hostile: done\n`
        jmp     guest_halt

; read_lba2: read sector 2 into BUF_IO, print the results, the sum and the
; comparison with the pattern at BUF_IO2 (" data ok" / " data MISMATCH").
read_lba2:
        call    clear_io
        SET_HDR VBLK_T_IN, 2
        CHAIN3  BUF_IO, 512, VQ_WRITE
        KICK    0
        call    print_sum512
        mov     si, BUF_IO
        mov     di, BUF_IO2
        mov     cx, 512
        call    mem_equal
        jne     .bad
        PUTS    ` data ok\n`
        ret
.bad:   PUTS    ` data MISMATCH\n`
        ret

; check_text: " text ok" when BUF_IO holds "exitlog-hostile\n" x 32, else
; " text MISMATCH"; then the newline.
check_text:
        mov     di, BUF_IO
        mov     bx, 32
.chunk: mov     si, hostile_text
        mov     cx, 16
        call    mem_equal
        jne     .bad
        add     di, 16
        dec     bx
        jnz     .chunk
        PUTS    ` text ok\n`
        ret
.bad:   PUTS    ` text MISMATCH\n`
        ret

; clear_io: zero the 1 KiB data buffer.
clear_io:
        push    di
        push    cx
        mov     di, BUF_IO
        mov     cx, 1024
        call    mem_zero
        pop     cx
        pop     di
        ret

; print_sum512: " sum=0x%08x" of the first 512 bytes of BUF_IO.
print_sum512:
        push    eax
        push    si
        push    cx
        PUTS    ` sum=0x`
        mov     si, BUF_IO
        mov     cx, 512
        call    fletcher32
        call    print_hex32
        pop     cx
        pop     si
        pop     eax
        ret

hostile_text:   db `exitlog-hostile\n`

        GUEST_END
