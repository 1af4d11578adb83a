"""`ecs-field check FILE --json` on messy real input, as the real process: exit 0/1/2/3 only.

Exit 70 (internal error) must never come from an input; a FIFO must not hang the command.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.clirun import run_cli, run_process

HARDWARE = Path(__file__).resolve().parents[1] / "fixtures" / "hardware"
MESSY = HARDWARE / "messy"
LSPCI = (MESSY / "m70q-gen2-lspci-vvnn.txt").read_text()
DMI = (MESSY / "m70q-gen2-dmidecode.txt").read_text()
USB = (HARDWARE / "usb-adapters-lsusb-v.txt").read_text()


def check(path: Path, *, process: bool = True) -> tuple[int, dict[str, object], str]:
    args = ("check", "--release", "8.0U3", "--json", str(path))
    result = run_process(*args, timeout=60) if process else run_cli(*args)
    assert result.returncode in (0, 1, 2, 3), (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    document = json.loads(result.stdout) if result.returncode != 2 else {}
    return result.returncode, document, result.stderr


def test_one_file_with_three_commands_prompts_and_stderr(tmp_path: Path) -> None:
    text = (
        "user@m70q:~$ sudo lspci -vvnn\n"
        + LSPCI.replace(
            "\tKernel driver in use: e1000e",
            "pcilib: sysfs_read_vpd: read failed: Input/output error\n\tKernel driver in use: e1000e",
        )
        + "user@m70q:~$ sudo dmidecode\n"
        + DMI
        + "user@m70q:~$ lsusb -v\n"
        + USB
    )
    box = tmp_path / "box.txt"
    box.write_bytes(text.replace("\n", "\r\n").encode("utf-16"))  # PowerShell's Out-File, say
    code, verdict, _ = check(box)
    assert code in (0, 1, 3)
    nics = verdict["nics"]
    assert isinstance(nics, list) and "8086:15fa" in {n["id"] for n in nics}
    if "input_warnings" in verdict:  # the verdict copies the importer's warnings (VERDICT's part)
        warnings = verdict["input_warnings"]
        assert isinstance(warnings, list) and warnings
        assert {w["file"] for w in warnings} == {"box.txt"}
        assert {"noise", "split", "encoding"} <= {w["kind"] for w in warnings}


def test_cut_short_dump_is_read_with_a_truncation_warning(tmp_path: Path) -> None:
    cut = tmp_path / "cut.txt"
    cut.write_text(LSPCI[: LSPCI.index("\tKernel driver in use: e1000e")])
    code, verdict, _ = check(cut)
    assert code in (0, 1, 3)
    if "input_warnings" in verdict:
        assert any(w["kind"] == "truncated" for w in verdict["input_warnings"])  # type: ignore[union-attr]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    code, _, err = check(fifo)  # run_process's timeout fails the test if it blocks
    assert code == 2 and "named pipe" in err and str(fifo) in err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"[" * 200_000 + b"]" * 200_000, "nested deeper"),
        (
            b'{"schema": "ecs-field/inventory@1", "cpu": {"cores": "four"}}',
            'field cpu.cores: expected an integer, got "four"',
        ),
        (b'{"schema": "ecs-field/inventory@1", "pci": {}}', "field pci: expected a list"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4, "binary"),
        (b"$ sudo lspci -vvnn\npcilib: Cannot open /proc/bus/pci\n", "not a dump"),
    ],
    ids=["deep-json", "cores-four", "pci-object", "binary", "only-noise"],  # short: the id lands in env
)
def test_bad_inputs_exit_2_naming_file_and_field(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "box.json"
    path.write_bytes(content)
    code, _, err = check(path)
    assert code == 2 and expected in err and str(path) in err


def test_devices_exit_2() -> None:
    code, _, err = check(Path(os.devnull))
    assert code == 2 and "character device" in err


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cut=st.integers(min_value=0, max_value=len(LSPCI)),
    junk=st.binary(max_size=64),
    encoding=st.sampled_from(["utf-8", "utf-16", "latin-1", "cp1252"]),
)
def test_mutated_dumps_only_ever_exit_0_1_2_3(tmp_path: Path, cut: int, junk: bytes, encoding: str) -> None:
    # In-process (the same code path as the real process, without 25 interpreter start-ups).
    path = tmp_path / "mutated.txt"
    path.write_bytes((LSPCI[:cut] + DMI).encode(encoding, errors="replace") + junk)
    check(path, process=False)
