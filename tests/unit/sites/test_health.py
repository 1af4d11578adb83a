"""kstatus rules and the vm-operator / VECO specifics."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_field.sites.status.health import object_health


def obj(
    kind: str = "Kustomization",
    *,
    conditions: list[dict[str, Any]] | None = None,
    meta: dict[str, Any] | None = None,
    spec: dict[str, Any] | None = None,
    **status: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": kind,
        "metadata": {"name": "x", **(meta or {})},
        "spec": spec or {},
        "status": dict(status),
    }
    if conditions is not None:
        body["status"]["conditions"] = conditions
    return body


def cond(type_: str, status: str, reason: str = "", message: str = "", **extra: Any) -> dict[str, Any]:
    return {"type": type_, "status": status, "reason": reason, "message": message, **extra}


@pytest.mark.parametrize(
    ("body", "expected", "fragment"),
    [
        (
            obj(meta={"deletionTimestamp": "2026-11-26T10:00:00Z"}, conditions=[cond("Ready", "True")]),
            "in-progress",
            "terminating",
        ),
        (
            obj(meta={"generation": 3}, observedGeneration=2, conditions=[cond("Ready", "True")]),
            "in-progress",
            "generation 3",
        ),
        (
            obj(conditions=[cond("Reconciling", "True", "Progressing", "working"), cond("Ready", "Unknown")]),
            "in-progress",
            "Progressing",
        ),
        (
            obj(
                conditions=[
                    cond("Stalled", "True", "BuildFailed", "kustomize build failed"),
                    cond("Ready", "False", "BuildFailed"),
                ]
            ),
            "failed",
            "kustomize build failed",
        ),
        (
            obj(
                conditions=[
                    cond("Ready", "True", "ReconciliationSucceeded", "Applied revision: main@sha1:ab")
                ]
            ),
            "current",
            "ReconciliationSucceeded",
        ),
        (
            obj(conditions=[cond("Ready", "False", "HealthCheckFailed", "timeout waiting for vm")]),
            "failed",
            "HealthCheckFailed",
        ),
        (
            obj(conditions=[cond("Ready", "False", "DependencyNotReady", "dependency 'infra' not ready")]),
            "in-progress",
            "DependencyNotReady",
        ),
        (
            obj("GitRepository", conditions=[cond("FetchFailed", "True", "AuthenticationFailed", "auth")]),
            "failed",
            "FetchFailed",
        ),
        (obj("Namespace", phase="Active"), "current", ""),
        (obj(meta={"generation": 2}, observedGeneration=2), "current", ""),
    ],
)
def test_kstatus_rules(body: dict[str, Any], expected: str, fragment: str) -> None:
    health = object_health(body)
    assert health.status == expected
    assert fragment in health.message


def test_vm_prereq_failure() -> None:
    body = obj(
        "VirtualMachine",
        spec={"powerState": "poweredOn"},
        powerState="poweredOff",
        phase="Created",
        conditions=[
            cond(
                "VirtualMachinePrereqReady",
                "False",
                "VirtualMachineClassNotFound",
                "class gpu-large not found",
                severity="Error",
            )
        ],
    )
    health = object_health(body)
    assert health.status == "failed" and "VirtualMachineClassNotFound" in health.message


def test_vm_running_and_powering() -> None:
    running = obj("VirtualMachine", spec={"powerState": "poweredOn"}, powerState="poweredOn", phase="Created")
    assert object_health(running).status == "current"
    off = obj("VirtualMachine", spec={"powerState": "poweredOn"}, powerState="poweredOff", phase="Created")
    assert object_health(off).status == "in-progress" and "wanted poweredOn" in object_health(off).message
    assert object_health(obj("VirtualMachine", phase="Creating")).status == "in-progress"
    fresh = obj("VirtualMachine", spec={"powerState": "poweredOn"})
    assert object_health(fresh).status == "in-progress"


def test_gitops_words() -> None:
    failed = obj("HostConfiguration", gitopsStatus="ApplyFailed")
    assert object_health(failed).status == "failed"
    pulled = obj("HostConfiguration", meta={"annotations": {"veco.vmware.com/gitops-status": "Pulled"}})
    assert object_health(pulled).status == "in-progress"
    ready = obj("HostConfiguration", gitopsStatus="Ready")
    assert object_health(ready).status == "current"
