; edge.asm - ATA and port-IO edge cases, then a reset through the i8042.
;
; Disk: the primary master, any size >= 16 sectors and < 2^28 sectors.
; LBA 8..9 are overwritten with the pattern (key 0xa5):
;   byte i (0..511) of sector s (0..1) = ((s*7 + i) & 0xff) ^ 0xa5
;
; Steps (see ata.inc for the exact IN/OUT sequence of each building block):
;   1. device control = nIEN                              (OUT 0x3f6 = 0x02)
;   2. IDENTIFY DEVICE -> "edge: sectors=0x%08x\n" (words 60-61)
;   3. WRITE SECTORS LBA 8 count 2 with ONE "rep outsw" of 512 words: the
;      device must take the data of two consecutive sectors in one string
;      instruction (a single DRQ poll before it, none between the sectors);
;      then poll status until BSY clears (edge_check_done).
;      -> "edge: write lba=8 n=2 sum=0x%08x\n"   (Fletcher-32, 0xd52dfe01)
;   4. clear the buffer; READ SECTORS LBA 8 count 2 with ONE "rep insw" of
;      512 words (one DRQ poll before it), then poll status until BSY clears.
;      The buffer at 0x9000 is page aligned so that KVM turns this into a
;      single exit with count 512.
;      -> "edge: read  lba=8 n=2 sum=0x%08x\n"
;      -> "edge: rw ok\n" (sums equal and the bytes equal the pattern)
;         or "edge: rw MISMATCH\n"
;      If DRQ is still set after either string instruction (the device
;      wanted its DRQ blocks one at a time and dropped the rest), the guest
;      prints "edge: transfer incomplete cmd=0x.. status=0x..\n", resets the
;      device with SRST and goes on.  A spec-strict ATA device may do that:
;      for READ/WRITE SECTORS a DRQ block is one sector.  QEMU does (its PIO
;      block IO is asynchronous): see README.md.  exitlog's model must not.
;   5. READ SECTORS count 1 at LBA = IDENTIFY words 60-61, i.e. the first
;      sector past the end.  Poll status until BSY clears, read the error
;      register once, print both:
;      -> "edge: oob status=0x%02x error=0x%02x\n"
;      A correct device: status bit 0 (ERR) set, error bits 4 (IDNF) and
;      2 (ABRT) set: exitlog answers status=0x41 error=0x14 (QEMU 7.2
;      sets ABRT only: status=0x41 error=0x04).
;   6. 32-bit IN from the unclaimed port 0x1234 ("in eax, dx"):
;      -> "edge: in32 port=0x1234 val=0x%08x\n"   (expect 0xffffffff)
;   7. 16-bit IN from the unclaimed port 0x1238 ("in ax, dx"):
;      -> "edge: in16 port=0x1238 val=0x%04x\n"   (expect 0xffff)
;   8. "edge: reset\n", then OUT 0x64 = 0xfe (i8042 pulse reset line),
;      which ends the run; cli; hlt behind it in case the reset is ignored.
;
;   Variant -DEDGE_MULTIPLE (used by qemu-check.sh only): SET MULTIPLE MODE
;   (0xc6) with 2 sectors per DRQ block first, then READ/WRITE MULTIPLE
;   (0xc4/0xc5) instead of READ/WRITE SECTORS: the same single string
;   instructions are then within the ATA spec, so QEMU can be the reference
;   for the remaining steps.  Same console output.

[bits 16]
[org 0x7c00]

        jmp     start               ; entry at 0x7c00: skip the library code

%include "guest.inc"
%include "serial.inc"
%include "ata.inc"

RW_LBA          equ 8
RW_COUNT        equ 2
PATTERN_KEY     equ 0xa5
PORT_IN32       equ 0x1234          ; unclaimed: 32-bit IN
PORT_IN16       equ 0x1238          ; unclaimed: 16-bit IN
I8042_CMD       equ 0x64
I8042_RESET     equ 0xfe
DEVCTL_SRST     equ 0x04
CMD_SETMULT     equ 0xc6            ; SET MULTIPLE MODE
%ifdef EDGE_MULTIPLE
EDGE_CMD_WRITE  equ 0xc5            ; WRITE MULTIPLE
EDGE_CMD_READ   equ 0xc4            ; READ MULTIPLE
%else
EDGE_CMD_WRITE  equ CMD_WRITE       ; WRITE SECTORS (0x30)
EDGE_CMD_READ   equ CMD_READ        ; READ SECTORS (0x20)
%endif

start:
        GUEST_START
        call    ata_init

        ; --- IDENTIFY ---------------------------------------------------
        mov     di, BUF_IDENT
        call    ata_identify        ; EAX = words 60-61
        PUTS    `edge: sectors=0x`
        call    print_hex32
        call    print_nl
        cmp     eax, 16
        jae     .size_ok
        PUTS    `edge: disk too small\n`
        jmp     guest_halt
.size_ok:

        ; --- pattern ----------------------------------------------------
        mov     di, BUF_REF
        mov     cx, RW_COUNT
        mov     ah, PATTERN_KEY
        call    fill_pattern
        mov     di, BUF_IO
        call    fill_pattern
        mov     si, BUF_IO
        mov     cx, RW_COUNT * 512
        call    fletcher32
        mov     [sum_write], eax

%ifdef EDGE_MULTIPLE
        ; --- (QEMU reference variant) SET MULTIPLE MODE: 2 sectors/DRQ ---
        xor     ebx, ebx
        mov     cl, RW_COUNT
        mov     al, CMD_SETMULT
        call    ata_cmd
        call    ata_check_done
%endif

        ; --- WRITE LBA 8 count 2: one rep outsw of 512 words ------------
        mov     ebx, RW_LBA
        mov     cl, RW_COUNT
        mov     al, EDGE_CMD_WRITE
        call    ata_cmd
        call    ata_wait_drq
        jc      ata_fail
        mov     si, BUF_IO
        mov     cx, RW_COUNT * 256
        mov     dx, ATA_DATA
        rep     outsw               ; both sectors in one string instruction
        call    edge_check_done     ; BSY clear, no ERR/DF, no DRQ left
        PUTS    `edge: write lba=8 n=2 sum=0x`
        mov     eax, [sum_write]
        call    print_hex32
        call    print_nl

        ; --- READ LBA 8 count 2: one rep insw of 512 words --------------
        mov     di, BUF_IO
        mov     cx, RW_COUNT * 512
        call    mem_zero
        mov     ebx, RW_LBA
        mov     cl, RW_COUNT
        mov     al, EDGE_CMD_READ
        call    ata_cmd
        call    ata_wait_drq
        jc      ata_fail
        mov     di, BUF_IO
        mov     cx, RW_COUNT * 256
        mov     dx, ATA_DATA
        rep     insw                ; both sectors in one string instruction
        call    edge_check_done     ; BSY clear, no ERR/DF, no DRQ left
        mov     si, BUF_IO
        mov     cx, RW_COUNT * 512
        call    fletcher32
        mov     [sum_read], eax
        PUTS    `edge: read  lba=8 n=2 sum=0x`
        call    print_hex32
        call    print_nl
        mov     eax, [sum_write]
        cmp     eax, [sum_read]
        jne     .mismatch
        mov     si, BUF_IO
        mov     di, BUF_REF
        mov     cx, RW_COUNT * 512
        call    mem_equal
        jne     .mismatch
        PUTS    `edge: rw ok\n`
        jmp     .oob
.mismatch:
        PUTS    `edge: rw MISMATCH\n`

        ; --- READ one sector past the end of the disk -------------------
.oob:
        mov     ebx, [ata_sectors]  ; first LBA past the end
        mov     cl, 1
        mov     al, CMD_READ
        call    ata_cmd
        call    ata_wait_bsy        ; AL = status once BSY is clear
        jc      ata_fail            ; timeout / no device only
        mov     [oob_status], al
        mov     dx, ATA_ERROR
        in      al, dx              ; IN 0x1f1: error register
        mov     [oob_error], al
        PUTS    `edge: oob status=0x`
        mov     al, [oob_status]
        call    print_hex8
        PUTS    ` error=0x`
        mov     al, [oob_error]
        call    print_hex8
        call    print_nl

        ; --- 32-bit and 16-bit IN from unclaimed ports ------------------
        mov     dx, PORT_IN32
        in      eax, dx             ; 1 exit, size 4
        mov     [in32_val], eax
        PUTS    `edge: in32 port=0x1234 val=0x`
        mov     eax, [in32_val]
        call    print_hex32
        call    print_nl
        mov     dx, PORT_IN16
        in      ax, dx              ; 1 exit, size 2
        mov     [in16_val], ax
        PUTS    `edge: in16 port=0x1238 val=0x`
        mov     ax, [in16_val]
        call    print_hex16
        call    print_nl

        ; --- reset --------------------------------------------------------
        PUTS    `edge: reset\n`
        mov     al, I8042_RESET
        out     I8042_CMD, al       ; OUT 0x64 = 0xfe: ends the run
        jmp     guest_halt          ; only if the reset did not happen

; edge_check_done: after a whole transfer in one string instruction the
; device must be idle: poll until BSY = 0 (>= 1 IN 0x1f7); ERR or DF ->
; ata_fail.  If DRQ is still set the device did not take (or give) all the
; data in one go: print "edge: transfer incomplete cmd=0x.. status=0x..\n",
; reset the device (SRST: OUT 0x3f6 = 0x06, OUT 0x3f6 = 0x02, poll BSY) so
; that the remaining checks still run, and go on.
edge_check_done:
        call    ata_wait_bsy
        jc      ata_fail
        test    al, ST_ERR | ST_DF
        jnz     ata_fail
        test    al, ST_DRQ
        jz      .done
        PUTS    `edge: transfer incomplete cmd=0x`
        mov     al, [ata_last_cmd]
        call    print_hex8
        PUTS    ` status=0x`
        mov     al, [ata_status]
        call    print_hex8
        call    print_nl
        mov     dx, ATA_DEVCTL
        mov     al, DEVCTL_NIEN | DEVCTL_SRST
        out     dx, al              ; assert SRST
        mov     al, DEVCTL_NIEN
        out     dx, al              ; release SRST
        call    ata_wait_bsy
        jc      ata_fail
.done:  ret

                align 4
sum_write:      dd 0
sum_read:       dd 0
in32_val:       dd 0
in16_val:       dw 0
oob_status:     db 0
oob_error:      db 0

        GUEST_END
