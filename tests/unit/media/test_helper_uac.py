"""Windows: the installed app elevates through its helper executable, whose manifest asks for admin."""

from __future__ import annotations

from pathlib import Path

from ecs_field.media.write import helper
from ecs_field.media.write.helper import HelperOptions, build_helper


def test_installed_app_runs_the_manifest_helper(tmp_path: Path) -> None:
    app = tmp_path / "ECS Field Kit"
    app.mkdir()
    (app / "ecs-field.exe").write_bytes(b"MZ")
    (app / "ecs-field-helper.exe").write_bytes(b"MZ")
    cmd = build_helper("/images/host.iso", [r"\\.\PHYSICALDRIVE2"], HelperOptions(), workdir=tmp_path,
                       platform="win32", elevated=False, prefix=[str(app / "ecs-field.exe")])
    assert cmd.elevation == helper.ELEVATION_UAC
    assert f"Start-Process -FilePath '{app / 'ecs-field-helper.exe'}'" in cmd.argv[-1]


def test_without_the_helper_executable_the_app_itself_is_elevated(tmp_path: Path) -> None:
    prefix = [str(tmp_path / "ecs-field.exe")]
    assert helper.windows_helper_prefix(prefix) == prefix
    source_install = ["python.exe", "-m", "ecs_field"]
    assert helper.windows_helper_prefix(source_install) == source_install
