"""Render the Sites page to PNGs for a look by eye (not collected by pytest: no test_ prefix).

    QT_QPA_PLATFORM=offscreen python3 -m tests.gui.render_sites_page [OUT_DIR]

Writes <case>-<light|dark>-<W>x<H>.png under OUT_DIR (default /tmp/gui-shots/sites) at 1280x800
and 1024x640 (the window), with the themes the app applies (Fusion + light / dark palette):
  first-run     the page opened with an empty registry: the demo site is created and shown
  workloads     the demo site, its failing workload selected (the reason in the detail pane)
  lint          the demo site's lint tab, a finding selected
  flux          the demo site's Flux & events tab
  network       the demo site's network tab (two vSwitches, a missing NIC)
  fleet         three sites in the list (demo, a second local repo, a not-cloned one)
  not-cloned    a site whose repository is not cloned, chosen after the demo (nothing of the demo left)
  dialog        the site dialog after Save with several bad fields (every error at once)
  edit          the site dialog opened by Edit… on the demo site (prefilled)
The app's state goes to a temporary folder; the repositories are real Git repositories.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_HOME = Path(tempfile.mkdtemp(prefix="ecs-field-render-sites-"))
os.environ["ECS_FIELD_HOME"] = str(_HOME / "home")
os.environ.pop("ECS_FIELD_THEME", None)  # this script applies both themes itself
for _name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
    os.environ[_name] = str(_HOME / _name.lower())

from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from ecs_field.gui import app as gui_app  # noqa: E402
from ecs_field.gui import theme  # noqa: E402
from tests.gui.render_lib import shoot, wait  # noqa: E402


def render(app: QApplication, out: Path, tone: str, work: Path) -> None:
    from ecs_field.gui.main_window import MainWindow
    from ecs_field.gui.pages import sites
    from ecs_field.gui.widgets.sites_dialog import SiteDialog
    from ecs_field.sites.registry import Registry, Site
    from tests.unit.sites.repo_builder import NAMESPACE, commit_files, make_repo

    theme.apply_theme(app, tone)
    window = MainWindow()
    window.show()
    page = window.show_page("sites")
    assert isinstance(page, sites.SitesPage)

    def loaded(name: str) -> bool:
        return page.detail is not None and page.detail.name == name and page._loading_name is None

    wait(lambda: loaded("demo"))
    shoot(window, out, f"first-run-{tone}")

    page.tabs.setCurrentIndex(0)
    page.select_first_failing()
    shoot(window, out, f"workloads-{tone}")

    page.tabs.setCurrentIndex(2)
    page.lint_view.selectRow(0)
    shoot(window, out, f"lint-{tone}")

    page.tabs.setCurrentIndex(3)
    shoot(window, out, f"flux-{tone}")

    page.tabs.setCurrentIndex(4)
    shoot(window, out, f"network-{tone}")

    repo = work / f"depot-7-{tone}"
    if not repo.exists():
        make_repo(repo)
        commit_files(repo, "namespace", {"ns.yaml": NAMESPACE})
    registry = Registry.load()
    if registry.find("depot-7") is None:
        registry.add(Site(name="depot-7", repo=str(repo)))
    if registry.find("far-site") is None:
        registry.add(Site(name="far-site", repo="https://git.example.invalid/edge/far-site.git"))
    page.tabs.setCurrentIndex(0)
    page.refresh_list(select="depot-7")
    wait(lambda: loaded("depot-7"))
    page.refresh_list(select="demo")
    wait(lambda: loaded("demo"))
    shoot(window, out, f"fleet-{tone}")

    page.refresh_list(select="far-site")
    wait(lambda: page.current == "far-site" and page._loading_name is None and page.problem.isVisible())
    shoot(window, out, f"not-cloned-{tone}")

    dialog = SiteDialog(window)
    dialog.name.setText("Depot 7!")
    dialog.repo.setText("")
    dialog.path.setText("../outside")
    dialog.api.setText("10.0.0.20:6443")
    dialog.token_env.setText("my token")
    dialog.show()
    dialog._accept()
    QTest.qWait(50)
    dialog.adjustSize()
    shoot(dialog, out, f"dialog-{tone}", sizes=((dialog.width(), dialog.height()),))
    dialog.close()

    demo = Registry.load().get("demo")
    edit = SiteDialog(window, demo)
    edit.show()
    QTest.qWait(50)
    edit.adjustSize()
    shoot(edit, out, f"edit-{tone}", sizes=((edit.width(), edit.height()),))
    edit.close()

    window.close()
    page.shutdown()
    page.jobs.wait_all(10000)


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path("/tmp/gui-shots/sites")
    out.mkdir(parents=True, exist_ok=True)
    app = gui_app.create_application(["render-sites-page"])
    work = Path(tempfile.mkdtemp(prefix="repos-", dir=_HOME))
    for tone in ("light", "dark"):
        render(app, out, tone, work)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
