"""The technician's list of sites (``sites.yaml`` in the config folder).

A site is a Git repository (URL or local folder), the branch and folder inside it that the
hosts sync, and the hosts' API endpoints. Tokens are never stored here: a site names the
environment variable or keyring entry that holds them.

The file is written atomically and carries a schema id. A file that cannot be read is set
aside (``sites.yaml.corrupt-<time>``) and reported, never silently overwritten.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from ecs_field import paths, storage
from ecs_field.errors import BadInput

SCHEMA = "ecs-field/sites@1"
FILE_NAME = "sites.yaml"
MAX_HOSTS = 2  # an ECS site is one host, or two for a pair
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:")  # git@host:org/repo.git


@dataclass(frozen=True)
class Host:
    name: str
    api: str  # https://host:port of the host's Kubernetes API
    token_ref: str = ""  # "env:VAR" or "keyring:SERVICE" (the token itself is never stored)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "api": self.api, "token_ref": self.token_ref}


@dataclass(frozen=True)
class Site:
    name: str
    repo: str  # URL or local path
    branch: str = ""  # "" = the repository's default branch
    path: str = "./"  # folder inside the repository that the hosts sync
    hosts: tuple[Host, ...] = ()
    token_env: str = ""  # environment variable holding the API / Git token
    token_keyring: str = ""  # keyring service holding the token ("" = not used)
    release: str = ""  # ECS release the site runs (for hardware checks)
    inventory: str | dict[str, Any] | None = None  # inventory file, or one embedded from the Hardware page
    notes: str = ""
    ca_file: str = ""  # PEM CA bundle for the hosts' API (self-signed host certificates); "" = system CAs
    # Host install defaults for `ecs-field kickstart --site` (hostname pattern, prefix, gateway, dns,
    # ntp, vlan, nic, disk). Checked here for shape and secrets only; media.kickstart checks values.
    install: dict[str, Any] | None = None

    @property
    def is_remote(self) -> bool:
        return is_remote_repo(self.repo)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "repo": self.repo}
        if self.branch:
            data["branch"] = self.branch
        data["path"] = self.path
        data["hosts"] = [h.to_dict() for h in self.hosts]
        for key in ("token_env", "token_keyring", "release", "notes", "ca_file"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.inventory is not None:
            data["inventory"] = self.inventory
        if self.install is not None:
            data["install"] = dict(self.install)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Site:
        if not isinstance(data, dict):
            raise TypeError("a site must be a mapping")
        hosts = []
        for i, h in enumerate(data.get("hosts") or []):
            if not isinstance(h, dict) or not isinstance(h.get("api"), str):
                raise ValueError(f"site {data.get('name')!r}: host {i + 1} needs an api URL")
            hosts.append(Host(str(h.get("name") or f"host-{i + 1}"), h["api"], str(h.get("token_ref") or "")))
        inventory = data.get("inventory")
        if inventory is not None and not isinstance(inventory, str | dict):
            raise ValueError(f"site {data.get('name')!r}: inventory must be a path or a mapping")
        token_keyring = data.get("token_keyring") or ""
        if token_keyring is True:
            token_keyring = "ecs-field"  # noqa: S105 - a keyring service name, not a secret
        site = cls(
            name=str(data["name"]),
            repo=str(data["repo"]),
            branch=str(data.get("branch") or ""),
            path=str(data.get("path") or "./"),
            hosts=tuple(hosts),
            token_env=str(data.get("token_env") or ""),
            token_keyring=str(token_keyring),
            release=str(data.get("release") or ""),
            inventory=inventory,
            notes=str(data.get("notes") or ""),
            ca_file=str(data.get("ca_file") or ""),
            install=_install_mapping(data.get("install"), data.get("name")),
        )
        validate_site(site)
        return site


# Keys that would hold a secret; a site file is shared and synced, so none is ever stored in it.
_SECRET_WORDS = ("password", "passwd", "rootpw", "secret", "hash", "token")


def _install_mapping(value: Any, site_name: Any) -> dict[str, Any] | None:
    """The ``install`` mapping as read from sites.yaml: text keys, scalar or list-of-scalar values."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"site {site_name!r}: install must be a mapping (hostname, gateway, dns, ...)")
    for key, item in value.items():
        if not isinstance(key, str):
            raise ValueError(f"site {site_name!r}: install keys must be names, not {key!r}")
        items = item if isinstance(item, list) else [item]
        if not all(isinstance(x, str | int | float) and not isinstance(x, bool) for x in items):
            raise ValueError(f"site {site_name!r}: install.{key} must be text, a number or a list of them")
    return dict(value)


def is_remote_repo(repo: str) -> bool:
    """URLs (https, ssh, git, file) and scp-like "git@host:org/repo" are cloned; anything else is a folder."""
    if _SCP_LIKE.match(repo):
        return True
    scheme = urlparse(repo).scheme.lower()
    return scheme in ("http", "https", "ssh", "git", "file", "git+ssh", "ssh+git")


def validate_site(site: Site) -> None:
    """Raise BadInput naming the field when the site cannot work as given."""
    if not _NAME.match(site.name):
        raise BadInput(
            f"site name {site.name!r} is not allowed",
            "Use lower-case letters, digits, '.', '-' or '_' (up to 63), starting with a letter or digit.",
        )
    if not site.repo.strip():
        raise BadInput(f"site {site.name}: --repo is empty", "Give a Git URL or the folder of a clone.")
    inner = site.path.replace("\\", "/")
    if inner.startswith("/") or ".." in inner.split("/"):
        raise BadInput(
            f"site {site.name}: path {site.path!r} must stay inside the repository",
            "Use a relative folder such as ./ or sites/depot-7.",
        )
    if len(site.hosts) > MAX_HOSTS:
        raise BadInput(
            f"site {site.name}: {len(site.hosts)} hosts given, at most {MAX_HOSTS}",
            "An ECS site has one host, or two.",
        )
    names = [h.name for h in site.hosts]
    if len(set(names)) != len(names):
        raise BadInput(f"site {site.name}: two hosts share a name", "Give each host its own name.")
    for host in site.hosts:
        parsed = urlparse(host.api)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise BadInput(
                f"site {site.name}: host API {host.api!r} is not an http(s) URL",
                "Use the host's API address, e.g. https://10.0.0.10:6443.",
            )
    for key in site.install or {}:
        if any(word in str(key).lower() for word in _SECRET_WORDS):
            raise BadInput(
                f"site {site.name}: install.{key} looks like a secret; sites.yaml never stores secrets",
                "Remove it; `ecs-field kickstart` asks for the root password or reads it from "
                "--root-password-env VAR.",
            )
    if site.token_env and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", site.token_env):
        raise BadInput(
            f"site {site.name}: {site.token_env!r} is not an environment variable name",
            "Give the variable's name (e.g. ECS_TOKEN), not the token itself.",
        )


@dataclass
class Registry:
    path: Path
    sites: list[Site] = field(default_factory=list)

    @classmethod
    def default_path(cls) -> Path:
        return paths.config_dir() / FILE_NAME

    @classmethod
    def load(cls, path: Path | None = None) -> Registry:
        """Read sites.yaml (empty when there is none).

        A corrupt file is set aside and reported with storage.CorruptFile; the next load
        starts empty, so the technician is told once and never loses the bad file.
        """
        path = path or cls.default_path()
        raw = storage.read_state_bytes(path)  # a folder / unreadable / too deep: exit 2, said plainly
        if raw is None:
            return cls(path)
        return cls(path, _parse(path, raw))

    @contextlib.contextmanager
    def _changing(self) -> Iterator[list[Site]]:
        """Read-modify-write under the file lock: the change applies to the file as it is now
        (another process may have added a site since this registry was loaded), then saves."""
        with storage.file_lock(self.path):
            raw = storage.read_state_bytes(self.path)
            sites = _parse(self.path, raw) if raw is not None else []
            yield sites
            self.sites = sites
            self.save()

    def save(self) -> None:
        storage.atomic_write_yaml(self.path, {"schema": SCHEMA, "sites": [s.to_dict() for s in self.sites]})

    def names(self) -> list[str]:
        return [s.name for s in self.sites]

    def get(self, name: str) -> Site:
        return _get(self.sites, name)

    def find(self, name: str) -> Site | None:
        return next((s for s in self.sites if s.name == name), None)

    def add(self, site: Site) -> Site:
        validate_site(site)
        with self._changing() as sites:
            if any(s.name == site.name for s in sites):
                raise BadInput(
                    f"site {site.name!r} already exists",
                    f"Change it with `ecs-field sites edit {site.name} ...`, remove it first "
                    "(`ecs-field sites remove NAME`) or pick another name.",
                )
            sites.append(site)
        return site

    def update(self, site: Site) -> Site:
        validate_site(site)
        with self._changing() as sites:
            _get(sites, site.name)  # raises with the known names
            sites[:] = [site if s.name == site.name else s for s in sites]
        return site

    def update_fields(self, name: str, **changes: Any) -> Site:
        with self._changing() as sites:
            site = replace(_get(sites, name), **changes)
            validate_site(site)
            sites[:] = [site if s.name == name else s for s in sites]
        return site

    def remove(self, name: str) -> Site:
        with self._changing() as sites:
            site = _get(sites, name)
            sites[:] = [s for s in sites if s.name != name]
        return site


def _get(sites: list[Site], name: str) -> Site:
    for site in sites:
        if site.name == name:
            return site
    known = ", ".join(s.name for s in sites) or "none yet"
    raise BadInput(
        f"unknown site {name!r} (known: {known})",
        "List sites with `ecs-field sites list`; add one with `ecs-field sites add NAME --repo URL`.",
    )


_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader: 200 sites load in ms


def _parse(path: Path, raw: bytes) -> list[Site]:
    """The sites of a sites.yaml; a corrupt file is set aside and reported (storage.CorruptFile)."""
    try:
        text = raw.decode("utf-8")
        document = yaml.load(text, Loader=_Loader) if text.strip() else {"schema": SCHEMA, "sites": []}  # noqa: S506
        if not isinstance(document, dict):
            raise ValueError("not a mapping")
        if document.get("schema") != SCHEMA:
            raise ValueError(f"schema is {document.get('schema')!r}, expected {SCHEMA!r}")
        entries = document.get("sites") or []
        if not isinstance(entries, list):
            raise ValueError("'sites' is not a list")
        sites = [Site.from_dict(entry) for entry in entries]
        names = [s.name for s in sites]
        if len(set(names)) != len(names):
            raise ValueError("two sites share a name")
    except (yaml.YAMLError, UnicodeDecodeError, ValueError, TypeError, KeyError, BadInput) as exc:
        why = exc.message if isinstance(exc, BadInput) else str(exc).splitlines()[0]
        aside = storage.set_aside(path, why)
        raise storage.CorruptFile(path, aside, f"unreadable ({why})") from exc
    return sites


def repos_dir() -> Path:
    return paths.data_dir() / "repos"


def local_repo_path(site: Site, repos: Path | None = None) -> Path:
    """Where the site's files are: the folder as given, or our clone of a URL (under ``repos``,
    default repos_dir(); pass it when asking for many sites: repos_dir() creates the folder)."""
    if site.is_remote:
        return (repos or repos_dir()) / site.name
    return Path(site.repo).expanduser()
