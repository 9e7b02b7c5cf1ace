#!/bin/sh
# samples/distro/mkdata.sh WORKLOAD IMG [MiB] - make a data disk for the
# Debian image's exitlog-workload.service: a zero-filled raw image of MiB
# (default 64) whose first bytes are the workload script, NUL-terminated.
# WORKLOAD is a script ("#!" first line), or a fio job file (*.fio), which
# is wrapped into a script that runs `fio JOBFILE` (its target is the job
# file's filename=, normally /dev/vdb: the script is read before it runs).
set -eu
[ $# -ge 2 ] || { echo "usage: mkdata.sh WORKLOAD IMG [MiB]" >&2; exit 2; }
wl=$1 img=$2 mib=${3:-64}
[ -r "$wl" ] || { echo "mkdata.sh: $wl: cannot read" >&2; exit 2; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
case "$wl" in
*.fio)
	{
		echo '#!/bin/sh'
		echo "cat > /run/exitlog-job.fio <<'EXITLOG_JOB_EOF'"
		cat "$wl"
		echo 'EXITLOG_JOB_EOF'
		echo 'fio /run/exitlog-job.fio'
		echo 'rc=$?'
		echo 'echo "fio: exit $rc"'
		echo 'exit $rc'
	} > "$tmp" ;;
*)
	if [ "$(head -c 2 "$wl")" != "#!" ]; then
		echo "mkdata.sh: $wl: neither a script (#!) nor a .fio job file" >&2
		exit 2
	fi
	cat "$wl" > "$tmp" ;;
esac
if [ "$(wc -c < "$tmp")" -ge 1048576 ]; then
	echo "mkdata.sh: $wl: workload script over 1 MiB" >&2
	exit 2
fi
rm -f "$img"
truncate -s "${mib}M" "$img"
dd if="$tmp" of="$img" conv=notrunc status=none
