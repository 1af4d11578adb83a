"""The instant overview of all sites (cached summaries) and the network model of the drawing."""

from __future__ import annotations

from ecs_field.hardware.inventory import Inventory, Nic
from ecs_field.sites.demo import ensure_demo_site
from ecs_field.sites.registry import local_repo_path
from ecs_field.sites.repo.manifests import load_manifests
from ecs_field.sites.status.overview import load_site_detail, network_view, site_overview, summary_path


def test_overview_before_and_after_a_status_computation() -> None:
    site = ensure_demo_site()
    before = site_overview(["demo", "never-seen"])
    assert before[0].sync == "unknown" and before[0].snapshot_taken_at is not None and not before[0].stale
    assert before[1].snapshot_taken_at is None and before[1].stale
    detail = load_site_detail(site, repo_path=local_repo_path(site))
    assert detail.status["sync"] == "behind"
    assert detail.lint is not None and detail.lint["counts"]["error"] >= 1
    assert list(detail.diffs) == [detail.status["pending"][0]["commit"]]
    after = site_overview(["demo"])[0]
    assert after.sync == "behind" and after.commits_behind == 1 and after.counts["failed"] == 1


def test_corrupt_summary_is_set_aside() -> None:
    ensure_demo_site()
    path = summary_path("demo")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{broken")
    assert site_overview(["demo"])[0].sync == "unknown"
    assert not path.exists() and list(path.parent.glob("status-summary.json.corrupt-*"))


def test_network_view_marks_missing_nics() -> None:
    site = ensure_demo_site()
    manifests = load_manifests(local_repo_path(site))
    inventory = Inventory(
        nics=[
            Nic("pci", "8086", "15f2", "0000:58:00.0", esxi_name="vmnic0"),
            Nic("usb", "0bda", "8156", "2-3", esxi_name="vusb0"),
        ]
    )
    view = network_view(manifests, inventory)
    assert view.missing == ["vmnic1"]
    assert [n.name for n in view.nics] == ["vmnic0", "vmnic1", "vusb0"]
    switch = next(s for s in view.switches if s.name == "vSwitch1")
    assert switch.active == ("vusb0",) and switch.standby == ("vmnic1",)
    assert [(p.name, p.vlan_id) for p in switch.port_groups] == [("Cameras", 40), ("Sensors", 41)]
    unchecked = network_view(manifests, None)
    assert unchecked.missing == [] and not unchecked.has_inventory
