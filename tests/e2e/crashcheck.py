#!/usr/bin/env python3
"""crashcheck.py - check the recordings of tests/e2e/crashkill.py (check phase
of tests/e2e/t_crash.sh, on the host).  Prints one "ok ..." or "FAIL ..."
line per check and "note ..." lines; t_crash.sh counts them.

    crashcheck.py EXITLOG DIR NAME [REPLAY-ARGS...]

Each run of DIR/NAME.kills is checked by its signal:

KILL  The recording either does not exist (only when the recorder had not
      started recording: no heartbeat line) or opens read-only, passes
      PRAGMA integrity_check, has meta.complete = 0, exits 1..k gapless and
      no other row past seq k+1 (the exit being logged at the kill).  It
      loses at most the last 200 ms: every heartbeat line (mono_ns T,
      records R) 200 ms or more before the kill has R <= the rows the
      database holds (the store's ring is FIFO, so its rows are the first
      records).  Time counts as the recorder's running time: a gap between
      heartbeats longer than GAP_NS (30 ms; the thread beats every 10 ms)
      over which the records did not grow either means the whole process
      was not scheduled (a loaded host starving the sandbox's L1): it
      counts as GAP_NS (their sum is printed).  The
      lost window of a run is below kill - T(a), T(a) the last heartbeat
      whose records are all in the database; its worst is printed.
      `exitlog stat`, `replay` (with REPLAY-ARGS) and `report` exit 0 and
      print exactly one stderr line, the incomplete warning with k.
TERM, INT  The recording was finished: exit status 1 (end_reason
      'signal'), meta.complete = 1, exit_count = k, the summary tables
      exist, no -wal file, the rows are the recorder's final record count,
      and `exitlog stat` prints no warning.
"""
import os
import re
import sqlite3
import subprocess
import sys

TABLES = ("exits", "pio", "mmio", "blk_requests", "irqs", "dma", "exit_info",
          "kernel_exits")
SEQ_TABLES = ("pio", "mmio", "blk_requests", "irqs", "dma", "exit_info")
WINDOW_NS = 200_000_000
GAP_NS = 30_000_000     # 3 heartbeat periods


def say(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    return ok


def beats(err_path):
    out = []
    with open(err_path, errors="replace") as f:
        for line in f:
            m = re.match(r"exitlog: heartbeat mono_ns=(\d+) records=(\d+)$", line.strip())
            if m:
                out.append((int(m.group(1)), int(m.group(2))))
    return out


def one(q, sql):
    return q.execute(sql).fetchone()[0]


def run(argv):
    p = subprocess.run(argv, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def check_cmds(exitlog, db, k, tag, replay_args):
    want = f"warning: recording is incomplete (the recorder was killed or failed " \
           f"before closing it); using the {k} exits it holds"
    for cmd in (["stat", db], ["replay", db] + replay_args,
                ["report", db, "-o", db + ".html"]):
        rc, out, err = run([exitlog] + cmd)
        lines = err.splitlines()
        good = rc == 0 and len(lines) == 1 and lines[0].endswith(want)
        if cmd[0] == "replay":
            good = good and f"the incomplete recording's {k} exits: {k} exits" in out \
                and "clean so far" in out
        if not say(good, f"{tag}: {cmd[0]} works on the prefix with one warning"
                   + ("" if good else f" (exit {rc}, stderr {err!r}, stdout {out[-300:]!r})")):
            return


def check_kill(exitlog, db, kill_ns, err_path, tag, replay_args, worst):
    hb = beats(err_path)
    if not os.path.exists(db):
        return say(not hb, f"{tag}: killed before the recording was created: no database"
                   + ("" if not hb else f" (but {len(hb)} heartbeats)"))
    q = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    say(one(q, "PRAGMA integrity_check") == "ok", f"{tag}: integrity_check ok")
    say(one(q, "SELECT value FROM meta WHERE key='complete'") == "0",
        f"{tag}: meta.complete = 0")
    n, mn, mx = q.execute("SELECT count(*), coalesce(min(seq), 1), coalesce(max(seq), 0)"
                          " FROM exits").fetchone()
    say(mn == 1 and mx == n, f"{tag}: exits 1..{n} gapless (min {mn}, max {mx})")
    tail = max(one(q, f"SELECT coalesce(max(seq), 0) FROM {t}") for t in SEQ_TABLES)
    say(tail <= n + 1, f"{tag}: no row past seq {n + 1} (last {tail})")
    rows = sum(one(q, f"SELECT count(*) FROM {t}") for t in TABLES)
    q.close()
    # the recorder's running time: a heartbeat gap longer than GAP_NS means
    # the whole process (in the sandbox: L1) was not scheduled, and no
    # design commits then; such a gap counts as GAP_NS
    rt, run_t, prev, prev_r = [], 0, None, 0
    for t, r in hb:
        if t > kill_ns:
            break
        if prev is not None:
            # a long gap over which the vCPU put nothing either: not scheduled
            run_t += min(t - prev, GAP_NS) if r == prev_r else t - prev
        rt.append((run_t, t, r))
        prev, prev_r = t, r
    rt_kill = run_t + (min(kill_ns - prev, GAP_NS) if prev is not None else 0)
    idle = (kill_ns - hb[0][0] - rt_kill) if hb else 0
    due = [r for x, t, r in rt if x <= rt_kill - WINDOW_NS]
    miss = [r for r in due if r > rows]
    say(not miss, f"{tag}: holds every record put 200 ms (of the recorder's running"
        f" time) before the kill ({rows} rows, {len(due)} heartbeats due"
        + (f", first missing {miss[0]})" if miss else ")"))
    kept = [(x, t) for x, t, r in rt if r <= rows]
    if hb:
        x_a, t_a = max(kept) if kept else (0, hb[0][0])
        lost = rt_kill - x_a
        worst.append((lost, tag, n))
        print(f"note {tag}: {n} exits, {rows} rows, lost window < {lost / 1e6:.1f} ms"
              f" ({(kill_ns - t_a) / 1e6:.1f} ms of the clock; the recorder was not"
              f" scheduled for {idle / 1e6:.0f} ms of its run)")
    check_cmds(exitlog, db, n, tag, replay_args)


def check_stop(exitlog, db, sig, rc, err_path, tag):
    say(rc == "1", f"{tag}: SIG{sig} ends the recording with status 1 (got {rc})")
    q = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    meta = dict(q.execute("SELECT key, value FROM meta"))
    n = one(q, "SELECT count(*) FROM exits")
    rows = sum(one(q, f"SELECT count(*) FROM {t}") for t in TABLES)
    nsum = one(q, "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'sum_%' AND type='table'")
    q.close()
    say(meta.get("complete") == "1" and meta.get("end_reason") == "signal"
        and meta.get("exit_count") == str(n),
        f"{tag}: complete = 1, end_reason signal, exit_count = {n}"
        f" (got {meta.get('complete')}, {meta.get('end_reason')}, {meta.get('exit_count')})")
    say(nsum >= 4 and not os.path.exists(db + "-wal"),
        f"{tag}: summary tables ({nsum}) and no -wal file")
    hb = beats(err_path)
    say(bool(hb) and hb[-1][1] == rows,
        f"{tag}: all {rows} records in (last heartbeat {hb[-1][1] if hb else None})")
    rc2, _, err = run([exitlog, "stat", db])
    say(rc2 == 0 and err == "", f"{tag}: stat of a finished recording warns nothing")


def main():
    exitlog, d, name = sys.argv[1:4]
    replay_args = sys.argv[4:]
    worst, kills, ended = [], 0, 0
    with open(os.path.join(d, name + ".kills")) as f:
        runs = [line.split() for line in f if line.strip()]
    for i, db, sig, kill_ns, delay, rc in runs:
        tag = f"{name}-{i} ({sig} at {delay} s)"
        err_path = os.path.join(d, f"{name}-{i}.err")
        if kill_ns == "-":
            ended += 1
            print(f"note {tag}: the run ended by itself (status {rc}) before its moment")
            continue
        kills += 1
        if sig == "KILL":
            check_kill(exitlog, db, int(kill_ns), err_path, tag, replay_args, worst)
        else:
            check_stop(exitlog, db, sig, rc, err_path, tag)
    print(f"note {name}: {kills} runs stopped by a signal, {ended} ended before")
    if worst:
        lost, tag, n = max(worst)
        print(f"note {name}: worst lost window < {lost / 1e6:.1f} ms ({tag}, {n} exits)")
        print(f"summary {name} kills={kills} worst_ms={lost / 1e6:.1f}")


if __name__ == "__main__":
    main()
