"""The scratch directory (``<home>/tmp``): where uploads are received, one ``hotich-upload-*``
folder per request, removed when the request ends. A server killed in the middle of an upload
leaves its folder behind; the serving process removes every such folder when it starts (no
upload of this data directory can be under way then: its workers start after it)."""

from __future__ import annotations

import shutil
from pathlib import Path

from digitization.intake import UPLOAD_PREFIX


def clean_scratch(scratch: Path) -> list[Path]:
    """Remove the ``hotich-upload-*`` folders left in ``scratch``; returns what was removed."""
    if not scratch.is_dir():
        return []
    removed = []
    for leftover in sorted(scratch.glob(f"{UPLOAD_PREFIX}*")):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
        removed.append(leftover)
    return removed
