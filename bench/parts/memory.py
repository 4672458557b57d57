#!/usr/bin/env python3
"""memory - peak RSS of washmixd where it could grow with duration:

1. `washmixd --render` of 8 inputs (default topology, 8 channels x 2
   zones; no normalisation; FLAC output) for 10 minutes and for 2 hours
   (quick: 10 minutes only): the peak RSS from wait4 (through
   bench/rusage_exec, so Python's own RSS never counts). The same peak for
   both durations is what "bounded" means.
2. A washmixd daemon on a private jackd playing a 2-hour file (`play 1
   FILE`): VmRSS and VmHWM from /proc every 0.25 s for 60 s (quick: 20 s),
   after a baseline taken before the play. Growth is the last VmRSS less
   the VmRSS 2 s into the play (once the player's buffers are full).
   A minute of a 2-hour file shows whether memory grows with the position;
   the whole 2 hours would take 2 hours.

The inputs are sparse WAV files of silence (a header and a hole, as
tests/integration/check_render_cli.c write_sparse_wav makes): memory does not
depend on the samples, and 2 hours of 8 stereo inputs take no disk space.
"""

import os
import shutil
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import wmbench as wb  # noqa: E402

RATE = 48000
NIN = 8
TARGET_MIB = 32


def write_sparse_wav(path, seconds, channels=2):
    """A 16-bit PCM WAV header and a hole: silence that takes no disk."""
    data = seconds * RATE * 2 * channels
    h = b"RIFF" + struct.pack("<I", 36 + data) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, 1, channels, RATE, RATE * 2 * channels, 2 * channels, 16) + \
        b"data" + struct.pack("<I", data)
    with open(path, "wb") as f:
        f.write(h)
        f.truncate(44 + data)


def render_rss(build, media, work, seconds, runs):
    names = []
    for i in range(NIN):
        name = f"sparse-{seconds}-{i + 1}.wav"
        write_sparse_wav(os.path.join(media, name), seconds)
        names.append(name)
    req = os.path.join(work, f"req-{seconds}.json")
    with open(req, "w") as f:
        f.write('{"inputs":{' + ",".join(f'"{i + 1}":"{n}"' for i, n in enumerate(names)) +
                '},"loudness":null,"output":{"file":"long.flac"}}')
    cmd = [wb.binary(build, "washmixd"), "--render", req, "--media-dir", media,
           "--render-dir", work, "--state-dir", os.path.join(work, "state")] + wb.root_flag()
    samples = [wb.run(cmd, timeout=1800) for _ in range(runs)]
    for s in samples:
        if '"ok":true' not in s.stdout:
            raise SystemExit(f"washmixd --render failed: {s.stdout} {s.stderr[-500:]}")
    return {"rss_kib": wb.stats([s.maxrss_kib for s in samples]),
            "wall": wb.stats([s.wall for s in samples]),
            "cpu": wb.stats([s.cpu for s in samples])}


def proc_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def player_rss(build, media, seconds_file, sample_s):
    name = "sparse-player.wav"
    write_sparse_wav(os.path.join(media, name), seconds_file)
    trace = []
    with wb.jackd() as jack, wb.daemon(build, jack, ["--media-dir", media, "--socket-rate", "0"]) \
            as (p, sock, _state):
        time.sleep(0.5)
        base = proc_kib(p.pid, "VmRSS")
        r = wb.request(sock, f"play 1 {name}")
        if not r.get("ok"):
            raise SystemExit(f"play failed: {r}")
        t0 = time.monotonic()
        while (t := time.monotonic() - t0) < sample_s:
            trace.append((t, proc_kib(p.pid, "VmRSS"), proc_kib(p.pid, "VmHWM"),
                          proc_kib(p.pid, "RssAnon") + proc_kib(p.pid, "RssFile"),
                          proc_kib(p.pid, "RssShmem")))
            time.sleep(0.25)
        state = wb.request(sock, "get ch/1/player")
    settled = next(x[1] for x in trace if x[0] >= 2.0)
    return {"baseline_kib": base, "trace": trace, "peak_rss_kib": max(x[1] for x in trace),
            "hwm_kib": trace[-1][2], "settled_kib": settled, "last_kib": trace[-1][1],
            "growth_kib": trace[-1][1] - settled, "player": state,
            "peak_private_kib": max(x[3] for x in trace), "peak_shmem_kib": max(x[4] for x in trace)}


def verdict(kib):
    return f"< {TARGET_MIB} MiB: {'met' if kib < TARGET_MIB * 1024 else 'MISSED'}"


def main():
    args = wb.parse_args("memory")
    work = tempfile.mkdtemp(prefix="wmbench-memory-")
    media = os.path.join(work, "media")
    os.makedirs(media)
    os.makedirs(os.path.join(work, "state"))
    data = {"machine": wb.machine()}
    t = wb.Table("Memory: peak RSS with long material",
                 ["what", "duration", "peak RSS", "growth", "wall", "target"])
    try:
        runs = 1 if args.quick else 5
        durations = [600] if args.quick else [600, 7200]
        for sec in durations:
            r = render_rss(args.build, media, work, sec, runs if sec <= 600 else 1)
            data[f"render_{sec}s"] = r
            t.add(f"washmixd --render, {NIN} stereo inputs, 8 ch x 2 zones, FLAC",
                  f"{sec / 60:.0f} min", wb.fmt_range(r["rss_kib"], " MiB", 1 / 1024, 1), "",
                  wb.fmt_range(r["wall"], " s", digits=1), verdict(r["rss_kib"]["max"]))
        sample_s = 20 if args.quick else 60
        pl = player_rss(args.build, media, 7200, sample_s)
        data["player"] = pl
        t.add("washmixd daemon playing one 2-hour stereo file (JACK, 48 kHz / 256)",
              f"{sample_s} s sampled", f"{pl['peak_rss_kib'] / 1024:.1f} MiB (VmHWM "
              f"{pl['hwm_kib'] / 1024:.1f})", f"{pl['growth_kib']:+d} KiB",
              "", verdict(max(pl["peak_rss_kib"], pl["hwm_kib"])))
        t.add("  of which washmixd's own (RssAnon + RssFile)", f"{sample_s} s sampled",
              f"{pl['peak_private_kib'] / 1024:.1f} MiB", "", "", verdict(pl["peak_private_kib"]))
        t.add("  of which JACK's shared memory (RssShmem)", f"{sample_s} s sampled",
              f"{pl['peak_shmem_kib'] / 1024:.1f} MiB", "", "", "")
        t.note(f"player: VmRSS {pl['baseline_kib'] / 1024:.1f} MiB before the play, "
               f"{pl['settled_kib'] / 1024:.1f} MiB 2 s in, {pl['last_kib'] / 1024:.1f} MiB at "
               f"{sample_s} s; growth = last - 2 s in; {sample_s} s of the 2 hours were played "
               "(enough to show whether RSS follows the position, not the whole file)")
        t.note("RssShmem is jackd's shared segment (/dev/shm/jack-*), mapped by every JACK "
               "client and locked in memory when jackd runs realtime (-R): it is the server's, "
               "counted in each client's VmRSS, and sized by jackd, not by washmixd")
        t.note("render peak RSS by wait4 (through bench/rusage_exec); the 2-hour render runs "
               "once" if not args.quick else "quick: the 10-minute render only")
        t.note("inputs are sparse WAV files of silence: memory does not depend on the samples")
        wb.write_part(args, "memory", [t], data)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
