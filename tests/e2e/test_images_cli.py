"""``ecs-field images ...`` end to end: real ISOs (xorriso), a real HTTP(S) server, real processes."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecs_field.cli import main
from tests.clirun import run_process
from tests.httpserver import Fault, HttpTestServer, Resource, have_cryptography, make_tls_files
from tests.imagefiles import make_iso

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/xorriso") and not os.path.exists(
    "/usr/local/bin/xorriso"), reason="xorriso builds the test ISOs")


@pytest.fixture(autouse=True)
def _offline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    # never ask the desktop's Secret Service from a test
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture()
def iso(tmp_path: Path) -> Path:
    return make_iso(tmp_path / "ECS-8.0U3.iso", 1_500_000)


@pytest.fixture()
def server() -> Iterator[HttpTestServer]:
    with HttpTestServer() as running:
        yield running


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_add_list_verify_remove(iso: Path, capsys: pytest.CaptureFixture[str], ecs_home: Path) -> None:
    code, out, _ = run(capsys, "images", "add", str(iso), "--json")
    assert code == 0
    record = json.loads(out)
    digest = hashlib.sha256(iso.read_bytes()).hexdigest()
    assert record["name"] == "ECS-8.0U3.iso" and record["sha256"] == digest
    assert record["stored"] == "copy" and Path(record["path"]).is_relative_to(ecs_home)
    assert record["size_bytes"] == iso.stat().st_size and record["source"] == str(iso.resolve())
    if record["inspect"] is not None:  # the image inspector (ecs_field.media.image.inspect) is present
        assert record["esxi"]["version"] == "8.0.3" and record["esxi"]["build"] == "24022510"
        assert record["write_mode"] == "uefi-fat32" and record["format"] == "iso9660"

    code, out, _ = run(capsys, "images", "list", "--json")
    assert code == 0 and [r["name"] for r in json.loads(out)] == ["ECS-8.0U3.iso"]
    code, out, _ = run(capsys, "images", "list")
    assert out.splitlines()[0].split()[:3] == ["NAME", "SIZE", "ESXI"] and "ECS-8.0U3.iso" in out

    code, out, _ = run(capsys, "images", "verify", "ECS-8.0U3.iso", "--full", "--json")
    verdict = json.loads(out)["verify"]
    assert code == 0 and verdict["ok"] and verdict["mode"] == "full"
    assert verdict["problems"] == [] and verdict["sha256_now"] == digest

    library_copy = Path(record["path"])
    data = bytearray(library_copy.read_bytes())
    data[-5] ^= 0x55
    library_copy.write_bytes(bytes(data))
    code, out, _ = run(capsys, "images", "verify", "ECS-8.0U3.iso")
    assert code == 6 and "CHANGED (quick check)" in out and "modified time changed" in out
    code, out, _ = run(capsys, "images", "verify", "ECS-8.0U3.iso", "--full", "--json")
    verdict = json.loads(out)["verify"]
    assert code == 6 and not verdict["ok"]
    assert any(p.startswith(f"content changed: SHA-256 recorded {digest}, now ") for p in verdict["problems"])

    code, out, _ = run(capsys, "images", "remove", "ECS-8.0U3.iso")
    assert code == 0 and not library_copy.exists()
    code, _, err = run(capsys, "images", "verify", "ECS-8.0U3.iso")
    assert code == 2 and "No image named 'ECS-8.0U3.iso'" in err


def test_add_reference_and_wrong_sha(iso: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "images", "add", str(iso), "--sha256", "f" * 64)
    assert code == 6 and "does not match --sha256" in err and "Traceback" not in err
    code, _, err = run(capsys, "images", "add", str(iso), "--sha256", "xyz")
    assert code == 2 and "not a SHA-256 checksum" in err
    code, out, _ = run(capsys, "images", "add", str(iso), "--reference", "--json")
    assert code == 0 and json.loads(out)["path"] == str(iso.resolve())
    run(capsys, "images", "remove", "ECS-8.0U3.iso")
    assert iso.exists()


def test_corrupt_index_is_set_aside_and_reported(iso: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "images", "add", str(iso), "--json")
    index = Path(json.loads(out)["path"]).parent / "index.json"
    index.write_bytes(b"\x00garbage")
    code, _, err = run(capsys, "images", "list")
    assert code == 2 and "was set aside as index.json.corrupt-" in err and "Traceback" not in err
    aside = list(index.parent.glob("index.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == b"\x00garbage"
    code, _, err = run(capsys, "images", "list")
    assert code == 0 and "ECS-8.0U3.iso is in the library folder but not indexed" in err


def test_download_resumes_and_verifies(
    iso: Path, server: HttpTestServer, capsys: pytest.CaptureFixture[str]
) -> None:
    body = iso.read_bytes()
    digest = hashlib.sha256(body).hexdigest()
    server.add("/isos/ECS-8.0U3.iso", Resource(body, faults=[Fault(drop_after=500_000)]))
    server.add("/isos/SHA256SUMS", Resource(f"{digest}  ECS-8.0U3.iso\n".encode()))
    code, out, err = run(capsys, "images", "download", server.url("/isos/ECS-8.0U3.iso"), "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["sha256"] == digest and document["checksum_verified"] is True
    assert document["checksum_source"].startswith("SHA256SUMS ")
    assert document["download"]["requests"] == 2 and "NOT VERIFIED" not in err
    gets = server.requests_for("/isos/ECS-8.0U3.iso")
    assert gets[1].headers["Range"].startswith("bytes=")


def test_download_without_checksum_warns(
    iso: Path, server: HttpTestServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.add("/isos/ECS-8.0U3.iso", Resource(iso.read_bytes()))
    code, out, err = run(capsys, "images", "download", server.url("/isos/ECS-8.0U3.iso"))
    assert code == 0 and "NOT VERIFIED" in out and "was NOT verified" in err


def test_download_errors_are_messages_with_exit_codes(
    iso: Path, server: HttpTestServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.add("/isos/locked.iso", Resource(iso.read_bytes(), require_token="t"))
    server.add("/isos/ECS-8.0U3.iso", Resource(iso.read_bytes()))
    cases = [
        (["images", "download", server.url("/isos/locked.iso")], 3, "HTTP 401"),
        (["images", "download", server.url("/isos/none.iso")], 2, "HTTP 404"),
        (["images", "download", server.url("/isos/ECS-8.0U3.iso"), "--sha256", "0" * 64], 6, "not match"),
        (["images", "download", "ftp://example/x.iso"], 2, "not an http:// or https:// URL"),
    ]
    for args, exit_code, text in cases:
        code, out, err = run(capsys, *args)
        assert (code, out) == (exit_code, ""), (args, err)
        assert text in err and "Traceback" not in err


def test_not_an_image_download_is_deleted(server: HttpTestServer, capsys: pytest.CaptureFixture[str]) -> None:
    server.add("/isos/page.iso", Resource(b"<html>login</html>" * 100))
    code, _, err = run(capsys, "images", "download", server.url("/isos/page.iso"))
    assert code == 2 and "not a boot image" in err and "it was deleted" in err


@pytest.mark.skipif(not have_cryptography(), reason="the cryptography package makes the test CA")
def test_download_over_https_needs_the_ca(
    iso: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tls = make_tls_files(tmp_path / "tls")
    with HttpTestServer(tls=tls) as secure:
        secure.add("/isos/ECS-8.0U3.iso", Resource(iso.read_bytes()))
        url = secure.url("/isos/ECS-8.0U3.iso")
        code, _, err = run(capsys, "images", "download", url)
        assert code == 3 and "could not be verified" in err and "--ca FILE" in err
        code, out, err = run(capsys, "images", "download", url, "--ca", str(tls.ca_cert), "--json")
        assert code == 0, err
        assert json.loads(out)["source"] == url


def test_token_in_a_real_process_is_sent_but_never_written(
    iso: Path, server: HttpTestServer, ecs_home: Path
) -> None:
    token = "eyJ-field-token-" + "k7" * 20
    server.add("/isos/ECS-8.0U3.iso", Resource(iso.read_bytes(), require_token=token,
                                                faults=[Fault(drop_after=300_000)]))
    env = {"ORCH_TOKEN": token, "ECS_FIELD_HOME": str(ecs_home)}
    done = run_process("-v", "images", "download",
                       server.url("/isos/ECS-8.0U3.iso") + "?X-Amz-Signature=QUERYSECRET",
                       "--token-env", "ORCH_TOKEN", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["name"] == "ECS-8.0U3.iso"
    assert {r.headers.get("Authorization") for r in server.requests} == {f"Bearer {token}"}
    assert token not in done.stdout + done.stderr and "QUERYSECRET" not in done.stdout
    written = [p for p in ecs_home.rglob("*") if p.is_file() and p.suffix != ".iso"]
    assert any(p.name == "ecs-field.log" for p in written) and any(p.name == "index.json" for p in written)
    for path in written:
        assert token.encode() not in path.read_bytes(), path
        # neither the download code nor the CLI's log of its command line keeps the query
        assert b"QUERYSECRET" not in path.read_bytes(), path
    assert "QUERYSECRET" not in done.stderr

    wrong = dict(env, ORCH_TOKEN="not-the-token")
    done = run_process("images", "download", server.url("/isos/ECS-8.0U3.iso"),
                       "--name", "again.iso", "--token-env", "ORCH_TOKEN", env=wrong)
    assert done.returncode == 3
    assert "HTTP 401" in done.stderr and "environment variable ORCH_TOKEN" in done.stderr
    assert "not-the-token" not in done.stderr
