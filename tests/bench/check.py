"""Benchmark: verdicts for 1,000 imported inventories (target: under 2 s in total), the catalog's
load time, and the local probe against ``lspci -nn`` + ``lsusb`` (target: probe <= the tools).

Run: python tests/bench/check.py [COUNT]

The 1,000 inventories are variations of the team-written fixtures in tests/unit/compat/fixtures
(other NIC chips from the catalog, other memory sizes, other releases, one in five read as if
from dmidecode: no full CPU flag list), written as inventory JSON files to a temporary folder and
imported from there. The baseline is merely reading and json-loading the same files, measured in
the same run. "Cold" catalog load is a fresh interpreter importing the catalog module and
building the catalog from the shipped YAML (no process cache); "warm" is a rebuild in this process.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib
from benchlib import median_seconds

from ecs_field.compat.catalog import build_catalog, shipped_catalog_dir
from ecs_field.compat.verdict import evaluate
from ecs_field.hardware.importer import load_inputs
from ecs_field.hardware.inventory import Inventory

FIXTURES = benchlib.ROOT / "tests" / "unit" / "compat" / "fixtures"
TARGET_S = 2.0


def make_inventories(folder: Path, count: int) -> list[Path]:
    rng = random.Random(20261126)
    catalog = build_catalog(shipped_catalog_dir(), None)
    pci_ids = [*sorted(e["id"] for e in catalog.entries["pci"].values()), "1d6a:07b1", "14e4:1677"]
    usb_ids = [*sorted(catalog.usb_nic_ids()), "0b95:7720"]
    bases = [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.inventory.json"))]
    paths = []
    for n in range(count):
        doc = json.loads(json.dumps(bases[n % len(bases)]))
        doc["memory_bytes"] = rng.choice([4, 8, 16, 32, 64]) * 1024**3 if n % 7 else None
        for nic in doc["nics"]:
            vendor, device = rng.choice(pci_ids if nic["bus"] == "pci" else usb_ids).split(":")
            nic["vendor_id"], nic["device_id"] = vendor, device
        if n % 3 == 0:
            dev = usb_ids[n % len(usb_ids)].split(":")
            path = f"{1 + n % 4}-{1 + n % 3}"
            doc["usb"].append(
                {
                    "bus": 1 + n % 4,
                    "path": path,
                    "vendor_id": dev[0],
                    "product_id": dev[1],
                    "interface_classes": ["ff/ff"],
                }
            )
            doc["nics"].append(
                {
                    "bus": "usb",
                    "vendor_id": dev[0],
                    "device_id": dev[1],
                    "location": path,
                    "esxi_name": "vusb9",
                    "mac": f"00:e0:4c:00:{n % 256:02x}:01",
                }
            )
        if n % 5 == 0:
            doc["cpu"]["flags_complete"] = False  # a dmidecode-only box: flags are partial
        target = folder / f"box-{n:04d}.inventory.json"
        target.write_text(json.dumps(doc))
        paths.append(target)
    return paths


COLD_LOAD = (
    "import time; t = time.perf_counter(); "
    "from ecs_field.compat.catalog import build_catalog, shipped_catalog_dir; "
    "c = build_catalog(shipped_catalog_dir(), None); "
    "print(time.perf_counter() - t, sum(c.counts().values()) + len(c.cpu_models))"
)


def cold_catalog_load(runs: int = 5) -> tuple[float, int]:
    """Median seconds for a fresh interpreter to import and build the catalog, and its entry count."""
    times, entries = [], 0
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", COLD_LOAD], capture_output=True, text=True, check=True, cwd=benchlib.ROOT
        )
        seconds, count = done.stdout.split()
        times.append(float(seconds))
        entries = int(count)
    return sorted(times)[len(times) // 2], entries


def probe_ratio(runs: int = 15) -> str:
    """The Linux probe (NICs derived) against running lspci -nn and lsusb, medians of ``runs``."""
    if sys.platform != "linux" or not (shutil.which("lspci") and shutil.which("lsusb")):
        return "probe     skipped (needs Linux with lspci and lsusb)"
    from ecs_field.hardware.nics import derive_nics
    from ecs_field.hardware.probe import linux

    def probe() -> None:
        derive_nics(linux.probe())

    def tools() -> None:
        subprocess.run(["lspci", "-nn"], capture_output=True, check=False)
        subprocess.run(["lsusb"], capture_output=True, check=False)

    probe_s = median_seconds(probe, runs, warm_up=True)
    tools_s = median_seconds(tools, runs, warm_up=True)
    verdict = "met" if probe_s <= tools_s else "MISSED"
    return (
        f"probe     Linux probe {probe_s * 1000:.2f} ms vs lspci -nn + lsusb {tools_s * 1000:.2f} ms "
        f"(medians of {runs}): ratio {probe_s / tools_s:.2f}, target <= 1.0 {verdict}"
    )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    releases = ["8.0", "8.0U1", "8.0U2", "8.0U3", "9.0"]
    with tempfile.TemporaryDirectory(prefix="ecs-bench-") as tmp:
        paths = make_inventories(Path(tmp), count)

        started = time.perf_counter()
        baseline_docs = [json.loads(p.read_bytes()) for p in paths]
        baseline = time.perf_counter() - started

        started = time.perf_counter()
        catalog = build_catalog(shipped_catalog_dir(), None)
        catalog_load = time.perf_counter() - started

        started = time.perf_counter()
        inventories = [Inventory.from_dict(json.loads(p.read_bytes())) for p in paths]
        imported = time.perf_counter() - started

        # the CLI's own import path (content sniffing, NIC naming), for reference
        started = time.perf_counter()
        ids = catalog.usb_nic_ids()
        for path in paths:
            load_inputs([path], usb_nic_ids=ids)
        cli_import = time.perf_counter() - started

        started = time.perf_counter()
        words: dict[str, int] = {}
        for n, inventory in enumerate(inventories):
            doc = evaluate(inventory, catalog, releases[n % len(releases)]).to_dict()
            words[doc["verdict"]] = words.get(doc["verdict"], 0) + 1
        evaluated = time.perf_counter() - started

    cold, entries = cold_catalog_load()
    total = catalog_load + imported + evaluated
    benchlib.print_machine()
    print(f"inventories: {count} ({len(baseline_docs)} files), verdicts: {words}")
    print(f"baseline  read + json.loads only:              {baseline * 1000:8.1f} ms")
    print(f"catalog   cold: new interpreter, import + build: {cold * 1000:6.1f} ms", end="")
    print(f" ({entries} entries, median of 5)")
    print(f"catalog   warm: load + validate + index (once):  {catalog_load * 1000:6.1f} ms")
    print(f"import    read + json.loads + Inventory:       {imported * 1000:8.1f} ms")
    print(f"import    via the CLI importer (load_inputs):  {cli_import * 1000:8.1f} ms (not in the total)")
    print(
        f"evaluate  verdict + to_dict:                   {evaluated * 1000:8.1f} ms "
        f"({evaluated / count * 1e6:.0f} µs each)"
    )
    print(f"total     catalog + import + evaluate:         {total * 1000:8.1f} ms")
    print(f"ratio     total / baseline:                    {total / baseline:8.1f}x")
    print(
        f"target    {TARGET_S:.1f} s for 1,000: {'met' if total * 1000 / count < TARGET_S else 'MISSED'} "
        f"({total / TARGET_S * 100 * 1000 / count:.0f}% of the budget)"
    )
    print(probe_ratio())


if __name__ == "__main__":
    main()
