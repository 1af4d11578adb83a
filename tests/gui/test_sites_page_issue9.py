"""The Sites page as issue 9 section 5 saw it on screen, on real Git repositories.

Each test drives the page the way a technician does (choose a site, Pull, Edit…, open the tabs)
and checks what is on screen: no other site's rows under a title, reasons that fit the window,
the result of an action after its reload, every dialog error at once, wires that do not overlap.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFont, QFontMetrics
from pytestqt.qtbot import QtBot

from ecs_field.gui.pages import sites as sites_page
from ecs_field.gui.pages.sites import TAB_TITLES, SitesPage
from ecs_field.gui.theme import DARK, LIGHT
from ecs_field.gui.widgets.sites_dialog import SiteDialog
from ecs_field.gui.widgets.sites_list import (
    ROLE_OVERVIEW,
    SiteItemDelegate,
    age_text,
    error_text,
    fleet_summary_html,
    site_tooltip,
    sync_text,
)
from ecs_field.gui.widgets.sites_network import NIC_W, NetworkDiagram, two_lines
from ecs_field.gui.widgets.sites_tables import FittedTable
from ecs_field.sites.registry import Registry, Site
from ecs_field.sites.status.fleet import SiteOverview, fleet_counts, save_summary_doc, site_overview
from ecs_field.sites.status.overview import NetworkView, NicView, PortGroupView, SwitchView
from tests.unit.sites.repo_builder import NAMESPACE, commit_files, make_repo, push, remote_and_clone


@pytest.fixture
def page(qtbot: QtBot) -> Iterator[SitesPage]:
    widget = SitesPage()
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    yield widget
    widget.shutdown()
    widget.jobs.wait_all(10000)


def loaded(page: SitesPage, name: str) -> bool:
    return page.detail is not None and page.detail.name == name and page._loading_name is None


def open_demo(qtbot: QtBot, page: SitesPage) -> None:
    page.self_test()
    qtbot.waitUntil(lambda: loaded(page, "demo"), timeout=20000)


# -- a site that is not cloned: its title, nothing of the site before ---------------------------------------
def test_not_cloned_site_after_demo_shows_none_of_the_demo(qtbot: QtBot, page: SitesPage) -> None:
    open_demo(qtbot, page)
    assert page.workloads_model.rowCount() and page.lint_model.rowCount() and page.network.view.switches
    assert "(" in page.tabs.tabText(0) and "error" in page.tabs.tabText(2)
    Registry.load().add(Site(name="far-site", repo="https://git.example.invalid/edge/far-site.git"))
    page.refresh_list(select="far-site")
    # from the moment the title changes, the demo's rows are gone (not only once the load failed)
    qtbot.waitUntil(lambda: page.site_title.text() == "far-site", timeout=20000)
    assert page.workloads_model.rowCount() == 0
    qtbot.waitUntil(lambda: page.problem.isVisible() and page._loading_name is None, timeout=20000)
    assert "not cloned yet" in page.problem.text()
    assert page.detail is None
    assert page.workloads_model.rowCount() == 0 and page.lint_model.rowCount() == 0
    assert page.flux_model.rowCount() == 0 and page.events_model.rowCount() == 0
    assert page.pending_list.count() == 0 and page.diff_view.toPlainText() == ""
    assert page.network.view.switches == [] and page.network.view.nics == []
    assert [page.tabs.tabText(i) for i in range(page.tabs.count())] == list(TAB_TITLES)
    assert page.workload_detail.text() == "" and page.lint_detail.text() == ""
    assert page.badge.word == "unknown"
    # back to the demo: everything comes back
    page.refresh_list(select="demo")
    qtbot.waitUntil(lambda: loaded(page, "demo"), timeout=20000)
    assert page.workloads_model.rowCount() == 6 and not page.problem.isVisible()


# -- reasons and lint messages readable without scrolling sideways -----------------------------------
def _text_fits(view: FittedTable, row: int, column: int) -> bool:
    text = str(view.model().data(view.model().index(row, column)) or "")
    from PySide6.QtWidgets import QStyle

    # the margins Qt's item delegate leaves on each side of a cell's text
    margin = view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1
    width = view.columnWidth(column) - 2 * margin
    needed = view.fontMetrics().boundingRect(QRect(0, 0, width, 100_000), Qt.TextFlag.TextWordWrap, text)
    return needed.height() <= view.rowHeight(row)


@pytest.mark.parametrize("size", [(1280, 800), (1024, 640)])
def test_failure_reason_and_lint_message_fit_the_window(qtbot: QtBot, size: tuple[int, int]) -> None:
    from ecs_field.gui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    page = window.show_page("sites")
    assert isinstance(page, SitesPage)
    try:
        qtbot.waitUntil(lambda: loaded(page, "demo"), timeout=20000)  # first run: the demo is there
        for index, view, column in ((0, page.workloads_view, 3), (2, page.lint_view, 3)):
            page.tabs.setCurrentIndex(index)
            qtbot.wait(50)
            viewport = view.viewport().width()
            right = view.columnViewportPosition(column) + view.columnWidth(column)
            assert right <= viewport + 1, f"{view.objectName()}: last column ends at {right} of {viewport}"
            assert view.horizontalScrollBar().maximum() == 0
            assert view.columnWidth(column) >= 200
            for row in range(view.model().rowCount()):
                assert _text_fits(view, row, column), f"{view.objectName()} row {row} is cut"
        # the failing workload is chosen at once, its reason in full in the pane
        failed = next(w for w in page.detail.status["workloads"] if w["health"] == "failed")
        assert page.workloads_model.rows[page.workloads_view.currentIndex().row()][0] == "failed"
        assert f"Reason: {failed['message']}" in page.workload_detail.text()
        assert f"Observed: {failed['observed']}" in page.workload_detail.text()
        finding = page.detail.lint["findings"][0]
        assert f"Message: {finding['message']}" in page.lint_detail.text()
        if finding.get("hint"):
            assert f"Hint: {finding['hint']}" in page.lint_detail.text()
        # the pane wraps: its label is never wider than the pane
        assert page.workload_detail.label.width() <= page.workload_detail.viewport().width()
    finally:
        window.close()
        page.shutdown()
        page.jobs.wait_all(10000)


# -- Fetch snapshot off for the demo: said in the page, with an Edit path -----------------------------------
def test_demo_fetch_off_is_explained_and_edit_saves_through_the_registry(
    qtbot: QtBot, page: SitesPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_demo(qtbot, page)
    assert not page.fetch_button.isEnabled()
    assert page.fetch_note.isVisible()
    note = page.fetch_note.text()
    assert "demo site has no host API address" in note and "href='edit'" in note
    for text in (note, page.fetch_button.toolTip(), page.problem.text(), page.sync_message.text()):
        assert "sites add" not in text
    edits: list[tuple[str, dict[str, object]]] = []
    real_update = Registry.update_fields

    def spy(self: Registry, name: str, **changes: object) -> Site:
        edits.append((name, changes))
        return real_update(self, name, **changes)

    monkeypatch.setattr(Registry, "update_fields", spy)
    seen: list[SiteDialog] = []

    def fill_and_save(dialog: SiteDialog) -> int:
        seen.append(dialog)
        dialog.api.setText("https://127.0.0.1:6443")
        dialog._accept()
        return int(dialog.result_site is not None)

    monkeypatch.setattr(SiteDialog, "exec", fill_and_save)
    demo = Registry.load().get("demo")
    page.fetch_note.linkActivated.emit("edit")  # the note's Edit… link
    dialog = seen[0]
    assert dialog.editing and dialog.name.text() == "demo" and dialog.repo.text() == demo.repo
    assert dialog.branch.text() == demo.branch and dialog.inventory.text() == demo.inventory
    assert edits == [("demo", {"hosts": dialog.result_site.hosts})]
    qtbot.waitUntil(lambda: bool(page._sites["demo"].hosts) and loaded(page, "demo"), timeout=20000)
    assert Registry.load().get("demo").hosts[0].api == "https://127.0.0.1:6443"
    assert Registry.load().get("demo").repo == demo.repo  # nothing else changed
    assert page.fetch_button.isEnabled() and not page.fetch_note.isVisible()
    assert "Saved demo: changed host API." in page.action_result.text()


def test_site_without_host_says_why_fetch_is_off(qtbot: QtBot, page: SitesPage, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "depot")
    commit_files(repo, "ns", {"ns.yaml": NAMESPACE})
    Registry.load().add(Site(name="depot", repo=str(repo)))
    page.refresh_list(select="depot")
    qtbot.waitUntil(lambda: loaded(page, "depot"), timeout=20000)
    assert not page.fetch_button.isEnabled() and page.fetch_note.isVisible()
    assert "this site has no host API address" in page.fetch_note.text()
    assert "Edit…" in page.fetch_button.toolTip() and "<" not in page.fetch_button.toolTip()


# -- Pull's result stays through the reload ------------------------------------------------------------------
def test_pull_result_is_not_overwritten_by_the_reload(qtbot: QtBot, page: SitesPage, tmp_path: Path) -> None:
    work, _bare, clone = remote_and_clone(tmp_path)
    Registry.load().add(Site(name="depot", repo=str(clone)))
    page.refresh_list(select="depot")
    qtbot.waitUntil(lambda: loaded(page, "depot"), timeout=20000)
    commit_files(work, "namespace apps", {"ns.yaml": NAMESPACE})
    push(work)
    page.pull_button.click()
    qtbot.waitUntil(lambda: page._action_job is None, timeout=20000)
    qtbot.waitUntil(lambda: loaded(page, "depot"), timeout=20000)
    page.jobs.wait_all(10000)
    qtbot.wait(100)
    assert page.action_result.isVisible()
    text = page.action_result.text()
    assert text.startswith("Pull: ") and len(text) > len("Pull: ")
    from tests.unit.sites.repo_builder import run_git

    assert page.detail.status["repo"]["head"] == run_git(work, "rev-parse", "HEAD")
    # choosing another site clears it: a result belongs to the site it was done on
    page.refresh_list(select="depot")
    Registry.load().add(Site(name="other", repo=str(clone)))
    page.refresh_list(select="other")
    qtbot.waitUntil(lambda: loaded(page, "other"), timeout=20000)
    assert not page.action_result.isVisible()


# -- the site dialog: every error at once, required fields marked --------------------------------------------
def test_dialog_shows_every_error_at_once_and_marks_required(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = SiteDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    labels = {
        dialog.name: "Name",
        dialog.repo: "Repository",
    }
    from PySide6.QtWidgets import QFormLayout, QLabel

    form = dialog.layout().itemAt(0).layout()
    assert isinstance(form, QFormLayout)
    texts = [
        w.text()
        for i in range(form.rowCount())
        if (item := form.itemAt(i, QFormLayout.ItemRole.LabelRole)) and isinstance(w := item.widget(), QLabel)
    ]
    assert "&Name *" in texts and "&Repository *" in texts and "&Branch" in texts
    for field in labels:
        assert field.accessibleDescription() == "required"
    # empty: both required fields at once
    dialog._accept()
    assert dialog.result_site is None
    assert "Required" in dialog._field_errors[dialog.name].text()
    assert "Required" in dialog._field_errors[dialog.repo].text()
    # five bad fields: five errors shown together, the summary names all of them in form order
    dialog.name.setText("Depot 7!")
    dialog.repo.setText(str(tmp_path / "no-such-folder"))
    dialog.path.setText("../outside")
    dialog.api.setText("10.0.0.20:6443")
    dialog.token_env.setText("my token")
    not_pem = tmp_path / "ca.txt"
    not_pem.write_text("not a certificate\n")
    dialog.ca_file.setText(str(not_pem))
    dialog._accept()
    shown = [f for f, label in dialog._field_errors.items() if label.isVisible()]
    assert set(shown) == {dialog.name, dialog.repo, dialog.path, dialog.api, dialog.token_env, dialog.ca_file}
    assert dialog.error.text().startswith("6 fields need a fix")
    assert dialog.error.text().endswith(
        "Name, Repository, Path in repository, Host API, Token variable, Host CA file."
    )
    assert "not allowed" in dialog._field_errors[dialog.name].text()
    assert "inside the repository" in dialog._field_errors[dialog.path].text()
    assert "PEM" in dialog._field_errors[dialog.ca_file].text()
    assert dialog.name.hasFocus() or not dialog.isActiveWindow()
    # fixing them clears each mark, and the site is built
    dialog.name.setText("depot-7")
    dialog.repo.setText(str(tmp_path))
    dialog.path.setText("sites/depot-7")
    dialog.api.setText("https://10.0.0.20:6443")
    dialog.token_env.setText("DEPOT_TOKEN")
    dialog.ca_file.setText("")
    dialog._accept()
    assert not any(label.isVisible() for label in dialog._field_errors.values())
    assert dialog.result_site is not None and dialog.result_site.path == "sites/depot-7"


# -- the network drawing -------------------------------------------------------------------------------------
def _segments(paths: list) -> list[tuple[int, str, float, float, float]]:
    out = []
    for number, (_switch, _uplink, points) in enumerate(paths):
        for a, b in pairwise(points):
            if a.y() == b.y():
                out.append((number, "h", a.y(), min(a.x(), b.x()), max(a.x(), b.x())))
            else:
                out.append((number, "v", a.x(), min(a.y(), b.y()), max(a.y(), b.y())))
    return out


def _crowded_view() -> NetworkView:
    groups = (PortGroupView("Management Network", None), PortGroupView("VM Network", 10))
    nics = [
        NicView(
            f"vmnic{i}", "pci", "Intel(R) Ethernet Controller I226-V 2.5GbE Network Adapter", "up", 2500, True
        )
        for i in range(4)
    ] + [NicView("vusb0", "usb", "Realtek RTL8156B 2.5GbE USB adapter", "up", 2500, True)]
    switches = [
        SwitchView(
            "vSwitch0", groups, ("vmnic0", "vmnic1", "vusb0"), ("vmnic0",), ("vmnic1", "vusb0"), 1500, "x"
        ),
        SwitchView("vSwitch1", groups, ("vmnic2", "vmnic3", "vmnic0"), ("vmnic2",), ("vmnic3",), 9000, "x"),
        SwitchView("vSwitch2", groups, ("vusb0", "vmnic1"), ("vusb0",), ("vmnic1",), None, "x"),
    ]
    return NetworkView(switches=switches, nics=nics, has_inventory=True)


def test_uplink_lines_never_lie_on_each_other(qtbot: QtBot) -> None:
    diagram = NetworkDiagram()
    qtbot.addWidget(diagram)
    diagram.set_view(_crowded_view())
    paths = diagram.wire_paths()
    assert len(paths) == 8
    segments = _segments(paths)
    for i, (n1, kind1, at1, lo1, hi1) in enumerate(segments):
        for n2, kind2, at2, lo2, hi2 in segments[i + 1 :]:
            if n1 == n2 or kind1 != kind2 or abs(at1 - at2) > 0.5:
                continue
            overlap = min(hi1, hi2) - max(lo1, lo2)
            assert overlap <= 0.5, f"wires {n1} and {n2} share a {kind1} run at {at1}"
    # wires end on their NIC, start on their switch
    switches, nics, _ = diagram._layout()
    for switch, uplink, points in paths:
        assert points[0].y() == switches[switch.name].bottom()
        assert points[-1].y() == nics[uplink].top()
        assert nics[uplink].left() < points[-1].x() < nics[uplink].right()
    diagram.resize(diagram.sizeHint())
    assert diagram.grab().width() >= diagram.sizeHint().width()  # paints without error


def test_nic_names_and_chips_are_not_cut(qtbot: QtBot) -> None:
    diagram = NetworkDiagram()
    qtbot.addWidget(diagram)
    small = QFont(diagram.font())
    small.setPointSizeF(max(7.0, diagram.font().pointSizeF() * 0.85))
    metrics = QFontMetrics(small)
    for chip in (
        "Intel Ethernet Controller I225-LM · 2.5 Gb/s",
        "Realtek RTL8156 2.5GbE USB adapter · 2.5 Gb/s",
    ):
        lines = two_lines(chip, metrics, NIC_W - 16)
        assert " ".join(lines) == chip, lines  # every word shown, nothing elided
        assert all(metrics.horizontalAdvance(line) <= NIC_W - 16 for line in lines)
    bold = QFont(diagram.font())
    bold.setBold(True)
    assert QFontMetrics(bold).horizontalAdvance("vmnic31  PCI") <= NIC_W - 16
    # a chip too long even for two lines keeps its start and says it was cut
    lines = two_lines("word " * 40, metrics, NIC_W - 16)
    assert len(lines) == 2 and lines[1].endswith("…")


# -- the demo on first run ------------------------------------------------------------------------
def test_first_open_creates_the_demo_once(qtbot: QtBot, page: SitesPage) -> None:
    assert Registry.load().sites == []
    page.activated()
    qtbot.waitUntil(lambda: loaded(page, "demo"), timeout=20000)
    assert Registry.load().names() == ["demo"] and page.site_list.count() == 1
    # removed by the user: not created again on the next start
    Registry.load().remove("demo")
    second = SitesPage()
    qtbot.addWidget(second)
    try:
        second.activated()
        qtbot.waitUntil(lambda: second.empty_hint.isVisibleTo(second), timeout=20000)
        assert Registry.load().sites == [] and second.site_list.count() == 0
    finally:
        second.shutdown()
        second.jobs.wait_all(10000)


def test_first_open_without_git_says_so_once(
    qtbot: QtBot, page: SitesPage, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # no git on PATH and none named for GitPython: what the page asks (without GitPython) finds none
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("GIT_PYTHON_GIT_EXECUTABLE", raising=False)
    assert not sites_page.git_available()
    page.activated()
    qtbot.waitUntil(page.problem.isVisible, timeout=5000)
    assert page.problem.text().startswith("Git is not installed on this computer")
    assert Registry.load().sites == []
    assert sites_page.first_run()  # nothing half-built: the demo comes once Git is there


# -- the fleet: the same rows as `sites list`, counts above the list ----------------------------------------
def test_fleet_counts_and_last_error_match_sites_list(qtbot: QtBot, page: SitesPage, tmp_path: Path) -> None:
    for name in ("alpha", "bravo", "charlie"):
        repo = make_repo(tmp_path / name)
        commit_files(repo, "ns", {"ns.yaml": NAMESPACE})
        Registry.load().add(Site(name=name, repo=str(repo)))
    save_summary_doc(
        "alpha",
        {
            "sync": "behind",
            "health": "degraded",
            "commits_behind": 2,
            "last_error": "VirtualMachine apps/db: VirtualMachineClass gpu-large not found",
        },
    )
    save_summary_doc(
        "bravo", {"sync": "diverged", "health": "healthy", "commits_behind": 1, "commits_ahead": 3}
    )
    rows = site_overview(["alpha", "bravo", "charlie"])
    page.refresh_list(select="charlie")
    qtbot.waitUntil(lambda: page.site_list.count() == 3, timeout=20000)
    counts = fleet_counts(rows)
    summary = page.fleet_summary.text()
    assert "<b>3 sites</b>" in summary
    for word, n in counts["sync"].items():
        assert f"{n} {word}" in summary or f"{n} {word.replace('-', ' ')}" in summary
    items = {page.site_list.item(i).data(ROLE_OVERVIEW).name: page.site_list.item(i) for i in range(3)}
    alpha = items["alpha"]
    assert alpha.data(ROLE_OVERVIEW).to_dict() == rows[0].to_dict()
    assert "Last error: VirtualMachine apps/db" in alpha.toolTip()
    assert "Sync: Diverged (+3 / −1)" in items["bravo"].toolTip()
    delegate = page.site_list.itemDelegate()
    assert isinstance(delegate, SiteItemDelegate)
    from PySide6.QtWidgets import QStyleOptionViewItem

    option = QStyleOptionViewItem()
    option.initFrom(page.site_list)
    index_alpha = page.site_list.indexFromItem(alpha)
    index_charlie = page.site_list.indexFromItem(items["charlie"])
    assert delegate.sizeHint(option, index_alpha).height() > delegate.sizeHint(option, index_charlie).height()


def test_narrow_window_narrows_the_widest_columns_first() -> None:
    from ecs_field.gui.widgets.sites_tables import shrink_widest

    assert shrink_widest([80, 60, 300, 250], 1000) == [80, 60, 300, 250]  # room enough: unchanged
    narrowed = shrink_widest([80, 60, 300, 250], 400)
    assert sum(narrowed) <= 400 and narrowed[:2] == [80, 60]  # short words stay whole
    assert narrowed[2] == narrowed[3] < 250
    assert shrink_widest([100, 100], 50) == [48, 48]  # never below the floor


# -- outside input: summaries, names and errors of any shape draw and stay text ---------------------
_words = st.one_of(
    st.sampled_from(["in-sync", "behind", "ahead", "diverged", "failed", "unknown", "degraded", "healthy"]),
    st.text(max_size=40),
)
_overviews = st.builds(
    SiteOverview,
    name=st.text(min_size=1, max_size=60),
    sync=_words,
    commits_behind=st.integers(0, 10**6),
    counts=st.dictionaries(st.text(max_size=10), st.integers(0, 10**6), max_size=4),
    snapshot_taken_at=st.one_of(st.none(), st.just("2026-12-04T10:00:00Z")),
    snapshot_age_s=st.one_of(st.none(), st.floats(0, 1e9)),
    stale=st.booleans(),
    computed_at=st.one_of(st.none(), st.just("2026-12-04T10:00:00Z")),
    health=_words,
    commits_ahead=st.integers(0, 10**6),
    last_error=st.text(max_size=300),
    problems=st.lists(st.text(max_size=80), max_size=3),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_overviews, min_size=1, max_size=5))
def test_fleet_rows_of_any_content_draw_and_stay_text(qtbot: QtBot, rows: list[SiteOverview]) -> None:
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStyleOptionViewItem

    for tones in (LIGHT, DARK):
        summary = fleet_summary_html(rows, tones)
        # a word from a file never becomes markup: only our own tags are in the summary
        stripped = summary
        for tag in ("<b>", "</b>", "<br>", "</span>"):
            stripped = stripped.replace(tag, "")
        stripped = re.sub(r"<span style='color:#[0-9a-f]{6}'>", "", stripped)
        assert "<" not in stripped and ">" not in stripped
    widget = QListWidget()
    qtbot.addWidget(widget)
    delegate = SiteItemDelegate(widget)
    image = QImage(300, 80, QImage.Format.Format_ARGB32)
    for row in rows:
        for text in (sync_text(row), age_text(row), error_text(row), site_tooltip(row)):
            assert isinstance(text, str)
        assert "\n" not in error_text(row)  # one line in the list, in full in the tooltip
        item = QListWidgetItem(row.name)
        item.setData(Qt.ItemDataRole.UserRole, row.name)
        item.setData(ROLE_OVERVIEW, row)
        widget.addItem(item)
        option = QStyleOptionViewItem()
        option.initFrom(widget)
        option.rect = image.rect()
        painter = QPainter(image)
        delegate.paint(painter, option, widget.indexFromItem(item))
        painter.end()
