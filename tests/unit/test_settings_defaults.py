"""The settings' defaults are the production-safe ones, and the README's tables say the same."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bootstrap.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| `(HOTICH_[A-Z0-9_]+)` \| `([^`]*)` \|", re.MULTILINE)


def readme_defaults() -> dict[str, str]:
    """Every ``| `HOTICH_X` | `default` | …`` row of the README's settings tables."""
    return dict(ROW.findall(README.read_text(encoding="utf-8")))


def as_written(value: object) -> str:
    if isinstance(value, Path):
        return f"./{value}"
    return str(value).lower() if isinstance(value, bool) else str(value)


@pytest.mark.parametrize(
    ("variable", "safe"),
    [
        ("HOTICH_S3_SECURE", True),
        ("HOTICH_RETENTION_MODE", "COMPLIANCE"),
        ("HOTICH_RETENTION_DAYS", 3650),
    ],
)
def test_the_scans_settings_default_to_the_safe_values_the_readme_states(
    variable: str, safe: object
) -> None:
    field = Settings.model_fields[variable.removeprefix("HOTICH_").lower()]
    assert field.default == safe
    assert readme_defaults()[variable] == as_written(safe)


def test_every_default_in_the_readme_is_the_settings_default() -> None:
    rows = readme_defaults()
    assert len(rows) >= 10
    for variable, written in rows.items():
        name = variable.removeprefix("HOTICH_").lower()
        if name not in Settings.model_fields:
            continue  # the commands' own variables (HOTICH_API_URL, HOTICH_TOKEN)
        assert as_written(Settings.model_fields[name].default) == written, variable
