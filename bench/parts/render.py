#!/usr/bin/env python3
"""render - offline renders: washmixd --render against sox -m and ffmpeg amix
(8 and 32 stereo 48 kHz 60 s 16-bit inputs with per-input gains), a null
test of their outputs, and a -14 LUFS render against ffmpeg loudnorm in two
passes, with every output's loudness measured by one independent meter
(ffmpeg's ebur128 filter).

The inputs (tones and noises, each at most -20 dBFS) are made once with sox
and kept in BUILD/bench-inputs/. The gains run from -6 to -18 dB, so even
the 32 inputs summed in phase stay under -1.9 dBFS: no tool clips and
washmix's zone limiter (ceiling -1 dBFS) never acts, so all three outputs
can agree. washmix's scene is a plain gain and sum: stereo channels at
centre balance pass at unity (engine/engine.c pan_law), sends to zone 1 at
0 dB, zone gain 0 dB, no ducking; the topology is --channels N --zones 1.
"""

import json
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import wmbench as wb  # noqa: E402

RATE = 48000
SECONDS = 60
NINPUTS = 32
LEVEL = 0.1                 # peak of each input: -20 dBFS
GEN_VERSION = "1"           # bump when the inputs change


def gains_db(n):
    """-6 .. -18 dB over the inputs, the same gain for input i whatever n."""
    return [-6.0 - 12.0 * i / (NINPUTS - 1) for i in range(n)]


def lin(db):
    return 10.0 ** (db / 20.0)


# ------------------------------------------------------------ inputs


def synth_args(i):
    """Different content per input: stereo tone pairs, noises, a chord."""
    kind = i % 4
    f = 110.0 * (1.0 + i * 0.37)
    if kind == 0:
        return ["synth", str(SECONDS), "sine", f"{f:.2f}", "sine", f"{f * 1.5:.2f}"]
    if kind == 1:
        return ["synth", str(SECONDS), "whitenoise", "pinknoise"]
    if kind == 2:
        return ["synth", str(SECONDS), "triangle", f"{f:.2f}", "square", f"{f * 0.75:.2f}",
                "lowpass", "3000"]
    return ["synth", str(SECONDS), "brownnoise", "sine", f"{f * 2:.2f}", "tremolo", "3", "60"]


def make_inputs(build):
    d = os.path.join(build, "bench-inputs")
    stamp = os.path.join(d, f".made-v{GEN_VERSION}")
    if os.path.exists(stamp):
        return d
    os.makedirs(d, exist_ok=True)
    for i in range(NINPUTS):
        tmp = os.path.join(d, f".in{i + 1:02d}.wav")
        wb.run(["sox", "-R", "-n", "-r", str(RATE), "-c", "2", "-b", "16", tmp]
               + synth_args(i) + ["norm", "-20"], check=True)
        os.replace(tmp, os.path.join(d, f"in{i + 1:02d}.wav"))
    open(stamp, "w").close()
    return d


def input_files(d, n):
    return [os.path.join(d, f"in{i + 1:02d}.wav") for i in range(n)]


# ------------------------------------------------------------ the three tools


def washmix_request(n, out_file, fmt, loudness=None):
    chans = [{"id": i + 1, "gain": round(g, 6), "pan": 0, "mute": False, "solo": False,
              "duck": "off", "sends": {"1": 0}} for i, g in enumerate(gains_db(n))]
    return {"scene": {"format": "washmix-scene", "version": 1, "channels": chans,
                      "zones": [{"id": 1, "gain": 0, "mute": False, "limit": -1}]},
            "inputs": {str(i + 1): f"in{i + 1:02d}.wav" for i in range(n)},
            "output": {"file": out_file, "format": fmt, "zone": 1},
            "loudness": loudness}


def washmix_cmd(build, media, work, n, out_file, fmt, loudness=None):
    req = os.path.join(work, f"req-{out_file}.json")
    with open(req, "w") as f:
        json.dump(washmix_request(n, out_file, fmt, loudness), f)
    return [wb.binary(build, "washmixd"), "--render", req, "--channels", str(n), "--zones", "1",
            "--media-dir", media, "--render-dir", work,
            "--state-dir", os.path.join(work, "state")] + wb.root_flag()


def sox_cmd(files, n, out, bits):
    cmd = ["sox", "-D", "-m"]
    for f, g in zip(files, gains_db(n)):
        cmd += ["-v", f"{lin(g):.9f}", f]
    return cmd + ["-b", str(bits), out]


def ffmpeg_graph(n, tail=""):
    parts = [f"[{i}:a]volume={lin(g):.9f}:precision=float[a{i}]" for i, g in enumerate(gains_db(n))]
    mix = "".join(f"[a{i}]" for i in range(n)) + \
        f"amix=inputs={n}:normalize=0:duration=longest:dropout_transition=0"
    return ";".join(parts) + ";" + mix + tail + "[out]"


def ffmpeg_cmd(files, n, out, codec, tail="", extra_out=()):
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-y"]
    for f in files:
        cmd += ["-i", f]
    cmd += ["-filter_complex", ffmpeg_graph(n, tail), "-map", "[out]"] + list(extra_out)
    if out == "-":
        return cmd + ["-f", "null", "-"]
    return cmd + ["-c:a", codec, out]


def checked_washmix(s):
    line = s.stdout.strip().splitlines()[-1]
    r = json.loads(line)
    if not r.get("ok"):
        raise SystemExit(f"washmixd --render failed: {line}")
    return r


# ------------------------------------------------------------ measuring


def diff_peak_db(a, b):
    """Peak of a - b in dBFS (sox stats on the difference)."""
    s = wb.run(["sox", "-m", "-v", "1", a, "-v", "-1", b, "-n", "stats"])
    m = re.search(r"^Pk lev dB\s+(\S+)", s.stderr, re.M)
    v = m.group(1) if m else "nan"
    return float("-inf") if v == "-inf" else float(v)


def ebur128(path):
    """Integrated loudness (LUFS) and true peak (dBFS) by ffmpeg's ebur128."""
    s = wb.run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", path, "-filter_complex",
                "ebur128=peak=true", "-f", "null", "-"])
    summary = s.stderr[s.stderr.rfind("Summary:"):]
    i = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    tp = re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    return float(i.group(1)), float(tp.group(1)) if tp else float("nan")


def measure(runs, cmd, check=None):
    samples = []
    for _ in range(runs):
        os.sync()       # no dirty pages of earlier runs for washmix's fsync to wait on
        s = wb.run(cmd)
        if check:
            check(s)
        samples.append(s)
    return {"wall": wb.stats([s.wall for s in samples]), "cpu": wb.stats([s.cpu for s in samples]),
            "rss_kib": wb.stats([s.maxrss_kib for s in samples]),
            "raw": [{"wall": s.wall, "cpu": s.cpu, "maxrss_kib": s.maxrss_kib} for s in samples]}


def mix_table(runs, build, media, work, data):
    t = wb.Table("Offline mix, 60 s of 48 kHz stereo 16-bit inputs with per-input gains, "
                 "to one 16-bit WAV",
                 ["inputs", "tool", "wall", "CPU", "peak RSS", "x realtime",
                  "tool / washmix (wall)", "tool / washmix (CPU)", "target"])
    for n in (8, 32):
        files = input_files(media, n)
        tools = [
            ("washmix", washmix_cmd(build, media, work, n, f"wm{n}.wav", "wav"), checked_washmix),
            ("sox -m", sox_cmd(files, n, os.path.join(work, f"sox{n}.wav"), 16), None),
            ("ffmpeg amix", ffmpeg_cmd(files, n, os.path.join(work, f"ff{n}.wav"), "pcm_s16le"), None),
        ]
        res = {}
        for name, cmd, check in tools:
            res[name] = measure(runs, cmd, check)
        wm_wall = res["washmix"]["wall"]["median"]
        for name, r in res.items():
            ratio = r["wall"]["median"] / wm_wall
            r["ratio_to_washmix"] = ratio
            r["cpu_ratio_to_washmix"] = r["cpu"]["median"] / res["washmix"]["cpu"]["median"]
            target = {"sox -m": ("≥ 2x", 2.0), "ffmpeg amix": ("≥ 4x", 4.0)}.get(name)
            verdict = ""
            if target:
                verdict = f"{target[0]}: {'met' if ratio >= target[1] else 'MISSED'}"
            t.add(n, name, wb.fmt_range(r["wall"], " s", digits=3),
                  wb.fmt_range(r["cpu"], " s", digits=3),
                  f"{r['rss_kib']['median'] / 1024:.1f} MiB",
                  f"{SECONDS / r['wall']['median']:.0f}x", f"{ratio:.2f}",
                  f"{r['cpu_ratio_to_washmix']:.2f}", verdict)
        data[f"mix{n}"] = res
    t.note("x realtime = 60 s of audio / median wall time; ratio = the tool's median wall "
           "time / washmix's (above 1: washmix is faster)")
    t.note("washmix: washmixd --render REQUEST.json --channels N --zones 1 (inline scene: "
           "gains -6..-18 dB, centre, send 0 dB to zone 1); sox -D -m -v G ...; "
           "ffmpeg volume=G:precision=float per input, amix=normalize=0")
    t.note("washmix fsyncs its output before renaming it into place (docs/render.md); sox "
           "and ffmpeg do not, so washmix's wall time includes writing the file to disk; "
           "every run starts after sync(2), so no run waits on an earlier run's dirty pages")
    t.note("targets are on wall time (what a user waits for)")
    return t


def null_table(build, media, work, data):
    t = wb.Table("Null test: washmix's output minus each tool's, peak of the difference",
                 ["inputs", "output", "washmix - sox", "washmix - ffmpeg", "target"])
    data["null"] = {}
    for n in (8, 32):
        files = input_files(media, n)
        wm24 = os.path.join(work, f"wm{n}-24.wav")
        sox24 = os.path.join(work, f"sox{n}-24.wav")
        ff24 = os.path.join(work, f"ff{n}-24.wav")
        checked_washmix(wb.run(washmix_cmd(build, media, work, n, f"wm{n}-24.wav", "wav24")))
        wb.run(sox_cmd(files, n, sox24, 24))
        wb.run(ffmpeg_cmd(files, n, ff24, "pcm_s24le"))
        for bits, a, b, c in ((24, wm24, sox24, ff24),
                              (16, *(os.path.join(work, f"{x}{n}.wav") for x in ("wm", "sox", "ff")))):
            ds, df = diff_peak_db(a, b), diff_peak_db(a, c)
            ok = max(ds, df) < -90.0
            t.add(n, f"{bits}-bit", f"{ds:.1f} dBFS", f"{df:.1f} dBFS",
                  f"< -90 dBFS: {'met' if ok else 'MISSED'}")
            data["null"][f"{n}_{bits}"] = {"sox_db": ds, "ffmpeg_db": df}
    t.note("difference by sox -m -v 1 A -v -1 B -n stats (Pk lev dB); one 16-bit LSB is "
           "-90.3 dBFS: at 16 bits the outputs differ by at most one rounding step, "
           "the 24-bit renders show the mixes themselves agree")
    return t


def loudnorm_pass1(files, n):
    s = wb.run(ffmpeg_cmd(files, n, "-", None,
                          tail=",loudnorm=I=-14:TP=-1:LRA=11:print_format=json"))
    m = re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", s.stderr, re.S)
    return s, json.loads(m.group(0))


def loudness_table(runs, build, media, work, data):
    n = 8
    files = input_files(media, n)
    t = wb.Table("-14 LUFS / -1 dBTP render of the 8 inputs",
                 ["tool", "wall", "CPU", "peak RSS", "output loudness", "output true peak",
                  "note"])
    wm_out = os.path.join(work, "wm-lufs.wav")
    loud = {"target": -14, "true_peak": -1, "policy": "limit"}
    results = []
    wm = measure(runs, washmix_cmd(build, media, work, n, "wm-lufs.wav", "wav", loud),
                 lambda s: results.append(checked_washmix(s)))
    p1 = []
    p2 = []
    ff_out = os.path.join(work, "ff-lufs.wav")
    measured = None
    for _ in range(runs):
        s1, measured = loudnorm_pass1(files, n)
        tail = (",loudnorm=I=-14:TP=-1:LRA=11:measured_I={input_i}:measured_TP={input_tp}:"
                "measured_LRA={input_lra}:measured_thresh={input_thresh}:offset={target_offset}:"
                "linear=true:print_format=json").format(**measured)
        s2 = wb.run(ffmpeg_cmd(files, n, ff_out, "pcm_s16le", tail=tail,
                               extra_out=["-ar", str(RATE)]))
        p1.append(s1)
        p2.append(s2)
        m2 = re.search(r"\{[^{}]*\"normalization_type\"[^{}]*\}", s2.stderr, re.S)
        norm_type = json.loads(m2.group(0))["normalization_type"] if m2 else "?"
    ff1 = {"wall": wb.stats([s.wall for s in p1]), "cpu": wb.stats([s.cpu for s in p1]),
           "rss_kib": wb.stats([s.maxrss_kib for s in p1])}
    ff2 = {"wall": wb.stats([s.wall for s in p2]), "cpu": wb.stats([s.cpu for s in p2]),
           "rss_kib": wb.stats([s.maxrss_kib for s in p2])}
    tot = {"wall": wb.stats([a.wall + b.wall for a, b in zip(p1, p2)]),
           "cpu": wb.stats([a.cpu + b.cpu for a, b in zip(p1, p2)])}
    wm_i, wm_tp = ebur128(wm_out)
    ff_i, ff_tp = ebur128(ff_out)
    r = results[-1]
    ratio1 = ff1["wall"]["median"] / wm["wall"]["median"]
    t.add("washmix (2 passes inside)", wb.fmt_range(wm["wall"], " s", digits=3),
          wb.fmt_range(wm["cpu"], " s", digits=3), f"{wm['rss_kib']['median'] / 1024:.1f} MiB",
          f"{wm_i:.2f} LUFS", f"{wm_tp:.2f} dBFS",
          f"passes {r['passes']}, gain {r['gain']:+.2f} dB, limited {r['limited']:.2f} dB; "
          f"own meter {r['loudness']:.2f} LUFS")
    t.add("ffmpeg amix+loudnorm pass 1 (measure)", wb.fmt_range(ff1["wall"], " s", digits=3),
          wb.fmt_range(ff1["cpu"], " s", digits=3), f"{ff1['rss_kib']['median'] / 1024:.1f} MiB",
          "", "", f"measured {measured['input_i']} LUFS, {measured['input_tp']} dBTP")
    t.add("ffmpeg amix+loudnorm pass 2 (linear=true)", wb.fmt_range(ff2["wall"], " s", digits=3),
          wb.fmt_range(ff2["cpu"], " s", digits=3), f"{ff2['rss_kib']['median'] / 1024:.1f} MiB",
          f"{ff_i:.2f} LUFS", f"{ff_tp:.2f} dBFS", f"normalization_type {norm_type}")
    t.add("ffmpeg both passes", wb.fmt_range(tot["wall"], " s", digits=3),
          wb.fmt_range(tot["cpu"], " s", digits=3), "", "", "", "")
    t.note(f"one ffmpeg loudnorm pass / washmix's whole normalised render (wall): "
           f"{ratio1:.2f} (target > 1: {'met' if ratio1 > 1 else 'MISSED'}); both passes / "
           f"washmix: {tot['wall']['median'] / wm['wall']['median']:.2f}")
    t.note("output loudness and true peak of both files measured by ffmpeg's ebur128 filter "
           "(peak=true) on the written 16-bit WAV")
    data["loudness"] = {"washmix": wm, "ffmpeg_pass1": ff1, "ffmpeg_pass2": ff2,
                        "ffmpeg_total": tot, "washmix_result": r, "ffmpeg_measured": measured,
                        "ffmpeg_normalization_type": norm_type,
                        "ebur128": {"washmix": [wm_i, wm_tp], "ffmpeg": [ff_i, ff_tp]},
                        "pass1_over_washmix": ratio1}
    return t


def main():
    args = wb.parse_args("render")
    runs = 1 if args.quick else 5
    for tool in ("sox", "ffmpeg"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed")
    media = make_inputs(args.build)
    work = tempfile.mkdtemp(prefix="wmbench-render-")
    os.makedirs(os.path.join(work, "state"))
    try:
        data = {"machine": wb.machine(), "seconds": SECONDS, "rate": RATE,
                "gains_db": gains_db(NINPUTS)}
        tables = [mix_table(runs, args.build, media, work, data),
                  null_table(args.build, media, work, data),
                  loudness_table(runs, args.build, media, work, data)]
        wb.write_part(args, "render", tables, data)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
