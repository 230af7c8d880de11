"""Benchmark 6 of run_bench.py: rewriting a big table with everyday tools.

For each table size, the same six rewrites run, in the same run, on three systems:
  local        the table on local disk (the same file system as BACKING)
  passthrough  libfuse's passthrough_ll example, -o cache=never, over a directory on that disk
               (built here at bench time from libfuse3-dev's installed examples: the floor any
               FUSE design pays)
  csvfs        the table mounted by csvfs
The rewrites, in this order (each changes the table, so every repetition is a real change):
  sed -i       changes one row (the middle one) with `sed -i -E 's/^ID,[^,]*,/ID,NEW,/'`
  perl -i      the same with `perl -i -pe`
  python       reads the table in 4 MiB chunks, writes a tempfile beside it with the row
               changed, os.replace()s it over the table
  cp over      `cp NEW table.csv` of a copy (made beforehand on local disk) with one row changed
  dd in place  one byte changed in place (`dd bs=1 seek=OFF count=1 conv=notrunc`: O_RDWR)
  sort -o      `sort -t, -k4,4n -k1,1n -o T T` then back by id: the whole table reordered
Meanwhile an appender (append_writer: open, write one row, close, every 10 ms) runs against
the same table; its latencies during each rewrite are compared with its idle p99. For csvfs,
the daemon's RssAnon is sampled every 10 ms from /proc/PID/status and its VmHWM is reset
(clear_refs 5) before each rewrite; "after" is sampled once the checkpoint the rewrite asked
for has finished. Mount time of csvfs is compared with `wc -l` of BACKING (warm cache).

Every rewrite is checked (the changed row or byte is read back): a tool that fails or a change
that is not there is an error, never a number.
"""
import os
import shutil
import subprocess
import sys
import threading
import time

ROW = 62  # bytes per generated row, newline included
HEADER = b"id,name,city,amount,note\n"
PERIOD = 100_000  # generated fields other than the id repeat with this period
PASSTHROUGH_SRC = "/usr/share/doc/libfuse3-dev/examples/passthrough_ll.c"
# A csvfs daemon whose RssAnon passes this fraction of MemAvailable (at the start of its run)
# is killed; BENCH6_MEM_LIMIT_FRACTION overrides it (a tiny value exercises that path).
MEM_LIMIT_FRACTION = float(os.environ.get("BENCH6_MEM_LIMIT_FRACTION", "0.7"))
TOOLS = ["sed -i", "perl -i", "python tempfile+os.replace", "cp new over", "dd conv=notrunc",
         "sort -o"]

PY_REPLACE = r'''
import os, sys, tempfile
path, rid, new = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
prefix = rid + b","
done = False
d = os.path.dirname(os.path.abspath(path))
fd, tmp = tempfile.mkstemp(dir=d, prefix=".bench-", suffix=".csv")
with open(path, "rb") as src, os.fdopen(fd, "wb") as out:
    carry = b""
    while True:
        chunk = src.read(4 << 20)
        data = carry + chunk
        if chunk:
            cut = data.rfind(b"\n") + 1
            data, carry = data[:cut], data[cut:]
        if not done:
            at = 0 if data.startswith(prefix) else data.find(b"\n" + prefix) + 1
            if at > 0 or data.startswith(prefix):
                rest = data.index(b",", at + len(prefix))
                data = data[:at + len(prefix)] + new + data[rest:]
                done = True
        out.write(data)
        if not chunk:
            break
os.replace(tmp, path)
sys.exit(0 if done else 3)
'''


def tails():
    """The part of each row after the id, for i % PERIOD (52 bytes each, comma first)."""
    out = []
    for k in range(PERIOD):
        amount = f"{k // 10 % 99999 + 1:05d}.{k % 100:02d}"
        out.append(f",name{k:06d},city{k % 1000:04d},{amount},note-{k * 7919 % 10**16:016d}\n")
    assert all(len(t) == ROW - 10 for t in out)
    return out


def make_table(path, nbytes):
    """Writes a table of about nbytes: HEADER then rows `ID,name,city,amount,note` of exactly
    ROW bytes, ids 1..N zero-padded to 10 digits (numeric `sort -n` order). Returns N."""
    rows = max(PERIOD, (nbytes - len(HEADER)) // ROW // PERIOD * PERIOD)
    t = tails()
    with open(path, "wb") as f:
        f.write(HEADER)
        for start in range(0, rows, PERIOD):
            f.write("".join(f"{start + k + 1:010d}{t[k]}" for k in range(PERIOD)).encode())
    return rows


def row_offset(row_id):
    return len(HEADER) + (row_id - 1) * ROW


def read_at(path, off, n):
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.pread(fd, n, off)
    finally:
        os.close(fd)


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("RssAnon", "VmHWM", "VmRSS"):
                out[k] = int(v.split()[0]) * 1024
    return out


def mem_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


class Sampler:
    """Samples a process's RssAnon every 10 ms on a thread; peak in bytes. A process whose
    RssAnon passes `limit` is killed (SIGKILL), so that a daemon running away with memory on
    a big table cannot push a shared machine into the OOM killer; `killed` says so."""

    def __init__(self, pid, limit):
        self.pid, self.limit, self.peak, self.killed = pid, limit, 0, False
        self.stop_ = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        while not self.stop_.is_set():
            try:
                self.peak = max(self.peak, proc_status(self.pid)["RssAnon"])
            except (OSError, KeyError):
                return
            if self.peak > self.limit:
                self.killed = True
                os.kill(self.pid, 9)
                return
            self.stop_.wait(0.01)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_.set()
        self.thread.join()


def pct(xs, p):
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, int(p * (len(xs) - 1) + 0.5))]


def human(nbytes):
    return f"{nbytes / 2**30:.1f} GiB" if nbytes >= 2**30 else f"{nbytes / 1e6:,.0f} MB"


def build_passthrough(b, h):
    exe = b.path("passthrough_ll")
    if os.path.exists(exe):
        return exe
    if not os.path.exists(PASSTHROUGH_SRC):
        raise h.BenchError(f"{PASSTHROUGH_SRC} is missing (apt-get install -y libfuse3-dev)")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "fuse3"], capture_output=True,
                           text=True, check=True).stdout.split()
    h.run(["gcc", "-O2", "-o", exe, PASSTHROUGH_SRC, *flags])
    return exe


class System:
    """One system under test: where the table is, and how to start and stop it."""

    def __init__(self, b, h, kind, gen, passthrough):
        self.b, self.h, self.kind = b, h, kind
        self.dir = b.fresh_dir(f"b6-{kind}")
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.data)
        self.backing = os.path.join(self.data, "table.csv")
        shutil.copyfile(gen, self.backing)
        self.mount = None
        self.mount_s = self.wc_s = None
        if kind == "local":
            self.table = self.backing
        elif kind == "passthrough":
            mnt = b.fresh_dir("mnt")
            cmd = [passthrough, "-f", "-o", f"source={self.data},cache=never", mnt]
            self.mount = h.Mount("passthrough_ll", cmd, mnt, mnt + ".log").start()
            self.table = os.path.join(mnt, "table.csv")
        else:
            h.run(["cat", self.backing], stdout=subprocess.DEVNULL)  # warm, like wc -l's
            self.wc_s = h.run(["wc", "-l", self.backing])
            self.mount = b.csvfs(self.backing)
            self.mount_s = self.mount.mount_s
            self.table = os.path.join(self.mount.mnt, "table.csv")
        self.tmpdir = self.data if kind == "local" else os.path.dirname(self.table)

    @property
    def pid(self):
        return self.mount.proc.pid if self.kind == "csvfs" and self.mount else None

    def settle(self, timeout):
        """csvfs: waits until no checkpoint is asked for or running (journal under the
        threshold, no temp file); returns the seconds waited. Others: nothing to wait for."""
        if self.kind != "csvfs":
            return 0.0
        t0 = time.monotonic()
        status = os.path.join(self.mount.mnt, ".csvfs-status")
        tmp = os.path.join(self.data, ".table.csv.csvfs-tmp")
        while time.monotonic() - t0 < timeout:
            with open(status) as f:
                fields = dict(line.split(": ", 1) for line in f.read().splitlines() if ": " in line)
            if int(fields.get("journal_bytes", "0")) < 64 * 2**20 and not os.path.exists(tmp):
                return time.monotonic() - t0
            time.sleep(0.05)
        raise self.h.BenchError(f"csvfs: a checkpoint still pending {timeout:.0f}s after a rewrite")

    def stop(self, check=True):
        """Unmounts and removes the files. check=False when an error is already on its way
        (a killed daemon cannot exit cleanly, and that must not hide why it was killed)."""
        if self.mount is not None and not self.mount.stop() and check:
            raise self.h.BenchError(f"{self.kind} on {self.dir} did not unmount cleanly")
        self.mount = None
        shutil.rmtree(self.dir, ignore_errors=True)


def tool_step(tool, rep, table, ctx):
    """(command, shell?, expected (offset, bytes) or None) for one repetition of a tool."""
    rid, off = ctx["id"], ctx["offset"]
    if tool in ("sed -i", "perl -i", "python tempfile+os.replace"):
        new = f"{tool[0]}{ctx['counter']:09d}"[:10]
        ctx["counter"] += 1
        expect = (off + 11, new.encode())
        if tool == "sed -i":
            return ["sed", "-i", "-E", f"s/^({rid}),[^,]*,/\\1,{new},/", table], expect
        if tool == "perl -i":
            return ["perl", "-i", "-pe", f"s/^({rid}),[^,]*,/$1,{new},/", table], expect
        return [sys.executable, ctx["py_replace"], table, rid, new], expect
    if tool == "cp new over":
        src = ctx["changed"] if rep % 2 == 0 else ctx["gen"]
        return ["cp", src, table], (off, read_at(src, off, ROW))
    if tool == "dd conv=notrunc":
        byte = "XY"[rep % 2]
        cmd = (f"printf {byte} | dd of='{table}' bs=1 seek={off + ROW - 2} count=1 "
               "conv=notrunc status=none")
        return cmd, (off + ROW - 2, byte.encode())
    keys = ["-k4,4n", "-k1,1n"] if rep % 2 == 0 else ["-k1,1n"]
    return ["sort", "-t,", *keys, "-o", table, table], None


def run_system(b, h, s, ctx, reps, idle_s, settle_s):
    """Runs every tool `reps` times on system s with the appender running; returns
    {tool: {"s": [...], "lat": [...], "hwm": [...], "peak": [...], "after": [...]}} and
    (idle latencies, RssAnon before)."""
    cfg = b.cfg
    out = {t: {"s": [], "lat": [], "hwm": [], "peak": [], "after": []} for t in TOOLS}
    samples = os.path.join(s.dir, "samples.txt")
    stop = os.path.join(s.dir, "stop")
    p = subprocess.Popen([cfg.append_writer, s.table, "per-row-open-close", str(10**6),
                          "--pause-us", "10000", "--duration-s", "7200", "--tag", "9",
                          "--fields", "5", "--samples", samples, "--stop-file", stop],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    h.BACKGROUND.append(p)
    windows = {}
    try:
        time.sleep(0.2)
        idle = (time.monotonic_ns(), None)
        time.sleep(idle_s)
        idle = (idle[0], time.monotonic_ns())
        before = proc_status(s.pid)["RssAnon"] if s.pid else None
        limit = int(MEM_LIMIT_FRACTION * mem_available())
        for tool in TOOLS:
            for rep in range(reps):
                cmd, expect = tool_step(tool, rep, s.table, ctx)
                if s.pid:
                    with open(f"/proc/{s.pid}/clear_refs", "w") as f:
                        f.write("5")  # VmHWM := VmRSS
                sampler = Sampler(s.pid, limit) if s.pid else None
                if sampler:
                    sampler.__enter__()
                try:
                    t0 = time.monotonic_ns()
                    h.run(cmd)
                    t1 = time.monotonic_ns()
                except h.BenchError as e:
                    if sampler and sampler.killed:
                        share = f"{100 * MEM_LIMIT_FRACTION:g}%"
                        raise h.BenchError(f"csvfs: killed during {tool}: its RssAnon passed "
                                           f"{limit / 2**20:,.0f} MiB ({share} of the memory "
                                           "available)") from e
                    raise
                finally:
                    if sampler:
                        sampler.__exit__()
                out[tool]["s"].append((t1 - t0) / 1e9)
                windows.setdefault(tool, []).append((t0, t1))
                if expect is not None:
                    got = read_at(s.table, expect[0], len(expect[1]))
                    if got != expect[1]:
                        raise h.BenchError(f"{s.kind}: after {tool} the table holds {got!r} at "
                                           f"offset {expect[0]}, not {expect[1]!r}")
                if s.pid:
                    out[tool]["hwm"].append(proc_status(s.pid)["VmHWM"])
                    out[tool]["peak"].append(sampler.peak)
                    s.settle(settle_s)
                    out[tool]["after"].append(proc_status(s.pid)["RssAnon"])
    finally:
        with open(stop, "w"):
            pass
        try:
            _, err = p.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            raise h.BenchError("hang: the appender did not stop within 120 s")
        h.BACKGROUND.remove(p)
    if p.returncode != 0:
        raise h.BenchError(f"{s.kind}: the appender failed: {err.decode()[-1000:]}")
    with open(samples) as f:
        lat = [tuple(map(int, line.split())) for line in f]
    idle_lat = sorted(l / 1e6 for st, l in lat if idle[0] <= st <= idle[1])
    for tool, ws in windows.items():
        out[tool]["lat"] = sorted(l / 1e6 for st, l in lat if any(a <= st <= z for a, z in ws))
    return out, idle_lat, before


def bench(b, h, sizes, reps):
    """Benchmark 6 for each (label, bytes) in sizes."""
    cfg, res = b.cfg, b.res
    passthrough = build_passthrough(b, h)
    py_replace = b.path("py_replace.py")
    with open(py_replace, "w") as f:
        f.write(PY_REPLACE)
    for label, nbytes in sizes:
        free = shutil.disk_usage(b.work).free
        if free < 6 * nbytes:
            raise h.BenchError(f"6 ({label}): needs about {human(6 * nbytes)} free in {b.work}, "
                               f"has {human(free)}")
        gen = b.path(f"b6-gen-{nbytes}.csv")
        t0 = time.monotonic()
        rows = make_table(gen, nbytes)
        size = os.path.getsize(gen)
        h.log(f"6: generated {human(size)} ({rows:,} rows) in {time.monotonic() - t0:.1f}s")
        rid = rows // 2
        off = row_offset(rid)
        changed = b.path(f"b6-changed-{nbytes}.csv")
        shutil.copyfile(gen, changed)
        with open(changed, "r+b") as f:
            f.seek(off + 22)  # the city field
            f.write(b"CITY")
        settle_s = max(30.0, size / 20e6)
        results, idle, before, mount = {}, {}, None, None
        for kind in ("local", "passthrough", "csvfs"):
            ctx = {"id": f"{rid:010d}", "offset": off, "counter": 0, "gen": gen,
                   "changed": changed, "py_replace": py_replace}
            h.log(f"6: {label} on {kind}")
            s = System(b, h, kind, gen, passthrough)
            done = False
            try:
                results[kind], idle[kind], rss = run_system(b, h, s, ctx, reps, cfg.idle6_s,
                                                            settle_s)
                if kind == "csvfs":
                    before, mount = rss, (s.mount_s, s.wc_s)
                done = True
            finally:
                s.stop(check=done)
        os.remove(changed)
        os.remove(gen)
        report(res, label, size, rows, reps, results, idle, before, mount)


def report(res, label, size, rows, reps, results, idle, before, mount):
    med = lambda xs: sorted(xs)[len(xs) // 2] if xs else float("nan")
    mib = lambda x: f"{x / 2**20:,.0f}"
    ms = lambda x: "n/a" if x != x else (f"{x:.3g}" if x < 100 else f"{x:,.0f}")
    lines = ["| rewrite | local s | passthrough_ll s | csvfs s | csvfs/passthrough | csvfs/local |",
             "|---|---:|---:|---:|---:|---:|"]
    for t in TOOLS:
        l, p, c = (med(results[k][t]["s"]) for k in ("local", "passthrough", "csvfs"))
        lines.append(f"| {t} | {l:.3f} | {p:.3f} | {c:.3f} | {c / p:.2f}x | {c / l:.2f}x |")
    lines += ["", "csvfs daemon memory (MiB; RssAnon before the first rewrite: "
              f"{mib(before)}); VmHWM is reset before each rewrite:", "",
              "| rewrite | RssAnon peak | VmHWM | VmHWM / table | RssAnon after the checkpoint |",
              "|---|---:|---:|---:|---:|"]
    for t in TOOLS:
        r = results["csvfs"][t]
        lines.append(f"| {t} | {mib(med(r['peak']))} | {mib(med(r['hwm']))} | "
                     f"{med(r['hwm']) / size:.2f}x | {mib(med(r['after']))} |")
    idle_p99 = {k: pct(v, 0.99) for k, v in idle.items()}
    lines += ["", "Appender (open, write one row, close, every 10 ms) during each rewrite, ms: "
              "p50 / p99 / max (n); idle p99: " +
              ", ".join(f"{k} {ms(v)}" for k, v in idle_p99.items()) + ":", "",
              "| rewrite | local | passthrough_ll | csvfs | csvfs p99 / idle p99 |",
              "|---|---|---|---|---:|"]
    for t in TOOLS:
        cells = []
        for k in ("local", "passthrough", "csvfs"):
            x = results[k][t]["lat"]
            top = x[-1] if x else float("nan")
            cells.append(f"{ms(pct(x, .5))} / {ms(pct(x, .99))} / {ms(top)} ({len(x)})")
        c99 = pct(results["csvfs"][t]["lat"], 0.99)
        lines.append(f"| {t} | {' | '.join(cells)} | {c99 / idle_p99['csvfs']:.1f}x |")
    m, w = mount
    lines += ["", f"Mount of this table: csvfs {m:.3f} s, `wc -l` {w:.3f} s ({m / w:.1f}x)."]
    res.section(f"6. Rewriting a {human(size)} table ({rows:,} rows of {ROW} bytes; "
                f"median of {reps})",
                "Each rewrite on local disk, through libfuse's passthrough_ll (-o cache=never) "
                "and through csvfs, in this run; see tests/bench/rewrite_bench.py.", raw=lines)
    sed_c = med(results["csvfs"]["sed -i"]["s"])
    sed_p = med(results["passthrough"]["sed -i"]["s"])
    res.target(f"6 {label}: sed -i within 1.5x of passthrough_ll", f"{sed_c / sed_p:.2f}x",
               "<= 1.5x", sed_c <= 1.5 * sed_p)
    hwm = med(results["csvfs"]["sed -i"]["hwm"])
    res.target(f"6 {label}: VmHWM during sed -i <= 0.25x table", f"{hwm / size:.2f}x", "<= 0.25x",
               hwm <= 0.25 * size)
    worst = max((pct(results["csvfs"][t]["lat"], 0.99) for t in TOOLS), default=float("nan"))
    res.target(f"6 {label}: appender p99 during rewrites <= 5x idle p99",
               f"{worst / idle_p99['csvfs']:.1f}x", "<= 5x", worst <= 5 * idle_p99["csvfs"])
    longest = max((results["csvfs"][t]["lat"][-1] for t in TOOLS if results["csvfs"][t]["lat"]),
                  default=float("nan"))
    res.target(f"6 {label}: no append waits over 100 ms during rewrites", f"{ms(longest)} ms",
               "<= 100 ms", longest <= 100)
    res.target(f"6 {label}: mount within 3x of wc -l", f"{m / w:.1f}x", "<= 3x", m <= 3 * w)
