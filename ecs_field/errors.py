"""One exception root for everything a person should read.

Every error the app raises on purpose is an EcsFieldError with a message (what went wrong,
naming the file, line, field or device) and a hint (what to do). The CLI prints both and exits
with ``exit_code``; the GUI shows them in place. Tracebacks only go to the log.
"""

from __future__ import annotations


class EcsFieldError(Exception):
    """An error meant for the technician, not for a developer."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class BadInput(EcsFieldError):
    """A file, argument or document the app cannot use (exit 2)."""

    exit_code = 2


class SafetyRefusal(EcsFieldError):
    """A disk write refused by the safety rules (exit 4)."""

    exit_code = 4


class DeviceError(EcsFieldError):
    """An I/O error, or the device went away (exit 5)."""

    exit_code = 5


class VerifyMismatch(EcsFieldError):
    """What was read back is not what was written (exit 6)."""

    exit_code = 6


class NetworkError(EcsFieldError):
    """A remote (orchestrator, host API, Git remote) could not be reached or refused us."""

    exit_code = 3


class Cancelled(EcsFieldError):
    """The user cancelled a long job (exit 130, like Ctrl+C)."""

    exit_code = 130

    def __init__(self, message: str = "Cancelled.", hint: str | None = None) -> None:
        super().__init__(message, hint)
