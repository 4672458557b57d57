#!/usr/bin/env python3
"""Write the hand-made seed corpus of the fuzz harnesses (tests/fuzz/corpus/).

Seeds cover every verb of the socket protocol, every parameter path and OSC
type tag, bundles, scenes and render requests; the fuzzer grows its own
corpus from them in build-fuzz/fuzz-corpus/. The files named by a SHA-1 are
the inputs of a fuzz run that added coverage, merged in with -merge=1
(docs/reliability.md, "Fuzzing"). Run this again after changing it, and
commit its output with it:
    tests/fuzz/make_corpus.py
"""
import json
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent / "corpus"

PATHS = ["ch/1/gain", "ch/2/fader", "ch/1/pan", "ch/4/mute", "ch/5/solo", "ch/1/send/2",
         "ch/3/duck", "ch/6/name", "zone/1/gain", "zone/2/mute", "zone/1/limit",
         "zone/2/hpf", "zone/1/name", "duck/threshold", "duck/depth", "duck/attack",
         "duck/hold", "duck/release"]
VALUES = {"gain": "-6", "fader": "0.75", "pan": "-0.5", "mute": "1", "solo": "0",
          "2": "-3", "duck": "key", "name": '"Front bay"', "limit": "-3", "hpf": "80",
          "threshold": "-40", "depth": "12", "attack": "10", "hold": "200",
          "release": "300"}


def write(kind, name, data):
    d = HERE / kind
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


# --- ctl: one seed byte (the cut points; >= 0x80: large pieces), then lines
CTL_LINES = [
    "hello", "ping", "help", "help set", "describe", "describe ch/1", "list", "list zone",
    "health", "stats", "jobs", "job 1", "cancel 7", "quit", "subscribe changes meters",
    "unsubscribe meters", "scene list", "scene save evening", "scene recall evening 500",
    "scene show evening", "scene delete evening", "scene rename a b", "play 1 music/bed.wav loop",
    "stop 1 250", "get ch/1/player", "debug stall-engine 10", "set ch/1/gain -inf",
    "set ch/1/gain 12 1000", "set ch/1/gain 13", "set ch/99/gain 0", "set nosuch 1",
    'set ch/1/name "unbalanced', "set ch/1/name \"with \\\"quote\\\" and \\\\\"",
    "get\tch/1/gain\r", "   ", "frobnicate", "sett ch/1/gain 0",
    'render {"inputs":{"1":"music/bed.wav"},"output":{"file":"out.wav"}}',
    'render {"scene":"evening","inputs":{"1":"a.wav"},"output":{"file":"x.flac"}}',
    "render {not json",
]
for i, p in enumerate(PATHS):
    leaf = p.rsplit("/", 1)[1]
    write("ctl", f"set-{i:02d}", b"\x05" + f"set {p} {VALUES[leaf]}\nget {p}\n".encode())
for i, line in enumerate(CTL_LINES):
    write("ctl", f"line-{i:02d}", b"\x03" + (line + "\n").encode())
write("ctl", "session", b"\x81" + "\n".join(CTL_LINES).encode())
write("ctl", "too-long", b"\x90" + b"set ch/1/name " + b"x" * 5000 + b"\nping\n")
write("ctl", "no-newline", b"\x02get ch/1/gain")
write("ctl", "binary", b"\x07get \x00\xff\xfe ch/1\n\x1b[A\n")


# --- osc: datagrams, encoded here (OSC 1.0)
def pad(b):
    return b + b"\0" * (4 - len(b) % 4)


def osc(address, *args):
    tags, data = ",", b""
    for t, v in args:
        tags += t
        if t == "i" or t == "c" or t == "m":
            data += struct.pack(">i", v) if t != "m" else v
        elif t == "f":
            data += struct.pack(">f", v)
        elif t == "d":
            data += struct.pack(">d", v)
        elif t in "hT" and v is not None and t == "h":
            data += struct.pack(">q", v)
        elif t == "t":
            data += struct.pack(">Q", v)
        elif t in "sS":
            data += pad(v.encode())
        elif t == "b":
            data += struct.pack(">i", len(v)) + v + b"\0" * ((4 - len(v) % 4) % 4)
    return pad(address.encode()) + pad(tags.encode()) + data


def bundle(timetag, *elems):
    out = pad(b"#bundle") + struct.pack(">Q", timetag)
    for e in elems:
        out += struct.pack(">i", len(e)) + e
    return out


OSC = {
    "gain-f": osc("/ch/1/gain", ("f", -6.0)),
    "gain-f-ramp": osc("/ch/1/gain", ("f", -6.0), ("i", 500)),
    "gain-d": osc("/ch/2/gain", ("d", -3.0)),
    "gain-i": osc("/zone/1/gain", ("i", -10)),
    "gain-h": osc("/zone/2/gain", ("h", -4)),
    "gain-s-inf": osc("/ch/1/gain", ("s", "-inf")),
    "gain-query": osc("/ch/1/gain"),
    "mute-T": osc("/ch/4/mute", ("T", None)),
    "mute-F": osc("/ch/4/mute", ("F", None)),
    "solo-i": osc("/ch/5/solo", ("i", 1)),
    "nil": osc("/ch/1/pan", ("N", None)),
    "impulse": osc("/ch/1/pan", ("I", None)),
    "char": osc("/ch/1/pan", ("c", 65)),
    "midi": osc("/ch/1/pan", ("m", b"\x00\x90\x40\x7f")),
    "timetag": osc("/ch/1/pan", ("t", 1)),
    "symbol": osc("/ch/3/duck", ("S", "duck")),
    "name": osc("/ch/6/name", ("s", "Vacuum bay")),
    "blob": osc("/ch/1/name", ("b", b"abc")),
    "send": osc("/ch/1/send/2", ("f", -3.0)),
    "limit": osc("/zone/1/limit", ("f", -3.0)),
    "hpf": osc("/zone/2/hpf", ("f", 80.0)),
    "duck": osc("/duck/depth", ("f", 12.0)),
    "fader": osc("/ch/2/fader", ("f", 0.5)),
    "unknown-path": osc("/ch/1/nosuch", ("f", 1.0)),
    "bad-channel": osc("/ch/99/gain", ("f", 0.0)),
    "subscribe": osc("/subscribe", ("i", 9001), ("f", 10.0)),
    "unsubscribe": osc("/unsubscribe"),
    "hello": osc("/hello"),
    "ping": osc("/ping"),
    "health": osc("/health"),
    "stats": osc("/stats"),
    "help": osc("/help", ("s", "set")),
    "describe": osc("/describe", ("s", "ch/1")),
    "list": osc("/list", ("s", "zone")),
    "get": osc("/get", ("s", "ch/1/gain")),
    "get-player": osc("/get", ("s", "ch/3/player")),
    "set": osc("/set", ("s", "ch/1/gain"), ("f", -6.0)),
    "scene-recall": osc("/scene/recall", ("s", "evening"), ("f", 500.0)),
    "scene-save": osc("/scene/save", ("s", "evening")),
    "play": osc("/ch/1/play", ("s", "music/bed.wav"), ("i", 1)),
    "stop": osc("/ch/1/stop", ("f", 100.0)),
    "render": osc("/render", ("s", '{"inputs":{"1":"a.wav"},"output":{"file":"o.wav"}}')),
    "job": osc("/job", ("i", 1)),
    "cancel": osc("/cancel", ("i", 1)),
    "bundle": bundle(1, osc("/ch/1/gain", ("f", -6.0)), osc("/ch/2/mute", ("i", 1))),
    "bundle-nested": bundle(1, bundle(1, osc("/ch/1/pan", ("f", 0.5))),
                            osc("/zone/1/gain", ("f", -1.0))),
    "bundle-future": bundle(0xFFFFFFFF00000000, osc("/ch/1/gain", ("f", -6.0))),
    "bundle-empty": bundle(1),
    "root": osc("/"),
}
for name, data in OSC.items():
    write("osc", name, data)

# --- scene: files as `scene save` writes them, and variants
SCENE = {"format": "washmix-scene", "version": 1, "name": "evening",
         "channels": [{"id": 1, "name": "Music", "gain": -6, "pan": 0, "mute": False,
                       "solo": False, "sends": {"1": 0, "2": -3}, "duck": "duck"},
                      {"id": 2, "gain": "-inf", "duck": "key", "solo": True},
                      {"id": 3, "pan": -1, "mute": True}],
         "zones": [{"id": 1, "name": "Entrance", "gain": 0, "mute": False, "limit": -1},
                   {"id": 2, "gain": -3, "mute": True, "limit": -6.5}],
         "duck": {"threshold": -40, "depth": 12, "attack": 10, "hold": 200, "release": 300}}
write("scene", "full", json.dumps(SCENE, indent=2))
write("scene", "minimal", '{"format":"washmix-scene","version":1}')
write("scene", "unknown-channel", json.dumps(dict(SCENE, channels=[{"id": 99, "gain": 0}])))
write("scene", "bad-type", json.dumps(dict(SCENE, channels=[{"id": 1, "gain": "loud"}])))
write("scene", "unknown-key", json.dumps(dict(SCENE, zones=[{"id": 1, "hpf": 80}])))
write("scene", "odd-values", json.dumps(dict(SCENE, channels=[
    {"id": 4, "gain": -89.99999999999, "pan": 0.333333333333333, "name": "\u00e9t\u00e9 \"x\""},
    {"id": 5, "gain": -90, "sends": {"1": "-inf", "2": 12}}])))
write("scene", "bad-version", '{"format":"washmix-scene","version":2}')
write("scene", "not-json", '{"format":"washmix-scene",')
write("scene", "huge-number", '{"format":"washmix-scene","version":1,"duck":{"depth":1e400}}')

# --- render: requests, and bare paths (the harness also opens the input as a path)
REQ = {"scene": "evening",
       "inputs": {"1": "music/bed.wav", "3": {"file": "voice/welcome.wav", "offset": 2.5}},
       "duration": 60,
       "output": {"file": "evening.flac", "format": "flac", "rate": 48000, "zone": 1},
       "loudness": {"target": -14, "true_peak": -1, "policy": "limit"}}
write("render", "full", json.dumps(REQ))
write("render", "inline-scene", json.dumps(dict(REQ, scene=SCENE)))
write("render", "no-loudness", json.dumps(dict(REQ, loudness=None, duration=None)))
write("render", "gain-only", json.dumps(dict(REQ, loudness={"policy": "gain-only"})))
write("render", "wav24", json.dumps({"inputs": {"2": "a.wav"},
                                     "output": {"file": "o.wav", "format": "wav24"}}))
write("render", "ogg", json.dumps({"inputs": {"8": "a.wav"}, "output": {"file": "x.ogg"}}))
write("render", "escape", json.dumps({"inputs": {"1": "../secret.wav"},
                                      "output": {"file": "/tmp/x.wav"}}))
write("render", "symlink-out", json.dumps({"inputs": {"1": "etc/passwd"},
                                           "output": {"file": "up/x.wav"}}))
for name, path in {"path-plain": "a.wav", "path-sub": "music/bed.wav",
                   "path-back": "music/back", "path-up": "up/secret.wav",
                   "path-link-out": "secret", "path-etc": "etc/passwd",
                   "path-self": "self/a.wav", "path-dotdot": "music/../a.wav",
                   "path-abs": "/etc/passwd", "path-escape": "../secret.wav",
                   "path-escape-deep": "music/../../secret.wav",
                   "path-link-up": "music/back/../../secret.wav"}.items():
    write("render", name, path)
