"""Sex (giới tính) as written in civil-status books."""

from __future__ import annotations

import unicodedata
from enum import StrEnum

from domain.errors import InvalidValueError
from domain.rules import Code

LABEL_VI = "giới tính"


class Sex(StrEnum):
    """Sex of a person; values are English, labels Vietnamese."""

    MALE = "male"
    FEMALE = "female"

    @property
    def label_vi(self) -> str:
        """Vietnamese label as printed in the books ("Nam" / "Nữ")."""
        return _LABELS[self]

    @classmethod
    def parse(cls, raw: str, *, field: str = "sex") -> Sex:
        """Read a sex from English or Vietnamese input (male/female/nam/nữ/nu/m/f, any case)."""
        if not isinstance(raw, str):
            raise InvalidValueError(field, Code.TEXT, label_vi=LABEL_VI)
        key = unicodedata.normalize("NFC", raw).strip().casefold()
        try:
            return _ALIASES[key]
        except KeyError:
            raise InvalidValueError(field, Code.SEX_ONE_OF, label_vi=LABEL_VI, value=raw) from None


_LABELS: dict[Sex, str] = {Sex.MALE: "Nam", Sex.FEMALE: "Nữ"}

# Keys are NFC and casefolded.
_ALIASES: dict[str, Sex] = {
    "male": Sex.MALE,
    "nam": Sex.MALE,
    "m": Sex.MALE,
    "female": Sex.FEMALE,
    "nữ": Sex.FEMALE,
    "nu": Sex.FEMALE,
    "f": Sex.FEMALE,
}
