"""sites.yaml: add, update, remove, validation, corrupt files set aside."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ecs_field import paths
from ecs_field.errors import BadInput
from ecs_field.sites.registry import SCHEMA, Host, Registry, Site, is_remote_repo, local_repo_path
from ecs_field.storage import CorruptFile


def test_empty_registry_and_round_trip() -> None:
    reg = Registry.load()
    assert reg.sites == [] and reg.path == paths.config_dir() / "sites.yaml"
    site = Site(
        "depot-7",
        "https://git.example.invalid/edge/depot-7.git",
        branch="main",
        path="sites/depot-7",
        hosts=(Host("h1", "https://10.7.0.10:6443", "env:ECS_TOKEN"),),
        token_env="ECS_TOKEN",
        inventory={"schema": "ecs-field/inventory@1", "nics": []},
    )
    reg.add(site)
    again = Registry.load()
    assert again.get("depot-7") == site
    document = yaml.safe_load(reg.path.read_text())
    assert document["schema"] == SCHEMA


def test_unknown_site_lists_known_names() -> None:
    reg = Registry.load()
    reg.add(Site("alpha", "/srv/alpha"))
    reg.add(Site("beta", "/srv/beta"))
    with pytest.raises(BadInput) as info:
        reg.get("gamma")
    assert "alpha, beta" in info.value.message and info.value.hint


def test_duplicate_add_and_update_and_remove() -> None:
    reg = Registry.load()
    reg.add(Site("alpha", "/srv/alpha"))
    with pytest.raises(BadInput, match="already exists"):
        reg.add(Site("alpha", "/srv/other"))
    reg.update_fields("alpha", branch="prod", release="3.1")
    assert Registry.load().get("alpha").branch == "prod"
    removed = reg.remove("alpha")
    assert removed.name == "alpha" and Registry.load().sites == []
    with pytest.raises(BadInput):
        reg.remove("alpha")


@pytest.mark.parametrize(
    ("site", "needle"),
    [
        (Site("Bad Name", "/x"), "not allowed"),
        (Site("ok", ""), "empty"),
        (Site("ok", "/x", path="../up"), "inside the repository"),
        (Site("ok", "/x", path="/abs"), "inside the repository"),
        (Site("ok", "/x", hosts=(Host("a", "ftp://h"),)), "http"),
        (
            Site("ok", "/x", hosts=(Host("a", "https://1"), Host("b", "https://2"), Host("c", "https://3"))),
            "at most 2",
        ),
        (Site("ok", "/x", hosts=(Host("a", "https://1"), Host("a", "https://2"))), "share a name"),
        (Site("ok", "/x", token_env="ghp_secret-token"), "environment variable"),
    ],
)
def test_validation_names_the_field(site: Site, needle: str) -> None:
    with pytest.raises(BadInput, match=needle):
        Registry.load().add(site)


def test_corrupt_file_is_set_aside_not_overwritten() -> None:
    path = Registry.default_path()
    path.write_text("schema: ecs-field/sites@1\nsites: [ {name: x\n")
    with pytest.raises(CorruptFile) as info:
        Registry.load()
    aside = info.value.aside
    assert aside.exists() and "name: x" in aside.read_text()
    assert not path.exists()
    assert Registry.load().sites == []


@pytest.mark.parametrize(
    "text",
    [
        "just text\n",
        "schema: other@1\nsites: []\n",
        "schema: ecs-field/sites@1\nsites: {a: 1}\n",
        "schema: ecs-field/sites@1\nsites:\n- {name: BAD NAME, repo: /x}\n",
        "schema: ecs-field/sites@1\nsites:\n- {name: a, repo: /x}\n- {name: a, repo: /y}\n",
    ],
)
def test_wrong_shapes_are_corrupt(text: str) -> None:
    Registry.default_path().write_text(text)
    with pytest.raises(CorruptFile):
        Registry.load()


def test_keyring_true_is_read_as_default_service() -> None:
    Registry.default_path().write_text(
        "schema: ecs-field/sites@1\nsites:\n- {name: a, repo: /x, token_keyring: true}\n"
    )
    assert Registry.load().get("a").token_keyring == "ecs-field"


@pytest.mark.parametrize(
    ("repo", "remote"),
    [
        ("https://github.com/o/r.git", True),
        ("git@github.com:o/r.git", True),
        ("ssh://git@h/r", True),
        ("file:///srv/r.git", True),
        ("/srv/repos/site", False),
        ("C:\\sites\\depot", False),
        ("./site", False),
    ],
)
def test_remote_or_local(repo: str, remote: bool) -> None:
    assert is_remote_repo(repo) is remote


def test_local_repo_path(tmp_path: Path) -> None:
    assert local_repo_path(Site("a", str(tmp_path))) == tmp_path
    assert local_repo_path(Site("b", "https://h/r.git")) == paths.data_dir() / "repos" / "b"
