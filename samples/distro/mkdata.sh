#!/bin/sh
# samples/distro/mkdata.sh WORKLOAD IMG [MiB|auto] - make a data disk for the
# Debian image's exitlog-workload.service: a zero-filled raw image of MiB
# whose first bytes are the workload script, NUL-terminated.
# WORKLOAD is a script ("#!" first line), or a fio job file (*.fio), which
# is wrapped into a script that runs `fio JOBFILE` (its target is the job
# file's filename=, normally /dev/vdb: the script is read before it runs).
# auto (the default): 64 MiB, or more when a fio job reaches further: the
# largest offset= + offset_increment= x (numjobs= - 1) + size= (or
# filesize=, io_size=; the upper end of a range; K/M/G/T as fio reads them,
# powers of 1024; percentages are of the disk and ignored) plus 1 MiB.
set -eu
[ $# -ge 2 ] || { echo "usage: mkdata.sh WORKLOAD IMG [MiB|auto]" >&2; exit 2; }
wl=$1 img=$2 mib=${3:-auto}
[ -r "$wl" ] || { echo "mkdata.sh: $wl: cannot read" >&2; exit 2; }

# jobreach FIO: the MiB a job file's options reach on its device (0: none)
jobreach() {
	awk -F= '
	function bytes(v,   n, u) {
		sub(/^[ \t]+/, "", v); sub(/[ \t;#].*$/, "", v)
		if (v ~ /%$/) return 0
		sub(/^.*[-:]/, "", v)             # a range: its upper end
		n = v + 0; u = tolower(v); sub(/^[0-9.]+/, "", u); u = substr(u, 1, 1)
		if (u == "k") n *= 1024; else if (u == "m") n *= 1048576
		else if (u == "g") n *= 1073741824; else if (u == "t") n *= 1099511627776
		return n
	}
	/^[ \t]*[;#]/ { next }
	{
		k = $1; gsub(/[ \t]/, "", k); k = tolower(k)
		if (k == "size" || k == "filesize" || k == "io_size") { v = bytes($2); if (v > sz) sz = v }
		else if (k == "offset") { v = bytes($2); if (v > off) off = v }
		else if (k == "offset_increment") { v = bytes($2); if (v > inc) inc = v }
		else if (k == "numjobs") { v = $2 + 0; if (v > nj) nj = v }
	}
	END {
		if (nj < 1) nj = 1
		r = off + inc * (nj - 1) + sz
		printf "%d\n", (r > 0 ? int((r + 1048575) / 1048576) + 1 : 0)
	}' "$1"
}
if [ "$mib" = auto ]; then
	mib=64
	case "$wl" in
	*.fio) r=$(jobreach "$wl"); [ "$r" -gt "$mib" ] && mib=$r ;;
	esac
fi
case "$mib" in
''|*[!0-9]*|0) echo "mkdata.sh: $mib: not a size in MiB" >&2; exit 2 ;;
esac
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
