"""Kinds of civil-status act kept in the books (loại việc hộ tịch)."""

from __future__ import annotations

from enum import StrEnum

from domain.errors import InvalidValueError
from domain.person_name import fold
from domain.rules import Code

LABEL_VI = "loại việc hộ tịch"


class RecordKind(StrEnum):
    """Kind of registration act; values are English, labels Vietnamese."""

    BIRTH = "birth"
    DEATH = "death"
    MARRIAGE = "marriage"
    MARITAL_STATUS = "marital_status"
    PARENT_CHILD_RECOGNITION = "parent_child_recognition"
    GUARDIANSHIP = "guardianship"
    CIVIL_STATUS_CHANGE = "civil_status_change"
    ADOPTION = "adoption"

    @property
    def label_vi(self) -> str:
        """Vietnamese name of the act, e.g. "khai sinh"."""
        return _LABELS[self]

    @classmethod
    def parse(cls, raw: str, *, field: str = "kind") -> RecordKind:
        """Read a kind from its value ("birth") or Vietnamese label ("khai sinh", "khai tu")."""
        if not isinstance(raw, str):
            raise InvalidValueError(field, Code.TEXT, label_vi=LABEL_VI)
        key = fold(raw)
        kind = _BY_KEY.get(key) or _BY_KEY.get(key.replace("-", "_").replace(" ", "_"))
        if kind is None:
            allowed = ", ".join(k.value for k in cls)
            raise InvalidValueError(
                field, Code.RECORD_KIND_ONE_OF, label_vi=LABEL_VI, allowed=allowed, value=raw
            )
        return kind


_LABELS: dict[RecordKind, str] = {
    RecordKind.BIRTH: "khai sinh",
    RecordKind.DEATH: "khai tử",
    RecordKind.MARRIAGE: "kết hôn",
    RecordKind.MARITAL_STATUS: "xác nhận tình trạng hôn nhân",
    RecordKind.PARENT_CHILD_RECOGNITION: "nhận cha, mẹ, con",
    RecordKind.GUARDIANSHIP: "giám hộ",
    RecordKind.CIVIL_STATUS_CHANGE: "thay đổi, cải chính, bổ sung hộ tịch",
    RecordKind.ADOPTION: "nuôi con nuôi",
}

# Folded values and folded Vietnamese labels -> kind.
_BY_KEY: dict[str, RecordKind] = {
    **{kind.value: kind for kind in RecordKind},
    **{fold(label): kind for kind, label in _LABELS.items()},
}
