#!/usr/bin/env python3
"""crashkill.py - run `exitlog record` many times and stop each run with a
signal at a random moment (tests/e2e/t_crash*.sh; record phase, needs KVM).

    crashkill.py DIR SET [";;" SET]...
    SET: NAME N SIGNAL FROM MIN MAX -- CMD...

The sets run one after another in this one process (a Python start costs
up to a minute under the sandbox's TCG).  Run i (1..N) of set NAME runs CMD
with every "@DB@" replaced by DIR/NAME-i.db (and "@W@" by DIR/NAME-i-, a
prefix for per-run files), stdout and stderr in DIR/NAME-i.out/.err,
EXITLOG_HEARTBEAT_MS=10 in its environment.  FROM is "start" (the delay
counts from the process start: a kill may land before the recording
exists) or "beat" (from its first heartbeat line: the recording is
running).  After a delay drawn uniformly from [MIN, MAX] seconds it sends
SIGNAL (KILL, TERM or INT), reads CLOCK_MONOTONIC right after kill()
returned, and waits for the process.  One line per run goes to
DIR/NAME.kills:

    i db signal kill_mono_ns delay_s exit_status

kill_mono_ns is "-" when the run had ended by itself before its moment
came (it then counts as not killed).  The seed (CRASH_SEED, default: the
time) is printed, so a failing set of moments can be run again.
"""
import os
import random
import signal
import subprocess
import sys
import time


def wait_beat(proc, err_path, limit):
    """Seconds until the first heartbeat line, or None if the run ended."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if proc.poll() is not None:
            return None
        try:
            with open(err_path, "rb") as f:
                if b"heartbeat" in f.read():
                    return time.monotonic() - t0
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    return None


def kmsg(line):
    """Also to the kernel log when we may (in the sandbox: root): an L1 that
    freezes keeps its console (with-kvm's hang-console-*.log), so the
    last kill before a freeze is known."""
    try:
        with open("/dev/kmsg", "w") as k:
            k.write(line + "\n")
    except OSError:
        pass


def run_set(d, name, n, sig, frm, lo, hi, cmd, rnd):
    signum = {"KILL": signal.SIGKILL, "TERM": signal.SIGTERM, "INT": signal.SIGINT}[sig]
    env = dict(os.environ, EXITLOG_HEARTBEAT_MS="10")
    with open(os.path.join(d, name + ".kills"), "w") as kills:
        for i in range(1, n + 1):
            db = os.path.join(d, f"{name}-{i}.db")
            argv = [a.replace("@DB@", db).replace("@W@", os.path.join(d, f"{name}-{i}-"))
                    for a in cmd]
            delay = rnd.uniform(lo, hi)
            err_path = os.path.join(d, f"{name}-{i}.err")
            with open(os.path.join(d, f"{name}-{i}.out"), "wb") as out, \
                    open(err_path, "wb") as err:
                kmsg(f"crashkill: {name}-{i}: start")
                proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
                t_start = time.monotonic()
                if frm == "beat" and wait_beat(proc, err_path, 120) is None:
                    proc.kill()
                kill_ns = "-"
                end = (time.monotonic() if frm == "beat" else t_start) + delay
                try:
                    proc.wait(timeout=max(0.0, end - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.send_signal(signum)
                    kill_ns = str(time.monotonic_ns())
                rc = proc.wait()
            kills.write(f"{i} {db} {sig} {kill_ns} {delay:.3f} {rc}\n")
            kills.flush()
            line = (f"crashkill: {name}-{i}: {sig} after {delay:.3f} s"
                    f"{'' if kill_ns != '-' else ' (ended before)'}, status {rc}")
            print(line, flush=True)
            kmsg(line)


def main():
    args = sys.argv[2:]
    sets, cur = [], []
    for a in args:
        if a == ";;":
            sets.append(cur)
            cur = []
        else:
            cur.append(a)
    sets.append(cur)
    if len(sys.argv) < 2 or any(len(s) < 8 or s[6] != "--" for s in sets):
        sys.exit(__doc__)
    seed = int(os.environ.get("CRASH_SEED", str(time.time_ns() % 1000000007)))
    rnd = random.Random(seed)
    print(f"crashkill: seed {seed}", flush=True)
    for s in sets:
        run_set(sys.argv[1], s[0], int(s[1]), s[2], s[3], float(s[4]), float(s[5]),
                s[7:], rnd)


if __name__ == "__main__":
    main()
