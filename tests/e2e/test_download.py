"""Downloads against a real HTTP(S) server on 127.0.0.1: resume, checksums, tokens, faults, TLS."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecs_field.errors import BadInput, Cancelled, DeviceError, NetworkError, VerifyMismatch
from ecs_field.events import CancelToken, Progress
from ecs_field.media.library.download import download, download_image, parse_sha256sums, redact_url
from ecs_field.media.library.store import ImageLibrary
from tests.conftest import needs_root
from tests.httpserver import Fault, HttpTestServer, Resource, have_cryptography, http_date, make_tls_files

FAST = {"retry_delays": (0.05,), "timeout": (5.0, 5.0)}
BODY = bytes(range(256)) * 12_000  # ~3 MB: several network reads
DIGEST = hashlib.sha256(BODY).hexdigest()
PATH = "/images/ECS-8.0U3.iso"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture()
def server() -> Iterator[HttpTestServer]:
    with HttpTestServer() as running:
        yield running


@pytest.fixture()
def dest(tmp_path: Path) -> Path:
    folder = tmp_path / "dest"
    folder.mkdir()
    return folder


def image_gets(server: HttpTestServer) -> list:
    return server.requests_for(PATH)


def test_interrupted_download_resumes_in_the_same_call(server: HttpTestServer, dest: Path) -> None:
    server.add(PATH, Resource(BODY, faults=[Fault(drop_after=1_000_000)]))
    events: list[Progress] = []
    result = download(server.url(PATH), dest_dir=dest, sha256=DIGEST, progress=events.append, **FAST)

    assert (dest / "ECS-8.0U3.iso").read_bytes() == BODY
    assert result.sha256 == DIGEST and result.checksum_source == "--sha256"
    first, second = image_gets(server)
    assert "Range" not in first.headers and first.bytes_sent == 1_000_000
    assert second.headers["Range"].startswith("bytes=")
    assert second.headers["If-Range"] == server.resources[PATH].etag
    assert second.status == 206
    assert first.bytes_sent + second.bytes_sent < 2 * len(BODY)
    assert not (dest / "ECS-8.0U3.iso.part").exists() and not (dest / "ECS-8.0U3.iso.part.json").exists()
    phases = [e.phase for e in events]
    assert "download" in phases and phases[-1] == "verify"
    assert phases.index("verify") > max(i for i, p in enumerate(phases) if p == "download")


def test_failed_download_keeps_part_and_next_run_resumes(server: HttpTestServer, dest: Path) -> None:
    server.add(PATH, Resource(BODY, faults=[Fault(drop_after=1_200_000), Fault(drop_after=0)]))
    with pytest.raises(NetworkError) as failed:
        download(server.url(PATH), dest_dir=dest, retries=0, find_checksum=False, **FAST)
    assert failed.value.exit_code == 3
    assert "run the same command again to resume" in (failed.value.hint or "")
    part = dest / "ECS-8.0U3.iso.part"
    kept = part.stat().st_size
    assert 0 < kept <= 1_200_000

    result = download(server.url(PATH), dest_dir=dest, sha256=DIGEST, **FAST)
    last = image_gets(server)[-1]
    assert last.headers["Range"] == f"bytes={kept}-" and last.status == 206
    assert result.resumed_from == kept and result.bytes_received == len(BODY) - kept
    assert sum(r.bytes_sent for r in image_gets(server)) < 2 * len(BODY)
    assert (dest / "ECS-8.0U3.iso").read_bytes() == BODY


def test_server_ignoring_range_restarts_from_zero(server: HttpTestServer, dest: Path) -> None:
    server.add(PATH, Resource(BODY, ignore_range=True, faults=[Fault(drop_after=500_000)]))
    result = download(server.url(PATH), dest_dir=dest, sha256=DIGEST, **FAST)
    second = image_gets(server)[1]
    assert "Range" in second.headers and second.status == 200
    assert result.sha256 == DIGEST and (dest / "ECS-8.0U3.iso").read_bytes() == BODY


def test_changed_remote_file_restarts_via_if_range(server: HttpTestServer, dest: Path) -> None:
    server.add(PATH, Resource(BODY, faults=[Fault(drop_after=800_000), Fault(drop_after=0)]))
    with pytest.raises(NetworkError):
        download(server.url(PATH), dest_dir=dest, retries=0, find_checksum=False, **FAST)
    newer = bytes(reversed(BODY))
    server.add(PATH, Resource(newer))  # a new build was published under the same URL
    result = download(server.url(PATH), dest_dir=dest, find_checksum=False, **FAST)
    last = image_gets(server)[-1]
    assert last.headers.get("If-Range") and last.status == 200
    assert (dest / "ECS-8.0U3.iso").read_bytes() == newer and result.resumed_from == 0


def test_last_modified_is_used_when_there_is_no_etag(server: HttpTestServer, dest: Path) -> None:
    stamp = http_date(1_700_000_000)
    server.add(PATH, Resource(BODY, etag=None, last_modified=stamp, faults=[Fault(drop_after=600_000)]))
    download(server.url(PATH), dest_dir=dest, find_checksum=False, **FAST)
    assert image_gets(server)[1].headers["If-Range"] == stamp


def test_complete_part_is_finished_through_416(server: HttpTestServer, dest: Path) -> None:
    server.add(PATH, Resource(BODY, faults=[Fault(drop_after=len(BODY) - 10), Fault(drop_after=0)]))
    with pytest.raises(NetworkError):
        download(server.url(PATH), dest_dir=dest, retries=0, find_checksum=False, **FAST)
    part = dest / "ECS-8.0U3.iso.part"
    with part.open("ab") as handle:  # as if the last bytes arrived just before a crash
        handle.write(BODY[part.stat().st_size:])
    result = download(server.url(PATH), dest_dir=dest, sha256=DIGEST, **FAST)
    assert image_gets(server)[-1].status == 416
    assert result.bytes_received == 0 and result.sha256 == DIGEST


def test_wrong_sha256_keeps_nothing(server: HttpTestServer, dest: Path) -> None:
    server.add(PATH, Resource(BODY))
    with pytest.raises(VerifyMismatch) as caught:
        download(server.url(PATH), dest_dir=dest, sha256="ab" * 32, **FAST)
    assert caught.value.exit_code == 6
    assert f"expected {'ab' * 32}, got {DIGEST}" in caught.value.message
    assert list(dest.iterdir()) == []


def test_sidecar_checksum_is_found_and_used(server: HttpTestServer, dest: Path) -> None:
    server.add(PATH, Resource(BODY))
    server.add(PATH + ".sha256", Resource(f"{DIGEST.upper()}  ECS-8.0U3.iso\n".encode()))
    result = download(server.url(PATH), dest_dir=dest, **FAST)
    assert result.verified and result.checksum_source == f"sidecar {server.url(PATH)}.sha256"


def test_wrong_sidecar_checksum_fails(server: HttpTestServer, dest: Path) -> None:
    server.add(PATH, Resource(BODY))
    server.add(PATH + ".sha256", Resource(("1" * 64 + "\n").encode()))
    with pytest.raises(VerifyMismatch, match="does not match sidecar"):
        download(server.url(PATH), dest_dir=dest, **FAST)
    assert list(dest.iterdir()) == []


def test_unreadable_sidecar_is_reported(server: HttpTestServer, dest: Path) -> None:
    server.add(PATH, Resource(BODY))
    server.add(PATH + ".sha256", Resource(b"<html>moved</html>"))
    with pytest.raises(BadInput, match="holds no SHA-256"):
        download(server.url(PATH), dest_dir=dest, **FAST)


def test_sha256sums_in_the_same_folder(server: HttpTestServer, dest: Path) -> None:
    server.add(PATH, Resource(BODY))
    sums = f"{'2' * 64}  other.iso\n{DIGEST} *ECS-8.0U3.iso\n"
    server.add("/images/SHA256SUMS", Resource(sums.encode()))
    result = download(server.url(PATH), dest_dir=dest, **FAST)
    assert result.checksum_source == f"SHA256SUMS {server.url('/images/SHA256SUMS')}"


def test_no_checksum_is_not_verified(server: HttpTestServer, dest: Path) -> None:
    server.add(PATH, Resource(BODY))
    result = download(server.url(PATH), dest_dir=dest, **FAST)
    assert result.checksum_source is None and not result.verified


def test_parse_sha256sums_styles() -> None:
    text = f"# comment\n{'a' * 64}  ./x.iso\nSHA256 (y.iso) = {'B' * 64}\n"
    assert parse_sha256sums(text, "x.iso") == "a" * 64
    assert parse_sha256sums(text, "y.iso") == "b" * 64
    assert parse_sha256sums(text, "z.iso") is None


def test_500_then_ok_is_retried(server: HttpTestServer, dest: Path) -> None:
    server.add(PATH, Resource(BODY, faults=[Fault(status=500), Fault(status=503)]))
    result = download(server.url(PATH), dest_dir=dest, sha256=DIGEST, **FAST)
    assert [r.status for r in image_gets(server)] == [500, 503, 200]
    assert result.requests == 3


def test_persistent_5xx_is_a_network_error(server: HttpTestServer, dest: Path) -> None:
    server.add(PATH, Resource(BODY, faults=[Fault(status=502)] * 5))
    with pytest.raises(NetworkError, match=r"HTTP 502 .*\(3 tries\)"):
        download(server.url(PATH), dest_dir=dest, retries=2, find_checksum=False, **FAST)


def test_404_is_bad_input_without_url_secrets(server: HttpTestServer, dest: Path) -> None:
    url = server.url("/images/missing.iso") + "?X-Signature=SECRET123"
    with pytest.raises(BadInput) as caught:
        download(url, dest_dir=dest, **FAST)
    assert "404" in caught.value.message and "SECRET123" not in str(caught.value)
    assert redact_url("https://u:p@h:8443/a.iso?sig=1#f") == "https://h:8443/a.iso"


def test_slow_server_times_out_then_succeeds(server: HttpTestServer, dest: Path) -> None:
    server.add(PATH, Resource(BODY, faults=[Fault(delay_s=2.0)]))
    result = download(server.url(PATH), dest_dir=dest, sha256=DIGEST, find_checksum=False,
                      timeout=(2.0, 0.3), retry_delays=(0.05,))
    assert result.requests == 2


def test_stall_mid_body_resumes(server: HttpTestServer, dest: Path) -> None:
    server.add(PATH, Resource(BODY, faults=[Fault(stall_after=700_000, stall_s=3.0)]))
    result = download(server.url(PATH), dest_dir=dest, sha256=DIGEST, find_checksum=False,
                      timeout=(2.0, 0.3), retry_delays=(0.05,))
    assert image_gets(server)[1].headers.get("Range")
    assert result.sha256 == DIGEST


def test_hung_server_gives_a_clear_timeout(server: HttpTestServer, dest: Path) -> None:
    server.add(PATH, Resource(BODY, faults=[Fault(delay_s=3.0)] * 3))
    with pytest.raises(NetworkError, match=r"did not answer within 0\.2 s"):
        download(server.url(PATH), dest_dir=dest, find_checksum=False, retries=1,
                 timeout=(2.0, 0.2), retry_delays=(0.05,))


def test_unreachable_host(dest: Path) -> None:
    with HttpTestServer() as gone:
        url = gone.url(PATH)
    with pytest.raises(NetworkError, match=r"could not reach 127\.0\.0\.1: .*[Cc]onnection refused"):
        download(url, dest_dir=dest, **FAST)


def test_cancel_keeps_part_for_resume(server: HttpTestServer, dest: Path) -> None:
    # the server pauses after 1.2 MB so the cancel lands mid-download, as a user's click would
    resume_sending = threading.Event()
    stall = Fault(stall_after=1_200_000, stall_s=10, release=resume_sending)
    server.add(PATH, Resource(BODY, faults=[stall]))
    token = CancelToken()
    part = dest / "ECS-8.0U3.iso.part"

    def cancel_after_a_megabyte() -> None:
        while not token.cancelled:
            if part.exists() and part.stat().st_size >= 1_000_000:
                token.cancel()
                resume_sending.set()
            time.sleep(0.01)

    watcher = threading.Thread(target=cancel_after_a_megabyte, daemon=True)
    watcher.start()
    with pytest.raises(Cancelled) as caught:
        download(server.url(PATH), dest_dir=dest, cancel=token, find_checksum=False, **FAST)
    watcher.join(timeout=5)
    assert caught.value.exit_code == 130 and "was kept" in caught.value.message
    kept = part.stat().st_size
    assert 1_000_000 <= kept < len(BODY) and (dest / "ECS-8.0U3.iso.part.json").exists()
    assert not (dest / "ECS-8.0U3.iso").exists()

    result = download(server.url(PATH), dest_dir=dest, sha256=DIGEST, **FAST)
    assert result.resumed_from == kept and image_gets(server)[-1].headers["Range"] == f"bytes={kept}-"


def test_unknown_length_download_is_complete(server: HttpTestServer, dest: Path) -> None:
    server.add(PATH, Resource(BODY, send_length=False))
    result = download(server.url(PATH), dest_dir=dest, sha256=DIGEST, **FAST)
    assert result.size_bytes == len(BODY)


# ----- tokens


class MemoryKeyring:
    """A keyring backend for one test (keyring.set_keyring accepts any KeyringBackend)."""

    @staticmethod
    def make(entries: dict[tuple[str, str], str]):  # type: ignore[no-untyped-def]
        from keyring.backend import KeyringBackend

        class _Backend(KeyringBackend):
            priority = 1  # type: ignore[assignment]

            def get_password(self, service: str, username: str) -> str | None:
                return entries.get((service, username))

            def set_password(self, service: str, username: str, password: str) -> None:
                entries[(service, username)] = password

            def delete_password(self, service: str, username: str) -> None:
                entries.pop((service, username), None)

        return _Backend()


@pytest.fixture()
def memory_keyring() -> Iterator[dict[tuple[str, str], str]]:
    import keyring

    entries: dict[tuple[str, str], str] = {}
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring.make(entries))
    try:
        yield entries
    finally:
        keyring.set_keyring(previous)


@pytest.fixture()
def iso(tmp_path: Path) -> bytes:
    from tests.imagefiles import make_iso

    return make_iso(tmp_path / "src.iso", 1_500_000).read_bytes()


def test_token_from_env_is_sent_and_never_written(
    server: HttpTestServer, iso: bytes, monkeypatch: pytest.MonkeyPatch, ecs_home: Path
) -> None:
    token = "tok-" + "Zq9" * 10
    monkeypatch.setenv("ECS_TOKEN", token)
    server.add(PATH, Resource(iso, require_token=token, faults=[Fault(drop_after=400_000)]))
    record, result = download_image(server.url(PATH), token_env="ECS_TOKEN", **FAST)
    assert result is not None and record.sha256 == hashlib.sha256(iso).hexdigest()
    assert all(r.headers.get("Authorization") == f"Bearer {token}" for r in server.requests)
    for path in ecs_home.rglob("*"):
        if path.is_file() and path.name != "ECS-8.0U3.iso":
            assert token.encode() not in path.read_bytes(), path


def test_token_from_keyring_uses_the_host_as_user(
    server: HttpTestServer, iso: bytes, memory_keyring: dict[tuple[str, str], str]
) -> None:
    memory_keyring[("ecs-field", "127.0.0.1")] = "from-keyring"
    server.add(PATH, Resource(iso, require_token="from-keyring"))
    record, _ = download_image(server.url(PATH), **FAST)
    assert record.name == "ECS-8.0U3.iso"
    assert image_gets(server)[0].headers["Authorization"] == "Bearer from-keyring"


def test_401_without_token_names_the_keyring_entry(
    server: HttpTestServer, memory_keyring: dict[tuple[str, str], str]
) -> None:
    server.add(PATH, Resource(BODY, require_token="right"))
    with pytest.raises(NetworkError) as caught:
        download_image(server.url(PATH), **FAST)
    message = caught.value.message
    assert caught.value.exit_code == 3 and "HTTP 401" in message
    assert "none in the keyring for service 'ecs-field', user '127.0.0.1'" in message
    assert "--token-env" in (caught.value.hint or "")


def test_401_with_wrong_env_token_names_the_variable(
    server: HttpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORCH_TOKEN", "wrong-secret-value")
    server.add(PATH, Resource(BODY, require_token="right"))
    with pytest.raises(NetworkError) as caught:
        download_image(server.url(PATH), token_env="ORCH_TOKEN", **FAST)
    assert "environment variable ORCH_TOKEN" in caught.value.message
    assert "wrong-secret-value" not in str(caught.value)


def test_missing_token_env_is_bad_input(server: HttpTestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOT_SET_HERE", raising=False)
    with pytest.raises(BadInput, match="NOT_SET_HERE is not set"):
        download_image(server.url(PATH), token_env="NOT_SET_HERE", **FAST)


# ----- library integration


def test_download_image_adds_to_library_and_is_idempotent(server: HttpTestServer, iso: bytes) -> None:
    digest = hashlib.sha256(iso).hexdigest()
    server.add(PATH, Resource(iso))
    record, _ = download_image(server.url(PATH) + "?token=QUERYSECRET", sha256=digest, **FAST)
    assert record.stored == "download" and record.checksum_verified and record.source == server.url(PATH)
    assert ImageLibrary().verify(record.name, full=True).ok
    index = (ImageLibrary().root / "index.json").read_text()
    assert "QUERYSECRET" not in index
    again, nothing = download_image(server.url(PATH), sha256=digest, **FAST)
    assert nothing is None and again.name == record.name
    with pytest.raises(BadInput, match="already in the library"):
        download_image(server.url(PATH), **FAST)


# ----- TLS


@pytest.mark.skipif(not have_cryptography(), reason="the cryptography package makes the test CA")
def test_https_verifies_and_accepts_a_custom_ca(tmp_path: Path, dest: Path) -> None:
    tls = make_tls_files(tmp_path / "tls")
    with HttpTestServer(tls=tls) as secure:
        secure.add(PATH, Resource(BODY))
        with pytest.raises(NetworkError) as caught:
            download(secure.url(PATH), dest_dir=dest, **FAST)
        assert "TLS certificate of 127.0.0.1 could not be verified" in caught.value.message
        assert "--ca FILE" in (caught.value.hint or "")
        assert not any(r.path == PATH for r in secure.requests)  # no byte was fetched unverified

        result = download(secure.url(PATH), dest_dir=dest, sha256=DIGEST, ca_file=tls.ca_cert, **FAST)
        assert result.sha256 == DIGEST


# ----- disk full


@pytest.fixture()
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "tiny"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "ecs-field-test", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@needs_root
def test_disk_too_small_is_refused_before_downloading(server: HttpTestServer, tiny_disk: Path) -> None:
    server.add(PATH, Resource(BODY))
    with pytest.raises(DeviceError) as caught:
        download(server.url(PATH), dest_dir=tiny_disk, find_checksum=False, **FAST)
    assert f"disk holding {tiny_disk}" in caught.value.message
    assert "still needed for ECS-8.0U3.iso" in caught.value.message
    assert list(tiny_disk.iterdir()) == []


@needs_root
def test_disk_full_during_download_keeps_part(server: HttpTestServer, tiny_disk: Path) -> None:
    server.add(PATH, Resource(BODY, send_length=False))  # size unknown: fails while writing
    with pytest.raises(DeviceError) as caught:
        download(server.url(PATH), dest_dir=tiny_disk, find_checksum=False, **FAST)
    assert caught.value.exit_code == 5
    assert f"disk holding {tiny_disk}" in caught.value.message and "was kept" in caught.value.message
    assert (tiny_disk / "ECS-8.0U3.iso.part").stat().st_size > 500_000


def test_meta_file_is_valid_json(server: HttpTestServer, dest: Path) -> None:
    server.add(PATH, Resource(BODY, faults=[Fault(drop_after=300_000), Fault(drop_after=0)]))
    with pytest.raises(NetworkError):
        download(server.url(PATH) + "?k=SECRETQ", dest_dir=dest, retries=0, find_checksum=False, **FAST)
    meta = json.loads((dest / "ECS-8.0U3.iso.part.json").read_text())
    assert meta["url"] == server.url(PATH) and meta["total"] == len(BODY)
    assert "SECRETQ" not in json.dumps(meta)
    assert os.path.getsize(dest / "ECS-8.0U3.iso.part") > 0


def test_second_download_of_the_same_file_is_refused(server: HttpTestServer, dest: Path) -> None:
    release = threading.Event()
    server.add(PATH, Resource(BODY, faults=[Fault(stall_after=200_000, stall_s=10, release=release)]))
    outcome: list[object] = []
    first = threading.Thread(
        target=lambda: outcome.append(download(server.url(PATH), dest_dir=dest, find_checksum=False, **FAST))
    )
    first.start()
    try:
        deadline = time.monotonic() + 10
        while not image_gets(server) and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(BadInput, match="already being downloaded"):
            download(server.url(PATH), dest_dir=dest, find_checksum=False, **FAST)
    finally:
        release.set()
        first.join(timeout=10)
    assert len(outcome) == 1 and (dest / "ECS-8.0U3.iso").read_bytes() == BODY
    assert sorted(p.name for p in dest.iterdir()) == ["ECS-8.0U3.iso"]


@pytest.mark.parametrize("secure", [False, True], ids=["http", "https"])
def test_cancel_cuts_a_stalled_connection(tmp_path: Path, dest: Path, secure: bool) -> None:
    if secure and not have_cryptography():
        pytest.skip("the cryptography package makes the test CA")
    tls = make_tls_files(tmp_path / "tls") if secure else None
    with HttpTestServer(tls=tls) as stalled:
        # the server stops sending after 600 kB and stays silent for 30 s unless the client hangs up
        stalled.add(PATH, Resource(BODY, faults=[Fault(stall_after=600_000, stall_s=30)]))
        token = CancelToken()
        part = dest / "ECS-8.0U3.iso.part"

        def cancel_when_stalled() -> None:
            while not token.cancelled:
                if part.exists() and part.stat().st_size >= 500_000:
                    token.cancel()
                time.sleep(0.01)

        watcher = threading.Thread(target=cancel_when_stalled, daemon=True)
        watcher.start()
        # the read timeout (60 s) outlasts the stall: only cutting the connection on cancel makes
        # the client hang up while the server is still silent
        with pytest.raises(Cancelled) as caught:
            download(stalled.url(PATH), dest_dir=dest, cancel=token, find_checksum=False,
                     ca_file=tls.ca_cert if tls else None, timeout=(5.0, 60.0), retry_delays=(0.05,))
        watcher.join(timeout=5)
        assert "was kept" in caught.value.message
        [request] = stalled.requests_for(PATH)
        deadline = time.monotonic() + 10
        while not request.client_hung_up and time.monotonic() < deadline:
            time.sleep(0.01)  # the server notices the hang-up in its own thread
        assert request.client_hung_up
        assert part.stat().st_size >= 500_000


def test_html_page_instead_of_sidecar_is_not_a_checksum(server: HttpTestServer, dest: Path) -> None:
    server.add(PATH, Resource(BODY))
    page = f'<html><input name="csrf" value="{"c" * 64}"></html>'.encode()
    server.add(PATH + ".sha256", Resource(page, content_type="text/html; charset=utf-8"))
    result = download(server.url(PATH), dest_dir=dest, **FAST)
    assert result.checksum_source is None and result.sha256 == DIGEST
