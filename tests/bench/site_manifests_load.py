"""Benchmark: load_manifests on 2,000 manifests against plain PyYAML.

Baseline: ``yaml.load_all(..., Loader=yaml.CSafeLoader)`` over the same files (read + parse,
no line numbers, no limits). Prints the ratio (ours / baseline) and the machine.
Run: python tests/bench/site_manifests_load.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import benchlib
import yaml
from benchlib import median_seconds

from ecs_field.sites.repo import manifests

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sites" / "ecs-site"


def build(root: Path) -> int:
    vm = (FIXTURE / "vms" / "gateway-vm.yaml").read_text()
    net = (FIXTURE / "host-config" / "network.yaml").read_text()
    count = 0
    for i in range(200):
        docs = [vm.replace("cam-gateway", f"vm-{i}-{j}") for j in range(4)]
        docs += [net.replace("host-network", f"net-{i}-{k}") for k in range(2)]
        (root / f"m{i:03d}.yaml").write_text("\n---\n".join(docs))
        count += 10  # 4 x (VM + ConfigMap) + 2 HostConfigurations
    return count


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        expected = build(root)
        files = sorted(root.glob("*.yaml"))

        def baseline() -> None:
            n = sum(1 for f in files for d in yaml.load_all(f.read_text(), Loader=yaml.CSafeLoader) if d)
            assert n == expected

        def ours_cold() -> None:
            manifests._cache.clear()
            assert len(manifests.load_manifests(root)) == expected

        def profiles() -> None:
            ms = manifests.load_manifests(root)
            for hc in ms.host_configurations():
                assert hc.profile is not None

        def ours_cached() -> None:
            assert len(manifests.load_manifests(root)) == expected

        base = median_seconds(baseline)
        cold = median_seconds(ours_cold)
        ours_cached()
        warm = median_seconds(ours_cached)
        hosts = median_seconds(profiles) - warm
    benchlib.print_machine()
    print(f"{expected} manifests in {len(files)} files")
    print(f"baseline yaml.load_all(CSafeLoader): {base * 1000:.0f} ms")
    print(f"load_manifests (cold, with lines and limits): {cold * 1000:.0f} ms = {cold / base:.2f}x baseline")
    print(f"load_manifests (cached by path/mtime/size): {warm * 1000:.0f} ms = {warm / base:.2f}x baseline")
    print(f"+ parsing the 400 HostConfiguration profiles with line maps: {hosts * 1000:.0f} ms")


if __name__ == "__main__":
    main()
