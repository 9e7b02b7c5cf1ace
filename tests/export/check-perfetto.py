#!/usr/bin/env python3
"""check-perfetto.py - validate `exitlog export --perfetto` against the
Chrome trace-event format and against the recording it came from.

  tests/export/check-perfetto.py [--exitlog BIN] [--from P] [--to P] DB [TRACE.json]

Without TRACE, runs `BIN export --perfetto DB [--from P] [--to P]` itself
(BIN: build/exitlog).  --from/--to (a seq or a time such as 1.5ms, as for
the export) restrict the database counts to the same window.
Checks:
  - the file is JSON: an object whose traceEvents is a list;
  - every event has a known ph, integer pid/tid, and (but metadata) a
    numeric ts >= 0 in microseconds with at most 3 decimals (ns precision);
  - X slices have dur >= 0 and, per thread (pid, tid), nest: two slices
    either are disjoint or one contains the other; exit slices of a vCPU
    are disjoint (exits follow one another);
  - async slices: every b has exactly one e with the same (cat, id, name,
    pid), not earlier, and no e lacks its b;
  - flows: every s has exactly one f with the same (cat, id, name), not
    earlier; each binds to an X slice of its thread that encloses its ts;
  - instant events have scope t, p or g;
  - counts equal the database's: X slices of cat "exit" = rows of exits,
    async slices = rows of blk_requests, flows = rows of blk_requests,
    instant events of cat "irq" = rows of irqs; exit slices per vCPU thread
    = exits per vcpu.
Prints "perfetto: ok ..." and exits 0, or one line per problem and exits 1.
"""
import collections
import json
import sqlite3
import subprocess
import sys


def ns(v):
    """A µs timestamp as integer ns (ts must have ns precision at most)."""
    return round(v * 1000)


def point(v):
    """A --from/--to value: (seq, None) or (None, t_ns)."""
    if v.isdigit():
        return int(v), None
    for unit, mul in (("ns", 1), ("us", 1e3), ("ms", 1e6), ("s", 1e9)):
        if v.endswith(unit) and v[:-len(unit)].replace(".", "", 1).isdigit():
            return None, int(float(v[:-len(unit)]) * mul + 0.5)
    raise SystemExit("check-perfetto: bad point %r" % v)


def main(argv):
    exitlog = "build/exitlog"
    opt = {}
    while len(argv) > 2 and argv[1] in ("--exitlog", "--from", "--to"):
        opt[argv[1]] = argv[2]
        argv = argv[:1] + argv[3:]
    exitlog = opt.get("--exitlog", exitlog)
    window = []
    for o in ("--from", "--to"):
        if o in opt:
            window += [o, opt[o]]
    if len(argv) not in (2, 3):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    db = argv[1]
    if len(argv) == 3:
        with open(argv[2], "rb") as f:
            raw = f.read()
    else:
        raw = subprocess.run([exitlog, "export", "--perfetto", db] + window, check=True,
                             stdout=subprocess.PIPE).stdout
    problems = []

    def bad(msg):
        if len(problems) < 50:
            problems.append(msg)

    try:
        doc = json.loads(raw)
    except ValueError as e:
        print("perfetto: not JSON: %s" % e)
        return 1
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        print("perfetto: not an object with a traceEvents list")
        return 1
    evs = doc["traceEvents"]
    slices = collections.defaultdict(list)        # (pid, tid) -> [(start, end)]
    exit_slices = collections.defaultdict(list)   # the same, exits only
    begins, ends = {}, collections.Counter()
    flow_s, flow_f = {}, {}
    counts = collections.Counter()
    exits_per_tid = collections.Counter()
    for i, e in enumerate(evs):
        ph = e.get("ph")
        if ph not in ("X", "B", "E", "b", "e", "n", "s", "t", "f", "i", "I", "M", "C"):
            bad("event %d: unknown ph %r" % (i, ph))
            continue
        if not isinstance(e.get("pid"), int) or not isinstance(e.get("tid", 0), int):
            bad("event %d: pid/tid not integers" % i)
        if ph == "M":
            if e.get("name") not in ("process_name", "thread_name", "process_sort_index",
                                     "thread_sort_index") or "name" not in e.get("args", {}):
                bad("event %d: bad metadata event" % i)
            continue
        ts = e.get("ts")
        if not isinstance(ts, (int, float)) or ts < 0:
            bad("event %d: bad ts %r" % (i, ts))
            continue
        if abs(ts * 1000 - ns(ts)) > 1e-3 * max(1.0, ts / 1e6):
            bad("event %d: ts %r finer than 1 ns" % (i, ts))
        if not isinstance(e.get("name"), str):
            bad("event %d: no name" % i)
        key = (e.get("pid"), e.get("tid"))
        if ph == "X":
            dur = e.get("dur")
            if not isinstance(dur, (int, float)) or dur < 0:
                bad("event %d: bad dur %r" % (i, dur))
                continue
            slices[key].append((ns(ts), ns(ts) + ns(dur)))
            if e.get("cat") == "exit":
                exit_slices[key].append((ns(ts), ns(ts) + ns(dur)))
                counts["exit"] += 1
                exits_per_tid[e.get("tid")] += 1
        elif ph == "b":
            k = (e.get("cat"), e.get("id"), e.get("name"), e.get("pid"))
            if k in begins:
                bad("event %d: async id %r begun twice" % (i, k))
            begins[k] = ns(ts)
            counts["async"] += 1
        elif ph == "e":
            k = (e.get("cat"), e.get("id"), e.get("name"), e.get("pid"))
            if k not in begins:
                bad("event %d: async end %r without a begin" % (i, k))
            elif ns(ts) < begins[k]:
                bad("event %d: async %r ends before it begins" % (i, k))
            ends[k] += 1
        elif ph in ("s", "f"):
            k = (e.get("cat"), e.get("id"), e.get("name"))
            table = flow_s if ph == "s" else flow_f
            if k in table:
                bad("event %d: flow %s %r twice" % (i, ph, k))
            table[k] = (ns(ts), key)
            if ph == "f" and e.get("bp") != "e":
                bad("event %d: flow end without bp 'e'" % i)
        elif ph in ("i", "I"):
            if e.get("s", "t") not in ("t", "p", "g"):
                bad("event %d: bad instant scope %r" % (i, e.get("s")))
            if e.get("cat") == "irq":
                counts["irq"] += 1
    for k in begins:
        if ends[k] != 1:
            bad("async %r has %d ends" % (k, ends[k]))
    # X slices nest per thread: sorted by (start, -end), a stack of open ends.
    for key, sl in slices.items():
        sl.sort(key=lambda s: (s[0], -s[1]))
        stack = []
        for a, b in sl:
            while stack and stack[-1] <= a:
                stack.pop()
            if stack and b > stack[-1]:
                bad("thread %r: slice [%d,%d] ns overlaps its parent ending at %d" %
                    (key, a, b, stack[-1]))
            stack.append(b)

    # Exits of one vCPU follow one another: their slices never even nest.
    for key, sl in exit_slices.items():
        sl.sort()
        for (a0, b0), (a1, b1) in zip(sl, sl[1:]):
            if a1 < b0:
                bad("thread %r: exit slice at %d ns starts before the previous one ends (%d)" %
                    (key, a1, b0))
                break

    def enclosed(t, key):
        for a, b in slices.get(key, ()):
            if a <= t <= b:
                return True
        return False

    for k, (t, key) in flow_s.items():
        if k not in flow_f:
            bad("flow %r starts but never ends" % (k,))
            continue
        tf, keyf = flow_f[k]
        if tf < t:
            bad("flow %r ends before it starts" % (k,))
        if not enclosed(t, key):
            bad("flow %r: start at %d ns is in no slice of thread %r" % (k, t, key))
        if not enclosed(tf, keyf):
            bad("flow %r: end at %d ns is in no slice of thread %r" % (k, tf, keyf))
    for k in flow_f:
        if k not in flow_s:
            bad("flow %r ends but never starts" % (k,))

    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    q = lambda sql: con.execute(sql).fetchone()[0]
    cond = "1"
    for o, op in (("--from", ">="), ("--to", "<=")):
        if o in opt:
            seq, t = point(opt[o])
            cond += " AND e.%s %s %d" % ("seq" if seq is not None else "t_ns", op,
                                         seq if seq is not None else t)
    want = {"exit": q("SELECT count(*) FROM exits e WHERE " + cond),
            "async": q("SELECT count(*) FROM blk_requests b JOIN exits e ON e.seq = b.seq"
                       " WHERE " + cond),
            "irq": q("SELECT count(*) FROM irqs i JOIN exits e ON e.seq = i.seq WHERE " + cond)}
    per_vcpu = collections.Counter()
    for v, n in con.execute("SELECT vcpu, count(*) FROM exits e WHERE %s GROUP BY vcpu" % cond):
        per_vcpu[v + 1 if 0 <= v < 4095 else 4096] += n   # the exporter's tid
    per_vcpu = dict(per_vcpu)
    con.close()
    for what, n in want.items():
        if counts[what] != n:
            bad("%s events: %d in the trace, %d in the database" % (what, counts[what], n))
    if len(flow_s) != want["async"]:
        bad("flows: %d, block requests: %d" % (len(flow_s), want["async"]))
    if dict(exits_per_tid) != per_vcpu:
        bad("exit slices per vCPU thread %r != database %r" % (dict(exits_per_tid), per_vcpu))
    if problems:
        for p in problems:
            print("perfetto: " + p)
        return 1
    print("perfetto: ok: %d events, %d exit slices (= exits), %d block requests with %d flows, "
          "%d IRQ instants, %d threads" % (len(evs), counts["exit"], counts["async"],
                                          len(flow_s), counts["irq"], len(slices)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
