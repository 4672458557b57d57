#!/usr/bin/env python3
"""cache - the render cache: a washmixd daemon (private jackd and
redis-server) takes the same render request twice; the first is a miss (the
render runs and its output is stored in Redis), the second a hit (the cached
bytes are written as the output). Measured as a client sees it: from sending
`render JSON` to the `job ID` poll that says done (one connection, polled
every 0.2 ms), and the daemon's own timings.run_ms.

A miss needs the same request with an empty cache (every field of the
request is part of the key, docs/render.md), so Redis is flushed
(FLUSHALL) before each miss. The daemon remembers each input's content hash
per path, size, mtime and inode, so only the very first miss hashes the
input files; it is reported on its own row ("cold").

Renders: the 8 inputs of bench/parts/render.py (60 s each) mixed to a 16-bit
WAV, and the same for 10 minutes (inputs made by repeating those files
ten times with sox, kept in BUILD/bench-inputs/). A 10-minute 16-bit stereo
WAV is 110 MiB, over the default cache_max_entry_mb of 64, so the daemon runs
with --cache-max-entry-mb 128: with the default it would never be cached.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import wmbench as wb  # noqa: E402
import render as rp  # noqa: E402

NIN = 8
POLL_S = 0.0002


class Conn:
    """One persistent connection to washmixd's socket."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(60)
        self.s.connect(path)
        self.buf = b""

    def ask(self, line):
        self.s.sendall(line.encode() + b"\n")
        while True:
            while b"\n" in self.buf:
                first, self.buf = self.buf.split(b"\n", 1)
                reply = json.loads(first)
                if "ok" in reply:
                    return reply
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise SystemExit("washmixd closed the connection")
            self.buf += chunk

    def close(self):
        self.s.close()


def long_inputs(media):
    """in01..08 repeated to 10 minutes, made once."""
    for i in range(NIN):
        src = os.path.join(media, f"in{i + 1:02d}.wav")
        dst = os.path.join(media, f"long{i + 1:02d}.wav")
        if not os.path.exists(dst):
            tmp = os.path.join(media, f".long{i + 1:02d}.wav")
            wb.run(["sox", src, tmp, "repeat", "9"])
            os.replace(tmp, dst)


def request(minutes, out_file):
    r = rp.washmix_request(NIN, out_file, "wav")
    if minutes != 1:
        r["inputs"] = {str(i + 1): f"long{i + 1:02d}.wav" for i in range(NIN)}
    return "render " + json.dumps(r, separators=(",", ":"))


def one_job(conn, line):
    """Submit, poll until done; (client wall s, the job)."""
    t0 = time.perf_counter()
    r = conn.ask(line)
    if not r.get("ok"):
        raise SystemExit(f"render refused: {r}")
    jid = r["job"]["id"] if isinstance(r["job"], dict) else r["job"]
    while True:
        j = conn.ask(f"job {jid}")["job"]
        if j["state"] in ("done", "failed", "cancelled"):
            break
        time.sleep(POLL_S)
    wall = time.perf_counter() - t0
    if j["state"] != "done":
        raise SystemExit(f"render job {jid} {j['state']}: {j.get('error')}")
    return wall, j


def disk_floor(rdir, name):
    """What any hit must do at least: write the output's bytes to a temp
    file, fsync it, rename it into place (the bytes already in memory)."""
    with open(os.path.join(rdir, name), "rb") as f:
        data = f.read()
    tmp = os.path.join(rdir, ".floor.tmp")
    t0 = time.perf_counter()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, data)
    os.fsync(fd)
    os.close(fd)
    os.rename(tmp, os.path.join(rdir, "floor-" + name))
    return time.perf_counter() - t0


def flush(addr):
    host, port = addr.rsplit(":", 1)
    subprocess.run(["redis-cli", "-h", host, "-p", port, "FLUSHALL"], check=True,
                   capture_output=True)


def measure(conn, addr, minutes, runs):
    line = request(minutes, f"cache{minutes}.wav")
    flush(addr)
    cold = one_job(conn, line)
    misses, hits = [], []
    for _ in range(runs):
        flush(addr)
        misses.append(one_job(conn, line))
        hits.append(one_job(conn, line))
    for w, j in [cold] + misses:
        if j.get("cached"):
            raise SystemExit(f"a miss came from the cache: {j}")
    uncached = [j for _, j in hits if not j.get("cached")]
    return {"cold": cold, "misses": misses, "hits": hits, "hits_uncached": len(uncached)}


def row(t, label, kind, samples, target=""):
    walls = wb.stats([w for w, _ in samples])
    runs = wb.stats([j["timings"]["run_ms"] / 1000.0 for _, j in samples])
    t.add(label, kind, wb.fmt_range(walls, " ms", 1000, 1), wb.fmt_range(runs, " ms", 1000, 0),
          target)
    return {"client_wall_s": walls, "run_s": runs}


def main():
    args = wb.parse_args("cache")
    runs = 1 if args.quick else 5
    media = rp.make_inputs(args.build)
    long_inputs(media)
    rdir = tempfile.mkdtemp(prefix="wmbench-renders-")
    data = {"machine": wb.machine(), "inputs": NIN}
    t = wb.Table("Render cache: the same request as a miss (rendered) and a hit (from Redis)",
                 ["render", "request", "client wall (submit → done)", "timings.run_ms",
                  "target"])
    with wb.jackd() as jack, wb.redis() as addr, \
            wb.daemon(args.build, jack, ["--redis", addr, "--media-dir", media,
                                         "--render-dir", rdir, "--socket-rate", "0",
                                         "--channels", str(NIN), "--zones", "1",
                                         "--cache-max-entry-mb", "128",
                                         "--cache-timeout-ms", "5000"]) as (_, sock, _state):
        conn = Conn(sock)
        try:
            for minutes in (1, 10):
                m = measure(conn, addr, minutes, runs)
                label = f"{minutes} min, {NIN} inputs, 16-bit WAV"
                d = {"cold_miss": row(t, label, "miss, cold (hashes the inputs)", [m["cold"]]),
                     "miss": row(t, label, "miss", m["misses"])}
                hit_ms = wb.stats([w for w, _ in m["hits"]])["median"] * 1000
                target = ""
                if minutes == 1:
                    target = f"hit < 5 ms: {'met' if hit_ms < 5 else 'MISSED'}"
                d["hit"] = row(t, label, "hit", m["hits"], target)
                fl = [disk_floor(rdir, f"cache{minutes}.wav") for _ in range(runs)]
                d["disk_floor_s"] = wb.stats(fl)
                t.add(label, "floor: copy the output + fsync + rename (Python)",
                      wb.fmt_range(d["disk_floor_s"], " ms", 1000, 1), "", "")
                miss_ms = d["miss"]["client_wall_s"]["median"] * 1000
                d["miss_over_hit"] = miss_ms / hit_ms
                d["hits_not_cached"] = m["hits_uncached"]
                d["raw"] = {k: [[w, j["timings"]] for w, j in
                                (m[k] if k != "cold" else [m[k]])]
                            for k in ("cold", "misses", "hits")}
                t.note(f"{minutes} min: miss / hit (client wall) = {miss_ms / hit_ms:.1f}"
                       + (f"; {m['hits_uncached']} repeat(s) were NOT served from the cache"
                          if m["hits_uncached"] else ""))
                data[f"render_{minutes}min"] = d
        finally:
            conn.close()
    t.note("cold: the daemon's first sight of the inputs reads and SHA-256-hashes every "
           "input file whole (8 x 11 MiB for 1 min, 8 x 110 MiB for 10 min) at idle priority "
           "before looking the key up; later requests reuse the hashes (path, size, mtime, "
           "inode)")
    t.note("a hit writes the cached bytes as the output file (temp file, fsync, rename), so "
           "its time includes writing the file to disk: 11 MiB for 1 min, 110 MiB for 10 min")
    t.note("--cache-timeout-ms 5000: with the default 200 ms, storing the 110 MiB of the "
           "10-minute output (one SET) timed out here, marked the cache down and the "
           "10-minute render was never cached")
    t.note(f"daemon: --channels {NIN} --zones 1 --cache-max-entry-mb 128 --socket-rate 0, "
           "private jackd (dummy) and redis-server on TCP 127.0.0.1; Redis flushed before "
           "each miss; client polls job ID every 0.2 ms on one connection")
    wb.write_part(args, "cache", [t], data)
    subprocess.run(["rm", "-rf", rdir])


if __name__ == "__main__":
    main()
