"""What ``kubectl get ... -o json|yaml`` prints, as the dicts the snapshot import tests write to files."""

from __future__ import annotations

from typing import Any


def ready_kustomization_list(
    head: str, *, path: str | None = None, reason: str | None = None
) -> dict[str, Any]:
    """A ``List`` holding the ``flux-system`` Kustomization, Ready after applying ``head`` on main."""
    ready: dict[str, Any] = {"type": "Ready", "status": "True"}
    if reason is not None:
        ready["reason"] = reason
    kustomization: dict[str, Any] = {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": "flux-system", "namespace": "flux-system"},
    }
    if path is not None:
        kustomization["spec"] = {"path": path}
    kustomization["status"] = {"lastAppliedRevision": f"main@sha1:{head}", "conditions": [ready]}
    return {"apiVersion": "v1", "kind": "List", "items": [kustomization]}
