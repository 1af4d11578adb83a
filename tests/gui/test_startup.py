"""`ecs-field self-test` as a user runs it: no GitPython at start, and its exit code and output
survive the early exit that skips the interpreter's teardown (issue 10, "Fast start")."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

# Runs the command as `python -m ecs_field self-test` does, and reports at os._exit (the command's
# early exit, which skips atexit) which modules the process has loaded.
REPORTING_RUN = """
import os, sys
real_exit = os._exit
def report(code):
    loaded = sorted(m for m in sys.modules if m == "git" or m.startswith(("git.", "gitdb")))
    sys.stderr.write("LOADED-GITPYTHON=%s\\n" % ",".join(loaded))
    sys.stderr.write("LOADED-SITES=%s\\n" % ("ecs_field.sites.status.gitread" in sys.modules))
    sys.stderr.flush()
    real_exit(code)
os._exit = report
sys.argv = ["ecs-field", "self-test"]
from ecs_field.cli import main
raise SystemExit(main())
"""


def _self_test(home: Path, *command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ECS_FIELD_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("GIT_PYTHON_GIT_EXECUTABLE", None)
    return subprocess.run(
        [sys.executable, *(command or ("-m", "ecs_field", "self-test"))],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )


def test_self_test_start_does_not_import_gitpython(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = _self_test(home)  # builds the demo site (that one-off build may use GitPython)
    assert first.returncode == 0, first.stderr[-2000:]
    done = _self_test(home, "-c", REPORTING_RUN)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "self-test: page Sites: ok" in done.stderr
    assert "LOADED-SITES=True" in done.stderr  # the demo site was read (by status.gitread)
    assert "LOADED-GITPYTHON=\n" in done.stderr, done.stderr[-500:]


def test_early_exit_keeps_output_log_and_exit_code(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = _self_test(home)
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r"self-test: 4 pages in [\d.]+ s, ok\n\Z", done.stderr)
    log_text = "\n".join(p.read_text() for p in (home / "log").glob("*.log"))
    assert "self-test" in log_text  # the log file was flushed before the process ended

    # a broken catalog entry fails the Hardware page: exit 1, and the failure is printed
    (home / "config" / "catalog.d").mkdir(parents=True, exist_ok=True)
    (home / "config" / "catalog.d" / "broken.yaml").write_text("schema: nonsense\nnics: [1, 2\n")
    failed = _self_test(home)
    assert failed.returncode == 1, failed.stderr[-2000:]
    assert "self-test: FAILED Hardware" in failed.stderr and failed.stderr.rstrip().endswith("FAILED")


# -- the Sites page's first open racing self-test's refresh (made likelier by a faster start) -------------
def _held_jobs(page: object, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, object, object]]:
    """Make the page's jobs wait: each is kept as (name, function, on_success) for the test to finish."""
    held: list[tuple[str, object, object]] = []

    def run(fn: object, *, name: str, on_success: object = None, **_handlers: object) -> None:
        held.append((name, fn, on_success))

    monkeypatch.setattr(page.jobs, "run", run)  # type: ignore[attr-defined]
    return held


def _finish(job: tuple[str, object, object]) -> None:
    from ecs_field.events import CancelToken

    _name, fn, on_success = job
    result = fn(lambda _event: None, CancelToken())  # type: ignore[operator]
    on_success(result)  # type: ignore[operator]


def _demo_page_with_held_jobs(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[Any]]:
    """A Sites page over the demo site whose background jobs wait until the test finishes them."""
    from ecs_field.gui.pages.sites import SitesPage
    from ecs_field.sites.demo import ensure_demo_site

    ensure_demo_site()
    page = SitesPage()
    qtbot.addWidget(page)
    return page, _held_jobs(page, monkeypatch)


def test_an_older_list_refresh_finishing_last_keeps_the_selection(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    page, held = _demo_page_with_held_jobs(qtbot, monkeypatch)
    page.refresh_list()  # the page's first open: nothing selected yet
    page.refresh_list(select="demo")  # self-test's refresh, asked a moment later
    first, second = held
    _finish(second)
    assert page.site_list.currentItem().text() == "demo"
    loads = [job for job in held if job[0] == "load site demo"]
    assert len(loads) == 1
    _finish(first)  # the older refresh answers last: it must not clear the selection
    assert page.site_list.currentItem() is not None and page.site_list.currentItem().isSelected()
    assert page.site_list.currentItem().text() == "demo"
    assert len([job for job in held if job[0] == "load site demo"]) == 1


def test_a_refresh_during_a_load_does_not_start_a_second_load(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    page, held = _demo_page_with_held_jobs(qtbot, monkeypatch)
    page.refresh_list()
    _finish(held[0])
    assert [job[0] for job in held] == ["site list", "load site demo"]
    page.refresh_list(select="demo")  # while the load is on its way: the same site, the same entry
    _finish(held[2])
    assert [job[0] for job in held] == ["site list", "load site demo", "site list"]
    _finish(held[1])  # the one load fills the page
    assert page.detail is not None and page.detail.name == "demo" and page._loading_name is None
    page.refresh_list(select="demo")  # once shown, a refresh reloads it as before
    _finish(held[3])
    assert [job[0] for job in held][-1] == "load site demo"


# -- the Boot media page's self-test waits for the page's own drive listing --------------------------------
def test_media_self_test_uses_the_listing_the_page_started(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecs_field.gui.pages import media
    from tests.gui.test_media_page import make_page
    from tests.gui.test_theme import stand_in_drives

    calls: list[bool] = []

    def listing(include_internal: bool = False) -> list[Any]:
        calls.append(include_internal)
        return stand_in_drives()

    monkeypatch.setattr(media, "list_drives", listing)
    page = make_page(qtbot)
    page.activated()  # the page is shown: it lists the drives in a worker
    page.self_test()
    assert len(calls) == 1 and not page._drive_job_running
    assert [d.path for d in page.drives] == [d.path for d in stand_in_drives()]
    page.self_test()  # nothing running any more: it lists them itself
    assert len(calls) == 2


def test_media_self_test_fails_as_the_listing_failed(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from ecs_field.errors import BadInput
    from ecs_field.gui.pages import media
    from tests.gui.test_media_page import make_page

    def broken(include_internal: bool = False) -> list[Any]:
        raise BadInput("lsblk: not found", "Install util-linux.")

    monkeypatch.setattr(media, "list_drives", broken)
    page = make_page(qtbot)
    with pytest.raises(RuntimeError, match="the drive listing failed: lsblk: not found"):
        page.self_test()


# -- when the early exit is not safe, the command exits the normal way -------------------------------------
def test_no_early_exit_while_a_thread_still_runs(qapp: Any) -> None:
    import threading

    from ecs_field.gui.app import exit_without_teardown

    release = threading.Event()
    writer = threading.Thread(target=release.wait, name="still-writing")  # not a daemon
    writer.start()
    try:
        assert exit_without_teardown(3) == 3  # returned: the process was not ended under pytest
    finally:
        release.set()
        writer.join()


def test_no_early_exit_while_a_pool_job_still_runs(qapp: Any) -> None:
    import threading

    from PySide6.QtCore import QRunnable, QThreadPool

    from ecs_field.gui.app import exit_without_teardown

    release, started = threading.Event(), threading.Event()

    class Job(QRunnable):
        def run(self) -> None:
            started.set()
            release.wait(10)

    job = Job()
    QThreadPool.globalInstance().start(job)
    try:
        assert started.wait(10)
        assert exit_without_teardown(5) == 5
    finally:
        release.set()
        QThreadPool.globalInstance().waitForDone(10000)


def test_core_modules_load_before_qt_and_without_it() -> None:
    """The GUI imports its core modules before PySide6 (shiboken reads the source of every module
    imported after it); each of them must exist and must not pull Qt in itself."""
    probe = (
        "import sys\n"
        "from ecs_field.commands.app import _BEFORE_QT, _import_core_before_qt\n"
        "_import_core_before_qt()\n"
        "assert all(name in sys.modules for name in _BEFORE_QT)\n"
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))\n"
    )
    command = [sys.executable, "-c", probe]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
