"""The kickstart file a stick is written with (``write --kickstart``, ``verify --kickstart``).

The file is read and validated once, before any stick is touched (``media.kickstart.validate``:
an error exits 2), and exactly the validated bytes go on the stick as /KS.CFG: a file edited
after the check never reaches the stick. What a history record may say about it is the file's
name, the host name and the management address: never its root password hash.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecs_field.errors import BadInput

RAW_REFUSAL_HINT = (
    "A kickstart goes on a UEFI FAT32 stick built from an ESXi/ECS installer ISO (--mode auto or "
    "uefi-fat32). Nothing was written."
)


@dataclass(frozen=True)
class StickKickstart:
    path: Path
    data: bytes  # exactly the bytes that were validated
    hostname: str | None = None
    ip: str | None = None
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        """For the history record and JSON output (no password hash, no file content)."""
        return {"file": self.path.name, "hostname": self.hostname, "ip": self.ip}

    @property
    def label(self) -> str:
        who = " ".join(part for part in (self.hostname, self.ip) if part)
        return f"{self.path.name} ({who})" if who else self.path.name


def load_kickstart(path: Path) -> StickKickstart:
    """Read and validate ``path``; BadInput (exit 2) naming every error line when it is not usable."""
    from ecs_field.media.kickstart.validate import check_kickstart_file

    data, problems = check_kickstart_file(Path(path))
    hostname, ip = network_identity(data)
    return StickKickstart(Path(path), data, hostname, ip, [str(p) for p in problems])


def network_identity(data: bytes) -> tuple[str | None, str | None]:
    """(host name, IP) from the first ``network`` command of a ks.cfg; None where not given (DHCP)."""
    text = data.decode("utf-8", errors="replace")
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if line.startswith("%"):
            break  # script sections follow the commands: their lines are not commands
        if not line.lower().startswith("network"):
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        if not words or words[0].lower() != "network":
            continue
        options = dict(word.partition("=")[::2] for word in words[1:] if word.startswith("--"))
        return options.get("--hostname") or None, options.get("--ip") or None
    return None, None


def refuse_raw(mode: str) -> None:
    """A raw copy of an image cannot carry a kickstart: exit 2 before anything is touched."""
    raise BadInput(
        f"--kickstart cannot be used with {mode!r} writes: a raw copy of the image has no place for "
        "the kickstart file and its boot option",
        RAW_REFUSAL_HINT,
    )
