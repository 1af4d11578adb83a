"""Host API transport rules against real HTTP(S) servers on 127.0.0.1: no token over plain http://
except to loopback, --allow-http, a --ca that is not PEM, an unknown CA vs a host-name mismatch."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecs_field.errors import BadInput
from ecs_field.sites.registry import Registry
from ecs_field.sites.status.tls import check_ca_file, check_token_transport, is_loopback
from tests.clirun import run_cli
from tests.httpserver import have_cryptography, make_tls_files
from tests.unit.sites.fake_kube_api import FakeKubeApi, populate_host, server_tls_context

TOKEN = "rules-secret-token-789"
needs_crypto = pytest.mark.skipif(
    not have_cryptography(), reason="the cryptography package makes the test CA"
)


@pytest.fixture
def plain_api() -> Iterator[FakeKubeApi]:
    server = FakeKubeApi(token=TOKEN).start()
    populate_host(server)
    yield server
    server.stop()


def test_token_over_plain_http_to_another_host_is_refused_before_connecting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RULES_TOKEN", TOKEN)
    started = time.monotonic()
    # 192.0.2.0/24 is TEST-NET-1: never routed. The refusal must come before any connection.
    done = run_cli("snapshot", "fetch", "--api", "http://192.0.2.10:6443", "--token-env", "RULES_TOKEN")
    assert done.returncode == 2
    assert "refusing to send the API token over plain http://" in done.stderr
    assert "--allow-http" in done.stderr and "https://" in done.stderr
    assert TOKEN not in done.stderr + done.stdout
    assert time.monotonic() - started < 3


def test_plain_http_to_loopback_sends_the_token(
    plain_api: FakeKubeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RULES_TOKEN", TOKEN)
    done = run_cli("snapshot", "fetch", "--api", plain_api.url, "--token-env", "RULES_TOKEN")
    assert done.returncode == 0, done.stderr
    assert plain_api.auth_headers and all(h == f"Bearer {TOKEN}" for h in plain_api.auth_headers)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="0.0.0.0 reaches this machine on Linux")
def test_allow_http_overrides_the_refusal(plain_api: FakeKubeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    # 0.0.0.0 is not a loopback address by its name, yet Linux connects it to this machine.
    monkeypatch.setenv("RULES_TOKEN", TOKEN)
    url = plain_api.url.replace("127.0.0.1", "0.0.0.0")
    refused = run_cli("snapshot", "fetch", "--api", url, "--token-env", "RULES_TOKEN")
    assert refused.returncode == 2 and "refusing" in refused.stderr
    assert not plain_api.auth_headers
    allowed = run_cli("snapshot", "fetch", "--api", url, "--token-env", "RULES_TOKEN", "--allow-http")
    assert allowed.returncode == 0, allowed.stderr
    assert plain_api.auth_headers


def test_no_token_no_refusal() -> None:
    check_token_transport("http://192.0.2.10:6443", has_token=False)
    check_token_transport("https://192.0.2.10:6443", has_token=True)
    check_token_transport("http://192.0.2.10:6443", has_token=True, allow_http=True)
    for host in ("127.0.0.1", "127.8.9.10", "[::1]", "localhost", "LOCALHOST", "api.localhost"):
        check_token_transport(f"http://{host}:6443", has_token=True)
    assert not is_loopback("10.0.0.1") and not is_loopback("localhost.example.com")
    with pytest.raises(BadInput):
        check_token_transport("http://10.0.0.20:6443", has_token=True)


# -- --ca ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"\x30\x82\x01\x0a" + bytes(200), "looks like DER"),
        (b"just some text\n", "not a PEM certificate"),
        (b"-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n", "cannot be loaded"),
    ],
)
def test_a_ca_that_is_not_pem_is_exit_2(tmp_path: Path, content: bytes, says: str) -> None:
    ca = tmp_path / "ca.crt"
    ca.write_bytes(content)
    done = run_cli("snapshot", "fetch", "--api", "https://127.0.0.1:9", "--ca", str(ca))
    assert done.returncode == 2, done.stderr
    assert says in done.stderr and "ca.crt" in done.stderr and "Traceback" not in done.stderr
    added = run_cli("sites", "add", "s1", "--repo", str(tmp_path), "--ca", str(ca))
    assert added.returncode == 2 and says in added.stderr
    assert Registry.load().find("s1") is None


def test_a_ca_folder_is_exit_2(tmp_path: Path) -> None:
    with pytest.raises(BadInput) as info:
        check_ca_file(tmp_path)
    assert "is a folder" in info.value.message


@needs_crypto
def test_unknown_ca_and_name_mismatch_get_different_messages(tmp_path: Path) -> None:
    right = make_tls_files(tmp_path / "right", host="127.0.0.1")
    other = make_tls_files(tmp_path / "other", host="127.0.0.1")  # another CA, same name
    elsewhere = make_tls_files(tmp_path / "elsewhere", host="10.9.9.9")  # same kind of CA, other name
    server = FakeKubeApi(token=None, tls=server_tls_context(right.cert, right.key)).start()
    mismatch = FakeKubeApi(token=None, tls=server_tls_context(elsewhere.cert, elsewhere.key)).start()
    try:
        populate_host(server)
        populate_host(mismatch)
        unknown = run_cli("snapshot", "fetch", "--api", server.url)
        assert unknown.returncode == 3
        assert "CA this laptop does not know" in unknown.stderr and "--ca FILE" in unknown.stderr
        wrong_ca = run_cli("snapshot", "fetch", "--api", server.url, "--ca", str(other.ca_cert))
        assert wrong_ca.returncode == 3 and "not signed by the CA given with --ca" in wrong_ca.stderr
        name = run_cli("snapshot", "fetch", "--api", mismatch.url, "--ca", str(elsewhere.ca_cert))
        assert name.returncode == 3
        assert "host name mismatch" in name.stderr and "not issued for '127.0.0.1'" in name.stderr
        assert "A different --ca does not fix this" in name.stderr
        ok = run_cli("snapshot", "fetch", "--api", server.url, "--ca", str(right.ca_cert))
        assert ok.returncode == 0, ok.stderr
    finally:
        server.stop()
        mismatch.stop()


@needs_crypto
def test_sites_edit_sets_the_ca_and_fetch_uses_it(tmp_path: Path) -> None:
    files = make_tls_files(tmp_path / "tls")
    server = FakeKubeApi(token=None, tls=server_tls_context(files.cert, files.key)).start()
    try:
        populate_host(server)
        assert run_cli("sites", "add", "d9", "--repo", str(tmp_path), "--api", server.url).returncode == 0
        assert run_cli("snapshot", "fetch", "d9").returncode == 3
        edited = run_cli("sites", "edit", "d9", "--ca", str(files.ca_cert))
        assert edited.returncode == 0 and "ca_file" in edited.stderr
        fetched = run_cli("snapshot", "fetch", "d9")
        assert fetched.returncode == 0, fetched.stderr
    finally:
        server.stop()
