; ata-rw.asm - ATA PIO reader/writer: IDENTIFY, WRITE 4 sectors, FLUSH,
; READ them back, READ sector 0, compare.
;
; Disk: the primary master (0x1f0-0x1f7, 0x3f6), any size >= 16 sectors
; (the tests attach a zero-filled raw image of 8192 sectors).  LBA 1..4 are
; overwritten with the pattern; sector 0 is only read.
;
; Steps (see ata.inc for the exact IN/OUT sequence of each step):
;   1. device control = nIEN                     (OUT 0x3f6 = 0x02)
;   2. IDENTIFY DEVICE (0xec), 256 words at 0xb000; words 60-61 = sectors
;      -> "ata: sectors=0x%08x\n"
;   3. fill 4 sectors at 0x9000 with the pattern, key 0x5a:
;        byte i (0..511) of sector s (0..3) = ((s*7 + i) & 0xff) ^ 0x5a
;      (s is the index inside the transfer: s = 0 goes to LBA 1)
;   4. WRITE SECTORS (0x30) LBA 1 count 4: one command, one "rep outsw" of
;      256 words per sector, each after its own DRQ poll; final status poll
;   5. FLUSH CACHE (0xe7), final status poll
;      -> "ata: write lba=1 n=4 sum=0x%08x\n"  (checksum of the 2048 bytes sent)
;   6. clear the buffer; READ SECTORS (0x20) LBA 1 count 4: one command, one
;      "rep insw" of 256 words per sector, each after its own DRQ poll
;      -> "ata: read  lba=1 n=4 sum=0x%08x\n"  (checksum of the 2048 bytes read)
;   7. READ SECTORS LBA 0 count 1 into 0xa000
;      -> "ata: read  lba=0 n=1 sum=0x%08x\n"
;   8. "ata: ok\n" when the write and read checksums are equal AND the bytes
;      read equal the pattern byte for byte; otherwise "ata: MISMATCH\n"
;   9. cli; hlt
; Checksum ("sum"): Fletcher-32 over bytes, see fletcher32 in ata.inc:
;   a = b = 0; for each byte x: a = (a+x) % 65535; b = (b+a) % 65535;
;   sum = b << 16 | a.   Pattern key 0x5a, 4 sectors: sum = 0xd599fc03.
;   A zero-filled sector 0: sum = 0x00000000.
; Any ATA failure prints "ata: error ..." / "ata: timeout ..." /
; "ata: no device" (ata_fail) and halts; a disk under 16 sectors prints
; "ata: disk too small\n" and halts.

[bits 16]
[org 0x7c00]

        jmp     start               ; entry at 0x7c00: skip the library code

%include "guest.inc"
%include "serial.inc"
%include "ata.inc"

WR_LBA          equ 1
WR_COUNT        equ 4
PATTERN_KEY     equ 0x5a

start:
        GUEST_START
        call    ata_init

        ; --- IDENTIFY ---------------------------------------------------
        mov     di, BUF_IDENT
        call    ata_identify        ; EAX = words 60-61
        PUTS    `ata: sectors=0x`
        call    print_hex32
        call    print_nl
        cmp     eax, 16
        jae     .size_ok
        PUTS    `ata: disk too small\n`
        jmp     guest_halt
.size_ok:

        ; --- reference pattern and the buffer to write ------------------
        mov     di, BUF_REF
        mov     cx, WR_COUNT
        mov     ah, PATTERN_KEY
        call    fill_pattern
        mov     di, BUF_IO
        call    fill_pattern
        mov     si, BUF_IO
        mov     cx, WR_COUNT * 512
        call    fletcher32
        mov     [sum_write], eax

        ; --- WRITE LBA 1 count 4, FLUSH ---------------------------------
        mov     ebx, WR_LBA
        mov     cl, WR_COUNT
        mov     si, BUF_IO
        call    ata_write
        call    ata_flush
        PUTS    `ata: write lba=1 n=4 sum=0x`
        mov     eax, [sum_write]
        call    print_hex32
        call    print_nl

        ; --- clear, READ LBA 1 count 4 ----------------------------------
        mov     di, BUF_IO
        mov     cx, WR_COUNT * 512
        call    mem_zero
        mov     ebx, WR_LBA
        mov     cl, WR_COUNT
        mov     di, BUF_IO
        call    ata_read
        mov     si, BUF_IO
        mov     cx, WR_COUNT * 512
        call    fletcher32
        mov     [sum_read], eax
        PUTS    `ata: read  lba=1 n=4 sum=0x`
        call    print_hex32
        call    print_nl

        ; --- READ LBA 0 count 1 -----------------------------------------
        xor     ebx, ebx
        mov     cl, 1
        mov     di, BUF_IO2
        call    ata_read
        mov     si, BUF_IO2
        mov     cx, 512
        call    fletcher32
        PUTS    `ata: read  lba=0 n=1 sum=0x`
        call    print_hex32
        call    print_nl

        ; --- verdict ----------------------------------------------------
        mov     eax, [sum_write]
        cmp     eax, [sum_read]
        jne     .mismatch
        mov     si, BUF_IO
        mov     di, BUF_REF
        mov     cx, WR_COUNT * 512
        call    mem_equal
        jne     .mismatch
        PUTS    `ata: ok\n`
        jmp     guest_halt
.mismatch:
        PUTS    `ata: MISMATCH\n`
        jmp     guest_halt

                align 4
sum_write:      dd 0
sum_read:       dd 0

        GUEST_END
