"""Benchmark: the local Linux probe against running ``lspci -nn`` and ``lsusb`` (the baseline a
technician would otherwise use), both measured here in the same run; plus ``load_inputs`` over
the hardware fixtures. Not a pass/fail test; prints medians, the ratio and the machine.

    python3 tests/bench/probe.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import time
from pathlib import Path

import benchlib
from benchlib import median_seconds

from ecs_field.hardware.importer import load_inputs
from ecs_field.hardware.nics import derive_nics
from ecs_field.hardware.probe import linux

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hardware"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    benchlib.print_machine()

    def probe() -> None:
        inv = linux.probe()
        derive_nics(inv)

    # warm_up: both sides start with the same caches
    probe_s = median_seconds(probe, args.runs, warm_up=True)
    tools = [t for t in ("lspci", "lsusb") if shutil.which(t)]
    if len(tools) == 2:

        def baseline() -> None:
            subprocess.run(["lspci", "-nn"], capture_output=True)
            subprocess.run(["lsusb"], capture_output=True)

        base_s = median_seconds(baseline, args.runs, warm_up=True)
        print(f"probe (sysfs/procfs, NICs derived): {probe_s * 1000:8.2f} ms  median of {args.runs}")
        print(f"baseline lspci -nn + lsusb:         {base_s * 1000:8.2f} ms  median of {args.runs}")
        print(f"ratio probe/baseline: {probe_s / base_s:.2f} (target <= 1.0)")
    else:
        print(f"probe: {probe_s * 1000:.2f} ms; baseline skipped (lspci/lsusb not installed)")

    fixtures = [
        p for p in sorted(FIXTURES.iterdir()) if p.suffix in (".txt", ".json") and "no-ids" not in p.name
    ]
    start = time.perf_counter()
    for _ in range(1000):
        for path in fixtures:
            load_inputs([path])
    total = time.perf_counter() - start
    per_file = total / (1000 * len(fixtures))
    print(f"load_inputs: {len(fixtures)} fixtures x 1000 in {total:.2f} s ({per_file * 1e6:.0f} us per file)")


if __name__ == "__main__":
    main()
