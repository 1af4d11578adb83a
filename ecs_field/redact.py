"""Keep credentials out of logs and messages: URLs lose their user info and query string.

A pre-signed orchestrator URL carries its credentials in the query, and a URL may carry
``user:password@``; neither may reach the log file, an index or an error message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://\S+")


def redact_url(url: str) -> str:
    """The URL as it may be shown and stored: scheme, host, port and path only."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "<unparsable URL>"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def redact_text(text: str) -> str:
    """Every URL inside ``text`` redacted."""
    return _URL.sub(lambda m: redact_url(m.group(0)), text)


def redact_argv(argv: Iterable[str]) -> str:
    """A command line fit for the log."""
    return " ".join(redact_text(arg) for arg in argv)
