#!/usr/bin/env python3
"""Part 4, control: washmixd's socket and OSC against redis-benchmark.

Socket: round trips (p50, p99, max) and requests/s of `ping` and of
`get ch/1/gain` for 1 and 16 connections, with 1 and 16 requests in flight
per connection, measured by bench/sock_bench.c (C, one poll loop, batches of
P requests as redis-benchmark -P does), side by side with
`redis-benchmark -s SOCKET -t ping -n N -c C -P P --csv` on a private
redis-server listening on a Unix socket, in the same run, cases interleaved.
Target (issue 8): our p99 no more than 1.5x Redis PING's (headline: one
client, not pipelined, against PING_INLINE, the same shape as ours: one text
line in, one line out).

OSC: bench/osc_blast.c sends N pre-built `/ch/N/gain f` datagrams (channels
1..8 in turn) flat out or paced at 10k msgs/s, from one and from two
sources; the daemon's counters say what it got and applied: `osc.received`
(datagrams read: sent - received were dropped by the kernel, receive buffer
full), `engine.commands` (changes the audio thread applied) and
`engine.command_drops` (changes refused because the engine's command queue
was full). Both run with --socket-rate 0 --osc-rate 0 (no rate limits).
"""

import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import wmbench as w  # noqa: E402

CASES = [(1, 1), (1, 16), (16, 1), (16, 16)]          # (clients, pipeline)
TARGET_P99_RATIO = 1.5
OSC_CHANNELS = 8


def parse_kv(line):
    """'a=1 b=2.5' -> {'a': 1.0, 'b': 2.5}"""
    return {k: float(v) for k, v in (f.split("=", 1) for f in line.split())}


def sock_run(prog, sock, clients, pipeline, n, command):
    s = w.run([prog, sock, str(clients), str(pipeline), str(n)] + command.split(), timeout=120)
    r = parse_kv(s.stdout.strip().splitlines()[-1])
    if r["errors"]:
        raise SystemExit(f"sock_bench: {int(r['errors'])} error replies to {command!r}")
    return {"p50_us": r["p50_us"], "p99_us": r["p99_us"], "max_us": r["max_us"],
            "p999_us": r["p999_us"], "rps": r["rps"]}


def redis_run(sock, clients, pipeline, n):
    """redis-benchmark 7.0 --csv: test,rps,avg,min,p50,p95,p99,max (ms)."""
    s = w.run(["redis-benchmark", "-s", sock, "-t", "ping", "-n", str(n), "-c", str(clients),
               "-P", str(pipeline), "--csv"], timeout=120)
    out = {}
    for line in s.stdout.splitlines():
        f = [x.strip('"') for x in line.strip().split(",")]
        if len(f) != 8 or f[0] == "test":
            continue
        ms = [float(x) for x in f[2:]]
        out[f[0]] = {"rps": float(f[1]), "p50_us": ms[2] * 1000, "p99_us": ms[4] * 1000,
                     "max_us": ms[5] * 1000}
    if "PING_INLINE" not in out or "PING_MBULK" not in out:
        raise SystemExit(f"cannot read redis-benchmark's output:\n{s.stdout[-1000:]}")
    return out


def requests_for(clients, pipeline, quick):
    n = {(1, 1): 30000, (1, 16): 200000, (16, 1): 100000, (16, 16): 300000}[(clients, pipeline)]
    return n // 10 if quick else n


def warm_up(prog, sock, rsock, quick):
    """Neither server is measured cold: the daemon's first seconds include
    JACK's graph activation, and both fault in their pages on first use."""
    n = 5000 if quick else 20000
    for c, p in CASES:
        sock_run(prog, sock, c, p, n, "ping")
        sock_run(prog, sock, c, p, n, "get ch/1/gain")
        redis_run(rsock, c, p, n)


def socket_bench(build, sock, rsock, runs, quick):
    prog = w.binary(build, "sock_bench")
    warm_up(prog, sock, rsock, quick)
    raw = {}
    for _ in range(runs):
        for c, p in CASES:
            n = requests_for(c, p, quick)
            key = f"c{c}_p{p}"
            d = raw.setdefault(key, {"requests": n, "washmix_ping": [], "washmix_get": [],
                                     "redis_PING_INLINE": [], "redis_PING_MBULK": []})
            d["washmix_ping"].append(sock_run(prog, sock, c, p, n, "ping"))
            d["washmix_get"].append(sock_run(prog, sock, c, p, n, "get ch/1/gain"))
            rr = redis_run(rsock, c, p, n)
            d["redis_PING_INLINE"].append(rr["PING_INLINE"])
            d["redis_PING_MBULK"].append(rr["PING_MBULK"])
    return raw


def med(samples, field):
    return w.stats([s[field] for s in samples])


def socket_tables(raw):
    lat = w.Table("Control socket vs redis-benchmark PING, Unix socket: round trip (µs) "
                  "and requests/s, median (min–max)",
                  ["clients x in flight", "server: command", "p50 µs", "p99 µs", "max µs",
                   "requests/s"])
    ratios = w.Table("Control socket / Redis PING_INLINE (ratio of medians; p99 lower is "
                     "better, requests/s higher is better)",
                     ["clients x in flight", "command", "p50 ratio", "p99 ratio",
                      "p99 vs MBULK", "requests/s ratio", "p99 ratio run by run",
                      "target p99 <= 1.5x"])
    names = [("washmix_ping", "washmixd: ping"), ("washmix_get", "washmixd: get ch/1/gain"),
             ("redis_PING_INLINE", "redis: PING (inline)"),
             ("redis_PING_MBULK", "redis: PING (multibulk)")]
    summary = {}
    for c, p in CASES:
        d = raw[f"c{c}_p{p}"]
        case = f"{c} x {p}"
        for key, label in names:
            lat.add(case, label, w.fmt_range(med(d[key], "p50_us"), digits=1),
                    w.fmt_range(med(d[key], "p99_us"), digits=1),
                    w.fmt_range(med(d[key], "max_us"), digits=0),
                    w.fmt_range(med(d[key], "rps"), digits=0))
        red = {k: {f: med(d[k], f)["median"] for f in ("p50_us", "p99_us", "rps")}
               for k in ("redis_PING_INLINE", "redis_PING_MBULK")}
        for key, cmd in (("washmix_ping", "ping"), ("washmix_get", "get ch/1/gain")):
            ours = {f: med(d[key], f)["median"] for f in ("p50_us", "p99_us", "rps")}
            r = {"p50": ours["p50_us"] / red["redis_PING_INLINE"]["p50_us"],
                 "p99": ours["p99_us"] / red["redis_PING_INLINE"]["p99_us"],
                 "p99_vs_mbulk": ours["p99_us"] / red["redis_PING_MBULK"]["p99_us"],
                 "rps": ours["rps"] / red["redis_PING_INLINE"]["rps"],
                 # the cases are interleaved, so run i of each ran side by side
                 "p99_runs": [a["p99_us"] / b["p99_us"]
                              for a, b in zip(d[key], d["redis_PING_INLINE"])]}
            met = r["p99"] <= TARGET_P99_RATIO
            headline = (c, p) == (1, 1) and cmd == "ping"
            verdict = ("met" if met else "MISSED") + (" (headline)" if headline else "")
            ratios.add(f"{c} x {p}", cmd, f"{r['p50']:.2f}x", f"{r['p99']:.2f}x",
                       f"{r['p99_vs_mbulk']:.2f}x", f"{r['rps']:.2f}x",
                       f"{min(r['p99_runs']):.2f}x–{max(r['p99_runs']):.2f}x", verdict)
            summary[f"c{c}_p{p}_{key}"] = dict(r, target_met=met)
    lat.note("sock_bench and redis-benchmark both drive C connections from one poll/event "
             "loop; with P in flight a batch of P requests is written at once and each "
             "reply's latency runs from that write to its read (redis-benchmark -P)")
    lat.note("redis-benchmark reports latencies in ms to 3 decimals (1 µs steps, HDR "
             "histogram); ours are exact ns, shown in µs")
    ratios.note("headline: 1 client, 1 in flight, ping vs PING_INLINE (one text line in, "
                "one line out, as ours); 'p99 vs MBULK' is the same p99 against the "
                "multibulk PING")
    ratios.note("run by run: each run's p99 over Redis's in the same round (the cases "
                "run interleaved); a wide range means the machine was busy, and only a "
                "run on an otherwise idle machine settles the target")
    return [lat, ratios], summary


# ------------------------------------------------------------ OSC


def stats(sock):
    r = w.request(sock, "stats")
    return {"received": r["osc"]["received"], "malformed": r["osc"]["malformed"],
            "rate_limited": r["osc"]["rate_limited"],
            "refused_allow": r["osc"]["refused_allow"], "errors": r["osc"]["errors"],
            "errors_suppressed": r["osc"]["errors_suppressed"],
            "commands": r["engine"]["commands"], "command_drops": r["engine"]["command_drops"],
            "xruns": r["jack"]["xruns"]}


def settle(sock, before, t_sent):
    """Poll the counters until they stop moving; returns how they moved and
    when the daemon was last seen working: the moment just before the poll
    that first saw the final counters (t_sent when the first poll did)."""
    t_ask = time.perf_counter()
    last, t_done = stats(sock), t_sent
    quiet = 0
    while quiet < 10:
        time.sleep(0.005)
        t_ask = time.perf_counter()
        now = stats(sock)
        if now == last:
            quiet += 1
        else:
            last, t_done, quiet = now, t_ask, 0
    d = {k: last[k] - before[k] for k in last}
    d["t_done"] = t_done
    return d


def osc_once(prog, sock, port, count, rate, sources):
    before = stats(sock)
    s = w.run([prog, "127.0.0.1", str(port), str(count), str(rate), str(sources),
               str(OSC_CHANNELS)], timeout=120)
    r = parse_kv(s.stdout.strip())
    t_end = time.perf_counter()
    d = settle(sock, before, t_end)
    # The sender's own send time, plus however long the daemon went on after.
    d["busy_s"] = r["seconds"] + (d["t_done"] - t_end)
    applied = d["commands"]
    refused = (d["malformed"] + d["rate_limited"] + d["refused_allow"] + d["errors"]
               + d["errors_suppressed"])
    return {"sent": int(r["sent"]), "send_s": r["seconds"], "sent_per_s": r["rate"],
            "received": d["received"], "kernel_drops": int(r["sent"]) - d["received"],
            "applied": applied, "applied_counted": d["received"] - refused,
            "queue_full": d["command_drops"], "rate_limited": d["rate_limited"],
            "malformed": d["malformed"], "busy_s": d["busy_s"], "xruns": d["xruns"],
            "applied_per_s": applied / d["busy_s"],
            "loss_pct": 100.0 * (int(r["sent"]) - applied) / int(r["sent"])}


def osc_bench(build, sock, port, runs, quick):
    prog = w.binary(build, "osc_blast")
    flat_n = 20000 if quick else 200000
    paced_s = 1 if quick else 3
    modes = [("flat out", 1, 0, flat_n), ("flat out", 2, 0, flat_n),
             ("paced 10k/s", 1, 10000, 10000 * paced_s),
             ("paced 10k/s", 2, 10000, 10000 * paced_s)]
    raw = {}
    for _ in range(runs):
        for label, sources, rate, n in modes:
            key = f"{label.replace(' ', '_').replace('/', '')}_{sources}src"
            raw.setdefault(key, {"label": label, "sources": sources, "rate": rate,
                                 "count": n, "runs": []})
            raw[key]["runs"].append(osc_once(prog, sock, port, n, rate, sources))
    t = w.Table("OSC /ch/N/gain f over UDP (loopback): sent vs applied, median (min–max)",
                ["mode", "sources", "messages", "sent/s", "applied/s", "loss %",
                 "lost: kernel buffer", "lost: engine queue full", "JACK xruns"])
    for key, d in raw.items():
        rs = d["runs"]
        t.add(d["label"], d["sources"], d["count"],
              w.fmt_range(med(rs, "sent_per_s"), digits=0),
              w.fmt_range(med(rs, "applied_per_s"), digits=0),
              w.fmt_range(med(rs, "loss_pct"), digits=2),
              w.fmt_range(med(rs, "kernel_drops"), digits=0),
              w.fmt_range(med(rs, "queue_full"), digits=0),
              w.fmt_range(med(rs, "xruns"), digits=0))
        for r in rs:
            if r["applied"] != r["applied_counted"]:
                t.note(f"{key}: engine applied {r['applied']} but the OSC counters "
                       f"imply {r['applied_counted']}")
    t.note("applied = engine.commands (changes the audio thread took; it matches "
           "osc.received less every refusal the OSC counters record); applied/s = "
           "applied / (the sender's send time plus the time the daemon's counters went on "
           "moving after it ended); loss = sent - applied")
    t.note("kernel buffer: sent - osc.received (UDP receive buffer full); engine queue "
           "full: engine.command_drops (the control thread could not hand the change to "
           "the audio thread, whose queue holds 1024 changes and drains once per JACK "
           "period, 256 frames at 48 kHz here); a period that comes late (an xrun, a busy "
           "machine) lets it fill")
    return [t], raw


def main():
    args = w.parse_args("control")
    runs = 1 if args.quick else 5
    tmp = tempfile.mkdtemp(prefix="wmbench-control-")
    rsock = os.path.join(tmp, "redis.sock")
    port = w.free_port()
    daemon_args = ["--socket-rate", "0", "--osc-rate", "0", "--osc-port", str(port),
                   "--osc-bind", "127.0.0.1"]
    with w.jackd() as jack, w.redis(unix_socket=rsock), \
            w.daemon(args.build, jack, daemon_args) as (_, sock, _state):
        w.request(sock, "ping")
        sraw = socket_bench(args.build, sock, rsock, runs, args.quick)
        oraw = osc_bench(args.build, sock, port, runs, args.quick)
    tables, summary = socket_tables(sraw)
    otables, oraw = oraw
    data = {"machine": w.machine(), "runs": runs, "socket": sraw, "ratios": summary,
            "osc": oraw, "target_p99_ratio": TARGET_P99_RATIO,
            "redis_benchmark": subprocess.run(["redis-benchmark", "--version"],
                                              capture_output=True, text=True).stdout.strip()}
    w.write_part(args, "control", tables + otables, data)


if __name__ == "__main__":
    main()
