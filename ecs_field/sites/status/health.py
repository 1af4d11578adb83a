"""Health of one observed object, by the kstatus rules plus vm-operator and VECO specifics.

kstatus (sigs.k8s.io/cli-utils) order: deletionTimestamp -> terminating (in progress);
generation != observedGeneration -> in progress; Reconciling=True -> in progress;
Stalled=True -> failed; Ready=True -> current, Ready=False -> in progress unless its reason says
the attempt failed; no conditions -> current. We return the words the status document uses:
"current", "in-progress", "failed" ("missing"/"unknown" are decided by the caller, who knows
whether the object was expected).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ecs_field.sites.status.snapshot import gitops_words

CURRENT = "current"
IN_PROGRESS = "in-progress"
FAILED = "failed"
MISSING = "missing"
UNKNOWN = "unknown"

# Reasons on Ready=False (or other negative conditions) that mean "this attempt failed" rather
# than "still working". Flux: api/v1 reasons; vm-operator: VirtualMachinePrereqReady reasons.
FAILURE_REASONS = frozenset(
    {
        "PruneFailed",
        "ArtifactFailed",
        "BuildFailed",
        "HealthCheckFailed",
        "ReconciliationFailed",
        "GitOperationFailed",
        "AuthenticationFailed",
        "URLInvalid",
        "FetchFailed",
        "StorageOperationFailed",
        "VirtualMachineClassNotFound",
        "VirtualMachineImageNotFound",
        "VirtualMachineClassBindingNotFound",
        "VirtualMachineImageNotReady",
        "ContentSourceBindingNotFound",
        "ContentLibraryProviderNotFound",
        "ApplyFailed",
        "ImagePullFailed",
        "GitAuthFailed",
        "UrlUnreachable",
    }
)
IN_PROGRESS_REASONS = frozenset({"Progressing", "ProgressingWithRetry", "DependencyNotReady"})

# VECO GitOps words (where an object carries them, see snapshot.gitops_words) and their health.
# UNCERTAIN mapping: "NotReady" is read as still converging, like kstatus Ready=False.
GITOPS_WORD_HEALTH = {
    "PullInProgress": IN_PROGRESS,
    "Pulled": IN_PROGRESS,
    "Reconciling": IN_PROGRESS,
    "NotReady": IN_PROGRESS,
    "Ready": CURRENT,
    "ApplyFailed": FAILED,
    "ImagePullFailed": FAILED,
    "GitAuthFailed": FAILED,
    "UrlUnreachable": FAILED,
}


@dataclass(frozen=True)
class Health:
    status: str
    message: str = ""


def conditions_of(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    status = obj.get("status")
    found: dict[str, dict[str, Any]] = {}
    if isinstance(status, dict):
        for condition in status.get("conditions") or []:
            if isinstance(condition, dict) and condition.get("type"):
                found[str(condition["type"])] = condition
    return found


def _describe(condition: dict[str, Any]) -> str:
    reason = str(condition.get("reason") or "")
    message = str(condition.get("message") or "")
    if reason and message:
        return f"{reason}: {message}"
    return reason or message


def _is_failure(condition: dict[str, Any]) -> bool:
    reason = str(condition.get("reason") or "")
    severity = str(condition.get("severity") or "")
    return reason in FAILURE_REASONS or reason.endswith("Failed") or severity == "Error"


def object_health(obj: dict[str, Any]) -> Health:
    meta = obj.get("metadata") or {}
    status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
    assert isinstance(status, dict)
    if meta.get("deletionTimestamp"):
        return Health(IN_PROGRESS, f"terminating since {meta['deletionTimestamp']}")
    generation = meta.get("generation")
    observed = status.get("observedGeneration")
    if generation is not None and observed is not None and generation != observed:
        return Health(IN_PROGRESS, f"spec generation {generation} not yet observed (at {observed})")
    conditions = conditions_of(obj)
    reconciling = conditions.get("Reconciling")
    if reconciling and reconciling.get("status") == "True":
        return Health(IN_PROGRESS, _describe(reconciling) or "reconciling")
    stalled = conditions.get("Stalled")
    if stalled and stalled.get("status") == "True":
        return Health(FAILED, _describe(stalled) or "stalled")
    if obj.get("kind") == "VirtualMachine":
        vm = _vm_health(obj, conditions)
        if vm is not None:
            return vm
    word = _gitops_word(obj)
    if word is not None and GITOPS_WORD_HEALTH[word] == FAILED:
        return Health(FAILED, f"GitOps status {word}")
    ready = conditions.get("Ready")
    if ready is not None:
        if ready.get("status") == "True":
            return Health(CURRENT, _describe(ready))
        if _is_failure(ready):
            return Health(FAILED, _describe(ready) or "not ready")
        return Health(IN_PROGRESS, _describe(ready) or "not ready yet")
    # Any other negative condition with a failure reason (Flux FetchFailed, vm-operator ...).
    for condition in conditions.values():
        if condition.get("status") == "False" and _is_failure(condition):
            return Health(FAILED, f"{condition.get('type')}: {_describe(condition)}")
        if condition.get("status") == "True" and str(condition.get("type", "")).endswith("Failed"):
            return Health(FAILED, f"{condition.get('type')}: {_describe(condition)}")
    if word is not None:
        return Health(GITOPS_WORD_HEALTH[word], f"GitOps status {word}")
    return Health(CURRENT, "")


def _gitops_word(obj: dict[str, Any]) -> str | None:
    words = gitops_words([obj])
    return words[0].word if words else None


def _vm_health(obj: dict[str, Any], conditions: dict[str, dict[str, Any]]) -> Health | None:
    """vm-operator specifics; None to fall through to the generic rules."""
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    prereq = conditions.get("VirtualMachinePrereqReady")
    if prereq is not None and prereq.get("status") == "False":
        return Health(FAILED, f"prerequisites not ready: {_describe(prereq) or 'unknown reason'}")
    phase = str(status.get("phase") or "")
    if phase == "Deleting":
        return Health(IN_PROGRESS, "deleting")
    if phase == "Creating":
        return Health(IN_PROGRESS, "creating")
    ready = conditions.get("Ready")
    if ready is not None and ready.get("status") == "False" and _is_failure(ready):
        return Health(FAILED, _describe(ready))
    wanted = str(spec.get("powerState") or "")
    actual = str(status.get("powerState") or "")
    if wanted and actual and wanted != actual:
        return Health(IN_PROGRESS, f"power state {actual}, wanted {wanted}")
    if wanted and not actual and not conditions:
        return Health(IN_PROGRESS, "not yet reported by the host")
    return None
