"""One token look-up for downloads and host API snapshots (ecs_field/tokens.py)."""

from __future__ import annotations

import sys
import types

import pytest

from ecs_field import tokens
from ecs_field.errors import BadInput
from ecs_field.media.library.download import resolve_token as download_token
from ecs_field.sites.status.kube_api import resolve_token as api_token


def fake_keyring(
    monkeypatch: pytest.MonkeyPatch,
    entries: dict[tuple[str, str], str] | None = None,
    error: Exception | None = None,
) -> list[tuple[str, str]]:
    asked: list[tuple[str, str]] = []

    def get_password(service: str, user: str) -> str | None:
        asked.append((service, user))
        if error is not None:
            raise error
        return (entries or {}).get((service, user))

    monkeypatch.setitem(sys.modules, "keyring", types.SimpleNamespace(get_password=get_password))
    return asked


def test_a_named_variable_wins_and_is_stripped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITE_TOKEN", "  abc\n")
    asked = fake_keyring(monkeypatch, {("ecs-field", "orch.example"): "from-keyring"})
    assert tokens.from_env("SITE_TOKEN") == "abc"
    assert download_token("https://orch.example/x.iso", "SITE_TOKEN").value == "abc"
    assert api_token(token_env="SITE_TOKEN") == "abc"
    assert asked == []  # the keyring is not even asked


@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_named_but_empty_variable_is_bad_input_in_both_users(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("SITE_TOKEN", raising=False)
    else:
        monkeypatch.setenv("SITE_TOKEN", value)
    for lookup in (
        lambda: download_token("https://orch.example/x.iso", "SITE_TOKEN"),
        lambda: api_token(token_env="SITE_TOKEN"),
    ):
        with pytest.raises(BadInput) as caught:
            lookup()
        assert caught.value.exit_code == 2 and "SITE_TOKEN is not set or empty" in caught.value.message


def test_the_keyring_is_asked_per_host_and_its_value_never_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    asked = fake_keyring(
        monkeypatch,
        {("ecs-field", "orch.example"): " secret-value ", ("ecs-field", "https://h:6443"): "api-value"},
    )
    token = download_token("https://orch.example/x.iso")
    assert token.value == "secret-value" and "keyring" in token.origin
    assert api_token(token_ref="https://h:6443", keyring_user="https://h:6443") == "api-value"
    assert asked == [("ecs-field", "orch.example"), ("ecs-field", "https://h:6443")]
    assert "secret-value" not in caplog.text


@pytest.mark.parametrize("error", [RuntimeError("no backend"), OSError("dbus"), ValueError("locked")])
def test_a_broken_keyring_means_no_token(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    fake_keyring(monkeypatch, error=error)
    assert tokens.from_keyring("ecs-field", "orch.example") is None
    assert download_token("https://orch.example/x.iso").value is None
    assert api_token(token_ref="https://h:6443", keyring_user="https://h:6443") is None


def test_no_user_no_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = fake_keyring(monkeypatch)
    assert tokens.from_keyring("ecs-field", "") is None and asked == []
