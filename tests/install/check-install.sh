#!/bin/sh
# check-install.sh - `make install DESTDIR=...` into a temporary directory,
# then check what it installed: the binary runs, a man page per subcommand
# that `man -l` renders without warnings and that names the command, the
# bash completion (sourced by bash, completes the subcommands), the schema
# files.  Prints "install: ok ..." and exits 0, or one line per problem, 1.
set -u
d=$(mktemp -d /tmp/exitlog-install.XXXXXX)
trap 'rm -rf "$d"' EXIT
fails=0
bad() { echo "install: $*"; fails=$((fails + 1)); }
make --no-print-directory install DESTDIR="$d" PREFIX=/usr/local > "$d.log" 2>&1 ||
	{ cat "$d.log"; rm -f "$d.log"; echo "install: make install failed"; exit 1; }
rm -f "$d.log"
p=$d/usr/local
"$p/bin/exitlog" --version | grep -q '^exitlog ' || bad "bin/exitlog --version"
cmds=$("$p/bin/exitlog" --help | sed -n 's/^  \([a-z]*\) .*/\1/p')
[ -n "$cmds" ] || bad "no subcommands in exitlog --help"
pages=0
for c in "" $cmds; do
	page=$p/share/man/man1/exitlog${c:+-$c}.1
	if [ ! -f "$page" ]; then
		bad "no man page for '${c:-exitlog}'"
		continue
	fi
	out=$(MANWIDTH=80 LC_ALL=C.UTF-8 man -l "$page" 2> "$d/man.err")
	[ -s "$d/man.err" ] && bad "man -l $page: $(head -1 "$d/man.err")"
	echo "$out" | grep -q "exitlog${c:+-$c}" || bad "man -l $page does not name the command"
	echo "$out" | grep -q "EXIT STATUS" || bad "$page has no EXIT STATUS section"
	[ -n "$c" ] && { "$p/bin/exitlog" "$c" --help > /dev/null || bad "exitlog $c --help failed"; }
	pages=$((pages + 1))
done
comp=$p/share/bash-completion/completions/exitlog
got=$(bash -c ". '$comp'; COMP_WORDS=(exitlog rep); COMP_CWORD=1; _exitlog; echo \"\${COMPREPLY[*]}\"" 2>&1)
[ "$got" = "replay report" ] || bad "bash completion of 'exitlog rep': got '$got'"
for f in schema/*.sql schema/queries/*.sql; do
	cmp -s "$f" "$p/share/exitlog/$f" || bad "$f not installed"
done
[ "$fails" = 0 ] || exit 1
echo "install: ok: bin/exitlog, $pages man pages (man -l clean), bash completion, $(ls "$p/share/exitlog/schema" "$p/share/exitlog/schema/queries" | grep -c '\.sql$') schema files"
