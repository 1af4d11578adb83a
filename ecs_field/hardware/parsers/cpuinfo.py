"""A pasted ``/proc/cpuinfo`` (x86 Linux) -> Cpu with its full flag list.

  processor	: 0
  vendor_id	: GenuineIntel
  model name	: 12th Gen Intel(R) Core(TM) i7-1260P
  flags		: fpu vme de pse ... xsave avx ... hybrid_cpu
  siblings	: 16
  cpu cores	: 12
One block per logical CPU. The "flags" line is the kernel's complete list, so ``flags_complete``
is set (unlike dmidecode's few derived flags).
"""

from __future__ import annotations

import re

from ecs_field.hardware.inventory import Cpu, InputWarning
from ecs_field.hardware.parsers.common import ParseError, infer_hybrid_split

_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9 _]*?)\s*:\s?(.*)$")


def parse_cpuinfo(text: str, warnings: list[InputWarning] | None = None) -> Cpu:
    processors: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for raw in text.splitlines():
        match = _FIELD.match(raw.strip())
        if not match:
            continue
        key, value = match.group(1).strip(), match.group(2).strip()
        if key == "processor":
            current = {}
            processors.append(current)
        if current is not None:
            current.setdefault(key, value)
    if not processors:
        raise ParseError("no 'processor : N' blocks found", None)
    first = processors[0]
    sockets = {p.get("physical id", "0") for p in processors}
    flags = first.get("flags", "").split()
    cpu = Cpu(
        model=first.get("model name", ""),
        vendor=first.get("vendor_id", ""),
        sockets=len(sockets),
        flags=flags,
        flags_complete=bool(flags) and not _cut(text, "flags"),
    )
    siblings = _int(first.get("siblings", ""))
    cpu.threads = siblings * len(sockets) if siblings else len(processors)
    per_socket = _int(first.get("cpu cores", ""))
    if per_socket:
        cpu.cores = per_socket * len(sockets)
    elif all("core id" in p for p in processors):
        cpu.cores = len({(p.get("physical id", "0"), p["core id"]) for p in processors})
    if len(sockets) == 1:
        split = infer_hybrid_split(cpu.vendor or "", cpu.cores, cpu.threads)
        if split:
            cpu.p_cores, cpu.e_cores = split
    if warnings is not None and _cut(text, "flags"):
        warnings.append(
            InputWarning(
                "",
                len(text.splitlines()),
                "/proc/cpuinfo ends in the middle of the flags line: the flag list is incomplete",
                "truncated",
            )
        )
    return cpu


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _cut(text: str, key: str) -> bool:
    """True when the text ends mid-line (no final newline) on a ``key`` line."""
    if text.endswith("\n"):
        return False
    return text.rsplit("\n", 1)[-1].strip().startswith(key)
