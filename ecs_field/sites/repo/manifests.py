"""Every Kubernetes object of a site repository, with the file and line it came from.

``load_manifests(root, subpath)`` reads each ``*.yaml``/``*.yml`` below the folder (hidden
folders such as ``.git`` skipped), all documents of each file, through the bounded loader in
safe_yaml. Problems with files (syntax, encoding, size, alias bombs) become findings, never
exceptions. Typed views (HostConfiguration, VirtualMachine, VirtualMachineClass, ConfigMap,
Secret, Flux GitRepository/Kustomization) sit over the generic ``K8sObject``.

Object bodies are shared with a per-file cache keyed by (path, mtime, size): treat them as
read-only.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from collections.abc import Iterator
from dataclasses import FrozenInstanceError, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ecs_field.errors import BadInput
from ecs_field.sites.findings import Finding, Severity
from ecs_field.sites.repo import safe_yaml
from ecs_field.sites.repo.profile import Profile, ProfileIssue, parse_profile
from ecs_field.sites.repo.subpath import resolve_subpath

YAML_SUFFIXES = (".yaml", ".yml")
ESX_GROUP = "esx.vmware.com"
VMOP_GROUP = "vmoperator.vmware.com"
FLUX_SOURCE_GROUP = "source.toolkit.fluxcd.io"
FLUX_KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
KUSTOMIZE_CONFIG_GROUP = "kustomize.config.k8s.io"  # kustomization.yaml files: build config, not objects
_CACHE_LIMIT = 20_000


if TYPE_CHECKING:
    _once = cached_property
else:

    class _once:
        """functools.cached_property without its lock (Python 3.11 takes an RLock on every first
        access: ~1 s over 180,000 objects). Objects are built and read by one thread."""

        def __init__(self, func):
            self.func = func
            self.name = func.__name__

        def __get__(self, obj, owner=None):
            if obj is None:
                return self
            value = obj.__dict__[self.name] = self.func(obj)
            return value


@dataclass(frozen=True, eq=False, init=False)
class K8sObject:
    api_version: str
    kind: str
    name: str
    namespace: str | None
    body: dict[str, Any]
    file: str  # relative to the loaded root, "/" separated
    line: int  # 1-based line where the object starts
    doc_index: int = 0
    prefix: tuple[Any, ...] = ()  # path of the object inside its document (items of a List)
    _doc: safe_yaml.Document | None = field(default=None, repr=False)

    def __init__(  # noqa: PLR0917 -- the dataclass's own signature, positional as before
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None,
        body: dict[str, Any],
        file: str,
        line: int,
        doc_index: int = 0,
        prefix: tuple[Any, ...] = (),
        _doc: safe_yaml.Document | None = None,
    ) -> None:
        # The generated frozen __init__ sets each field through object.__setattr__ (~3 us an object,
        # 0.5 s over 180,000 objects); one update of the instance dict does the same, still frozen after.
        self.__dict__.update(
            api_version=api_version,
            kind=kind,
            name=name,
            namespace=namespace,
            body=body,
            file=file,
            line=line,
            doc_index=doc_index,
            prefix=prefix,
            _doc=_doc,
        )

    @_once
    def group(self) -> str:
        # _once writes the instance __dict__ directly, so it works on a frozen dataclass;
        # rules ask for the group of every object many times.
        return self.api_version.rpartition("/")[0] if "/" in self.api_version else ""

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    @property
    def ref(self) -> str:
        """ "Kind/namespace/name" (namespaced) or "Kind/name"."""
        kind = self.kind or "?"
        name = self.name or "?"
        return f"{kind}/{self.namespace}/{name}" if self.namespace else f"{kind}/{name}"

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Identity the way Kubernetes (and kustomize) sees it: group, kind, namespace, name."""
        return (self.group, self.kind, self.namespace or "", self.name)

    def is_a(self, kind: str, group: str | None = None) -> bool:
        return self.kind == kind and (group is None or self.group == group)

    def get(self, *path: Any, default: Any = None) -> Any:
        """A nested value of the body, or ``default`` when any step is missing."""
        # Rules call this a dozen times per object: one lookup per step, the common case first.
        value: Any = self.body
        for step in path:
            if isinstance(value, dict):
                value = value.get(step, _MISSING)
                if value is _MISSING:
                    return default
            elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
                value = value[step]
            else:
                return default
        return value

    def has(self, *path: Any) -> bool:
        marker = object()
        return self.get(*path, default=marker) is not marker

    def line_of(self, *path: Any) -> int:
        """File line of a field (or of its nearest ancestor present)."""
        if self._doc is None:
            return self.line
        return self._doc.line_of(*self.prefix, *path)

    def block_start(self, *path: Any) -> int | None:
        """First file line of a literal block scalar's text ("|"), None for other styles."""
        if self._doc is None:
            return None
        return self._doc.block_starts.get((*self.prefix, *path))


# ---------------------------------------------------------------------------------------------
# Typed views


class _View:
    """A typed view of one object: what ``@dataclass(frozen=True)`` with the one field ``obj`` gives
    (equality, hash, repr, read-only), without building the class at import (~0.5 ms each)."""

    __slots__ = ("obj",)
    obj: K8sObject

    def __init__(self, obj: K8sObject) -> None:
        object.__setattr__(self, "obj", obj)

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return bool(self.obj == other.obj)

    def __hash__(self) -> int:
        return hash((self.obj,))

    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}(obj={self.obj!r})"


@dataclass(frozen=True)
class HostConfiguration:
    obj: K8sObject
    profile: Profile | None
    issues: tuple[ProfileIssue, ...]

    @property
    def layertype(self) -> str:
        value = self.obj.get("spec", "layertype")
        return value if isinstance(value, str) else ""

    @classmethod
    def of(cls, obj: K8sObject) -> HostConfiguration:
        text = obj.get("spec", "profile")
        fallback = obj.line_of("spec", "profile")
        if text is None:
            return cls(
                obj,
                None,
                (
                    ProfileIssue(
                        "profile-missing",
                        "error",
                        obj.line_of("spec"),
                        "HostConfiguration has no spec.profile",
                        "Add spec.profile: | followed by the profile JSON.",
                    ),
                ),
            )
        if not isinstance(text, str):
            return cls(
                obj,
                None,
                (
                    ProfileIssue(
                        "profile-shape",
                        "error",
                        fallback,
                        "spec.profile must be a string holding JSON (`profile: |` with the JSON below)",
                        "The host reads the profile as text; a YAML mapping here is rejected.",
                    ),
                ),
            )
        profile, issues = parse_profile(text, obj.block_start("spec", "profile"), fallback)
        return cls(obj, profile, tuple(issues))


class VmMetadata(NamedTuple):  # a record like a frozen dataclass, ~1 ms less to build at import
    config_map_name: str
    secret_name: str
    transport: str
    line: int


class VirtualMachine(_View):
    __slots__ = ()

    @property
    def class_name(self) -> str:
        return _str(self.obj.get("spec", "className"))

    @property
    def image_name(self) -> str:
        return _str(self.obj.get("spec", "imageName"))

    @property
    def power_state(self) -> str:
        return _str(self.obj.get("spec", "powerState"))

    @property
    def vm_metadata(self) -> VmMetadata | None:
        meta = self.obj.get("spec", "vmMetadata")
        if not isinstance(meta, dict):
            return None
        return VmMetadata(
            _str(meta.get("configMapName")),
            _str(meta.get("secretName")),
            _str(meta.get("transport")),
            self.obj.line_of("spec", "vmMetadata"),
        )

    @property
    def network_interfaces(self) -> list[dict[str, Any]]:
        value = self.obj.get("spec", "networkInterfaces")
        return [n for n in value if isinstance(n, dict)] if isinstance(value, list) else []


class VirtualMachineClass(_View):
    __slots__ = ()

    @property
    def cpus(self) -> int | None:
        value = self.obj.get("spec", "hardware", "cpus")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def memory_bytes(self) -> int | None:
        from ecs_field.sites.repo.quantity import parse_bytes  # decimal: only for the hardware fit

        return parse_bytes(self.obj.get("spec", "hardware", "memory"))

    @property
    def controller_name(self) -> str:
        return _str(self.obj.get("spec", "controllerName"))

    @property
    def cpu_request(self) -> float | None:
        from ecs_field.sites.repo.quantity import parse_quantity

        q = parse_quantity(self.obj.get("spec", "policies", "resources", "requests", "cpu"))
        return float(q) if q is not None else None

    @property
    def memory_request_bytes(self) -> int | None:
        from ecs_field.sites.repo.quantity import parse_bytes

        return parse_bytes(self.obj.get("spec", "policies", "resources", "requests", "memory"))


class ConfigMap(_View):
    __slots__ = ()

    @property
    def data(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for section in ("data", "binaryData"):
            value = self.obj.get(section)
            if isinstance(value, dict):
                out.update({str(k): v if isinstance(v, str) else str(v) for k, v in value.items()})
        return out


class Secret(_View):
    __slots__ = ()

    @property
    def data(self) -> dict[str, str]:
        """stringData as written plus data decoded from base64 (undecodable values skipped)."""
        out: dict[str, str] = {}
        encoded = self.obj.get("data")
        if isinstance(encoded, dict):
            for k, v in encoded.items():
                try:
                    out[str(k)] = base64.b64decode(str(v), validate=False).decode("utf-8")
                except (binascii.Error, UnicodeDecodeError, ValueError):
                    continue
        plain = self.obj.get("stringData")
        if isinstance(plain, dict):
            out.update({str(k): v if isinstance(v, str) else str(v) for k, v in plain.items()})
        return out

    def section_of(self, key: str) -> str:
        """ "stringData" or "data": where ``key`` is written (for line numbers)."""
        plain = self.obj.get("stringData")
        return "stringData" if isinstance(plain, dict) and key in plain else "data"


class GitRepository(_View):
    __slots__ = ()

    @property
    def url(self) -> str:
        return _str(self.obj.get("spec", "url"))

    @property
    def ref(self) -> dict[str, str]:
        value = self.obj.get("spec", "ref")
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}

    @property
    def branch(self) -> str:
        return self.ref.get("branch", "")

    @property
    def interval(self) -> str:
        return _str(self.obj.get("spec", "interval"))

    @property
    def secret_name(self) -> str:
        return _str(self.obj.get("spec", "secretRef", "name"))


class FluxKustomization(_View):
    __slots__ = ()

    @property
    def path(self) -> str:
        return _str(self.obj.get("spec", "path"))

    @property
    def source_kind(self) -> str:
        return _str(self.obj.get("spec", "sourceRef", "kind"))

    @property
    def source_name(self) -> str:
        return _str(self.obj.get("spec", "sourceRef", "name"))

    @property
    def source_namespace(self) -> str:
        return _str(self.obj.get("spec", "sourceRef", "namespace")) or (self.obj.namespace or "")

    @property
    def prune(self) -> bool:
        return self.obj.get("spec", "prune") is True

    @property
    def suspend(self) -> bool:
        return self.obj.get("spec", "suspend") is True

    @property
    def interval(self) -> str:
        return _str(self.obj.get("spec", "interval"))

    @property
    def target_namespace(self) -> str:
        return _str(self.obj.get("spec", "targetNamespace"))


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


# ---------------------------------------------------------------------------------------------
# The set


@dataclass
class ManifestSet:
    root: Path
    subpath: str | None
    files: list[str] = field(default_factory=list)  # relative paths of the YAML files read
    objects: list[K8sObject] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # file-level problems (syntax, size, ...)
    kustomize_files: list[str] = field(default_factory=list)  # kustomization.yaml files seen

    def __iter__(self) -> Iterator[K8sObject]:
        return iter(self.objects)

    def __len__(self) -> int:
        return len(self.objects)

    def of_kind(self, kind: str, group: str | None = None) -> list[K8sObject]:
        return [o for o in self.objects if o.is_a(kind, group)]

    def get(
        self, kind: str, name: str, namespace: str | None = None, group: str | None = None
    ) -> K8sObject | None:
        for o in self.objects:
            if (
                o.is_a(kind, group)
                and o.name == name
                and (namespace is None or (o.namespace or "") == namespace)
            ):
                return o
        return None

    def declared_namespaces(self) -> set[str]:
        return {o.name for o in self.objects if o.kind == "Namespace" and o.group == "" and o.name}

    @cached_property
    def _hostconfigs(self) -> list[HostConfiguration]:
        return [HostConfiguration.of(o) for o in self.of_kind("HostConfiguration", ESX_GROUP)]

    def host_configurations(self) -> list[HostConfiguration]:
        return self._hostconfigs

    def virtual_machines(self) -> list[VirtualMachine]:
        return [VirtualMachine(o) for o in self.of_kind("VirtualMachine", VMOP_GROUP)]

    def vm_classes(self) -> list[VirtualMachineClass]:
        return [VirtualMachineClass(o) for o in self.of_kind("VirtualMachineClass", VMOP_GROUP)]

    def config_maps(self) -> list[ConfigMap]:
        return [ConfigMap(o) for o in self.of_kind("ConfigMap", "")]

    def secrets(self) -> list[Secret]:
        return [Secret(o) for o in self.of_kind("Secret", "")]

    def git_repositories(self) -> list[GitRepository]:
        return [GitRepository(o) for o in self.of_kind("GitRepository", FLUX_SOURCE_GROUP)]

    def kustomizations(self) -> list[FluxKustomization]:
        return [FluxKustomization(o) for o in self.of_kind("Kustomization", FLUX_KUSTOMIZE_GROUP)]


def load_manifests(root: Path, subpath: str | None = None) -> ManifestSet:
    """Load every YAML manifest under ``root/subpath`` (see the module docstring).

    Raises BadInput only when the folder itself cannot be used (missing, not a folder, or a
    subpath that leaves the root).
    """
    root = Path(root)
    if not root.exists():
        raise BadInput(f"{root}: no such folder", "Give the path of a site repository (or clone it first).")
    base = resolve_subpath(root, subpath)
    result = ManifestSet(root=root, subpath=subpath)
    files = [base] if base.is_file() else sorted(_yaml_files(base))
    for path in files:
        rel = _relative(path, root)
        result.files.append(rel)
        loaded = _load_file(path)
        for issue in loaded.issues:
            result.findings.append(
                Finding(_severity(issue.severity), issue.rule, rel, issue.line, "", issue.message, issue.hint)
            )
        for document in loaded.documents:
            _collect(document, rel, result)
    return result


class FileContent:
    """What one YAML file holds: its objects, its problems, and whether it is a kustomization.

    A plain class with the dataclass's signature, equality and repr (one is made per file, and the
    dataclass machinery costs ~1 ms at import)."""

    __slots__ = ("documents", "findings", "kustomize_config", "objects", "rel")

    def __init__(
        self,
        rel: str,
        objects: list[K8sObject] | None = None,
        findings: list[Finding] | None = None,
        documents: list[safe_yaml.Document] | None = None,
        kustomize_config: bool = False,  # holds a kustomize.config.k8s.io document
    ) -> None:
        self.rel = rel
        self.objects: list[K8sObject] = [] if objects is None else objects
        self.findings: list[Finding] = [] if findings is None else findings
        self.documents: list[safe_yaml.Document] = [] if documents is None else documents
        self.kustomize_config = kustomize_config

    def _fields(self) -> tuple[Any, ...]:
        return (self.rel, self.objects, self.findings, self.documents, self.kustomize_config)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FileContent):
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # mutable, like a non-frozen dataclass

    def __repr__(self) -> str:
        names = ("rel", "objects", "findings", "documents", "kustomize_config")
        inner = ", ".join(f"{n}={v!r}" for n, v in zip(names, self._fields(), strict=True))
        return f"FileContent({inner})"


_parsed: dict[tuple[str, int, int], FileContent] = {}


_MISSING = object()


class _Holder:
    """What _collect fills for one file (a ManifestSet per file cost more than the file's objects)."""

    __slots__ = ("findings", "kustomize_files", "objects")

    def __init__(self) -> None:
        self.objects: list[K8sObject] = []
        self.findings: list[Finding] = []
        self.kustomize_files: list[str] = []


def parse_file(rel: str, data: bytes | safe_yaml.LoadIssue) -> FileContent:
    """Objects and findings of one file's bytes (or of the reason it could not be read).

    Results are cached by (name, size, hash of the bytes) so a second lint of the same tree in
    one process (the GUI) parses nothing again; treat them as read-only.
    """
    if isinstance(data, safe_yaml.LoadIssue):
        issue = data
        return FileContent(
            rel,
            findings=[
                Finding(_severity(issue.severity), issue.rule, rel, issue.line, "", issue.message, issue.hint)
            ],
        )
    cached = cached_content(rel, data)
    if cached is not None:
        return cached
    return file_content(rel, data, safe_yaml.load_bytes(data))


def cached_content(rel: str, data: bytes) -> FileContent | None:
    """``parse_file``'s stored answer for these bytes, None when they were not parsed before."""
    return _parsed.get((rel, len(data), hash(data)))


def file_content(rel: str, data: bytes, loaded: safe_yaml.LoadResult) -> FileContent:
    """``parse_file``'s answer for ``data`` once loaded (here or by lint's parse workers, prefetch.py),
    kept in the same cache."""
    key = (rel, len(data), hash(data))
    holder = _Holder()
    for document in loaded.documents:
        _collect(document, rel, holder)
    content = FileContent(
        rel,
        objects=holder.objects,
        findings=[
            Finding(_severity(i.severity), i.rule, rel, i.line, "", i.message, i.hint) for i in loaded.issues
        ]
        + holder.findings,
        documents=loaded.documents,
        kustomize_config=bool(holder.kustomize_files),
    )
    if len(_parsed) >= _CACHE_LIMIT:
        _parsed.clear()
    _parsed[key] = content
    return content


def _yaml_files(base: Path) -> Iterator[Path]:
    # followlinks=False: a symlinked folder could loop or leave the repository.
    for folder, dirs, names in os.walk(base):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            if name.lower().endswith(YAML_SUFFIXES) and not name.startswith("."):
                yield Path(folder) / name


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _severity(value: str) -> Severity:
    return "error" if value == "error" else "warning" if value == "warning" else "info"


_cache: dict[tuple[str, int, int, int], safe_yaml.LoadResult] = {}


def _load_file(path: Path) -> safe_yaml.LoadResult:
    try:
        st = path.stat()
    except OSError as exc:
        return safe_yaml.LoadResult(
            issues=[safe_yaml.LoadIssue("file-unreadable", 0, f"cannot read: {exc.strerror}")]
        )
    if not stat.S_ISREG(st.st_mode):
        # A FIFO or device named *.yaml would block or never end.
        return safe_yaml.LoadResult(
            issues=[safe_yaml.LoadIssue("file-unreadable", 0, "not a regular file; skipped")]
        )
    key = (str(path), st.st_mtime_ns, st.st_size, st.st_ino)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    if st.st_size > safe_yaml.MAX_FILE_BYTES:
        result = safe_yaml.LoadResult(issues=[safe_yaml.too_large(st.st_size)])
    else:
        try:
            with path.open("rb") as handle:
                data = handle.read(safe_yaml.MAX_FILE_BYTES + 1)
        except OSError as exc:
            return safe_yaml.LoadResult(
                issues=[safe_yaml.LoadIssue("file-unreadable", 0, f"cannot read: {exc.strerror}")]
            )
        result = safe_yaml.load_bytes(data)
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    _cache[key] = result
    return result


def _collect(document: safe_yaml.Document, rel: str, result: ManifestSet | _Holder) -> None:
    value = document.value
    if value is None:
        return
    if not isinstance(value, dict):
        result.findings.append(
            Finding(
                "warning",
                "not-an-object",
                rel,
                document.line,
                "",
                f"document {document.index + 1} is a {'list' if isinstance(value, list) else 'plain value'}, "
                "not a Kubernetes object",
                "Each YAML document in a manifests folder should be one object with apiVersion and kind.",
            )
        )
        return
    kind = value.get("kind")
    api_version = value.get("apiVersion")
    if kind is None and api_version is None:
        # Helm values, tool configs and the like: kustomize would not take them as resources either.
        result.findings.append(
            Finding(
                "warning",
                "not-an-object",
                rel,
                document.line,
                "",
                f"document {document.index + 1} has neither apiVersion nor kind: not a Kubernetes object",
                "Move non-manifest YAML out of the synced folder, or add apiVersion and kind.",
            )
        )
        return
    if isinstance(api_version, str) and api_version.startswith(KUSTOMIZE_CONFIG_GROUP + "/"):
        result.kustomize_files.append(rel)
        return
    if isinstance(kind, str) and kind.endswith("List") and isinstance(value.get("items"), list):
        for i, item in enumerate(value["items"]):
            if isinstance(item, dict):
                result.objects.append(_object(item, rel, document, ("items", i)))
        return
    result.objects.append(_object(value, rel, document, ()))


def _object(
    body: dict[str, Any], rel: str, document: safe_yaml.Document, prefix: tuple[Any, ...]
) -> K8sObject:
    metadata = body.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    name = metadata.get("name")
    namespace = metadata.get("namespace")
    api_version = body.get("apiVersion")
    kind = body.get("kind")
    return K8sObject(
        api_version=api_version if isinstance(api_version, str) else "",
        kind=kind if isinstance(kind, str) else "",
        name=name if isinstance(name, str) else ("" if name is None else str(name)),
        namespace=namespace if isinstance(namespace, str) and namespace else None,
        body=body,
        file=rel,
        line=document.line_of(*prefix) if prefix else document.line,
        doc_index=document.index,
        prefix=prefix,
        _doc=document,
    )
