# lib.sh - helpers for the end-to-end tests (sourced by tests/e2e/run.sh).
#
# Each tests/e2e/t_NAME.sh defines two functions:
#   record  - the commands that need KVM; run inside one `scripts/with-kvm`
#             session for all tests (natively when /dev/kvm exists, else in
#             the nested sandbox, where every process runs under TCG and is
#             slow: keep it to the exitlog runs themselves)
#   check   - the assertions, run on the host afterwards
# Both see $W (this test's work directory, kept between the phases), $G (the
# sample guests) and $EXITLOG.  `run` records a command's stdout, stderr and
# exit status as $W/NAME.out, .err, .rc.

EXITLOG=${EXITLOG:-build/exitlog}
G=build/guests

ok()   { checks=$((checks + 1)); echo "  ok   $*"; }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "  FAIL $*"; }

# run NAME CMD... - run CMD, keeping its stdout/stderr/status in $W/NAME.*
run() {
	_run=$1; shift
	"$@" > "$W/$_run.out" 2> "$W/$_run.err"
	echo $? > "$W/$_run.rc"
}

# check_eq WHAT GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1 = $3"; else fail "$1: got '$2', want '$3'"; fi
}

# check_ge WHAT GOT MIN
check_ge() {
	if [ "$2" -ge "$3" ] 2>/dev/null; then ok "$1 = $2 (>= $3)"; else fail "$1: got '$2', want >= $3"; fi
}

# q DB SQL - the answer of the stock sqlite3 shell
q() { sqlite3 -batch -noheader "$1" "$2"; }

# zero_image PATH SECTORS
zero_image() { dd if=/dev/zero of="$1" bs=512 count="$2" status=none; }

# sha_of FILE [SKIP_SECTORS COUNT_SECTORS]
sha_of() {
	if [ $# -eq 3 ]; then
		dd if="$1" bs=512 skip="$2" count="$3" status=none | sha256sum | cut -d' ' -f1
	else
		sha256sum "$1" | cut -d' ' -f1
	fi
}

# zero_sha SECTORS - sha256 of that many zero sectors
zero_sha() { dd if=/dev/zero bs=512 count="$1" status=none | sha256sum | cut -d' ' -f1; }

# gapless DB - the seqs of exits and events together are 1..N (no seq in
# both) and meta.exit_count is the number of exits
gapless() {
	ev=$(q "$1" "SELECT count(*) FROM sqlite_master WHERE name='events'")
	u="SELECT seq FROM exits"
	[ "$ev" = 1 ] && u="$u UNION ALL SELECT seq FROM events"
	n=$(q "$1" "SELECT count(*) FROM ($u)")
	d=$(q "$1" "SELECT count(DISTINCT seq) FROM ($u)")
	mx=$(q "$1" "SELECT coalesce(max(seq),0) FROM ($u)")
	mn=$(q "$1" "SELECT coalesce(min(seq),0) FROM ($u)")
	ne=$(q "$1" "SELECT count(*) FROM exits")
	mc=$(q "$1" "SELECT value FROM meta WHERE key='exit_count'")
	check_eq "exits+events seq 1..N gapless (min,max,count,distinct), exit_count" "$mn,$mx,$n,$d,$mc" "1,$n,$n,$n,$ne"
}

# expect_err WHAT STATUS PATTERN CMD... - one stderr line matching PATTERN
expect_err() {
	what=$1 want=$2 pat=$3; shift 3
	"$@" > "$W/_o" 2> "$W/_e"; rc=$?
	lines=$(wc -l < "$W/_e")
	if [ "$rc" = "$want" ] && [ "$lines" = 1 ] && grep -q -- "$pat" "$W/_e"; then
		ok "$what: exit $rc, '$(cat "$W/_e")'"
	else
		fail "$what: exit $rc (want $want), $lines stderr lines: $(cat "$W/_e")"
	fi
}

# vring_irq_rule DB DEV - virtio 1.x 2.7.7.2 (no EVENT_IDX) checked on every
# exit and event of a recording in which DEV wrote used->idx: prints "A B",
#   A: such seqs with no read of the avail flags after DEV's last used->idx
#      write of that seq (the suppression flag must be judged AFTER the used
#      ring is updated: the rule issue 18 broke, and the old model's notify
#      read the flags only before serving);
#   B: such seqs whose last avail read after it had NO_INTERRUPT clear but
#      left DEV's line low (a notification the device MUST send).
# In the dma rows a 2-byte device write is used->idx (st16 in virtq_push)
# and a 4-byte device read is avail flags+idx (virtq_avail): nothing else of
# a virtio-blk device has those sizes.
vring_irq_rule() {
	q "$1" "WITH w AS (SELECT seq, max(id) AS id FROM dma WHERE device='$2' AND is_write=1 AND len=2 GROUP BY seq),
	r AS (SELECT w.seq, (SELECT d.data FROM dma d WHERE d.seq=w.seq AND d.device='$2' AND d.is_write=0
	                     AND d.len=4 AND d.id>w.id ORDER BY d.id DESC LIMIT 1) AS avail FROM w),
	l AS (SELECT r.seq, r.avail, (SELECT i.level FROM irqs i WHERE i.device='$2' AND i.seq<=r.seq
	                              ORDER BY i.seq DESC, i.id DESC LIMIT 1) AS level FROM r)
	SELECT sum(avail IS NULL) || ' ' ||
	       sum(avail IS NOT NULL AND substr(hex(avail),2,1) IN ('0','2','4','6','8','A','C','E')
	           AND coalesce(level,0) != 1) FROM l"
}
