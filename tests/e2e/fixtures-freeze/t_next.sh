# t_next.sh - fixture of tests/e2e/t_harness.sh: a test after the frozen one.
record() {
	run rec $EXITLOG record -o "$W/hello.db" $G/hello.bin
}
check() {
	check_eq "hello console" "$(cat "$W/rec.out")" "Hello from exitlog guest"
}
