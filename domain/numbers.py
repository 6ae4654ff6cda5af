"""Numbers as people write them in forms and headers: ASCII digits, and not too many."""

from __future__ import annotations

import re

_SMALL = re.compile(r"[0-9]{1,9}")  # str.isdigit() also takes "²", which int() refuses


def small_number(text: str) -> int | None:
    """The number ``text`` writes in at most 9 ASCII digits (spaces around allowed), else None."""
    text = text.strip()
    return int(text) if _SMALL.fullmatch(text) else None
