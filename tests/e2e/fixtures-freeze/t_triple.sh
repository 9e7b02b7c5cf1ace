# t_triple.sh - fixture of tests/e2e/t_harness.sh (not part of the suite):
# its first try records a guest that triple-faults (triple.asm), which is
# what the nested platform's random guest corruption looks like to the
# harness; the host must record it once more in a new sandbox, where the
# second try (the marker is there) records the hello guest and passes.
LIMIT=60
record() {
	marker=$(dirname "$W")/.triple-once
	if [ ! -e "$marker" ]; then
		: > "$marker"
		sync
		nasm -f bin -o "$W/triple.bin" tests/e2e/fixtures-freeze/triple.asm || return 1
		run rec $EXITLOG record -o "$W/triple.db" "$W/triple.bin"
		return 0
	fi
	run rec $EXITLOG record -o "$W/hello.db" $G/hello.bin
}
check() {
	check_eq "second try: hello console" "$(cat "$W/rec.out")" "Hello from exitlog guest"
}
