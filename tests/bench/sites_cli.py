"""Benchmark parts of issue 9 section 4 owned by SITES-STATE: `status`, `sites list`, `sites add`,
each the whole CLI in a new process, against baselines measured in the same run.

* `status SITE` on the big repository (2,000 manifests x 10,000 commits, see sites.py): cold (the
  cache folder emptied before each run) <= 1.5x and warm (per-commit desired rows and the finished
  status cached) <= 0.3x the floor: a new Python process parsing every manifest with PyYAML's
  C loader. Warm runs are answered by cli.main through commands/status.answer_from_cache (no
  argparse, logging, YAML or git process); each output form (text, --json) is kept by its own
  first run, so both are warmed once after each cold run.
* `sites list` with 200 sites (registry, snapshots, status summaries) and `sites add` (into that
  registry) each <= 3x a bare ``python -c "import yaml"``.

Runs are interleaved round by round and the best of each is kept, so load from other programs on
the machine hits baseline and command alike. Called from sites.py (``main``); also runnable alone:
``python tests/bench/sites_cli.py`` builds a smaller repository (500 x 2,000) for a quick look.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import benchlib  # puts the checkout on sys.path

FLOOR = benchlib.YAML_FLOOR


@contextmanager
def app_home(home: Path) -> Iterator[Path]:
    """Point this process's ecs_field at ``home`` for the setup, and back afterwards."""
    before = os.environ.get("ECS_FIELD_HOME")
    os.environ["ECS_FIELD_HOME"] = str(home)
    try:
        yield home
    finally:
        if before is None:
            os.environ.pop("ECS_FIELD_HOME", None)
        else:
            os.environ["ECS_FIELD_HOME"] = before


# An installed ecs-field runs from compiled bytecode; a checkout under PYTHONDONTWRITEBYTECODE=1
# would compile every module on every run (~50 ms here). Bytecode goes to a folder of this run.
def env_for(home: Path) -> dict[str, str]:
    # The bytecode folder sits beside the benchmark's homes, so it goes when they go.
    env = {**os.environ, "ECS_FIELD_HOME": str(home), "PYTHONPYCACHEPREFIX": str(home.parent / "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


CPU: dict[str, float] = {}  # best CPU seconds (user + system of the child) per step name


def _child_cpu() -> float:
    try:
        import resource
    except ImportError:  # Windows: wall time only
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(argv: list[str], home: Path, ok: tuple[int, ...] = (0,), step: str = "") -> float:
    """Wall seconds of one new process; its CPU seconds are kept in CPU[step] (best so far), which
    other programs on a busy machine disturb far less than the wall time."""
    env = env_for(home)
    cpu_before = _child_cpu()
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    cpu = _child_cpu() - cpu_before
    if done.returncode not in ok:
        raise SystemExit(f"{argv[2:6]} exited {done.returncode}: {done.stderr.decode()[-800:]}")
    if step:
        CPU[step] = min(CPU.get(step, float("inf")), cpu)
    return elapsed


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "ecs_field", *args]


def best_interleaved(rounds: int, steps: dict[str, Callable[[], float]]) -> dict[str, float]:
    best = {name: float("inf") for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            best[name] = min(best[name], step())
    return best


def verdict(value: float, base: float, limit: float, step: str = "", base_step: str = "") -> str:
    result = "OK" if value <= limit * base else "MISSED"
    text = f"wall {value:.3f} s = {value / base:.2f}x"
    cpu, cpu_base = CPU.get(step), CPU.get(base_step)
    if cpu and cpu_base:
        by_cpu = "OK" if cpu <= limit * cpu_base else "MISSED"
        text += f", cpu {cpu:.3f} s = {cpu / cpu_base:.2f}x ({by_cpu} by cpu)"
    return f"{text}  (target <= {limit:g}x: {result} by wall)"


# -- status ----------------------------------------------------------------------------------------------
def bench_status_cli(repo_path: Path, snapshot: Any, root: Path, rounds: int = 5) -> dict[str, float]:
    from ecs_field.sites.registry import Registry, Site
    from ecs_field.sites.status.snapshot import SnapshotStore

    home = Path(tempfile.mkdtemp(prefix="status-cli-", dir=root))
    with app_home(home):
        Registry.load().add(Site("bench", str(repo_path)))
        SnapshotStore("bench").save(snapshot)
    status = cli("status", "bench")
    cache = home / "cache" / "status"

    emptied = [True]  # the cache folder was emptied since the last warm-up

    def cold() -> float:
        shutil.rmtree(cache, ignore_errors=True)
        emptied[0] = True
        return run(status, home, step="cold")

    def warm() -> float:
        if emptied[0]:  # each output form is kept by its own first run after a change
            run(status, home)
            run([*status, "--json"], home)
            emptied[0] = False
        return run(status, home, step="warm")

    best = best_interleaved(
        rounds,
        {
            "floor": lambda: run([sys.executable, "-c", FLOOR, str(repo_path)], home, step="floor"),
            "cold": cold,
            "warm": warm,
            "warm_json": lambda: run([*status, "--json"], home, step="warm_json"),
            "python_yaml": lambda: run([sys.executable, "-c", "import yaml"], home, step="python_yaml"),
        },
    )
    first = subprocess.run(status, env=env_for(home), capture_output=True, text=True, check=False).stdout
    first = first.splitlines()[0]
    print(f"status CLI first line: {first}")
    print(
        f"floor (new python + CSafeLoader over every manifest): wall {best['floor']:.3f} s, "
        f"cpu {CPU.get('floor', 0):.3f} s"
    )
    print(f"status cold (cache folder emptied): {verdict(best['cold'], best['floor'], 1.5, 'cold', 'floor')}")
    print(f"status warm (per-commit cache):     {verdict(best['warm'], best['floor'], 0.3, 'warm', 'floor')}")
    print(f"status warm --json:     {verdict(best['warm_json'], best['floor'], 0.3, 'warm_json', 'floor')}")
    # What no Python command can go below: starting the interpreter and importing PyYAML.
    bare = verdict(best["python_yaml"], best["floor"], 0.3, "python_yaml", "floor")
    print(f"for scale: python -c 'import yaml' alone is {bare}")
    return best


# -- sites list / add --------------------------------------------------------------------------------------
def bench_sites_cli(count: int, repo_path: Path, root: Path, rounds: int = 7) -> dict[str, float]:
    from ecs_field.sites.registry import Registry, Site
    from ecs_field.sites.status.fleet import save_summary_doc
    from ecs_field.sites.status.snapshot import Snapshot, SnapshotStore, format_time, utc_now

    home = Path(tempfile.mkdtemp(prefix="sites-cli-", dir=root))
    with app_home(home):
        sites = [
            Site(
                name=f"site-{i:03d}",
                repo=f"https://git.example.invalid/edge/site-{i:03d}.git",
                branch="main",
                path=f"sites/site-{i:03d}",
            )
            for i in range(count)
        ]
        Registry(Registry.default_path(), sites).save()
        small = Snapshot(
            taken_at=format_time(utc_now()),
            source="bench",
            items=[
                {"kind": "VirtualMachine", "metadata": {"name": f"vm-{i}", "namespace": "apps"}}
                for i in range(50)
            ],
        )
        for i, site in enumerate(sites):
            SnapshotStore(site.name).save(small)
            degraded = i % 9 == 0
            save_summary_doc(
                site.name,
                {
                    "sync": "behind" if i % 3 else "in-sync",
                    "health": "degraded" if degraded else "healthy",
                    "commits_behind": i % 3,
                    "counts": {"current": 49, "failed": 1} if degraded else {"current": 50},
                    "last_error": (
                        "VirtualMachine apps/vm-1: prerequisites not ready: VirtualMachineClassNotFound"
                    )
                    if degraded
                    else "",
                },
            )
    added = iter(range(10_000))

    best = best_interleaved(
        rounds,
        {
            "import_yaml": lambda: run([sys.executable, "-c", "import yaml"], home, step="import_yaml"),
            "list": lambda: run(cli("sites", "list"), home, step="list"),
            "list_json": lambda: run(cli("sites", "list", "--json"), home, step="list_json"),
            "add": lambda: run(
                cli("sites", "add", f"new-{next(added):04d}", "--repo", str(repo_path)), home, step="add"
            ),
        },
    )
    base = best["import_yaml"]
    print(f"baseline python -c 'import yaml': wall {base:.3f} s, cpu {CPU.get('import_yaml', 0):.3f} s")
    print(f"sites list ({count} sites):        {verdict(best['list'], base, 3, 'list', 'import_yaml')}")
    listed = verdict(best["list_json"], base, 3, "list_json", "import_yaml")
    print(f"sites list --json ({count} sites): {listed}")
    print(f"sites add (into {count}):          {verdict(best['add'], base, 3, 'add', 'import_yaml')}")
    return best


def main() -> None:
    import argparse

    import sites as big  # the repository and snapshot generators

    from ecs_field.sites.repo.gitrepo import SiteRepo

    parser = argparse.ArgumentParser(description="status / sites list / sites add as whole CLI runs")
    parser.add_argument("--manifests", type=int, default=500)
    parser.add_argument("--commits", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-sites", action="store_true", help="only status")
    options = parser.parse_args()
    benchlib.print_machine()
    root = Path(tempfile.mkdtemp(prefix="ecs-bench-sites-cli-"))
    try:
        repo_path = root / "repo"
        big.build_repo(repo_path, options.manifests, options.commits)
        snapshot = big.host_snapshot(SiteRepo(repo_path), options.manifests)
        bench_status_cli(repo_path, snapshot, root, rounds=options.rounds)
        if not options.no_sites:
            bench_sites_cli(200, repo_path, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
