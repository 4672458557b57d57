"""wmbench - shared pieces of the washmix benchmarks (bench/parts/*.py).

A benchmark part is a Python script run by bench/run as
    bench/parts/NAME.py --build DIR --out FILE.json [--quick]
It measures, prints its tables to stdout and writes one JSON object:
    {"name": NAME, "quick": bool, "tables": [TABLE...], "data": {...}}
where a TABLE is {"title": str, "columns": [str...], "rows": [[cell...]...],
"notes": [str...]} and cells are strings already formatted for people;
"data" holds the raw figures (seconds, bytes, ratios) for machines.

Everything a part starts (jackd, redis-server, washmixd) is a private
instance with its own name, port or socket, stopped by PID when the part
ends, whatever happens. Nothing here is a test: parts print figures and
fail only when a tool breaks, never on a figure.
"""

import argparse
import contextlib
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ------------------------------------------------------------ arguments


def parse_args(name, extra=None):
    """--build DIR (the Release build bench/run made), --out FILE, --quick."""
    p = argparse.ArgumentParser(prog=name)
    p.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    p.add_argument("--out", default=None)
    p.add_argument("--quick", action="store_true",
                   help="short runs: only checks that the benchmark works")
    if extra:
        extra(p)
    args = p.parse_args()
    use_build(args.build)
    return args


def binary(build, name):
    """Path of a built program: washmixd, washmix, engine_bench, ..."""
    for sub in ("daemon", "control", "bench", ""):
        path = os.path.join(build, sub, name)
        if os.access(path, os.X_OK):
            return path
    raise SystemExit(f"{name} is not built in {build}")


_LAUNCHER = None


def use_build(build):
    """Measure through build/bench/rusage_exec when it is built (run())."""
    global _LAUNCHER
    path = os.path.join(build, "bench", "rusage_exec")
    _LAUNCHER = path if os.access(path, os.X_OK) else None


def root_flag():
    """washmixd refuses to run as root without --allow-root."""
    return ["--allow-root"] if os.geteuid() == 0 else []


# ------------------------------------------------------------ measuring


class Sample:
    """One finished process: wall seconds, CPU seconds (user+sys), peak RSS."""

    def __init__(self, wall, cpu, maxrss_kib, status, stdout, stderr):
        self.wall, self.cpu, self.maxrss_kib = wall, cpu, maxrss_kib
        self.status, self.stdout, self.stderr = status, stdout, stderr


def run(cmd, env=None, cwd=None, stdin=None, check=True, timeout=None):
    """Run cmd to completion; wall clock, CPU and peak RSS of that child
    alone (wait4), so other processes never count. Linux carries a process's
    peak RSS across fork and exec, so a command started straight from Python
    would report at least Python's own peak RSS: when the build has
    bench/rusage_exec (use_build(), called by parse_args), the command runs
    under it and its figures are the command's own."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    report = None
    argv = list(cmd)
    if _LAUNCHER:
        fd, report = tempfile.mkstemp(prefix="wmbench-rusage-")
        os.close(fd)
        argv = [_LAUNCHER, report] + argv
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, env=full_env, cwd=cwd, stdout=out, stderr=err,
                         stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL)
    if stdin is not None:
        p.stdin.write(stdin.encode() if isinstance(stdin, str) else stdin)
        p.stdin.close()
    deadline = None if timeout is None else t0 + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if deadline and time.perf_counter() > deadline:
            p.kill()
            pid, status, ru = os.wait4(p.pid, 0)
            break
        time.sleep(0.001)
    wall = time.perf_counter() - t0
    cpu, maxrss = ru.ru_utime + ru.ru_stime, ru.ru_maxrss
    if report:
        with open(report) as f:
            fields = f.read().split()
        os.unlink(report)
        if len(fields) == 4:
            status = int(fields[0])
            wall, cpu, maxrss = float(fields[1]), float(fields[2]), int(fields[3])
    p.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    s = Sample(wall, cpu, maxrss, p.returncode,
               out.read().decode(errors="replace"), err.read().decode(errors="replace"))
    if check and s.status != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {s.status}:\n{s.stderr[-2000:]}")
    return s


def stats(values):
    """median, min, max of a list of numbers."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values)}


def repeat(n, fn):
    """Call fn() n times; returns the list of its results."""
    return [fn() for _ in range(n)]


def fmt_range(st, unit="", scale=1.0, digits=2):
    """'0.42 s (0.40–0.47)' from a stats() dict."""
    f = f"{{:.{digits}f}}"
    return (f.format(st["median"] * scale) + unit + " (" + f.format(st["min"] * scale)
            + "–" + f.format(st["max"] * scale) + ")")


# ------------------------------------------------------------ output


class Table:
    def __init__(self, title, columns, notes=None):
        self.title, self.columns, self.rows = title, columns, []
        self.notes = list(notes or [])

    def add(self, *cells):
        self.rows.append([str(c) for c in cells])

    def note(self, text):
        self.notes.append(text)

    def as_dict(self):
        return {"title": self.title, "columns": self.columns, "rows": self.rows,
                "notes": self.notes}


def print_table(t):
    """A plain-text table on stdout."""
    d = t if isinstance(t, dict) else t.as_dict()
    widths = [len(c) for c in d["columns"]]
    for r in d["rows"]:
        widths = [max(w, len(c)) for w, c in zip(widths, r)]
    line = "  ".join(c.ljust(w) for c, w in zip(d["columns"], widths))
    print(f"\n{d['title']}\n{line}\n{'-' * len(line)}")
    for r in d["rows"]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    for n in d["notes"]:
        print(f"  note: {n}")


def markdown_table(t):
    d = t if isinstance(t, dict) else t.as_dict()
    lines = [f"**{d['title']}**", "", "| " + " | ".join(d["columns"]) + " |",
             "| " + " | ".join("---" for _ in d["columns"]) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in d["rows"]]
    lines += [""] + [f"- {n}" for n in d["notes"]]
    return "\n".join(lines)


def write_part(args, name, tables, data):
    """Print the tables and write the part's JSON to --out."""
    for t in tables:
        print_table(t)
    doc = {"name": name, "quick": bool(args.quick), "tables": [t.as_dict() for t in tables],
           "data": data}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(doc, f, indent=1)


def machine():
    """What the figures were measured on."""
    info = {"kernel": platform.release(), "arch": platform.machine(),
            "cores": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            info["memory_gib"] = round(int(f.readline().split()[1]) / 1048576, 1)
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    info["os"] = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    try:
        info["commit"] = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                        capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    return info


# ------------------------------------------------------------ servers


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(p, timeout=5):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@contextlib.contextmanager
def jackd(rate=48000, period=256, realtime=True):
    """A private JACK server on the dummy backend; yields its name. Tries
    realtime scheduling first (as a real site runs), then without."""
    name = f"wmbench-{os.getpid()}-{period}"
    log = tempfile.NamedTemporaryFile(prefix="wmbench-jackd-", suffix=".log", delete=False)
    for rt in ([True, False] if realtime else [False]):
        cmd = ["jackd", "-n", name] + (["-R"] if rt else ["--no-realtime"]) + \
              ["-d", "dummy", "-r", str(rate), "-p", str(period)]
        p = subprocess.Popen(cmd, stdout=log, stderr=log, env=dict(os.environ, JACK_NO_START_SERVER="1"))
        ok = subprocess.run(["jack_wait", "-s", name, "-w", "-t", "10"],
                            capture_output=True).returncode == 0 and p.poll() is None
        if ok:
            break
        _stop(p)
    else:
        raise SystemExit(f"jackd would not start; see {log.name}")
    try:
        yield name
    finally:
        _stop(p)


@contextlib.contextmanager
def redis(unix_socket=None):
    """A private redis-server (no persistence); yields its address for
    washmixd's --redis: 'unix:PATH' when a socket path is given, else
    '127.0.0.1:PORT'."""
    port = 0 if unix_socket else free_port()
    cmd = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
           "--bind", "127.0.0.1"]
    if unix_socket:
        cmd += ["--unixsocket", unix_socket, "--unixsocketperm", "700"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    probe = ["redis-cli"] + (["-s", unix_socket] if unix_socket else ["-p", str(port)])
    for _ in range(200):
        if subprocess.run(probe + ["ping"], capture_output=True).stdout.strip() == b"PONG":
            break
        time.sleep(0.02)
    else:
        _stop(p)
        raise SystemExit("redis-server would not start")
    try:
        yield f"unix:{unix_socket}" if unix_socket else f"127.0.0.1:{port}"
    finally:
        _stop(p)


@contextlib.contextmanager
def daemon(build, jack_server, args=(), env=None):
    """washmixd on jack_server with a private state folder and socket;
    yields (process, socket path, state dir)."""
    state = tempfile.mkdtemp(prefix="wmbench-state-")
    sock = os.path.join(state, "control.sock")
    log = open(os.path.join(state, "washmixd.log"), "w")
    cmd = [binary(build, "washmixd"), "--socket", sock, "--state-dir", state,
           "--jack-server", jack_server, "--jack-client", f"washmix-{os.getpid()}",
           "--osc-port", "0", "--redis", "none", "--fresh"] + root_flag() + list(args)
    p = subprocess.Popen(cmd, stdout=log, stderr=log, env=dict(os.environ, **(env or {})))
    for _ in range(500):
        if os.path.exists(sock) or p.poll() is not None:
            break
        time.sleep(0.01)
    if p.poll() is not None:
        raise SystemExit(f"washmixd exited {p.returncode}; see {log.name}")
    try:
        yield p, sock, state
    finally:
        _stop(p)
        log.close()


def request(sock_path, line, timeout=10):
    """One request line to washmixd's socket; its JSON reply."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(sock_path)
        s.sendall(line.encode() + b"\n")
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                raise SystemExit(f"washmixd closed the connection on {line!r}")
            buf += chunk
            while b"\n" in buf:
                first, buf = buf.split(b"\n", 1)
                reply = json.loads(first)
                if "ok" in reply:
                    return reply
