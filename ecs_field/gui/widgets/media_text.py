"""Text helpers shared by the Boot media and History pages."""

from __future__ import annotations

import html


def esc(text: str) -> str:
    """Escape for Qt rich text. Quotes stay as they are: Qt does not decode &#x27;."""
    return html.escape(text, quote=False)
