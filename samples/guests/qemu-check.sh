#!/bin/sh
# qemu-check.sh - run the sample guests under QEMU (TCG, no KVM needed) as a
# reference for exitlog's device models, and check their console output.
#
#   samples/guests/qemu-check.sh [GUEST...]     default: all of them
#   env: QEMU (qemu-system-x86_64), DISK_SECTORS (8192), KEEP=1 (keep the
#        work directory: disk images, console logs), VERBOSE=1 (print logs),
#        TRACE=1 (count the guest's port accesses with QEMU's
#        memory_region_ops trace events and print a table per guest: one
#        row per direction, port and size; a string instruction counts one
#        access per element, i.e. these are instructions' accesses, not
#        KVM exits - see README.md for how KVM batches them)
#
# QEMU is not exitlog's machine: it has a BIOS.  So each guest is put on a
# floppy behind a 1-sector boot stub.  SeaBIOS loads the stub at 0x7c00; the
# stub moves itself to 0x0600, loads the guest from the floppy (sectors
# 2..) to 0x7c00 with INT 13h, recreates exitlog's start state (IF=0, all
# segments 0, SP=0x7c00) and jumps to 0000:7c00.  The test disk (a zero-
# filled raw image, DISK_SECTORS sectors) is the IDE primary master, as
# with exitlog --disk.  COM1 goes to a file.
#
# A run ends when QEMU exits (edge resets the machine; -no-reboot turns the
# reset into an exit) or when the console has been quiet for 3 seconds
# (cli; hlt leaves QEMU idling), or after 60 seconds.
#
# Exit status: 0 when every checked guest printed what README.md says.
set -u

here=$(cd "$(dirname "$0")" && pwd)
QEMU=${QEMU:-qemu-system-x86_64}
DISK_SECTORS=${DISK_SECTORS:-8192}
command -v nasm >/dev/null || { echo "qemu-check: nasm not found" >&2; exit 2; }
command -v "$QEMU" >/dev/null || { echo "qemu-check: $QEMU not found" >&2; exit 2; }
command -v python3 >/dev/null || { echo "qemu-check: python3 not found" >&2; exit 2; }

work=$(mktemp -d /tmp/qemu-check.XXXXXX)
if [ "${KEEP:-0}" = 1 ]; then
	echo "qemu-check: work directory $work"
else
	trap 'rm -rf "$work"' EXIT
fi

# The boot stub.  NSECT (guest size in sectors, <= 17: track 0, head 0) is
# passed with -D.
cat > "$work/stub.asm" <<'EOF'
[bits 16]
[org 0x0600]
        cli
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 0x7000
        cld
        mov     si, 0x7c00          ; move the stub out of the guest's way
        mov     di, 0x0600
        mov     cx, 256
        rep     movsw
        jmp     0:reloc
reloc:  sti                         ; the BIOS floppy driver needs IRQ 6
        mov     [drive], dl
        mov     byte [tries], 4
.read:  mov     ax, 0x0200 | NSECT  ; AH=2 read, AL=sectors
        mov     cx, 0x0002          ; cylinder 0, sector 2
        xor     dh, dh              ; head 0
        mov     dl, [drive]
        mov     bx, 0x7c00          ; ES:BX = 0000:7c00
        int     0x13
        jnc     .go
        xor     ah, ah              ; reset the drive, retry
        mov     dl, [drive]
        int     0x13
        dec     byte [tries]
        jnz     .read
        mov     si, msg_fail
.puts:  lodsb                       ; report on COM1 and stop
        test    al, al
        jz      .stop
        mov     dx, 0x3f8
        out     dx, al
        jmp     .puts
.stop:  cli
        hlt
        jmp     .stop
.go:    cli                         ; exitlog's start state
        mov     dx, 0x04f0          ; marker for TRACE=1: the guest starts
        mov     al, 0xe1            ; (an unclaimed port on QEMU's pc)
        out     dx, al
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 0x7c00
        jmp     0:0x7c00
drive:  db 0
tries:  db 0
msg_fail: db `qemu-check: INT 13h failed\n`, 0
        times 510 - ($ - $$) db 0
        dw 0xaa55
EOF

# run_guest TAG NAME [NASM-FLAGS...]: assemble NAME.asm, boot it, leave the
# console output in $work/TAG.out and the disk in $work/TAG.img.
run_guest() {
	tag=$1; src=$2; shift 2
	bin=$work/$tag.bin
	nasm -f bin -I "$here/" "$@" -o "$bin" "$here/$src.asm" || return 1
	size=$(wc -c < "$bin")
	nsect=$(( (size + 511) / 512 ))
	if [ "$nsect" -gt 17 ]; then
		echo "qemu-check: $src is too big for the stub ($size bytes)" >&2
		return 1
	fi
	nasm -f bin -DNSECT="$nsect" -o "$work/stub.bin" "$work/stub.asm" || return 1
	floppy=$work/$tag.fd
	cat "$work/stub.bin" "$bin" > "$floppy"
	truncate -s 1474560 "$floppy"
	disk=$work/$tag.img
	rm -f "$disk"
	truncate -s $((DISK_SECTORS * 512)) "$disk"
	out=$work/$tag.out
	: > "$out"
	trace_args=
	if [ "${TRACE:-0}" = 1 ]; then
		rm -f "$work/$tag.trace"
		trace_args="-trace memory_region_ops_read -trace memory_region_ops_write -D $work/$tag.trace"
	fi
	# $trace_args is split on purpose ($work has no blanks: mktemp).
	# shellcheck disable=SC2086
	"$QEMU" -machine pc -accel tcg -m 256 -display none -vga none \
		-no-reboot -no-user-config -nodefaults \
		-drive file="$floppy",format=raw,if=floppy,index=0 \
		-drive file="$disk",format=raw,if=ide,index=0 \
		-boot a -serial file:"$out" -monitor none $trace_args \
		> "$work/$tag.qemu.log" 2>&1 &
	qpid=$!
	last=-1; quiet=0; waited=0
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 0.5
		waited=$((waited + 1))
		cur=$(wc -c < "$out")
		if [ "$cur" = "$last" ] && [ "$cur" -gt 0 ]; then
			quiet=$((quiet + 1))
		else
			quiet=0
		fi
		last=$cur
		if [ "$quiet" -ge 6 ] || [ "$waited" -ge 120 ]; then
			kill "$qpid" 2>/dev/null
			break
		fi
	done
	wait "$qpid" 2>/dev/null
	if [ "${TRACE:-0}" = 1 ]; then
		echo "---- $tag: port accesses after the guest's start ----"
		summarize_trace "$work/$tag.trace"
	fi
	if [ "${VERBOSE:-0}" = 1 ]; then
		echo "---- $tag console ----"
		cat "$out"
	fi
	return 0
}

# summarize_trace FILE: count IN/OUT per (direction, port, size) after the
# stub's marker (OUT 0x4f0 = 0xe1); the ATA command block writes are also
# listed in order.
summarize_trace() {
	python3 - "$1" <<'EOF'
import re, sys, collections
pat = re.compile(r"memory_region_ops_(read|write) .* addr (0x[0-9a-f]+) value (0x[0-9a-f]+) size (\d+) name '([^']*)'")
started, counts, cmdblk = False, collections.Counter(), []
for line in open(sys.argv[1], errors="replace"):
    m = pat.search(line)
    if not m:
        continue
    rw, addr, val, size, name = m.group(1), int(m.group(2), 16), int(m.group(3), 16), int(m.group(4)), m.group(5)
    if not started:
        started = rw == "write" and addr == 0x4f0 and val == 0xe1
        continue
    if addr >= 0x10000:      # memory, not port IO
        continue
    counts[("IN " if rw == "read" else "OUT", addr, size, name)] += 1
    if rw == "write" and 0x1f1 <= addr <= 0x1f7:
        cmdblk.append("%x=%02x" % (addr, val))
for (d, addr, size, name), n in sorted(counts.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    print("    %-3s 0x%04x size %d  %7d   %s" % (d, addr, size, n, name))
print("    ATA command-block OUTs in order (port=value):")
for i in range(0, len(cmdblk), 6):
    print("      " + " ".join(cmdblk[i:i + 6]))
EOF
}

fail=0
# expect NAME: compare $work/NAME.out with the expected text on stdin.
expect() {
	if printf '%s' "$(cat)" | cmp -s - "$work/$1.out.cmp"; then
		echo "PASS $1"
	else
		echo "FAIL $1: console differs from README.md"
		echo "---- got ----"; cat "$work/$1.out"
		fail=1
	fi
}
# The console with the last "\n" removed (for the comparison above).
trimmed() { python3 -c 'import sys; sys.stdout.write(open(sys.argv[1]).read().rstrip("\n"))' "$work/$1.out" > "$work/$1.out.cmp"; }

sect_hex=$(printf '%08x' "$DISK_SECTORS")

# check_disk NAME LBA COUNT KEY: the disk holds the pattern at LBA..LBA+COUNT-1.
check_disk() {
	python3 - "$work/$1.img" "$2" "$3" "$4" <<'EOF'
import sys
img, lba, n, key = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4], 0)
with open(img, "rb") as f:
    f.seek(lba * 512)
    got = f.read(n * 512)
want = bytes((((s * 7 + i) & 0xff) ^ key) for s in range(n) for i in range(512))
sys.exit(0 if got == want else 1)
EOF
}

# QEMU (7.2, hw/ide/core.c ide_rw_error -> ide_abort_command) reports a
# request past the end with ABRT alone: error 0x04.  exitlog's model, like
# a real drive, adds IDNF: error 0x14 (README.md).  Status 0x41 on both.
edge_expected() {
	cat <<EOF
edge: sectors=0x$sect_hex
edge: write lba=8 n=2 sum=0xd52dfe01
edge: read  lba=8 n=2 sum=0xd52dfe01
edge: rw ok
edge: oob status=0x41 error=0x04
edge: in32 port=0x1234 val=0xffffffff
edge: in16 port=0x1238 val=0xffff
edge: reset
EOF
}

guests=${*:-hello ata-rw edge storm cpuid identify}
for g in $guests; do
	run_guest "$g" "$g" || { echo "FAIL $g: could not run"; fail=1; continue; }
	trimmed "$g"
	case $g in
	hello)
		printf 'Hello from exitlog guest\n' | expect hello ;;
	ata-rw)
		expect ata-rw <<EOF
ata: sectors=0x$sect_hex
ata: write lba=1 n=4 sum=0xd599fc03
ata: read  lba=1 n=4 sum=0xd599fc03
ata: read  lba=0 n=1 sum=0x00000000
ata: ok
EOF
		if check_disk ata-rw 1 4 0x5a; then echo "PASS ata-rw disk (LBA 1-4 hold the pattern)"
		else echo "FAIL ata-rw disk: LBA 1-4 do not hold the pattern"; fail=1; fi ;;
	edge)
		# READ/WRITE SECTORS with one string instruction for 2 sectors:
		# QEMU wants one DRQ block (sector) at a time and its PIO block
		# IO is asynchronous, so it may drop the rest.  Informational.
		echo "INFO edge (READ/WRITE SECTORS, one rep per 2 sectors), QEMU says:"
		sed 's/^/    /' "$work/edge.out"
		# The spec-conformant variant must match README.md exactly.
		if run_guest edge-multiple edge -DEDGE_MULTIPLE; then
			trimmed edge-multiple
			edge_expected | expect edge-multiple
			if check_disk edge-multiple 8 2 0xa5; then echo "PASS edge-multiple disk (LBA 8-9 hold the pattern)"
			else echo "FAIL edge-multiple disk: LBA 8-9 do not hold the pattern"; fail=1; fi
		else
			echo "FAIL edge-multiple: could not run"; fail=1
		fi ;;
	storm)
		printf 'storm: done\n' | expect storm ;;
	cpuid)
		if grep -q '^cpuid: done$' "$work/cpuid.out"; then echo "PASS cpuid"
		else echo "FAIL cpuid"; fail=1; fi
		sed 's/^/    /' "$work/cpuid.out" ;;
	identify)
		if grep -q '^ident: done$' "$work/identify.out"; then echo "PASS identify"
		else echo "FAIL identify"; fail=1; fi
		sed 's/^/    /' "$work/identify.out" ;;
	*)
		echo "---- $g (not checked) ----"; cat "$work/$g.out" ;;
	esac
done
exit $fail
