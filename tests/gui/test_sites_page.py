"""The Sites page with pytest-qt: the demo site, actions in workers, drops, the network drawing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from ecs_field.gui.pages.sites import ROLE_OVERVIEW, SitesPage
from ecs_field.gui.widgets.sites_dialog import SiteDialog
from ecs_field.sites.registry import Host, Registry, Site
from ecs_field.sites.status.snapshot import SnapshotStore
from tests.unit.sites.fake_kube_api import FakeKubeApi, populate_host
from tests.unit.sites.kubectl_output import ready_kustomization_list
from tests.unit.sites.repo_builder import NAMESPACE, commit_files, make_repo


@pytest.fixture
def page(qtbot: QtBot) -> Iterator[SitesPage]:
    widget = SitesPage()
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    yield widget
    widget.shutdown()
    widget.jobs.wait_all(10000)


def wait_loaded(qtbot: QtBot, page: SitesPage, name: str) -> None:
    qtbot.waitUntil(
        lambda: page.detail is not None and page.detail.name == name and page._loading_name is None,
        timeout=20000,
    )


def test_demo_site_fills_the_page(qtbot: QtBot, page: SitesPage, tmp_path: Path) -> None:
    page.self_test()
    assert page.site_list.count() == 1
    assert page.badge.word == "behind" and page.badge.text() == "Behind by 1"
    words = [page.workloads_model.rows[r][0] for r in range(page.workloads_model.rowCount())]
    assert words.count("failed") == 1 and "current" in words and "missing" in words
    assert page.pending_list.count() == 1
    assert "+kind: HostConfiguration" in page.diff_view.toPlainText()
    assert page.network.view.missing == ["vmnic1"]
    assert [s.name for s in page.network.view.switches] == ["vSwitch0", "vSwitch1"]
    assert any(row[1] == "nic-missing" for row in page.lint_model.rows)
    assert page.events_model.rowCount() == 3
    assert "Applied" in page.sync_line.text() and "snapshot 10 min old" in page.sync_line.text()
    # the list item carries the computed summary now
    overview = page.site_list.item(0).data(ROLE_OVERVIEW)
    assert overview.sync == "behind" and overview.commits_behind == 1
    page.tabs.setCurrentIndex(4)
    image = page.grab()
    assert image.save(str(tmp_path / "sites.png"))


def test_fetch_snapshot_action_runs_in_a_worker(
    qtbot: QtBot, page: SitesPage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "depot")
    commit_files(repo, "ns", {"ns.yaml": NAMESPACE.replace("apps", "flux-system")})
    api = FakeKubeApi(token="gui-token").start()
    try:
        populate_host(api)
        monkeypatch.setenv("DEPOT_TOKEN", "gui-token")
        Registry.load().add(
            Site(name="depot", repo=str(repo), hosts=(Host("h1", api.url),), token_env="DEPOT_TOKEN")
        )
        page.refresh_list(select="depot")
        wait_loaded(qtbot, page, "depot")
        assert page.badge.word == "unknown" and "No snapshot" in page.sync_message.text()
        page.fetch_button.click()
        assert page.progress_box.isVisible() or page._action_job is None
        qtbot.waitUntil(lambda: page._action_job is None, timeout=20000)
        wait_loaded(qtbot, page, "depot")
        assert page.detail.status["snapshot"]["source"] == f"api {api.url}"
        assert page.badge.word == "unknown"  # the applied commit is not in this repo
        assert not page.progress_box.isVisible()
        assert SnapshotStore("depot").load().snapshot is not None
    finally:
        api.stop()


def test_fetch_failure_is_shown_in_place(qtbot: QtBot, page: SitesPage, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    commit_files(repo, "ns", {"ns.yaml": NAMESPACE})
    closed = FakeKubeApi(token=None)
    url = closed.url
    closed.server.server_close()
    Registry.load().add(Site(name="offline", repo=str(repo), hosts=(Host("h1", url),)))
    page.refresh_list(select="offline")
    wait_loaded(qtbot, page, "offline")
    page.fetch_snapshot()
    qtbot.waitUntil(lambda: page._action_job is None, timeout=20000)
    assert page.problem.isVisible() and "could not connect" in page.problem.text()
    assert page.fetch_button.isEnabled()


def test_not_cloned_site_says_pull(qtbot: QtBot, page: SitesPage) -> None:
    Registry.load().add(Site(name="remote", repo="https://git.example.invalid/x.git"))
    page.refresh_list(select="remote")
    qtbot.waitUntil(page.problem.isVisible, timeout=20000)
    assert "not cloned yet" in page.problem.text() and "Pull" in page.problem.text()


def test_drop_snapshot_file_imports_it(qtbot: QtBot, page: SitesPage, tmp_path: Path) -> None:
    page.self_test()
    head = page.detail.status["repo"]["head"]
    dropped = tmp_path / "kubectl.json"
    dropped.write_text(json.dumps(ready_kustomization_list(head)))
    assert page.accepts_drop(dropped)
    page.open_path(dropped)
    qtbot.waitUntil(lambda: page.badge.word == "in-sync", timeout=20000)
    assert page.pending_list.count() == 0


def test_drop_repo_folder_offers_to_add_it(
    qtbot: QtBot, page: SitesPage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "Depot-9")
    commit_files(repo, "ns", {"ns.yaml": NAMESPACE})
    assert page.accepts_drop(repo)
    assert not page.accepts_drop(tmp_path)  # a folder without .git is not a site
    shown: list[SiteDialog] = []

    def fake_exec(dialog: SiteDialog) -> int:
        shown.append(dialog)
        dialog._accept()
        return 1

    monkeypatch.setattr(SiteDialog, "exec", fake_exec)
    page.open_path(repo)
    assert shown and shown[0].name.text() == "depot-9" and shown[0].repo.text() == str(repo)
    qtbot.waitUntil(lambda: page.detail is not None and page.detail.name == "depot-9", timeout=20000)
    assert Registry.load().find("depot-9") is not None


def test_dialog_reports_bad_fields(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = SiteDialog()
    qtbot.addWidget(dialog)
    dialog.name.setText("Bad Name!")
    dialog.repo.setText(str(tmp_path))
    dialog._accept()
    assert dialog.result_site is None and "Name" in dialog.error.text()
    assert "not allowed" in dialog._field_errors[dialog.name].text()
    dialog.name.setText("ok-name")
    dialog.api.setText("ftp://x")
    dialog._accept()
    assert dialog.result_site is None and "http(s)" in dialog._field_errors[dialog.api].text()
    assert dialog._field_errors[dialog.name].isHidden()  # fixed fields lose their mark
    dialog.api.setText("https://10.0.0.2:6443")
    dialog._accept()
    assert dialog.result_site is not None and dialog.result_site.hosts[0].api == "https://10.0.0.2:6443"


def test_switching_sites_quickly_shows_the_last_one(qtbot: QtBot, page: SitesPage, tmp_path: Path) -> None:
    page.self_test()
    repo = make_repo(tmp_path / "second")
    commit_files(repo, "ns", {"ns.yaml": NAMESPACE})
    Registry.load().add(Site(name="second", repo=str(repo)))
    page.refresh_list(select="demo")
    qtbot.waitUntil(lambda: page.site_list.count() == 2, timeout=20000)
    page.load_site("second")
    page.load_site("demo")
    page.load_site("second")
    wait_loaded(qtbot, page, "second")
    page.jobs.wait_all(10000)
    qtbot.wait(50)
    assert page.detail.name == "second" and page.site_title.text() == "second"
