#!/usr/bin/env python3
"""csvfs benchmarks against what users would otherwise use (driver; see run_bench.sh).

Every benchmark runs csvfs and its competitors in the same run, at equal durability, several
repetitions each, and reports medians and ratios. Ratios are "csvfs advantage": > 1 means csvfs is
better (for rates csvfs/other, for costs and times other/csvfs). Targets are reported PASS/MISS and
never fail the run. The run fails (exit 1) only when something broke: a tool failed, a mount hung,
a daemon died. Exit 77: cannot run here (no /dev/fuse, no fusermount3).

Every mount is made in the work directory, with a bounded wait, and is always unmounted
(fusermount3 -u with retries, then -z, then the daemon is killed) in a finally block that also
runs on SIGTERM/SIGINT/SIGHUP.
"""
import argparse
import os
import platform
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time

import rewrite_bench

ROW_BYTES = 60
HEADER = b"id,seq,payload\n"
TOOL_TIMEOUT = 600  # seconds any single tool call may take before we call it a hang


class BenchError(Exception):
    pass


def log(msg):
    print(f"# {msg}", flush=True)


# ---------------------------------------------------------------------------------------------
# Mounts


def mounted_paths():
    with open("/proc/self/mounts") as f:
        return {line.split()[1].replace("\\040", " ") for line in f}


class Mount:
    """A FUSE daemon started in the foreground (-f) in the background of this process."""

    def __init__(self, kind, cmd, mnt, logpath):
        self.kind, self.cmd, self.mnt, self.logpath = kind, cmd, mnt, logpath
        self.proc = None
        self.mount_s = None

    def start(self, timeout=180):
        self.logf = open(self.logpath, "ab")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=subprocess.STDOUT)
        ACTIVE.append(self)
        while self.mnt not in mounted_paths():
            if self.proc.poll() is not None:
                raise BenchError(f"{self.kind} exited with {self.proc.returncode} before mounting "
                                 f"{self.mnt}; log {self.logpath}:\n{self.tail_log()}")
            if time.monotonic() - t0 > timeout:
                raise BenchError(f"{self.kind}: {self.mnt} not mounted after {timeout}s")
            time.sleep(0.002)
        self.mount_s = time.monotonic() - t0
        return self

    def tail_log(self, n=30):
        try:
            with open(self.logpath, "rb") as f:
                return b"".join(f.readlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""

    def status(self):
        """(RssAnon, RssFile, VmRSS) of the daemon in bytes, from /proc/PID/status."""
        out = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("RssAnon", "RssFile", "VmRSS"):
                    out[k] = int(v.split()[0]) * 1024
        return out

    def stop(self, wait_s=300):
        """Unmount (fusermount3 -u, retried, then -z) and reap the daemon. Never raises."""
        if self.proc is None:
            return True
        clean = True
        for _ in range(50):
            if self.mnt not in mounted_paths():
                break
            try:
                r = subprocess.run(["fusermount3", "-u", self.mnt], capture_output=True,
                                   timeout=30)
                if r.returncode == 0:
                    break
            except subprocess.TimeoutExpired:
                pass
            time.sleep(0.1)
        if self.mnt in mounted_paths():
            clean = False
            subprocess.run(["fusermount3", "-uz", self.mnt], capture_output=True, timeout=30)
        try:
            rc = self.proc.wait(timeout=wait_s)
            if rc != 0:
                clean = False
                log(f"{self.kind} exited with {rc} after unmount; log {self.logpath}:\n"
                    f"{self.tail_log()}")
        except subprocess.TimeoutExpired:
            clean = False
            log(f"{self.kind} pid {self.proc.pid} did not exit {wait_s}s after unmount: killing")
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in ACTIVE:
            ACTIVE.remove(self)
        self.logf.close()
        self.proc = None
        return clean


ACTIVE = []  # mounts to tear down no matter what
BACKGROUND = []  # other background processes


def cleanup_all():
    for p in list(BACKGROUND):
        if p.poll() is None:
            p.kill()
            p.wait()
    BACKGROUND.clear()
    for m in list(ACTIVE):
        m.stop(wait_s=60)


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)


# ---------------------------------------------------------------------------------------------
# Helpers


def run(cmd, timeout=TOOL_TIMEOUT, **kw):
    """Runs cmd (list or shell string); returns elapsed seconds; raises on failure or hang."""
    shell = isinstance(cmd, str)
    t0 = time.monotonic()
    try:
        kw.setdefault("stdout", subprocess.PIPE)
        r = subprocess.run(cmd, shell=shell, stderr=subprocess.PIPE, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        raise BenchError(f"hang: {cmd!r} did not finish in {timeout}s")
    dt = time.monotonic() - t0
    if r.returncode != 0:
        raise BenchError(f"{cmd!r} exited {r.returncode}: {r.stderr.decode(errors='replace')[-2000:]}")
    run.last_stdout = r.stdout
    return dt


def writer(cfg, path, mode, rows, writers=1, extra=()):
    """Runs append_writer; returns its key=value output as a dict of floats."""
    cmd = [cfg.append_writer, path, mode, str(rows), "--writers", str(writers), *extra]
    run(cmd)
    return {k: float(v) for k, v in (f.split("=") for f in run.last_stdout.decode().split())}


def make_table(path, rows, header=HEADER):
    """A CSV of `rows` rows of exactly ROW_BYTES bytes: id,seq,payload with id = row number."""
    with open(path, "wb") as f:
        f.write(header)
        chunk = []
        for i in range(1, rows + 1):
            head = f"{i},{i},"
            chunk.append(head + "p" * (ROW_BYTES - 1 - len(head)) + "\n")
            if len(chunk) == 65536:
                f.write("".join(chunk).encode())
                chunk = []
        f.write("".join(chunk).encode())


def make_table_bytes(path, nbytes):
    """A table of about nbytes: one block of ROW_BYTES-byte rows written over and over (ids are
    row numbers without key=, so the id column need not be unique here). Fast even for 1 GiB."""
    per_block = 2**20 // ROW_BYTES
    block = "".join(f"{i:09d},{i % 1000:06d},{'p' * 42}\n" for i in range(per_block)).encode()
    assert len(block) == per_block * ROW_BYTES
    rows = 0
    with open(path, "wb") as f:
        f.write(HEADER)
        while rows + per_block <= nbytes // ROW_BYTES:
            f.write(block)
            rows += per_block
    return rows


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt(v, unit):
    if v != v:  # nan
        return "n/a"
    if unit == "rows/s":
        return f"{v:,.0f}"
    if unit == "GB/s":
        return f"{v:.2f}"
    if unit in ("ms", "µs"):
        return f"{v:.3g}" if v < 100 else f"{v:,.0f}"
    if unit == "s":
        return f"{v:.3f}"
    if unit == "MiB":
        return f"{v:,.1f}"
    return f"{v:.3g}"


class Results:
    def __init__(self):
        self.sections = []  # (title, note, rows)
        self.targets = []  # (name, measured, goal, ok)
        self.errors = []

    def section(self, title, note="", raw=None):
        """raw: markdown lines printed as they are (a section with its own table layout)."""
        self.sections.append((title, note, [], raw))

    def add(self, case, system, samples, unit, higher_better=True, csvfs_ref=None):
        """samples: list of floats. csvfs_ref: csvfs's median to compute the advantage against."""
        m = median(samples)
        adv = None
        if csvfs_ref is not None and m == m and m > 0 and csvfs_ref == csvfs_ref:
            adv = csvfs_ref / m if higher_better else m / csvfs_ref
        self.sections[-1][2].append((case, system, m, unit, adv, samples))
        return m

    def target(self, name, measured, goal, ok):
        self.targets.append((name, measured, goal, bool(ok)))

    def print_tables(self, out):
        for title, note, rows, raw in self.sections:
            out.append(f"\n### {title}\n")
            if note:
                out.append(note + "\n")
            if raw is not None:
                out.extend(raw)
                continue
            out.append("| case | system | median | unit | csvfs advantage | n | min..max |")
            out.append("|---|---|---:|---|---:|---:|---|")
            for case, system, m, unit, adv, samples in rows:
                a = "" if adv is None else f"{adv:.2f}x"
                mm = f"{fmt(min(samples), unit)}..{fmt(max(samples), unit)}" if samples else ""
                out.append(f"| {case} | {system} | {fmt(m, unit)} | {unit} | {a} | "
                           f"{len(samples)} | {mm} |")
        out.append("\n### Targets (reported, never enforced)\n")
        out.append("| target | measured | goal | result |")
        out.append("|---|---|---|---|")
        for name, measured, goal, ok in self.targets:
            out.append(f"| {name} | {measured} | {goal} | {'PASS' if ok else 'MISS'} |")
        if self.errors:
            out.append("\n### Errors\n")
            for e in self.errors:
                out.append(f"- {e}")


# ---------------------------------------------------------------------------------------------
# The benchmarks


class Bench:
    def __init__(self, cfg, res):
        self.cfg, self.res = cfg, res
        self.work = cfg.workdir
        self.n = 0

    def path(self, name):
        return os.path.join(self.work, name)

    def fresh_dir(self, name):
        self.n += 1
        d = self.path(f"{name}.{self.n}")
        os.makedirs(d)
        return d

    def csvfs(self, backing, opts=(), start=True):
        mnt = self.fresh_dir("mnt")
        cmd = [self.cfg.csvfs, backing, mnt, "-f"]
        for o in opts:
            cmd += ["-o", o]
        m = Mount("csvfs", cmd, mnt, mnt + ".log")
        return m.start() if start else m

    def trivial(self, load=None):
        mnt = self.fresh_dir("mnt")
        cmd = [self.cfg.trivial_fuse, mnt] + (["--load", load] if load else [])
        return Mount("trivial_fuse", cmd, mnt, mnt + ".log").start()

    def sqlite_db(self, name, rows=0):
        path = self.path(name)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        db = sqlite3.connect(path)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, writer, seq, payload)")
        if rows:
            pad = "p" * 40
            db.executemany("INSERT INTO t VALUES (?,?,?,?)",
                           ((i, None, i, pad) for i in range(1, rows + 1)))
        db.commit()
        db.close()
        return path

    # -- 1. appends ----------------------------------------------------------------------------
    def appends(self):
        cfg, res = self.cfg, self.res
        d = self.fresh_dir("b1")
        backing = os.path.join(d, "table.csv")
        with open(backing, "wb") as f:
            f.write(b"writer,seq,payload\n")
        cs = self.csvfs(backing)
        tv = self.trivial()
        try:
            tb = os.path.join(cs.mnt, "table.csv")
            tt = os.path.join(tv.mnt, "table.csv")

            def local_file():
                p = self.path("local.csv")
                with open(p, "wb") as f:
                    f.write(b"writer,seq,payload\n")
                return p

            res.section("1a. Appends, each row durable on its own (rows/s, all writers)",
                        "csvfs: open+write+close per row (sync=close: durable at close). local: "
                        "open(O_APPEND)+write+fdatasync+close per row. flock: one open, per row "
                        "flock+write+fdatasync+unlock. sqlite3: WAL, synchronous=FULL, one "
                        "BEGIN IMMEDIATE/INSERT/COMMIT per row. Local files and the database are "
                        "on the same ext4 as BACKING.")
            for w in (1, 4, 16):
                per = max(1, cfg.rows_durable // w)
                samples = {k: [] for k in ("csvfs", "fdatasync", "flock", "sqlite")}
                for _ in range(cfg.reps):
                    samples["csvfs"].append(writer(cfg, tb, "per-row-open-close", per, w)["rows_per_s"])
                    samples["fdatasync"].append(writer(cfg, local_file(), "fdatasync", per, w)["rows_per_s"])
                    samples["flock"].append(writer(cfg, local_file(), "flock", per, w)["rows_per_s"])
                    samples["sqlite"].append(writer(cfg, self.sqlite_db("b1.db"), "sqlite", per, w)["rows_per_s"])
                c = res.add(f"{w} writers", "csvfs open+write+close", samples["csvfs"], "rows/s")
                f = res.add(f"{w} writers", "local O_APPEND+fdatasync per row", samples["fdatasync"], "rows/s", csvfs_ref=c)
                res.add(f"{w} writers", "local flock+append+fdatasync", samples["flock"], "rows/s", csvfs_ref=c)
                s = res.add(f"{w} writers", "sqlite3 WAL FULL, txn per row", samples["sqlite"], "rows/s", csvfs_ref=c)
                if w == 4:
                    res.target("1a 4 writers >= 1.5x sqlite3 FULL", f"{c / s:.2f}x", ">= 1.5x", c >= 1.5 * s)
                    res.target("1a 4 writers >= 0.8x local fdatasync/row", f"{c / f:.2f}x", ">= 0.8x", c >= 0.8 * f)
                if w == 16:
                    res.target("1a 16 writers >= 2x sqlite3 FULL", f"{c / s:.2f}x", ">= 2x", c >= 2 * s)
                    res.target("1a 16 writers >= 1x local fdatasync/row", f"{c / f:.2f}x", ">= 1x", c >= 1 * f)

            res.section("1b. Appends from writers that keep the file open, one write() per row (rows/s)",
                        "csvfs sync=close (durable at the final close, which is inside the timing). "
                        "trivial FUSE: tests/bench/trivial_fuse.cc (in-memory, direct_io for "
                        "writers). local: O_APPEND on ext4, no fsync.")
            for w in (1, 4, 16):
                per = max(1, cfg.rows_open // w)
                sc, sl, st = [], [], []
                for _ in range(cfg.reps):
                    sc.append(writer(cfg, tb, "keep-open", per, w)["rows_per_s"])
                    sl.append(writer(cfg, local_file(), "keep-open", per, w)["rows_per_s"])
                    st.append(writer(cfg, tt, "keep-open", per, w)["rows_per_s"])
                c = res.add(f"{w} writers", "csvfs", sc, "rows/s")
                res.add(f"{w} writers", "local O_APPEND", sl, "rows/s", csvfs_ref=c)
                t = res.add(f"{w} writers", "trivial FUSE fs", st, "rows/s", csvfs_ref=c)
                res.target(f"1b {w} writers >= 70% of trivial FUSE", f"{c / t:.0%}", ">= 70%", c >= 0.7 * t)

            res.section("1c. Shell `>>` loops (bash builtin echo, one open+write+close per row; rows/s)",
                        "csvfs: each close is a durable commit. local: no fsync (what `>>` gives).")
            for w in (1, 4, 16):
                per = max(1, cfg.rows_shell // w)
                sc, sl = [], []
                for _ in range(cfg.reps):
                    sc.append(w * per / self.shell_loops(tb, w, per))
                    sl.append(w * per / self.shell_loops(local_file(), w, per))
                c = res.add(f"{w} writers", "csvfs", sc, "rows/s")
                res.add(f"{w} writers", "local file", sl, "rows/s", csvfs_ref=c)
            # Every row must be there: a cheap correctness check on what we just did.
            self.check_append_count(tb)
        finally:
            cs.stop()
            tv.stop()

    def shell_loops(self, path, writers, rows):
        pad = "x" * 51
        script = (f'for ((i=0;i<{rows};i++)); do echo "$W,$i,{pad}" >> "$F"; done')
        procs = []
        t0 = time.monotonic()
        for w in range(writers):
            p = subprocess.Popen(["bash", "-c", script], env={**os.environ, "W": str(w), "F": path},
                                 stderr=subprocess.PIPE)
            procs.append(p)
            BACKGROUND.append(p)
        for p in procs:
            try:
                _, err = p.communicate(timeout=TOOL_TIMEOUT)
            except subprocess.TimeoutExpired:
                raise BenchError(f"hang: shell >> loop on {path}")
            BACKGROUND.remove(p)
            if p.returncode != 0:
                raise BenchError(f"shell >> loop on {path} failed: {err.decode(errors='replace')[-500:]}")
        return time.monotonic() - t0

    def check_append_count(self, tb):
        cfg = self.cfg
        expected = 0
        for w in (1, 4, 16):
            expected += cfg.reps * w * (max(1, cfg.rows_durable // w) + max(1, cfg.rows_open // w)
                                        + max(1, cfg.rows_shell // w))
        with open(tb, "rb") as f:
            got = sum(1 for _ in f) - 1
        if got != expected:
            raise BenchError(f"csvfs table holds {got} rows after the append benchmarks, "
                             f"expected {expected}")
        log(f"1: csvfs table holds all {got} appended rows")

    # -- 2. deletes ----------------------------------------------------------------------------
    def deletes(self):
        cfg, res = self.cfg, self.res
        res.section("2. Deleting rows (ms per deleted row)",
                    "csvfs: one `rm rows/ID...` for all ids of a repetition (each unlink is durable "
                    "when it returns). flock+sed: `flock T.lock sh -c 'sed -i \"/^ID,/d\" T && sync T "
                    ".'` per row (sync = fsync of the file and the directory, for equal "
                    "durability). sqlite3: the sqlite3 shell, WAL, synchronous=FULL, one autocommit "
                    "`DELETE FROM t WHERE id=ID` per row (INTEGER PRIMARY KEY). Ids are random, "
                    "distinct, the same for all three.")
        self.delete_points = []
        base = {}
        for rows in cfg.delete_sizes:
            d = self.fresh_dir("b2")
            src = os.path.join(d, "gen.csv")
            make_table(src, rows)
            ids = random.Random(rows).sample(range(1, rows + 1), cfg.reps * cfg.deletes + cfg.reps * cfg.sed_deletes(rows))
            ids_c = [ids[i * cfg.deletes:(i + 1) * cfg.deletes] for i in range(cfg.reps)]
            rest = ids[cfg.reps * cfg.deletes:]
            n_sed = cfg.sed_deletes(rows)
            ids_s = [rest[i * n_sed:(i + 1) * n_sed] for i in range(cfg.reps)]

            # csvfs
            bd = os.path.join(d, "csvfs")
            os.makedirs(bd)
            backing = os.path.join(bd, "table.csv")
            shutil.copyfile(src, backing)
            cs = self.csvfs(backing)
            sc = []
            try:
                rdir = os.path.join(cs.mnt, "rows")
                for batch in ids_c:
                    dt = run(["rm", *[os.path.join(rdir, str(i)) for i in batch]], cwd=rdir)
                    sc.append(dt / len(batch) * 1e3)
                with open(os.path.join(cs.mnt, "table.csv"), "rb") as f:
                    left = sum(1 for _ in f) - 1
                if left != rows - cfg.reps * cfg.deletes:
                    raise BenchError(f"csvfs: {left} rows left after deleting "
                                     f"{cfg.reps * cfg.deletes} of {rows}")
            finally:
                cs.stop()

            # flock + sed -i
            sd = os.path.join(d, "sed")
            os.makedirs(sd)
            local = os.path.join(sd, "table.csv")
            shutil.copyfile(src, local)
            ss = []
            for batch in ids_s:
                t0 = time.monotonic()
                for i in batch:
                    run(["flock", local + ".lock", "sh", "-c",
                         f'sed -i "/^{i},/d" table.csv && sync table.csv .'], cwd=sd)
                ss.append((time.monotonic() - t0) / len(batch) * 1e3)

            # sqlite3
            db = self.sqlite_db("b2.db", rows)
            sq = []
            for batch in ids_c:
                script = "PRAGMA synchronous=FULL;\n" + "".join(
                    f"DELETE FROM t WHERE id={i};\n" for i in batch)
                dt = run(["sqlite3", "-bail", db], input=script.encode())
                sq.append(dt / len(batch) * 1e3)
            os.remove(db)

            case = f"{rows:,} rows"
            c = res.add(case, "csvfs rm rows/ID", sc, "ms", higher_better=False)
            s = res.add(case, f"flock + sed -i + sync ({n_sed}/rep)", ss, "ms", higher_better=False, csvfs_ref=c)
            q = res.add(case, "sqlite3 DELETE, WAL FULL", sq, "ms", higher_better=False, csvfs_ref=c)
            base[rows] = (c, s, q)
            self.delete_points.append((rows, c, s, q))
            shutil.rmtree(d)
        big, small = max(cfg.delete_sizes), min(cfg.delete_sizes)
        c, s, q = base[big]
        res.target(f"2 delete from {big:,} rows >= 500x faster than flock+sed", f"{s / c:,.0f}x", ">= 500x", s >= 500 * c)
        res.target(f"2 delete cost at {big:,} rows within 1.5x of csvfs at {small:,}", f"{c / base[small][0]:.2f}x", "<= 1.5x", c <= 1.5 * base[small][0])
        res.target(f"2 delete from {big:,} rows within 1.5x of sqlite3 FULL", f"{c / q:.2f}x", "<= 1.5x", c <= 1.5 * q)

    # -- 3. reads ------------------------------------------------------------------------------
    def reads(self, table):
        cfg, res = self.cfg, self.res
        size = os.path.getsize(table)
        res.section(f"3. Reading the whole table with cat ({size / 2**20:,.0f} MiB; GB/s)",
                    "cold: right after `rm rows/ID` (a change that replaces the version, so no "
                    "cached page can be reused). warm: the same again, unchanged since the last read. "
                    "local: cat of BACKING from the page cache. trivial FUSE: every open reads "
                    "through FUSE into the page cache (no keep_cache). `cat F > /dev/null`, "
                    "spawn included.")
        d = self.fresh_dir("b3")
        backing = os.path.join(d, "table.csv")
        shutil.copyfile(table, backing)
        cs = self.csvfs(backing)
        tv = self.trivial(load=table)
        cold, warm, loc, triv = [], [], [], []
        try:
            tb = os.path.join(cs.mnt, "table.csv")
            run(["cat", tb], stdout=subprocess.DEVNULL)
            run(["cat", table], stdout=subprocess.DEVNULL)
            for r in range(cfg.read_reps):
                os.unlink(os.path.join(cs.mnt, "rows", str(r + 1)))
                cold.append(size / run(f"cat '{tb}' > /dev/null") / 1e9)
                warm.append(size / run(f"cat '{tb}' > /dev/null") / 1e9)
                loc.append(size / run(f"cat '{table}' > /dev/null") / 1e9)
                triv.append(size / run(f"cat '{tv.mnt}/table.csv' > /dev/null") / 1e9)
        finally:
            cs.stop()
            tv.stop()
        c = res.add("cold (after a delete)", "csvfs", cold, "GB/s")
        t = res.add("cold (after a delete)", "trivial FUSE fs", triv, "GB/s", csvfs_ref=c)
        w = res.add("warm (unchanged)", "csvfs", warm, "GB/s")
        l = res.add("warm (unchanged)", "cat BACKING from page cache", loc, "GB/s", csvfs_ref=w)
        res.target("3 cold >= 80% of trivial FUSE", f"{c / t:.0%}", ">= 80%", c >= 0.8 * t)
        res.target("3 warm >= 40% of local page cache", f"{w / l:.0%}", ">= 40%", w >= 0.4 * l)
        shutil.rmtree(d)

    # -- 4. mount time and memory --------------------------------------------------------------
    def mounts(self, tables):
        cfg, res = self.cfg, self.res
        res.section("4. Mount time and daemon memory",
                    "Mount time: from starting `csvfs -f` to the mount appearing in /proc/mounts. "
                    "wc -l: the same file, like csvfs from a warm page cache. Memory from "
                    "/proc/PID/status 0.5 s after mounting (untouched), and again after one "
                    "`cat` of the table.")
        for label, table in tables:
            size = os.path.getsize(table)
            d = self.fresh_dir("b4")
            backing = os.path.join(d, "table.csv")
            shutil.copyfile(table, backing)
            run(["cat", backing], stdout=subprocess.DEVNULL)
            mt, wc, anon, rfile, anon_cat = [], [], [], [], []
            for _ in range(cfg.mount_reps):
                wc.append(run(["wc", "-l", backing]))
                cs = self.csvfs(backing)
                try:
                    mt.append(cs.mount_s)
                    time.sleep(0.5)
                    st = cs.status()
                    anon.append(st["RssAnon"] / 2**20)
                    rfile.append(st["RssFile"] / 2**20)
                    run(f"cat '{cs.mnt}/table.csv' > /dev/null")
                    anon_cat.append(cs.status()["RssAnon"] / 2**20)
                finally:
                    if not cs.stop():
                        raise BenchError(f"csvfs on {backing} did not unmount cleanly")
            c = res.add(f"{label}: mount", "csvfs", mt, "s", higher_better=False)
            w = res.add(f"{label}: mount", "wc -l", wc, "s", higher_better=False, csvfs_ref=c)
            a = res.add(f"{label}: RssAnon untouched", "csvfs", anon, "MiB")
            res.add(f"{label}: RssFile untouched", "csvfs", rfile, "MiB")
            res.add(f"{label}: RssAnon after one cat", "csvfs", anon_cat, "MiB")
            if table == tables[-1][1]:
                res.target(f"4 mount {label} within 3x of wc -l", f"{c / w:.2f}x", "<= 3x", c <= 3 * w)
                res.target(f"4 RssAnon untouched {label} <= 0.25x size", f"{a * 2**20 / size:.3f}x", "<= 0.25x", a * 2**20 <= 0.25 * size)
            shutil.rmtree(d)

    # -- 5. append latency during a checkpoint --------------------------------------------------
    def checkpoint_latency(self, table):
        cfg, res = self.cfg, self.res
        size = os.path.getsize(table)
        label = f"{size / 2**20:,.0f} MiB table"
        res.section(f"5. Latency of one durable append (open+write+close) during a checkpoint ({label})",
                    "Mounted with -o checkpoint_bytes=1M. One writer appends a 60-byte row every "
                    "~1 ms. idle: no other activity. checkpoint: a bulk append of ~1.2 MB (one "
                    "`cat >> table.csv`) pushes the journal past 1 MiB, which starts a background "
                    "checkpoint that rewrites the whole table; only appends that started while "
                    "the checkpoint's temp file (.table.csv.csvfs-tmp) existed are counted "
                    "(watched in the backing directory, not through the mount). Repeated "
                    f"{cfg.checkpoints} times.")
        d = self.fresh_dir("b5")
        bd = os.path.join(d, "data")
        os.makedirs(bd)
        backing = os.path.join(bd, "table.csv")
        shutil.copyfile(table, backing)
        bulk = os.path.join(d, "bulk.csv")
        with open(bulk, "wb") as f:
            for i in range(20000):
                head = f"{i},{i},"
                f.write((head + "b" * (ROW_BYTES - 1 - len(head)) + "\n").encode())
        tmpname = os.path.join(bd, ".table.csv.csvfs-tmp")
        cs = self.csvfs(backing, ["checkpoint_bytes=1M"])
        idle_p50, idle_p99, ck_p50, ck_p99, windows = [], [], [], [], []
        try:
            tb = os.path.join(cs.mnt, "table.csv")
            for _ in range(cfg.reps5):
                r = writer(cfg, tb, "per-row-open-close", 10**7, 1,
                           ["--pause-us", "1000", "--duration-s", str(cfg.idle_s)])
                idle_p50.append(r["p50_us"])
                idle_p99.append(r["p99_us"])
            samples = os.path.join(d, "samples.txt")
            stop = os.path.join(d, "stop")
            p = subprocess.Popen([cfg.append_writer, tb, "per-row-open-close", str(10**7),
                                  "--pause-us", "1000", "--duration-s", "900",
                                  "--samples", samples, "--stop-file", stop],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            BACKGROUND.append(p)
            try:
                time.sleep(0.3)
                for _ in range(cfg.checkpoints):
                    run(f"cat '{bulk}' >> '{tb}'")
                    t0 = time.monotonic()
                    start = None
                    while time.monotonic() - t0 < 300:
                        ex = os.path.exists(tmpname)
                        if start is None and ex:
                            start = time.monotonic_ns()
                        elif start is not None and not ex:
                            windows.append((start, time.monotonic_ns()))
                            break
                        if start is None and time.monotonic() - t0 > 20:
                            break
                        time.sleep(0.0005)
                    time.sleep(0.3)
            finally:
                with open(stop, "w"):
                    pass
                try:
                    out, err = p.communicate(timeout=120)
                except subprocess.TimeoutExpired:
                    raise BenchError("hang: the append writer did not stop within 120 s")
                BACKGROUND.remove(p)
            if p.returncode != 0:
                raise BenchError(f"append writer failed during checkpoints: {err.decode()[-1000:]}")
            with open(samples) as f:
                lat = [tuple(map(int, line.split())) for line in f]
        finally:
            cs.stop()
        shutil.rmtree(d)
        if len(windows) < cfg.checkpoints:
            res.errors.append(f"5: saw {len(windows)} checkpoint(s) of {cfg.checkpoints} triggered")
        return idle_p50, idle_p99, windows, lat

    def report_latency(self, idle_p50, idle_p99, windows, lat):
        res = self.res
        inside = sorted(l for s, l in lat if any(a <= s <= b for a, b in windows))
        pct = lambda xs, p: xs[min(len(xs) - 1, int(p * (len(xs) - 1) + 0.5))] / 1e3 if xs else float("nan")
        ip50 = res.add("p50", "no checkpoint (idle)", idle_p50, "µs")
        ip99 = res.add("p99", "no checkpoint (idle)", idle_p99, "µs")
        res.add("p50", f"during checkpoint ({len(inside)} appends)", [pct(inside, .5)], "µs")
        cp99 = res.add("p99", f"during checkpoint ({len(inside)} appends)", [pct(inside, .99)], "µs")
        res.add("max", f"during checkpoint", [inside[-1] / 1e3] if inside else [], "µs")
        dur = [(b - a) / 1e9 for a, b in windows]
        res.add("checkpoint duration", "csvfs", dur, "s")
        res.target("5 p99 during checkpoint <= 5x idle p99", f"{cp99 / ip99:.2f}x" if ip99 else "n/a",
                   "<= 5x", cp99 == cp99 and cp99 <= 5 * ip99)


# ---------------------------------------------------------------------------------------------


def machine_description(workdir):
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, timeout=10).stdout.decode().strip()
        except Exception:
            return "?"
    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    mem = sh("awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo")
    dev, fstype = sh(f"df --output=source,fstype '{workdir}' | tail -1").split()[:2] or ("?", "?")
    base = os.path.basename(dev)
    rot = sh(f"cat /sys/block/{base}/queue/rotational 2>/dev/null")
    model = sh(f"cat /sys/block/{base}/device/model 2>/dev/null") or "virtual disk"
    sqlite_version = sh("sqlite3 --version").split(" ")[0]
    return [
        f"- nproc: {os.cpu_count()} ({cpu})",
        f"- memory: {mem}",
        f"- kernel: {platform.release()}",
        f"- disk: {dev} ({model}, rotational={rot or '?'}), file system: {fstype}",
        f"- libfuse: {sh('pkg-config --modversion fuse3')}, sqlite3: {sqlite_version}",
    ]


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def plot_deletes(points, png, workdir):
    dat = os.path.join(workdir, "delete_cost.dat")
    with open(dat, "w") as f:
        for rows, c, s, q in points:
            f.write(f"{rows} {c} {s} {q}\n")
    term = "pngcairo size 900,600" if "pngcairo" in subprocess.run(
        ["gnuplot", "-e", "set terminal"], capture_output=True, text=True).stdout + \
        subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True).stderr \
        else "png size 900,600"
    script = f"""
set terminal {term}
set output '{png}'
set title 'Cost of deleting one row vs table size (durable, median)'
set xlabel 'rows in the table'
set ylabel 'ms per deleted row'
set logscale xy
set key top left
set grid
set format x '%.0s%c'
plot '{dat}' using 1:2 with linespoints lw 2 title 'csvfs: rm rows/ID', \\
     '{dat}' using 1:3 with linespoints lw 2 title 'flock + sed -i + sync', \\
     '{dat}' using 1:4 with linespoints lw 2 title 'sqlite3 DELETE (WAL, synchronous=FULL)'
"""
    subprocess.run(["gnuplot"], input=script.encode(), check=True, timeout=60)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--csvfs", required=True)
    ap.add_argument("--append-writer", required=True)
    ap.add_argument("--trivial-fuse", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--results", help="write RESULTS.md here (full mode)")
    ap.add_argument("--plot", help="write the delete-cost PNG here (full mode)")
    ap.add_argument("--only", help="comma-separated subset of 1,2,3,4,5,6")
    ap.add_argument("--rewrite-size", action="append", default=[], metavar="SIZE",
                    help="benchmark 6 on a table of SIZE (e.g. 150M, 1.5G, 10G; repeatable) "
                         "instead of the mode's sizes")
    cfg = ap.parse_args()
    q = cfg.quick
    cfg.reps = 1 if q else 5
    cfg.rows_durable = 64 if q else 1000
    cfg.rows_open = 800 if q else 16000
    cfg.rows_shell = 64 if q else 800
    cfg.deletes = 20 if q else 200
    cfg.delete_sizes = [1000, 10000] if q else [10000, 100000, 1000000]
    cfg.sed_deletes = (lambda rows: 5) if q else (lambda rows: 200 if rows <= 10000 else 40 if rows <= 100000 else 8)
    cfg.read_reps = 2 if q else 7
    cfg.mount_reps = 1 if q else 3
    cfg.reps5 = 1 if q else 3
    cfg.idle_s = 0.5 if q else 3
    cfg.checkpoints = 1 if q else 4
    sizes = [("8 MB", 8 * 10**6), ("32 MB", 32 * 10**6)] if q else [("100 MB", 100 * 10**6), ("1 GiB", 2**30)]
    # 6: rewrites of a big table (tests/bench/rewrite_bench.py).
    if cfg.rewrite_size:
        sizes6 = [(s, parse_size(s)) for s in cfg.rewrite_size]
    else:
        sizes6 = [("20 MB", 20 * 10**6)] if q else [("150 MB", 150 * 10**6), ("1.5 GB", 15 * 10**8)]
    cfg.reps6 = 1 if q or max(n for _, n in sizes6) > 4 * 10**9 else 3
    cfg.idle6_s = 1.0 if q else 5.0
    only = set(cfg.only.split(",")) if cfg.only else {"1", "2", "3", "4", "5", "6"}

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    res = Results()
    b = Bench(cfg, res)
    load_start = loadavg()
    t_start = time.monotonic()
    try:
        tables = []
        if only & {"3", "4", "5"}:
            for label, n in sizes:
                p = b.path(f"gen-{n}.csv")
                t0 = time.monotonic()
                make_table_bytes(p, n)
                log(f"generated {label} table in {time.monotonic() - t0:.1f}s")
                tables.append((label, p))
        steps = [("1", "appends", lambda: b.appends()),
                 ("2", "deletes", lambda: b.deletes()),
                 ("3", "reads", lambda: b.reads(tables[0][1])),
                 ("4", "mounts", lambda: b.mounts(tables)),
                 ("5", "checkpoint latency", lambda: bench5(b, tables[-1][1])),
                 ("6", "rewrites of a big table",
                  lambda: rewrite_bench.bench(b, sys.modules[__name__], sizes6, cfg.reps6))]
        for key, name, fn in steps:
            if key not in only:
                continue
            t0 = time.monotonic()
            log(f"benchmark {key}: {name}")
            try:
                fn()
            except BenchError as e:
                res.errors.append(f"{key} ({name}): {e}")
                log(f"ERROR in benchmark {key}: {e}")
                cleanup_all()
            log(f"benchmark {key} took {time.monotonic() - t0:.1f}s")
    finally:
        cleanup_all()
    left = [m for m in mounted_paths() if m.startswith(cfg.workdir + "/")]
    if left:
        res.errors.append(f"mounts left behind: {left}")

    out = []
    res.print_tables(out)
    text = "\n".join(out)
    print(text)
    log(f"total {time.monotonic() - t_start:.0f}s")
    if cfg.results:
        with open(cfg.results, "w") as f:
            f.write("# csvfs benchmark results\n\n")
            f.write("Produced by `tests/bench/run_bench.sh` (full mode) on "
                    f"{time.strftime('%Y-%m-%d %H:%M %Z')}; total run time "
                    f"{time.monotonic() - t_start:.0f} s.\n\n## Machine\n\n")
            f.write("\n".join(machine_description(cfg.workdir)) + "\n")
            f.write(f"- load average at start / end of the run: {load_start} / {loadavg()} "
                    "(the machine is shared: other jobs were running, so expect noise)\n\n")
            f.write("## Method\n\nEvery number is the median of several repetitions (n), csvfs "
                    "and its competitors measured in the same run at equal durability. "
                    "\"csvfs advantage\" > 1 means csvfs is better: for rates csvfs/other, for "
                    "costs and times other/csvfs. Ratios in the targets use the medians.\n")
            f.write(text + "\n")
            if cfg.plot and getattr(b, "delete_points", None):
                f.write(f"\n![delete cost](delete_cost.png)\n")
    if cfg.plot and getattr(b, "delete_points", None):
        plot_deletes(b.delete_points, cfg.plot, cfg.workdir)
    return 1 if res.errors else 0


def parse_size(text):
    """'20M', '1.5G', '10G' (powers of ten for M/G, as disk sizes are quoted), '10GiB', bytes."""
    t = text.strip()
    units = {"GiB": 2**30, "MiB": 2**20, "G": 10**9, "M": 10**6, "k": 10**3, "": 1}
    for suffix, mult in units.items():
        if t.endswith(suffix) and t[:len(t) - len(suffix)].replace(".", "", 1).isdigit():
            return int(float(t[:len(t) - len(suffix)]) * mult)
    raise SystemExit(f"run_bench.py: bad size {text!r} (e.g. 150M, 1.5G, 10GiB)")


def bench5(b, table):
    idle_p50, idle_p99, windows, lat = b.checkpoint_latency(table)
    b.report_latency(idle_p50, idle_p99, windows, lat)


if __name__ == "__main__":
    sys.exit(main())
