"""Partial dates as written in old books: year only, month and year, or a full day.

A date may be lunar (âm lịch); lunar dates are stored as written and never converted.
"""

from __future__ import annotations

import calendar
import datetime
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from domain.errors import InvalidValueError
from domain.rules import Code

Precision = Literal["year", "month", "day"]

MIN_YEAR = 1800
MAX_YEAR = 2200

DEFAULT_LABEL_VI = "ngày tháng năm"

# Vietnamese labels of common date fields, looked up by the whole field path, then by its
# last dotted part ("child.birth_date" -> "birth_date"); others get DEFAULT_LABEL_VI.
_FIELD_LABELS_VI: dict[str, str] = {
    "date_of_birth": "ngày sinh",
    "birth_date": "ngày sinh",
    "date_of_death": "ngày chết",
    "death_date": "ngày chết",
    "death.date": "ngày chết",
    "registration_date": "ngày đăng ký",
    "decision_date": "ngày quyết định",
}

_LUNAR_SUFFIX = " (âm lịch)"
_LUNAR_LEAP_SUFFIX = " (âm lịch, tháng nhuận)"

# ASCII digits only ([0-9], not \d, which also matches other scripts' digits).
_ISO_RE = re.compile(r"(?P<y>[0-9]{4})(?:-(?P<m>[0-9]{1,2})(?:-(?P<d>[0-9]{1,2}))?)?")
_BOOK_DMY_RE = re.compile(
    r"(?P<d>[0-9]{1,2})(?P<sep>[/.-])(?P<m>[0-9]{1,2})(?P=sep)(?P<y>[0-9]{4})"
)
_BOOK_MY_RE = re.compile(r"(?P<m>[0-9]{1,2})[/.-](?P<y>[0-9]{4})")
_SUFFIX_RE = re.compile(r"\s*\(\s*âm lịch\s*(?P<leap>,\s*tháng nhuận\s*)?\)\s*$", re.IGNORECASE)

_JSON_KEYS = frozenset({"year", "month", "day", "lunar", "leap_month"})


def label_for(field: str) -> str:
    """Vietnamese label for a date field name."""
    label = _FIELD_LABELS_VI.get(field)
    if label is None:
        label = _FIELD_LABELS_VI.get(field.rsplit(".", 1)[-1], DEFAULT_LABEL_VI)
    return label


def _validate(
    year: object,
    month: object,
    day: object,
    lunar: object,
    leap_month: object,
    field: str,
    label_vi: str,
) -> tuple[int, int | None, int | None, bool, bool]:
    """Check the parts of a partial date and return them typed; raise InvalidValueError."""

    def fail(code: Code, **params: object) -> InvalidValueError:
        return InvalidValueError(field, code, label_vi=label_vi, **params)

    # bool is a subclass of int but never a valid year, month or day.
    if not isinstance(lunar, bool):
        raise fail(Code.LUNAR_BOOLEAN)
    if not isinstance(leap_month, bool):
        raise fail(Code.LEAP_MONTH_BOOLEAN)
    if not isinstance(year, int) or isinstance(year, bool):
        raise fail(Code.YEAR_WHOLE_NUMBER)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise fail(Code.YEAR_BETWEEN, low=MIN_YEAR, high=MAX_YEAR, year=year)
    if month is None:
        if day is not None:
            raise fail(Code.DAY_NEEDS_MONTH)
        if leap_month:
            raise fail(Code.LEAP_MONTH_NEEDS_MONTH)
        return year, None, None, lunar, leap_month
    if not isinstance(month, int) or isinstance(month, bool):
        raise fail(Code.MONTH_WHOLE_NUMBER)
    if not 1 <= month <= 12:
        raise fail(Code.MONTH_BETWEEN, month=month)
    if leap_month and not lunar:
        raise fail(Code.LEAP_MONTH_LUNAR_ONLY)
    if day is None:
        return year, month, None, lunar, leap_month
    if not isinstance(day, int) or isinstance(day, bool):
        raise fail(Code.DAY_WHOLE_NUMBER)
    if lunar:
        if not 1 <= day <= 30:
            raise fail(Code.LUNAR_DAY_BETWEEN, day=day)
    else:
        last = calendar.monthrange(year, month)[1]
        if not 1 <= day <= last:
            raise fail(Code.DAY_BETWEEN, last=last, year=year, month=month, day=day)
    return year, month, day, lunar, leap_month


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date known to year, month or day precision, solar or lunar."""

    year: int
    month: int | None = None
    day: int | None = None
    lunar: bool = False
    leap_month: bool = False

    def __post_init__(self) -> None:
        _validate(
            self.year,
            self.month,
            self.day,
            self.lunar,
            self.leap_month,
            "date",
            DEFAULT_LABEL_VI,
        )

    @property
    def precision(self) -> Precision:
        """How much of the date is known: "year", "month" or "day"."""
        if self.month is None:
            return "year"
        if self.day is None:
            return "month"
        return "day"

    @classmethod
    def parse(
        cls,
        text: str,
        *,
        lunar: bool = False,
        field: str = "date",
        label_vi: str | None = None,
    ) -> PartialDate:
        """Read "1987", "1987-03", "1987-03-12", "12/03/1987", "3/1987" or "12-3-1987".

        A trailing " (âm lịch)" (or " (âm lịch, tháng nhuận)") marks the date lunar.
        """
        label = label_vi or label_for(field)
        if not isinstance(text, str):
            raise InvalidValueError(field, Code.TEXT, label_vi=label)
        s = unicodedata.normalize("NFC", text).strip()
        leap = False
        suffix = _SUFFIX_RE.search(s)
        if suffix is not None:
            lunar = True
            leap = suffix.group("leap") is not None
            s = s[: suffix.start()].strip()
        match = _ISO_RE.fullmatch(s) or _BOOK_DMY_RE.fullmatch(s) or _BOOK_MY_RE.fullmatch(s)
        if match is None:
            raise InvalidValueError(field, Code.DATE_FORMAT, label_vi=label, text=text)
        parts = match.groupdict()
        month = parts.get("m")
        day = parts.get("d")
        return cls(
            *_validate(
                int(parts["y"]),
                None if month is None else int(month),
                None if day is None else int(day),
                lunar,
                leap,
                field,
                label,
            )
        )

    def to_json(self) -> dict[str, int | bool | None]:
        """Plain dict; absent parts are None, leap_month appears only when true."""
        out: dict[str, int | bool | None] = {
            "year": self.year,
            "month": self.month,
            "day": self.day,
            "lunar": self.lunar,
        }
        if self.leap_month:
            out["leap_month"] = True
        return out

    @classmethod
    def from_json(
        cls,
        d: Mapping[str, object],
        *,
        field: str = "date",
        label_vi: str | None = None,
    ) -> PartialDate:
        """Inverse of to_json; missing month/day mean unknown, missing lunar means solar."""
        label = label_vi or label_for(field)
        if not isinstance(d, Mapping):
            raise InvalidValueError(field, Code.OBJECT, label_vi=label)
        unknown = sorted(str(k) for k in d if k not in _JSON_KEYS)
        if unknown:
            raise InvalidValueError(field, Code.DATE_UNKNOWN_KEYS, label_vi=label, keys=unknown)
        if "year" not in d:
            raise InvalidValueError(field, Code.YEAR_REQUIRED, label_vi=label)
        return cls(
            *_validate(
                d["year"],
                d.get("month"),
                d.get("day"),
                d.get("lunar", False),
                d.get("leap_month", False),
                field,
                label,
            )
        )

    def __str__(self) -> str:
        out = f"{self.year:04d}"
        if self.month is not None:
            out += f"-{self.month:02d}"
            if self.day is not None:
                out += f"-{self.day:02d}"
        if self.leap_month:
            out += _LUNAR_LEAP_SUFFIX
        elif self.lunar:
            out += _LUNAR_SUFFIX
        return out

    def _solar_only(self, field: str) -> None:
        if self.lunar:
            raise InvalidValueError(field, Code.LUNAR_NO_SOLAR_RANGE, label_vi=label_for(field))

    def earliest(self, *, field: str = "date") -> datetime.date:
        """First solar day the date may denote; lunar dates raise InvalidValueError."""
        self._solar_only(field)
        return datetime.date(self.year, self.month or 1, self.day or 1)

    def latest(self, *, field: str = "date") -> datetime.date:
        """Last solar day the date may denote; lunar dates raise InvalidValueError."""
        self._solar_only(field)
        month = self.month or 12
        day = self.day or calendar.monthrange(self.year, month)[1]
        return datetime.date(self.year, month, day)

    def may_be_after(self, other: PartialDate) -> bool:
        """True unless self is certainly on or before other; True when either is lunar."""
        if self.lunar or other.lunar:
            return True
        return self.latest() > other.earliest()

    def is_certainly_before(self, other: PartialDate) -> bool:
        """True only if every day of self is before every day of other; False when lunar."""
        if self.lunar or other.lunar:
            return False
        return self.latest() < other.earliest()
