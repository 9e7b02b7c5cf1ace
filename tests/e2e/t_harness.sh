# t_harness.sh - the e2e harness itself: its record phase (tests/e2e/run.sh
# --record) runs on the fixtures in tests/e2e/fixtures/: t_spin (a guest that
# spins forever, LIMIT=60) must be reported as TIMED OUT in about 60 s with a
# diagnosis (processes with the recorder among them, free memory, the test's
# output) and killed, and t_tail (hello.bin) must still be recorded after it.
LIMIT=200
record() {
	start=$(date +%s)
	E2E_DIR=tests/e2e/fixtures E2E_ONLY= E2E_LIST= E2E_BASE= E2E_TOTAL= E2E_LIMIT=180 sh tests/e2e/run.sh --record "$W/fx" > "$W/harness.out" 2>&1
	echo "$(( $(date +%s) - start ))" > "$W/harness.secs"
}
check() {
	fx=$W/fx
	sed 's/^/    | /' "$W/harness.out" | head -n 12
	check_eq "spin fixture: status" "$(cat "$fx/t_spin/record.status" 2>/dev/null)" timeout
	# the limit fires at 60 s (polled every 0.5 s); the diagnosis and the
	# kill (SIGTERM, SIGKILL 5 s later) take a few seconds more
	fired=$(cut -d' ' -f3 "$fx/t_spin/record.secs" 2>/dev/null)
	secs=$(cut -d' ' -f1 "$fx/t_spin/record.secs" 2>/dev/null)
	if [ -n "$fired" ] && [ "$fired" -ge 60 ] && [ "$fired" -le 62 ] && [ "$secs" -le 90 ]; then
		ok "spin fixture: limit fired at $fired s, stopped at $secs s"
	else
		fail "spin fixture: limit fired at '$fired' s (want 60..62), stopped at '$secs' s (want <= 90)"
	fi
	check_eq "harness printed the timeout" \
		"$(grep -c '^e2e: \[1/2\] t_spin: TIMED OUT after [0-9]* s (limit 60 s); killed' "$W/harness.out")" 1
	d=$fx/t_spin/record.diag
	check_ge "diagnosis lists the spinning recorder" "$(grep -c 'exitlog record -o .*spin.bin' "$d")" 1
	check_eq "diagnosis has free memory" "$(grep -c '^ *Mem: ' "$d")" 1
	# the spinning vCPU thread (its main thread waits for it)
	check_eq "diagnosis shows the recorder's vCPU thread running (R)" \
		"$(awk '$5 == "exitlog-vcpu0" { print substr($3, 1, 1) }' "$d" | sort -u)" R
	check_eq "spin fixture: no recorder left (stopped by the harness)" \
		"$(cat "$fx/t_tail/record.leftover" 2>/dev/null | grep -c spin.bin)" 0
	check_eq "the suite went on: tail fixture recorded" "$(cat "$fx/t_tail/record.status" 2>/dev/null)" ok
	check_eq "tail fixture: hello console" "$(cat "$fx/t_tail/rec.out" 2>/dev/null)" "Hello from exitlog guest"
	check_eq "harness printed the tail's start and end" \
		"$(grep -c -e '^e2e: \[2/2\] t_tail: recording' -e '^e2e: \[2/2\] t_tail: recorded' "$W/harness.out")" 2
	check_with_kvm_mode
	check_freeze_retry
}
# The host's KVM decides where the record phase runs: natively only on a
# hardware KVM (kvm_intel/kvm_amd).  A kvm_pvm /dev/kvm hangs a stock Linux
# guest in KVM_RUN, which hung t_linux (and `make test`) before with-kvm
# knew it.  Checked by behaviour: where does a command actually run?
check_with_kvm_mode() {
	want=sandbox
	if [ -z "${EXITLOG_FORCE_SANDBOX:-}" ] && [ -c /dev/kvm ] &&
	   { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
		want=native
	fi
	got=$(EXITLOG_SANDBOX_TIMEOUT=300 scripts/with-kvm sh -c 'if [ -n "${EXITLOG_IN_SANDBOX:-}" ]; then echo sandbox; else echo native; fi' 2>&1)
	check_eq "with-kvm on this host ($(scripts/with-kvm --mode)): a command runs" "$got" "$want"
}

# The host's side of the harness: tests/e2e/fixtures-freeze/t_freeze stops
# the in-sandbox harness on its first try (as a frozen L1 would).  The host
# must notice (no heartbeat for E2E_SILENCE 20 s), stop that sandbox, boot a new one
# where t_freeze records on its second try, and go on with t_next.
# t_triple's first try records a guest that triple-faults: the host must
# record it once more in a new sandbox, note it, and keep the first try.
check_freeze_retry() {
	fw=build/e2e-fixtures-freeze
	E2E_DIR=tests/e2e/fixtures-freeze E2E_ONLY= E2E_GRACE=15 E2E_SILENCE=20 E2E_LIMIT=120 \
		EXITLOG_SANDBOX_TIMEOUT=300 sh tests/e2e/run.sh > "$W/freeze.out" 2>&1
	frc=$?
	sed 's/^/    | /' "$W/freeze.out" | grep -v -e '^    |     ' -e 'with-kvm:   ' | head -n 20
	check_eq "frozen harness: the run's status" "$frc" 0
	check_eq "the host stopped the frozen sandbox" \
		"$(grep -c '^e2e: t_freeze: no output (not even its heartbeat) for 20 s: the sandbox stopped responding' "$W/freeze.out")" 1
	check_eq "t_freeze got one more try in a new sandbox" \
		"$(grep -c '^e2e: t_freeze: the sandbox froze; t_freeze gets one more try' "$W/freeze.out")" 1
	check_eq "the check phase notes the freeze" \
		"$(grep -c "^  note: the sandbox froze during this test's first try" "$W/freeze.out")" 1
	check_eq "t_triple: its guest's triple fault got one more try in a new sandbox" \
		"$(grep -c '^e2e: a guest triple-faulted during: t_triple; try 2 of 3, in a new sandbox' "$W/freeze.out")" 1
	check_eq "the check phase notes the triple fault, and keeps the first try" \
		"$(grep -c "^  note: the guest triple-faulted in 1 try before this one and the test was recorded again" "$W/freeze.out") $(ls "$fw/.try1-t_triple/triple.db" 2>/dev/null | wc -l)" "1 1"
	check_eq "the summary names it" \
		"$(grep -c '^e2e: the guest triple-faulted on an earlier try of: t_triple;' "$W/freeze.out")" 1
	check_eq "the three fixtures passed (second tries, next test)" \
		"$(grep -c '^e2e: 3 passed, 0 failed' "$W/freeze.out")" 1
	check_eq "no fixture process left" "$(pgrep -f 'fixtures-freeze' | wc -l)" 0
}
