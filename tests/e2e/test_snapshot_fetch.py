"""`ecs-field snapshot fetch` against a real HTTP(S) server on 127.0.0.1, then `status` from the cache."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecs_field.sites.registry import Host, Registry, Site
from ecs_field.sites.status.snapshot import SnapshotStore
from tests.clirun import run_cli
from tests.unit.sites.fake_kube_api import (
    EVENTS,
    FakeKubeApi,
    make_ca_and_server_cert,
    populate_host,
    server_tls_context,
)

TOKEN = "e2e-secret-token-123"


@pytest.fixture
def api() -> Iterator[FakeKubeApi]:
    server = FakeKubeApi(token=TOKEN).start()
    populate_host(server)
    yield server
    server.stop()


def _register(name: str, api_url: str, repo: Path, token_env: str = "E2E_TOKEN") -> None:
    Registry.load().add(Site(name=name, repo=str(repo), hosts=(Host("h1", api_url),), token_env=token_env))


def test_fetch_for_a_site_caches_and_status_reads_it(
    api: FakeKubeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _register("depot-7", api.url, repo)
    monkeypatch.setenv("E2E_TOKEN", TOKEN)
    done = run_cli("snapshot", "fetch", "depot-7")
    assert done.returncode == 0, done.stderr
    assert "3 VirtualMachine" in done.stderr and done.stdout == ""
    cached = SnapshotStore("depot-7").load().snapshot
    assert cached is not None and cached.site == "depot-7" and len(cached.of_kind("VirtualMachine")) == 3

    # a later failed fetch (persistent 500s) exits 3 and keeps the last good snapshot
    before = SnapshotStore("depot-7").current_path.read_bytes()
    api.routes[EVENTS].fail_first = 100
    failed = run_cli("snapshot", "fetch", "depot-7")
    assert failed.returncode == 3
    assert "500" in failed.stderr and "last snapshot is kept" in failed.stderr
    assert SnapshotStore("depot-7").current_path.read_bytes() == before


def test_fetch_with_api_to_file(api: FakeKubeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_TOKEN", TOKEN)
    out = tmp_path / "snap.json"
    done = run_cli("snapshot", "fetch", "--api", api.url, "--token-env", "MY_TOKEN", "-o", str(out))
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    assert document["schema"] == "ecs-field/snapshot@1"
    assert {i["kind"] for i in document["items"]} >= {"Kustomization", "HostConfiguration"}
    assert TOKEN not in out.read_text()


def test_wrong_token_exit_3_and_token_never_printed(
    api: FakeKubeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_TOKEN", "wrong-token-456")
    done = run_cli("snapshot", "fetch", "--api", api.url, "--token-env", "MY_TOKEN")
    assert done.returncode == 3
    assert "401 unauthorized" in done.stderr and "hint:" in done.stderr
    assert "wrong-token-456" not in done.stderr + done.stdout
    monkeypatch.delenv("MY_TOKEN")
    unset = run_cli("snapshot", "fetch", "--api", api.url, "--token-env", "MY_TOKEN")
    assert unset.returncode == 2 and "MY_TOKEN is not set" in unset.stderr


def test_https_needs_the_ca(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ca, cert, key = make_ca_and_server_cert(tmp_path)
    server = FakeKubeApi(token=None, tls=server_tls_context(cert, key)).start()
    try:
        populate_host(server)
        untrusted = run_cli("snapshot", "fetch", "--api", server.url)
        assert untrusted.returncode == 3 and "certificate could not be verified" in untrusted.stderr
        trusted = run_cli("snapshot", "fetch", "--api", server.url, "--ca", str(ca))
        assert trusted.returncode == 0, trusted.stderr
        assert json.loads(trusted.stdout)["source"] == f"api {server.url}"
    finally:
        server.stop()


def test_unreachable_host() -> None:
    closed = FakeKubeApi(token=None)
    url = closed.url
    closed.server.server_close()
    done = run_cli("snapshot", "fetch", "--api", url)
    assert done.returncode == 3 and "could not connect" in done.stderr and "Traceback" not in done.stderr


def test_a_site_remembers_its_host_ca(tmp_path: Path) -> None:
    ca, cert, key = make_ca_and_server_cert(tmp_path)
    server = FakeKubeApi(token=None, tls=server_tls_context(cert, key)).start()
    repo = tmp_path / "repo"
    repo.mkdir()
    try:
        populate_host(server)
        missing = run_cli("sites", "add", "depot-9", "--repo", str(repo), "--api", server.url,
                          "--ca", str(tmp_path / "nope.pem"))
        assert missing.returncode == 2 and "nope.pem" in missing.stderr
        added = run_cli("sites", "add", "depot-9", "--repo", str(repo), "--api", server.url, "--ca", str(ca))
        assert added.returncode == 0, added.stderr
        assert Registry.load().get("depot-9").ca_file == str(ca.resolve())
        fetched = run_cli("snapshot", "fetch", "depot-9")
        assert fetched.returncode == 0, fetched.stderr
        assert SnapshotStore("depot-9").load().snapshot is not None
    finally:
        server.stop()
