"""What every benchmark in tests/bench shares: the machine line and the timing helpers.

Each benchmark runs as ``python3 tests/bench/<name>.py``, so this folder is on sys.path and
``import benchlib`` works; importing it also puts the repository root on sys.path, so the
scripts can import ``ecs_field`` and ``tests.*`` from the checkout even when it is not installed.
Import it before any ``ecs_field`` or ``tests`` import.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """CPU model, logical CPUs, Python and OS: what a figure needs to be compared with another."""
    return (
        f"{cpu_model()}, {os.cpu_count()} logical CPUs, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def print_machine() -> None:
    print(f"machine: {machine()}")


def seconds(work: Callable[[], object]) -> float:
    """Wall time of one call."""
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def median_seconds(work: Callable[[], object], runs: int = 5, *, warm_up: bool = False) -> float:
    """Median wall time of ``runs`` calls; ``warm_up`` makes one untimed call first."""
    if warm_up:
        work()
    return statistics.median(seconds(work) for _ in range(runs))


def best_seconds(work: Callable[[], object], runs: int = 3) -> float:
    """Shortest wall time of ``runs`` calls."""
    return min(seconds(work) for _ in range(runs))


# The floor of the sites benchmarks: a new Python parsing every manifest of a folder with PyYAML's
# C loader (hidden folders such as .git skipped), the least any reader of the manifests must do.
YAML_FLOOR = """
import sys, os, yaml
loader = yaml.CSafeLoader
for folder, dirs, names in os.walk(sys.argv[1]):
    dirs[:] = [d for d in dirs if not d.startswith(".")]
    for name in names:
        if name.endswith((".yaml", ".yml")):
            with open(os.path.join(folder, name), "rb") as handle:
                for _ in yaml.load_all(handle, Loader=loader):
                    pass
"""
