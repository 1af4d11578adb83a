"""The status text: 100 columns whatever the names and reasons, reasons never cut; last applied and
last failed read from Flux's history, conditions and events."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ecs_field.commands.status import WIDTH, headline, render_status
from ecs_field.sites.status.snapshot import Snapshot
from ecs_field.sites.status.sync import _apply_times, event_rows

_words = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=160
)
_text = st.lists(_words, min_size=0, max_size=30).map(" ".join)


def _document(workloads: list[dict[str, Any]], events: list[dict[str, Any]], message: str) -> dict[str, Any]:
    return {
        "site": "s",
        "sync": "failed",
        "sync_message": message,
        "commits_behind": 0,
        "commits_ahead": 0,
        "health": "degraded",
        "counts": {"current": 0, "in-progress": 0, "failed": len(workloads), "missing": 0, "unknown": 0},
        "repo": {
            "path": "/r",
            "branch": "main",
            "head": "a" * 40,
            "head_time": None,
            "dirty": False,
            "ahead": None,
            "behind": None,
        },
        "applied_revision": "main@sha1:" + "b" * 40,
        "applied": {"commit": "b" * 40, "subject": message[:200], "author": "x", "time": None},
        "last_applied": None,
        "last_failed": {"time": "2026-12-01T00:00:00Z", "reason": "BuildFailed", "message": message},
        "snapshot": {
            "taken_at": "2026-12-01T00:00:00Z",
            "age_s": 10.0,
            "stale": False,
            "source": "t",
            "problems": [message] if message else [],
        },
        "pending": [],
        "kustomizations": [
            {
                "name": "k" * 90,
                "ready": False,
                "reason": "BuildFailed",
                "message": message,
                "revision": None,
                "suspended": False,
            }
        ],
        "workloads": workloads,
        "events": events,
    }


@settings(max_examples=150, deadline=None)
@given(
    names=st.lists(_words, min_size=1, max_size=5),
    messages=st.lists(_text, min_size=1, max_size=5),
    message=_text,
)
def test_every_line_fits_and_no_reason_is_cut(names: list[str], messages: list[str], message: str) -> None:
    workloads = [
        {
            "kind": "VirtualMachine" * 2,
            "namespace": "ns-" + name,
            "name": name * 3,
            "desired": message,
            "observed": message,
            "health": "failed",
            "message": text,
        }
        for name, text in zip(names, messages * len(names), strict=False)
    ]
    events = [
        {
            "time": "2026-12-01T00:00:00Z",
            "type": "Warning",
            "reason": name,
            "object": "VirtualMachine/" + name,
            "message": text,
            "count": 3,
        }
        for name, text in zip(names, messages * len(names), strict=False)
    ]
    used = [text for _, text in zip(names, messages * len(names), strict=False)]
    out = render_status(_document(workloads, events, message))
    lines = out.splitlines()
    assert all(len(line) <= WIDTH for line in lines)
    flat = " ".join(" ".join(line.split()) for line in lines)
    squeezed = flat.replace(" ", "")
    for text in [*used, message]:
        # wrapping only moves text to the next line: every character of every reason is there, in order
        assert "".join(text.split()) in squeezed


def test_headline_words() -> None:
    doc = _document([], [], "")
    doc.update(sync="diverged", commits_ahead=3, commits_behind=2, health="progressing")
    doc["counts"] = {"failed": 0, "missing": 0, "in-progress": 4}
    assert (
        headline(doc) == "DIVERGED (host 3 ahead, 2 behind) · PROGRESSING: 4 in progress · snapshot 10 s old"
    )
    doc["snapshot"] = {"taken_at": None}
    doc.update(sync="unknown", health="unknown")
    assert headline(doc) == "UNKNOWN · UNKNOWN · no snapshot"


def _kustomization(history: list[dict[str, Any]], ready: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "kind": "Kustomization",
        "metadata": {"name": "apps", "namespace": "flux-system"},
        "status": {"history": history, "conditions": [ready] if ready else []},
    }


def test_last_applied_and_failed_from_history_conditions_and_events() -> None:
    history = [
        {
            "lastReconciled": "2026-12-01T08:00:00Z",
            "lastReconciledStatus": "ReconciliationSucceeded",
            "metadata": {"revision": "main@sha1:" + "1" * 40},
        },
        {"lastReconciled": "2026-12-01T09:00:00Z", "lastReconciledStatus": "HealthCheckFailed"},
    ]
    k = _kustomization(
        history, {"type": "Ready", "status": "True", "lastTransitionTime": "2026-12-01T07:00:00Z"}
    )
    event = {
        "kind": "Event",
        "type": "Warning",
        "reason": "GitOperationFailed",
        "message": "auth failed",
        "lastTimestamp": "2026-12-01T09:30:00Z",
        "involvedObject": {"kind": "GitRepository", "name": "flux-system"},
    }
    applied, failed = _apply_times(k, Snapshot(taken_at="2026-12-01T10:00:00Z", source="t", items=[k, event]))
    assert (
        applied is not None and applied["time"] == "2026-12-01T08:00:00Z" and applied["source"] == "history"
    )
    assert (
        failed is not None
        and failed["time"] == "2026-12-01T09:30:00Z"
        and failed["reason"] == "GitOperationFailed"
    )
    none_applied, none_failed = _apply_times(_kustomization([], None), Snapshot("2026-12-01T10:00:00Z", "t"))
    assert none_applied is None and none_failed is None


def test_events_fold_by_reason_object_and_message_with_series_counts() -> None:
    base = {
        "kind": "Event",
        "type": "Warning",
        "reason": "BackOff",
        "message": "m",
        "involvedObject": {"kind": "Pod", "name": "p", "namespace": "n"},
    }
    rows = event_rows(
        [
            {**base, "count": 2, "lastTimestamp": "2026-12-01T01:00:00Z"},
            {**base, "series": {"count": 5, "lastObservedTime": "2026-12-01T03:00:00Z"}},
            {**base, "message": "other", "lastTimestamp": "2026-12-01T02:00:00Z"},
            {**base, "count": "lots", "lastTimestamp": "2026-12-01T00:00:00Z"},
        ]
    )
    assert [(r["message"], r["count"], r["time"]) for r in rows] == [
        ("m", 8, "2026-12-01T03:00:00Z"),
        ("other", 1, "2026-12-01T02:00:00Z"),
    ]
    assert rows[0]["object"] == "Pod/n/p"
