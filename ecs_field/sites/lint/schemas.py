"""Schema validation: unknown and mistyped fields, reported at their line.

Where the schemas come from:
- Core Kubernetes kinds: the OpenAPI-derived JSON schemas that the ``kubernetes-validate``
  package ships for each Kubernetes release (offline, Apache-2.0, maintained with every
  Kubernetes minor), in their "strict" form (unknown fields are not allowed), for the version
  lint assumes the host runs (rules/known.py HOST_KUBERNETES_VERSION). Without the package, core
  kinds are "not checked" (one info finding says how to enable it).
- Flux and any other custom kinds: the CustomResourceDefinitions found in the repository (Flux's
  own are in ``flux-system/gotk-components.yaml`` after bootstrap).
- vm-operator kinds: the CRD schemas shipped in resources/schemas/vm-operator (see its SOURCES.md);
  a CRD in the repository wins over the shipped one.

The validator is deliberately small (types, properties, additionalProperties, items, required,
enum, oneOf/anyOf of simple types, int-or-string, preserve-unknown-fields): enough for "this field
does not exist" and "this should be a number", fast, and with the path of each problem so the
finding carries the YAML line. Severity: an unknown or mistyped field of a core kind is an error
(server-side apply, which Flux uses, refuses it); of a custom kind, an unknown field is a warning
(the API server prunes it silently unless validation is strict) and a mistyped one an error.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from ecs_field.sites.findings import Finding, Severity
from ecs_field.sites.lint.rules.base import LintContext, at
from ecs_field.sites.lint.rules.known import HOST_KUBERNETES_VERSION
from ecs_field.sites.repo.manifests import K8sObject

_MAX_FINDINGS_PER_OBJECT = 20
_MAX_NODES = 20_000  # per object: a schema walk never costs more than this
_SKIP_TOP = frozenset({"apiVersion", "kind", "status"})  # checked elsewhere / not applied
# Definitions not walked into: a CRD's own openAPIV3Schema is a schema, not data to check, and
# walking 20 MB of CRD bundles through it costs seconds for nothing a technician acts on.
_OPAQUE = frozenset({"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps"})


# -- schema sources ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def core_definitions() -> tuple[dict[str, Any], dict[tuple[str, str, str], str]] | None:
    """({definition name: schema}, {(group, version, kind): name}) for the host's release."""
    import importlib.util

    # Only the package's data is used: find it without importing the package (whose import pulls in
    # jsonschema and friends, ~0.1 s).
    try:
        spec = importlib.util.find_spec("kubernetes_validate")
    except (ImportError, ValueError):
        return None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        return None
    base = os.path.join(locations[0], "kubernetes-json-schema")
    wanted = "v{}.{}.0-local-strict".format(*HOST_KUBERNETES_VERSION)
    path = os.path.join(base, wanted, "_definitions.json")
    if not os.path.isfile(path):
        try:
            # The oldest release the package ships that is newer than the host's: closest match.
            versions = sorted(
                (tuple(int(x) for x in d[1:].split("-")[0].split(".")), d)
                for d in os.listdir(base)
                if d.endswith("-local-strict")
            )
        except OSError:
            return None
        later = [d for v, d in versions if v[:2] >= HOST_KUBERNETES_VERSION] or [d for _, d in versions]
        if not later:
            return None
        path = os.path.join(base, later[0], "_definitions.json")
    try:
        with open(path, "rb") as handle:
            defs = json.load(handle).get("$defs", {})
    except (OSError, ValueError):
        return None
    index: dict[tuple[str, str, str], str] = {}
    for name, schema in defs.items():
        for gvk in schema.get("x-kubernetes-group-version-kind") or ():
            index.setdefault((gvk.get("group", ""), gvk.get("version", ""), gvk.get("kind", "")), name)
    return defs, index


@lru_cache(maxsize=1)
def shipped_crds() -> dict[tuple[str, str, str], dict[str, Any]]:
    """{(group, version, kind): openAPIV3Schema} from resources/schemas."""
    from ecs_field.resources import resource_path

    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    try:
        path = resource_path("schemas", "vm-operator", "crd-schemas.json")
        with open(path, "rb") as handle:
            doc = json.load(handle)
    except (OSError, ValueError, LookupError):  # missing data only means "not checked"
        return out
    group = doc.get("group", "")
    for kind, versions in (doc.get("kinds") or {}).items():
        for version, schema in versions.items():
            out[(group, version, kind)] = schema
    return out


def repo_crds(objects: list[K8sObject]) -> dict[tuple[str, str, str], dict[str, Any]]:
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for crd in objects:
        if crd.kind != "CustomResourceDefinition" or crd.group != "apiextensions.k8s.io":
            continue
        group = crd.get("spec", "group")
        kind = crd.get("spec", "names", "kind")
        versions = crd.get("spec", "versions")
        if not isinstance(group, str) or not isinstance(kind, str) or not isinstance(versions, list):
            continue
        for v in versions:
            schema = v.get("schema", {}).get("openAPIV3Schema") if isinstance(v, dict) else None
            if isinstance(schema, dict) and isinstance(v.get("name"), str):
                out[(group, v["name"], kind)] = schema
    return out


# -- the validator ----------------------------------------------------------------------------------


class _Walk:
    """Checks objects against schemas. One per schema family and run: what each schema node asks
    (after $ref, its types, enum, properties ...) is worked out once, on first use, not per value
    (the same few hundred schema nodes serve 150,000 ConfigMaps)."""

    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = defs
        self.problems: list[tuple[str, tuple[Any, ...], str]] = []  # (kind of problem, path, message)
        self.nodes = 0
        self._infos: dict[int, tuple[dict[str, Any], Any]] = {}  # id(schema) -> (schema, _info)

    def reset(self) -> None:
        self.problems = []
        self.nodes = 0

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while "$ref" in schema and seen < 20:
            ref = schema["$ref"]
            name = ref.rsplit("/", 1)[-1]
            if name in _OPAQUE:
                return {}
            target = self.defs.get(name)
            if not isinstance(target, dict):
                return {}
            # A $ref beside other keys (description) in these schemas adds nothing to check.
            schema = target
            seen += 1
        return schema

    def _info(self, schema: dict[str, Any]) -> Any:
        """None when the node checks nothing, else (schema, allowed types, enum, properties,
        additionalProperties, required, preserve-unknown-fields) of the resolved node."""
        entry = self._infos.get(id(schema))
        if entry is not None and entry[0] is schema:
            return entry[1]
        node = self.resolve(schema)
        info: Any = None
        if node and not (
            node.get("x-kubernetes-preserve-unknown-fields") is True and "properties" not in node
        ):
            enum = node.get("enum")
            info = (
                node,
                _allowed(node),
                enum if isinstance(enum, list) and enum else None,
                node.get("properties"),
                node.get("additionalProperties"),
                node.get("required") or (),
                node.get("x-kubernetes-preserve-unknown-fields"),
            )
        self._infos[id(schema)] = (schema, info)
        return info

    def check(self, value: Any, schema: dict[str, Any], path: tuple[Any, ...]) -> None:
        stack: list[tuple[Any, dict[str, Any], tuple[Any, ...]]] = [(value, schema, path)]
        problems = self.problems
        infos = self._infos
        while stack and len(problems) < _MAX_FINDINGS_PER_OBJECT:
            value, schema, path = stack.pop()
            self.nodes += 1
            if self.nodes > _MAX_NODES:
                return
            entry = infos.get(id(schema))
            info = entry[1] if entry is not None and entry[0] is schema else self._info(schema)
            if info is None:
                continue
            node, allowed, enum, props, extra, required, preserve = info
            if allowed is not _ANY and (
                bool not in allowed if value.__class__ is bool else not isinstance(value, allowed)
            ):
                if value is None:
                    continue  # "field: ~" is dropped by the API server like an absent field
                problems.append(
                    ("type", path, f"{_field(path)} should be {_expected(node)}, found {_kind_of(value)}")
                )
                continue
            if enum is not None and value not in enum and isinstance(value, str | int):
                problems.append(
                    ("enum", path, f"{_field(path)} must be one of {', '.join(map(str, enum[:8]))}")
                )
            if isinstance(value, dict):
                for key in required:
                    if key not in value and not (path == () and (key in _SKIP_TOP or key == "metadata")):
                        problems.append(("required", path, f"{_field((*path, key))} is required"))
                props_dict = props if isinstance(props, dict) else None
                for key, item in value.items():
                    if path == () and (
                        key in _SKIP_TOP or (key == "metadata" and "metadata" not in (props or {}))
                    ):
                        continue  # CRD schemas often leave out metadata: the API server owns it
                    if props_dict is not None and key in props_dict:
                        stack.append((item, props_dict[key], (*path, key)))
                    elif isinstance(extra, dict):
                        stack.append((item, extra, (*path, key)))
                    elif props_dict is not None and extra is not True and not preserve:
                        problems.append(("unknown", (*path, key), f"unknown field {_field((*path, key))}"))
            elif isinstance(value, list):
                items = node.get("items")
                if isinstance(items, dict):
                    stack.extend((item, items, (*path, i)) for i, item in enumerate(value))


_PY_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}
_ANY = object()
# id(schema) -> (allowed Python types or _ANY, the schema itself): schemas live as long as the
# process (cached definitions) or the run (the repository's CRDs), so the id stays valid while the
# entry keeps the schema alive.
_type_cache: dict[int, tuple[Any, dict[str, Any]]] = {}


def _allowed(schema: dict[str, Any]) -> Any:
    """The Python types a value of ``schema`` may have (``bool`` only when "boolean" is named)."""
    if schema.get("x-kubernetes-int-or-string") or schema.get("format") == "int-or-string":
        return (str, int)
    names: list[str] = []
    wanted = schema.get("type")
    if wanted is not None:
        names = [n for n in (wanted if isinstance(wanted, list) else [wanted]) if isinstance(n, str)]
    else:
        for combo in ("oneOf", "anyOf"):
            options = schema.get(combo)
            if (
                isinstance(options, list)
                and options
                and all(isinstance(o, dict) and "type" in o for o in options)
            ):
                for option in options:
                    kind = option["type"]
                    names += kind if isinstance(kind, list) else [kind]
    if not names or any(n not in _PY_TYPES for n in names):
        return _ANY
    return tuple(t for n in names for t in _PY_TYPES[n])


def _type_ok(value: Any, schema: dict[str, Any]) -> bool:
    entry = _type_cache.get(id(schema))
    if entry is None or entry[1] is not schema:
        if len(_type_cache) > 50_000:
            _type_cache.clear()
        entry = (_allowed(schema), schema)
        _type_cache[id(schema)] = entry
    allowed = entry[0]
    if allowed is _ANY:
        return True
    if isinstance(value, bool):  # bool is an int in Python, not in JSON
        return bool in allowed
    return isinstance(value, allowed)


def _expected(schema: dict[str, Any]) -> str:
    if schema.get("x-kubernetes-int-or-string") or schema.get("format") == "int-or-string":
        return "a number or text"
    wanted = schema.get("type")
    names = [n for n in (wanted if isinstance(wanted, list) else [wanted]) if n and n != "null"]
    for combo in ("oneOf", "anyOf"):
        for option in schema.get(combo) or ():
            if isinstance(option, dict) and isinstance(option.get("type"), str):
                names.append(option["type"])
    words = {"object": "a mapping", "array": "a list", "string": "text", "integer": "a whole number",
             "number": "a number", "boolean": "true or false"}  # fmt: skip
    return " or ".join(dict.fromkeys(words.get(n, n) for n in names)) or "something else"


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return "a number"
    return "text"


def _field(path: tuple[Any, ...]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "the object"


# -- the rule ---------------------------------------------------------------------------------------


def check(ctx: LintContext) -> Iterator[Finding]:
    objects = ctx.manifests.objects
    core = core_definitions()
    crds = {**shipped_crds(), **repo_crds(objects)}
    unchecked_core = 0
    crd_walk = _Walk({})
    core_walk = _Walk(core[0] if core is not None else {})
    for obj in objects:
        if not obj.kind or not obj.api_version or obj.body.get("x-generated") is True:
            continue
        key = (obj.group, obj.version, obj.kind)
        if key in crds:
            crd_walk.reset()
            crd_walk.check(obj.body, crds[key], ())
            if crd_walk.problems:
                yield from _findings(obj, crd_walk, custom=True)
        elif core is not None and key in core[1]:
            defs, index = core
            core_walk.reset()
            core_walk.check(obj.body, defs[index[key]], ())
            if core_walk.problems:
                yield from _findings(obj, core_walk, custom=False)
        elif core is None and (obj.group == "" or obj.group.endswith(".k8s.io") or "." not in obj.group):
            unchecked_core += 1
    if unchecked_core:
        yield Finding(
            "info",
            "schema-not-checked",
            "",
            0,
            "",
            f"{unchecked_core} Kubernetes object(s) not checked against the Kubernetes schemas: "
            "the kubernetes-validate package is not installed",
            "pip install kubernetes-validate (it ships the schemas of each Kubernetes release, offline).",
        )


def _findings(obj: K8sObject, walk: _Walk, *, custom: bool) -> Iterator[Finding]:
    source = (
        "its CustomResourceDefinition"
        if custom
        else "the Kubernetes {}.{} schema".format(*HOST_KUBERNETES_VERSION)
    )
    for problem, path, message in walk.problems:
        if problem == "unknown":
            severity: Severity = "warning" if custom else "error"
            hint = (
                "The API server drops it (or refuses it with strict validation): check the spelling "
                "and the indentation."
                if custom
                else "Server-side apply (what Flux uses) refuses unknown fields: check the spelling and "
                "the indentation."
            )
            yield at(
                severity,
                "schema-unknown-field",
                obj,
                obj.line_of(*path),
                f"{message} (not in {source})",
                hint,
            )
        elif problem == "required":
            yield at("error", "schema-required", obj, obj.line_of(*path), f"{message} by {source}")
        else:
            yield at(
                "error",
                "schema-type",
                obj,
                obj.line_of(*path),
                f"{message} ({source})",
                "Quote text values and leave numbers and true/false unquoted.",
            )
