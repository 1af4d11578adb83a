"""The Windows and macOS probes (subprocess stubbed) on outputs published by others.

Sources: tests/fixtures/hardware/probe-real/SOURCES.md and tests/fixtures/hardware/real-outputs/SOURCES.md.
The Windows probe prints a document of this app's own script, which nobody else publishes: its
test covers how the bytes are decoded (UTF-8 with BOM, UTF-16), on the team's recorded document.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecs_field.errors import EcsFieldError
from ecs_field.hardware.probe import macos, windows

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "hardware"
PROBE_REAL = FIXTURES / "probe-real"


def stub_run(
    monkeypatch: pytest.MonkeyPatch, module: Any, stdout: bytes, returncode: int = 0, stderr: bytes = b""
) -> list[list[str]]:
    calls: list[list[str]] = []

    def run(args: list[str], **_: Any) -> subprocess.CompletedProcess[bytes]:
        calls.append(list(args))
        return subprocess.CompletedProcess(args, returncode, stdout, stderr)

    monkeypatch.setattr(module.subprocess, "run", run)
    return calls


def test_macos_probe_on_a_real_m2_macbook_pro(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = stub_run(monkeypatch, macos, (PROBE_REAL / "macos-m2-macbookpro-sphardware.json").read_bytes())
    inv = macos.probe()
    assert calls[0][:2] == ["system_profiler", "-json"]
    assert (inv.platform.product, inv.platform.family) == ("Mac14,7", "MacBook Pro")
    assert inv.cpu.model == "Apple M2" and inv.memory_bytes == 16 << 30
    assert inv.sources == ["probe:macos"]


def test_macos_probe_on_a_virtual_mac_with_unknown_chip(monkeypatch: pytest.MonkeyPatch) -> None:
    stub_run(monkeypatch, macos, (PROBE_REAL / "macos-virtualmac-sphardware-chip-unknown.json").read_bytes())
    inv = macos.probe()
    assert inv.platform.product == "VirtualMac2,1" and inv.memory_bytes == 14 << 30
    assert inv.cpu.cores == 6  # number_processors as a plain number, not "proc 8:4:4"


def test_macos_probe_on_real_tahoe_usb_host_output(monkeypatch: pytest.MonkeyPatch) -> None:
    stub_run(monkeypatch, macos, (FIXTURES / "real-outputs" / "macos26-spusbhost-tahoe.json").read_bytes())
    inv = macos.probe()
    ids = {(u.vendor_id, u.product_id) for u in inv.usb}
    assert {("0bda", "8153"), ("0bda", "8157")} <= ids  # the two Realtek USB NICs behind docks


def test_macos_probe_with_no_output_names_the_exit_and_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    stub_run(monkeypatch, macos, b"", returncode=1, stderr=b"system_profiler: unable to run reporters")
    with pytest.raises(EcsFieldError, match=r"printed nothing \(exit 1\): system_profiler: unable"):
        macos.probe()


def test_macos_probe_on_a_cut_document_is_an_app_error(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (PROBE_REAL / "macos-m2-macbookpro-sphardware.json").read_bytes()
    stub_run(monkeypatch, macos, data[: len(data) // 2])
    with pytest.raises(EcsFieldError, match="unreadable output"):
        macos.probe()


WINDOWS_DOC = (FIXTURES / "windows-nuc12wshi7.json").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t.encode("utf-8"),
        lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),  # what [Console]::OutputEncoding = UTF8 writes
        lambda t: t.encode("utf-16"),  # "> out.json" in Windows PowerShell 5.1: UTF-16 LE with BOM
        lambda t: t.encode("utf-16-le"),  # the same without the BOM
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16-le"],
)
def test_windows_probe_decodes_every_powershell_encoding(
    monkeypatch: pytest.MonkeyPatch, encode: Any
) -> None:
    stub_run(monkeypatch, windows, encode(WINDOWS_DOC))
    inv = windows.probe()
    assert inv.sources == ["probe:windows"]
    assert inv.platform.product and inv.pci  # the same facts whatever the encoding


def test_windows_probe_error_output_is_an_app_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # What Windows PowerShell prints when the script is blocked (in the console's code page).
    stub_run(monkeypatch, windows, "Get-CimInstance : Accès refusé.\r\n".encode("cp850"), returncode=1)
    with pytest.raises(EcsFieldError, match="unreadable output"):
        windows.probe()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_windows_decode_never_raises(data: bytes) -> None:
    assert isinstance(windows.decode_output(data), str)
