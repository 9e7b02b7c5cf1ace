# t_badinput.sh - bad input to `record`: one clear line on stderr, exit 2,
# nothing created or modified.  These fail before KVM is touched, so they
# run on the host in the check phase.
check() {
	db=$W/x.db
	expect_err "missing guest" 2 "nosuch.bin: No such file" $EXITLOG record -o "$db" "$W/nosuch.bin"
	check_eq "no DB after a missing guest" "$(ls "$W" | grep -c x.db)" 0
	expect_err "missing disk" 2 "nosuch.img: No such file" $EXITLOG record -o "$db" --disk "$W/nosuch.img" $G/hello.bin
	check_eq "no DB after a missing disk" "$(ls "$W" | grep -c x.db)" 0
	printf 'abc' > "$W/odd.img"
	expect_err "image not a multiple of 512" 2 "not a non-zero multiple of 512" $EXITLOG record -o "$db" --disk "$W/odd.img" $G/hello.bin
	check_eq "odd image unmodified" "$(cat "$W/odd.img")" abc
	: > "$W/empty.img"
	expect_err "empty image" 2 "not a non-zero multiple of 512" $EXITLOG record -o "$db" --disk "$W/empty.img" $G/hello.bin
	expect_err "directory as guest" 2 "not a regular file" $EXITLOG record -o "$db" "$W"
	echo "precious" > "$db"
	expect_err "existing DB" 2 "already exists" $EXITLOG record -o "$db" $G/hello.bin
	check_eq "existing DB unmodified" "$(cat "$db")" precious
	expect_err "no guest argument" 2 "expected one GUEST" $EXITLOG record -o "$db"
	expect_err "unknown subcommand" 2 "not a command" $EXITLOG frobnicate
	expect_err "bad --mem" 2 "not a size" $EXITLOG record --mem lots $G/hello.bin
	expect_err "bad --virtio-disk option" 2 "unknown option 'fast' (legacy or modern)" $EXITLOG record -o "$db" --virtio-disk "$W/odd.img,fast" $G/hello.bin
	expect_err "--virtio-disk with no path" 2 "no image path" $EXITLOG record -o "$db" --virtio-disk ",legacy" $G/hello.bin
	expect_err "--initrd with a flat guest" 2 "need a Linux guest (bzImage or vmlinux)" $EXITLOG record -o "$W/y.db" --initrd "$G/hello.bin" $G/hello.bin
	# an ELF kernel cut short: refused by its program headers, before KVM
	if [ -f build/guest/vmlinux ]; then
		head -c 1048576 build/guest/vmlinux > "$W/cut.vmlinux"
		expect_err "truncated vmlinux" 2 "vmlinux: segment 0 (offset 0x200000, " $EXITLOG record -o "$W/z.db" "$W/cut.vmlinux"
		check_eq "no DB after a truncated vmlinux" "$(ls "$W" | grep -c z.db)" 0
	else
		fail "build/guest/vmlinux missing (make linux-guest)"
	fi
	check_eq "DB unmodified after all refusals" "$(cat "$db")" precious
	# the check phase runs on the host: without /dev/kvm there, record says so
	if [ ! -e /dev/kvm ]; then
		expect_err "no /dev/kvm: names scripts/with-kvm" 2 "run under scripts/with-kvm" $EXITLOG record -o "$W/k.db" $G/hello.bin
		check_eq "no /dev/kvm: no database" "$(ls "$W" | grep -c k.db)" 0
	fi
}
