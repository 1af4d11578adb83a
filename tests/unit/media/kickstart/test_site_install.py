"""A site's ``install`` defaults in sites.yaml: kept, round-tripped, never a secret."""

from __future__ import annotations

import pytest
import yaml

from ecs_field.errors import BadInput
from ecs_field.sites.registry import SCHEMA, Registry, Site
from ecs_field.storage import CorruptFile

INSTALL = {
    "hostname": "esx-{site}.corp.example",
    "prefix": 24,
    "gateway": "10.7.0.1",
    "dns": ["10.7.0.2", "10.7.0.3"],
    "ntp": ["10.7.0.2"],
    "vlan": 70,
    "nic": "vmnic1",
    "disk": "local",
}


def test_install_defaults_round_trip() -> None:
    registry = Registry.load()
    registry.add(Site("depot-7", "/srv/depot-7", install=INSTALL))
    again = Registry.load().get("depot-7")
    assert again.install == INSTALL
    document = yaml.safe_load(registry.path.read_text())
    assert document["sites"][0]["install"] == INSTALL


def test_sites_without_install_are_written_as_before() -> None:
    registry = Registry.load()
    registry.add(Site("plain", "/srv/plain"))
    document = yaml.safe_load(registry.path.read_text())
    assert "install" not in document["sites"][0]
    assert Registry.load().get("plain").install is None


@pytest.mark.parametrize("key", ["root_password", "rootpw", "password_hash", "api_token", "Secret"])
def test_a_secret_is_never_stored(key: str) -> None:
    with pytest.raises(BadInput, match="looks like a secret"):
        Registry.load().add(Site("depot-7", "/srv/depot-7", install={key: "x"}))


@pytest.mark.parametrize(
    "install",
    [
        "gateway=10.0.0.1",
        {"dns": {"primary": "10.0.0.2"}},
        {"vlan": True},
        {1: "x"},
    ],
)
def test_a_hand_edited_install_of_the_wrong_shape_is_reported(install: object) -> None:
    path = Registry.default_path()
    path.write_text(
        yaml.safe_dump({"schema": SCHEMA, "sites": [{"name": "d7", "repo": "/x", "install": install}]})
    )
    with pytest.raises(CorruptFile) as info:
        Registry.load()
    assert "install" in str(info.value)
