"""fetch_snapshot against a real HTTP(S) server on 127.0.0.1 shaped like a host's Kubernetes API."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecs_field.errors import NetworkError
from ecs_field.events import CancelToken, Progress
from ecs_field.sites.status import kube_api
from ecs_field.sites.status.snapshot import fetch_snapshot
from tests.unit.sites.fake_kube_api import (
    EVENTS,
    FLUX_KUSTOMIZE_V1,
    VMS,
    FakeKubeApi,
    make_ca_and_server_cert,
    populate_host,
    server_tls_context,
)

TOKEN = "s3cret-token"


@pytest.fixture
def api() -> Iterator[FakeKubeApi]:
    server = FakeKubeApi(token=TOKEN).start()
    populate_host(server, vm_count=7)
    yield server
    server.stop()


def test_fetch_reads_every_list_with_pagination_and_discovery(api: FakeKubeApi) -> None:
    events: list[Progress] = []
    # page size 500 by default; the fake pages by the limit asked, so force small pages:
    snap = fetch_snapshot(api.url, token=TOKEN, progress=events.append, site="s1")
    kinds = {item["kind"] for item in snap.items}
    assert kinds == {
        "GitRepository",
        "Kustomization",
        "VirtualMachine",
        "VirtualMachineClass",
        "Namespace",
        "Event",
        "HostConfiguration",
    }
    assert len(snap.of_kind("VirtualMachine")) == 7
    assert all(
        item["apiVersion"] == "vmoperator.vmware.com/v1alpha1" for item in snap.of_kind("VirtualMachine")
    )
    assert "managedFields" not in snap.of_kind("VirtualMachine")[0]["metadata"]
    assert "HostConfiguration" in snap.listed_kinds
    assert snap.source == f"api {api.url}"
    assert snap.site == "s1"
    assert events[-1].bytes_done == events[-1].bytes_total
    # the subresource from discovery was not listed
    assert not any("status" in path.split("?")[0].rsplit("/", 1)[-1] for path in api.requests)
    assert all(header == f"Bearer {TOKEN}" for header in api.auth_headers)


def test_pagination_follows_continue(api: FakeKubeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kube_api, "PAGE_SIZE", 3)
    client = kube_api.KubeClient(api.url, token=TOKEN)
    items = client.list_all(VMS, page_size=3)
    assert [i["metadata"]["name"] for i in items] == [f"vm-{i}" for i in range(7)]
    vm_requests = [r for r in api.requests if r.startswith(VMS)]
    assert len(vm_requests) == 3
    assert "continue=3" in vm_requests[1] and "continue=6" in vm_requests[2]


def test_v1beta2_fallback_when_v1_is_not_served() -> None:
    server = FakeKubeApi(token=None).start()
    try:
        populate_host(server, kustomize_v1=False)
        snap = fetch_snapshot(server.url)
        assert snap.kustomizations[0]["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1beta2"
        assert any(r.startswith(FLUX_KUSTOMIZE_V1) for r in server.requests)
    finally:
        server.stop()


def test_missing_groups_are_notes_not_failures() -> None:
    server = FakeKubeApi(token=None).start()
    try:
        populate_host(server)
        del server.routes[VMS]
        del server.routes["/apis/esx.vmware.com/v1alpha1"]
        snap = fetch_snapshot(server.url)
        assert "VirtualMachine" not in snap.listed_kinds
        assert any(note.startswith("VirtualMachine:") for note in snap.notes)
        assert any("esx.vmware.com" in note for note in snap.notes)
    finally:
        server.stop()


def test_401_is_a_clear_network_error_without_the_token(
    api: FakeKubeApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-token-value"
    with pytest.raises(kube_api.ApiAuthError) as exc:
        fetch_snapshot(api.url, token=wrong)
    assert exc.value.exit_code == 3
    assert "401 unauthorized" in exc.value.message
    assert "keyring" in (exc.value.hint or "")
    assert wrong not in str(exc.value) and wrong not in caplog.text


def test_500_then_ok_is_retried(api: FakeKubeApi) -> None:
    api.routes[EVENTS].fail_first = 2
    snap = fetch_snapshot(api.url, token=TOKEN, retry_delay_s=0.05)
    assert len(snap.events) == 1
    assert sum(1 for r in api.requests if r.startswith(EVENTS)) == 3


def test_persistent_500_fails_after_retries(api: FakeKubeApi) -> None:
    api.routes[EVENTS].fail_first = 10
    with pytest.raises(kube_api.ApiServerError) as exc:
        fetch_snapshot(api.url, token=TOKEN, retries=1, retry_delay_s=0.05)
    assert "500" in exc.value.message and EVENTS in exc.value.message


def test_read_timeout(api: FakeKubeApi) -> None:
    api.routes[VMS].delay_s = 1.5
    with pytest.raises(kube_api.ApiTimeout) as exc:
        fetch_snapshot(api.url, token=TOKEN, timeout=(2, 0.3))
    assert "read timeout (0.3 s)" in exc.value.message


def test_malformed_json(api: FakeKubeApi) -> None:
    api.routes[VMS].raw_body = b'{"kind": "VirtualMachineList", "items": [ {"metad'
    with pytest.raises(kube_api.ApiBadResponse) as exc:
        fetch_snapshot(api.url, token=TOKEN)
    assert "not valid JSON" in exc.value.message
    assert isinstance(exc.value, NetworkError)


def test_connection_refused_is_retried_then_reported() -> None:
    server = FakeKubeApi(token=None)
    url = server.url
    server.server.server_close()  # the port is now closed
    with pytest.raises(kube_api.ApiError) as exc:
        fetch_snapshot(url, retries=1, retry_delay_s=0.05)
    assert "could not connect" in exc.value.message


def test_cancel_stops_the_fetch(api: FakeKubeApi) -> None:
    token = CancelToken()
    token.cancel()
    from ecs_field.errors import Cancelled

    with pytest.raises(Cancelled):
        fetch_snapshot(api.url, token=TOKEN, cancel=token)


def test_https_with_custom_ca(tmp_path: Path) -> None:
    ca, cert, key = make_ca_and_server_cert(tmp_path)
    server = FakeKubeApi(token=TOKEN, tls=server_tls_context(cert, key)).start()
    try:
        populate_host(server)
        with pytest.raises(kube_api.ApiTlsError) as exc:
            fetch_snapshot(server.url, token=TOKEN, retries=0)  # system CAs: not trusted
        assert "--ca" in (exc.value.hint or "")
        snap = fetch_snapshot(server.url, token=TOKEN, ca_file=ca)
        assert snap.source.startswith("api https://127.0.0.1:")
        assert len(snap.of_kind("VirtualMachine")) == 3
    finally:
        server.stop()


def test_missing_ca_file_is_bad_input(tmp_path: Path) -> None:
    from ecs_field.errors import BadInput

    with pytest.raises(BadInput):
        fetch_snapshot("https://127.0.0.1:1", ca_file=tmp_path / "nope.pem")


def test_token_from_env_and_missing_env(monkeypatch: pytest.MonkeyPatch) -> None:
    from ecs_field.errors import BadInput

    monkeypatch.setenv("SITE_TOKEN", "abc")
    assert kube_api.resolve_token(token_env="SITE_TOKEN") == "abc"
    monkeypatch.delenv("SITE_TOKEN")
    with pytest.raises(BadInput) as exc:
        kube_api.resolve_token(token_env="SITE_TOKEN")
    assert "SITE_TOKEN" in exc.value.message
    monkeypatch.setenv("OTHER_TOKEN", "xyz")
    assert kube_api.resolve_token(token_ref="env:OTHER_TOKEN") == "xyz"
    # the fail backend (no keyring on CI) means: no token, not a crash
    assert kube_api.resolve_token(token_ref="https://h:6443") is None
    assert kube_api.resolve_token(token_ref="keyring:ecs-field", keyring_user="https://h:6443") is None


def test_bad_url_is_bad_input() -> None:
    from ecs_field.errors import BadInput

    with pytest.raises(BadInput):
        kube_api.normalize_api_url("ftp://host")
    assert kube_api.normalize_api_url("10.0.0.2:6443/") == "https://10.0.0.2:6443"
