"""Personal ID number (số định danh cá nhân): 12 digits that encode birth province, sex and year.

Layout: digits 1-3 province code of birth registration, digit 4 century and sex,
digits 5-6 last two digits of the birth year, digits 7-12 serial.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import InvalidValueError
from domain.rules import Code
from domain.sex import Sex

LABEL_VI = "số định danh cá nhân"

# Province codes of birth registration run from 001 to 096 (the real list has gaps).
MIN_PROVINCE_CODE = 1
MAX_PROVINCE_CODE = 96

# Digit 4 -> (first year of the century, sex). Even digits are male, odd ones female.
_CENTURY_SEX: dict[str, tuple[int, Sex]] = {
    "0": (1900, Sex.MALE),
    "1": (1900, Sex.FEMALE),
    "2": (2000, Sex.MALE),
    "3": (2000, Sex.FEMALE),
    "4": (2100, Sex.MALE),
    "5": (2100, Sex.FEMALE),
    "6": (2200, Sex.MALE),
    "7": (2200, Sex.FEMALE),
    "8": (1800, Sex.MALE),
    "9": (1800, Sex.FEMALE),
}

# Inverse of the table above, used to build IDs.
_DIGIT_FOR: dict[tuple[int, Sex], str] = {v: k for k, v in _CENTURY_SEX.items()}


def _check_format(value: str, field: str) -> None:
    """Raise unless ``value`` is 12 ASCII digits with a valid province code."""
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        raise InvalidValueError(field, Code.PERSONAL_ID_DIGITS, label_vi=LABEL_VI, value=value)
    province = int(value[:3])
    if not MIN_PROVINCE_CODE <= province <= MAX_PROVINCE_CODE:
        raise InvalidValueError(field, Code.PERSONAL_ID_PROVINCE, label_vi=LABEL_VI, code=value[:3])


@dataclass(frozen=True, slots=True)
class PersonalId:
    """A well-formed 12-digit personal ID; ``value`` holds exactly the digits."""

    value: str

    def __post_init__(self) -> None:
        _check_format(self.value, "personal_id")

    @classmethod
    def parse(
        cls,
        raw: str,
        *,
        sex: Sex | None = None,
        birth_year: int | None = None,
        field: str = "personal_id",
    ) -> PersonalId:
        """Read an ID (spaces anywhere are ignored) and check it against sex and birth year."""
        if not isinstance(raw, str):
            raise InvalidValueError(field, Code.TEXT, label_vi=LABEL_VI)
        value = "".join(raw.split())
        _check_format(value, field)
        pid = cls(value)
        pid.check_against(sex=sex, birth_year=birth_year, field=field)
        return pid

    @classmethod
    def build(cls, *, province_code: int, sex: Sex, birth_year: int, serial: int) -> PersonalId:
        """Compose an ID from its parts (used by tests and demo data)."""
        century = birth_year - birth_year % 100
        digit = _DIGIT_FOR.get((century, sex))
        if digit is None:
            raise InvalidValueError(
                "birth_year", Code.BETWEEN, label_vi="năm sinh", low=1800, high=2299
            )
        if not 0 <= serial <= 999_999:
            raise InvalidValueError("serial", Code.BETWEEN, label_vi=LABEL_VI, low=0, high=999_999)
        return cls(f"{province_code:03d}{digit}{birth_year % 100:02d}{serial:06d}")

    @property
    def province_code(self) -> str:
        """Digits 1-3: province code of birth registration, e.g. "002"."""
        return self.value[:3]

    @property
    def sex(self) -> Sex:
        """Sex encoded by digit 4."""
        return _CENTURY_SEX[self.value[3]][1]

    @property
    def birth_year(self) -> int:
        """Birth year from digit 4 (century) and digits 5-6."""
        return _CENTURY_SEX[self.value[3]][0] + int(self.value[4:6])

    @property
    def serial(self) -> str:
        """Digits 7-12."""
        return self.value[6:]

    def check_against(
        self,
        *,
        sex: Sex | None = None,
        birth_year: int | None = None,
        field: str = "personal_id",
    ) -> None:
        """Raise if the ID contradicts the given sex or birth year (None skips a check)."""
        if sex is not None and sex != self.sex:
            raise InvalidValueError(
                field, Code.PERSONAL_ID_SEX, label_vi=LABEL_VI, id_sex=self.sex.value, sex=sex.value
            )
        if birth_year is not None and birth_year != self.birth_year:
            century = _CENTURY_SEX[self.value[3]][0]
            if birth_year - birth_year % 100 != century:
                raise InvalidValueError(
                    field,
                    Code.PERSONAL_ID_CENTURY,
                    label_vi=LABEL_VI,
                    first=century,
                    last=century + 99,
                    year=birth_year,
                )
            raise InvalidValueError(
                field,
                Code.PERSONAL_ID_YEAR,
                label_vi=LABEL_VI,
                id_year=self.birth_year,
                year=birth_year,
            )

    def __str__(self) -> str:
        return self.value
