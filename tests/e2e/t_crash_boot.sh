# t_crash_boot.sh - crash consistency (issue 16), part 2 (part 1 and what
# is checked: t_crash.sh): SIGKILL at 8 more random moments of the storm
# and 2 of the Linux boot (fresh 8 MiB disks per run, killed 5-14 s into
# the recording: kernel start-up, the console).  With t_crash.sh, 22
# SIGKILLs.  The kernel is build/guest/vmlinux, the uncompressed ELF (also
# this suite's test of that boot path): a bzImage spends the first seconds
# decompressing itself without an exit, where a kill would test little.
LIMIT=300
APPEND="console=ttyS0 reboot=k panic=-1"
. tests/e2e/crashlib.sh
record() {
	crash_runs storm2 8 KILL beat 0.05 1.5 -- $EXITLOG record -o @DB@ $G/storm.bin ";;" \
		linux 2 KILL beat 5 14 -- sh -c \
		'truncate -s 8M "$1a.img" "$1b.img" && exec "$2" record -o "$3" --disk "$1a.img" --virtio-disk "$1b.img" --initrd build/guest/initrd.img --append "$4" build/guest/vmlinux' \
		sh @W@ "$EXITLOG" @DB@ "$APPEND"
	rm -f "$W"/linux-*-a.img "$W"/linux-*-b.img
}
check() {
	crash_count storm2 8
	crash_count linux 2
	check_eq "linux: meta guest_kind" "$(for d in "$W"/linux-*.db; do sqlite3 "$d" "SELECT value FROM meta WHERE key='guest_kind'" 2>/dev/null; done | sort -u)" vmlinux
	check_ge "SIGKILLs that hit a running recorder" "$(crash_killed storm2 linux)" 9
	crash_check storm2
	truncate -s 8M "$W/zero-a.img" "$W/zero-b.img"
	crash_check linux --disk "$W/zero-a.img" --disk "$W/zero-b.img"
}
