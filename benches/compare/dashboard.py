#!/usr/bin/env python3
"""Compares the dashboard's flat-out speed with the same preset headless (the network issue:
the dashboard at ≥ 80 % of headless).

Headless: `implicit-bias run PRESET --steps S`, steps per second of wall time. Dashboard: the
real binary in a pseudo-terminal of 120×40, the horizon set out of reach (`--set
show.steps=...`), warp (`w`, flat out) pressed after start-up, and the `step N` counter read off
the emulated screen (pyte: the dashboard redraws only the cells that change, so the byte
stream alone does not hold whole numbers) at the start and end of the timed window. Both use
the machine's threads, as a user's would. The two alternate within each repeat and the best of
each is kept.

Usage: benches/compare/dashboard.py [PRESET] [--repeats R] [--seconds T] [--steps S]
Needs pyte (`/tmp/venv/bin/pip install pyte`, then run with /tmp/venv/bin/python).
"""

import argparse
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from network import release_binary  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def headless(binary, preset, steps):
    """Steps per second of `run` at `steps` steps (start-up included: it is small here)."""
    start = time.perf_counter()
    subprocess.run([binary, "run", preset, "--steps", str(steps)],
                   stdout=subprocess.DEVNULL, check=True, cwd=ROOT)
    return steps / (time.perf_counter() - start)


def dashboard(binary, preset, seconds, pyte):
    """Steps per second of the dashboard flat out, read off its screen."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.environ["TERM"] = "xterm-256color"
        os.execv(binary, [binary, preset, "--set", "show.steps=1000000000"])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    screen = pyte.Screen(120, 40)
    stream = pyte.ByteStream(screen)

    def pump(duration):
        end = time.perf_counter() + duration
        while time.perf_counter() < end:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    stream.feed(os.read(fd, 65536))
                except OSError:
                    return

    def counter():
        found = re.findall(r"step\s+([0-9][0-9,]*)", "\n".join(screen.display))
        if not found:
            sys.exit("no `step N` on the dashboard's screen")
        return int(found[0].replace(",", ""))

    try:
        pump(2.0)
        os.write(fd, b"w")
        pump(1.0)
        first, start = counter(), time.perf_counter()
        pump(seconds)
        last, end = counter(), time.perf_counter()
        os.write(fd, b"q")
        pump(0.5)
    finally:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    return (last - first) / (end - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset", nargs="?", default="presets/edge-of-stability.toml")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--steps", type=int, default=100_000)
    args = parser.parse_args()
    try:
        import pyte
    except ImportError:
        sys.exit("pyte is not installed for this Python: python3 -m venv /tmp/venv && "
                 "/tmp/venv/bin/pip install pyte, then run with /tmp/venv/bin/python")
    binary = release_binary()
    best_headless, best_dashboard = 0.0, 0.0
    for _ in range(args.repeats):
        best_headless = max(best_headless, headless(binary, args.preset, args.steps))
        best_dashboard = max(best_dashboard, dashboard(binary, args.preset, args.seconds, pyte))
    print(f"| {args.preset} | headless | dashboard flat out (120×40) | dashboard / headless |")
    print("|---|---|---|---|")
    print(f"| steps/s | {best_headless:,.0f} | {best_dashboard:,.0f} "
          f"| {100 * best_dashboard / best_headless:.0f} % |")


if __name__ == "__main__":
    main()
