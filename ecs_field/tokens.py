"""The one place where the app looks up a token: an environment variable, else the keyring.

Image downloads (media/library/download.py) and host API snapshots (sites/status/kube_api.py)
both take a bearer token from a variable the user names (``--token-env VAR``) or from the
system keyring (DESIGN.md 2.8: ``keyring`` for tokens). The rules are the same for both and
live here: a named variable that is unset or empty is an error (the user asked for it); a
keyring that is missing, locked or broken means "no token" (an offline laptop without a
keyring daemon must still work, and the 401 that follows says what to do). A token value is
never logged: only where it came from.

(Named ``tokens`` rather than ``secrets`` so it is never mistaken for the standard library's
``secrets`` module.)
"""

from __future__ import annotations

import logging
import os

from ecs_field.errors import BadInput

log = logging.getLogger(__name__)

KEYRING_SERVICE = "ecs-field"


def from_env(name: str, *, what: str = "the environment variable", hint: str | None = None) -> str:
    """The stripped value of the environment variable ``name``; BadInput (exit 2) when unset or empty.

    ``what`` names the variable in the message (e.g. "--token-env TOKEN: the environment variable").
    """
    value = os.environ.get(name, "").strip()
    if not value:
        raise BadInput(
            f"{what} {name} is not set or empty",
            hint or f"Export the token first (e.g. read -rs {name} && export {name}), or store it in the "
            f"keyring (service {KEYRING_SERVICE!r}).",
        )
    return value


def from_keyring(service: str, user: str) -> str | None:
    """The keyring entry (service, user), stripped; None when there is none or no usable keyring."""
    if not user:
        return None
    try:
        import keyring

        stored = keyring.get_password(service, user)
    except Exception as exc:  # no backend, a locked store, D-Bus trouble: all mean "no token"
        log.info("keyring lookup failed for %s: %s", user, type(exc).__name__)
        return None
    value = (stored or "").strip()
    return value or None
