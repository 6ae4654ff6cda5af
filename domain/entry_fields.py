"""The fields keyed for each kind of entry, and their validation.

Fields are a flat mapping from a dotted path (``child.full_name``) to a JSON-native value, so
that events stay plain JSON for decades and second keying can be compared field by field.
Validation normalises what it accepts (names to NFC, dates to their JSON form, sex to its code)
and refuses the rest with the field's path, its Vietnamese label and the rule.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.errors import InvalidValueError
from domain.partial_date import PartialDate
from domain.person_name import PersonName, accent_key
from domain.personal_id import PersonalId
from domain.record_kind import RecordKind
from domain.rules import Code
from domain.sex import Sex

Fields = dict[str, Any]


class FieldType(StrEnum):
    NAME = "name"
    DATE = "date"
    SEX = "sex"
    PERSONAL_ID = "personal_id"
    TEXT = "text"
    LONG_TEXT = "long_text"


@dataclass(frozen=True)
class FieldSpec:
    path: str
    type: FieldType
    label_vi: str
    required: bool = False


def _person(
    prefix: str, label: str, *, sex: bool, id_doc: bool, required_name: bool
) -> list[FieldSpec]:
    specs = [
        FieldSpec(
            f"{prefix}.full_name", FieldType.NAME, f"họ, chữ đệm, tên {label}", required_name
        ),
        FieldSpec(f"{prefix}.birth_date", FieldType.DATE, f"ngày sinh {label}"),
        FieldSpec(f"{prefix}.ethnicity", FieldType.TEXT, f"dân tộc {label}"),
        FieldSpec(f"{prefix}.nationality", FieldType.TEXT, f"quốc tịch {label}"),
        FieldSpec(f"{prefix}.residence", FieldType.TEXT, f"nơi cư trú {label}"),
        FieldSpec(f"{prefix}.personal_id", FieldType.PERSONAL_ID, f"số định danh cá nhân {label}"),
    ]
    if sex:
        specs.append(FieldSpec(f"{prefix}.sex", FieldType.SEX, f"giới tính {label}"))
    if id_doc:
        specs.append(
            FieldSpec(f"{prefix}.id_document", FieldType.TEXT, f"giấy tờ tùy thân {label}")
        )
    return specs


_COMMON = [
    FieldSpec("registration_date", FieldType.DATE, "ngày đăng ký", required=True),
    FieldSpec("registrar", FieldType.TEXT, "cán bộ hộ tịch"),
    FieldSpec("signatory", FieldType.TEXT, "người ký"),
    FieldSpec("notes", FieldType.LONG_TEXT, "ghi chú"),
]
_DECLARANT = [
    FieldSpec("declarant.full_name", FieldType.NAME, "họ tên người đi khai"),
    FieldSpec("declarant.relationship", FieldType.TEXT, "quan hệ với người được khai"),
]

_BIRTH = [
    FieldSpec("child.full_name", FieldType.NAME, "họ, chữ đệm, tên người được khai sinh", True),
    FieldSpec("child.sex", FieldType.SEX, "giới tính", True),
    FieldSpec("child.birth_date", FieldType.DATE, "ngày sinh", True),
    FieldSpec("child.birth_place", FieldType.TEXT, "nơi sinh"),
    FieldSpec("child.ethnicity", FieldType.TEXT, "dân tộc"),
    FieldSpec("child.nationality", FieldType.TEXT, "quốc tịch"),
    FieldSpec("child.home_town", FieldType.TEXT, "quê quán"),
    FieldSpec("child.personal_id", FieldType.PERSONAL_ID, "số định danh cá nhân"),
    *[s for s in _person("mother", "mẹ", sex=False, id_doc=False, required_name=False)],
    *[s for s in _person("father", "cha", sex=False, id_doc=False, required_name=False)],
    *_DECLARANT,
]
_DEATH = [
    *_person("deceased", "người chết", sex=True, id_doc=True, required_name=True),
    FieldSpec("death.date", FieldType.DATE, "ngày chết", True),
    FieldSpec("death.place", FieldType.TEXT, "nơi chết"),
    FieldSpec("death.cause", FieldType.TEXT, "nguyên nhân chết"),
    *_DECLARANT,
    FieldSpec("death_notice.number", FieldType.TEXT, "số giấy báo tử"),
    FieldSpec("death_notice.date", FieldType.DATE, "ngày giấy báo tử"),
]
_MARRIAGE = [
    *_person("husband", "chồng", sex=False, id_doc=True, required_name=True),
    *_person("wife", "vợ", sex=False, id_doc=True, required_name=True),
]
_OTHER = [
    FieldSpec("subject.full_name", FieldType.NAME, "họ tên người được đăng ký", True),
    FieldSpec("subject.sex", FieldType.SEX, "giới tính"),
    FieldSpec("subject.birth_date", FieldType.DATE, "ngày sinh"),
    FieldSpec("subject.personal_id", FieldType.PERSONAL_ID, "số định danh cá nhân"),
    FieldSpec("subject.residence", FieldType.TEXT, "nơi cư trú"),
    FieldSpec("details", FieldType.LONG_TEXT, "nội dung đăng ký", True),
]

_SPECIFIC: dict[RecordKind, list[FieldSpec]] = {
    RecordKind.BIRTH: _BIRTH,
    RecordKind.DEATH: _DEATH,
    RecordKind.MARRIAGE: _MARRIAGE,
}
SCHEMAS: dict[RecordKind, dict[str, FieldSpec]] = {
    kind: {s.path: s for s in [*_COMMON, *_SPECIFIC.get(kind, _OTHER)]} for kind in RecordKind
}

_LABELS = {spec.path: spec.label_vi for schema in SCHEMAS.values() for spec in schema.values()}

# Which field holds the main person's name, for listings and search.
SUBJECT_NAME_FIELD: dict[RecordKind, str] = {
    k: {
        RecordKind.BIRTH: "child.full_name",
        RecordKind.DEATH: "deceased.full_name",
        RecordKind.MARRIAGE: "husband.full_name",
    }.get(k, "subject.full_name")
    for k in RecordKind
}

_TEXT_MAX = 500
_LONG_TEXT_MAX = 4000


def _text(spec: FieldSpec, raw: Any, limit: int) -> str:
    if not isinstance(raw, str):
        raise InvalidValueError(spec.path, Code.TEXT, label_vi=spec.label_vi)
    value = (
        " ".join(unicodedata.normalize("NFC", raw).split())
        if limit == _TEXT_MAX
        else (unicodedata.normalize("NFC", raw).strip())
    )
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in value):
        raise InvalidValueError(spec.path, Code.CONTROL_CHARACTERS, label_vi=spec.label_vi)
    if len(value) > limit:
        raise InvalidValueError(spec.path, Code.MAX_CHARACTERS, label_vi=spec.label_vi, limit=limit)
    return value


def _normalise(spec: FieldSpec, raw: Any) -> Any:
    """Normalise one value; errors carry the field's own path and Vietnamese label."""
    try:
        return _normalise_value(spec, raw)
    except InvalidValueError as e:
        if e.field == spec.path and e.label_vi == spec.label_vi:
            raise
        raise e.for_field(spec.path, label_vi=spec.label_vi) from None


def _normalise_value(spec: FieldSpec, raw: Any) -> Any:
    if spec.type is FieldType.NAME:
        if not isinstance(raw, str):
            raise InvalidValueError(spec.path, Code.TEXT, label_vi=spec.label_vi)
        return PersonName.parse(raw, field=spec.path).full
    if spec.type is FieldType.DATE:
        if isinstance(raw, Mapping):
            return PartialDate.from_json(dict(raw), field=spec.path).to_json()
        if isinstance(raw, str):  # a date as the book wrote it; a number is not one
            return PartialDate.parse(raw, field=spec.path).to_json()
        raise InvalidValueError(spec.path, Code.DATE_SUCH_AS, label_vi=spec.label_vi)
    if spec.type is FieldType.SEX:
        if not isinstance(raw, str):
            raise InvalidValueError(spec.path, Code.MALE_OR_FEMALE, label_vi=spec.label_vi)
        return Sex.parse(raw, field=spec.path).value
    if spec.type is FieldType.PERSONAL_ID:
        if not isinstance(raw, str):
            raise InvalidValueError(spec.path, Code.PERSONAL_ID_TEXT, label_vi=spec.label_vi)
        return PersonalId.parse(raw, field=spec.path).value
    return _text(spec, raw, _LONG_TEXT_MAX if spec.type is FieldType.LONG_TEXT else _TEXT_MAX)


def _not_a_field(kind: RecordKind, path: str) -> InvalidValueError:
    return InvalidValueError(path, Code.NOT_A_FIELD, kind=kind.value, kind_vi=kind.label_vi)


def _is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def normalise_field(kind: RecordKind, path: str, raw: Any) -> Any:
    """One field's normalised value (None when blank), without rules that span fields."""
    spec = SCHEMAS[kind].get(path)
    if spec is None:
        raise _not_a_field(kind, path)
    if _is_blank(raw):
        if spec.required:
            raise InvalidValueError(path, Code.REQUIRED, label_vi=spec.label_vi)
        return None
    return _normalise(spec, raw)


def validate_fields(kind: RecordKind, raw: Mapping[str, Any]) -> Fields:
    """Return the normalised fields of an entry of ``kind``, or raise InvalidValueError."""
    schema = SCHEMAS[kind]
    fields: Fields = {}
    for path, value in raw.items():
        spec = schema.get(path)
        if spec is None:
            raise _not_a_field(kind, path)
        if not _is_blank(value):
            fields[path] = _normalise(spec, value)
    for spec in schema.values():
        if spec.required and spec.path not in fields:
            raise InvalidValueError(spec.path, Code.REQUIRED, label_vi=spec.label_vi)
    _check_cross_field_rules(kind, fields)
    return {path: fields[path] for path in sorted(fields)}


def _date(fields: Fields, path: str) -> PartialDate | None:
    value = fields.get(path)
    return PartialDate.from_json(value, field=path) if value is not None else None


def _check_not_before(fields: Fields, later: str, earlier: str, label_vi: str) -> None:
    late, early = _date(fields, later), _date(fields, earlier)
    if late is not None and early is not None and late.is_certainly_before(early):
        raise InvalidValueError(later, Code.NOT_BEFORE, label_vi=label_vi, other=earlier)


def _check_person_id(fields: Fields, prefix: str, default_sex: str | None = None) -> None:
    pid = fields.get(f"{prefix}.personal_id")
    if pid is None:
        return
    sex_code = fields.get(f"{prefix}.sex", default_sex)
    birth = _date(fields, f"{prefix}.birth_date")
    path = f"{prefix}.personal_id"
    try:
        PersonalId(pid).check_against(
            sex=Sex(sex_code) if sex_code else None,
            birth_year=birth.year if birth is not None and not birth.lunar else None,
            field=path,
        )
    except InvalidValueError as e:
        raise e.for_field(path, label_vi=_LABELS[path]) from None


def _check_cross_field_rules(kind: RecordKind, fields: Fields) -> None:
    if kind is RecordKind.BIRTH:
        _check_not_before(fields, "registration_date", "child.birth_date", "ngày đăng ký")
        _check_person_id(fields, "child")
        _check_person_id(fields, "mother", "female")
        _check_person_id(fields, "father", "male")
    elif kind is RecordKind.DEATH:
        _check_not_before(fields, "death.date", "deceased.birth_date", "ngày chết")
        _check_not_before(fields, "registration_date", "death.date", "ngày đăng ký")
        _check_person_id(fields, "deceased")
    elif kind is RecordKind.MARRIAGE:
        _check_person_id(fields, "husband", "male")
        _check_person_id(fields, "wife", "female")
    else:
        _check_person_id(fields, "subject")


def same_value(spec_type: FieldType, a: Any, b: Any) -> bool:
    """Whether two normalised values say the same thing (names ignore tone-mark placement)."""
    if spec_type is FieldType.NAME and isinstance(a, str) and isinstance(b, str):
        return accent_key(a) == accent_key(b)
    return bool(a == b)


def compare_fields(kind: RecordKind, first: Fields, second: Fields) -> list[dict[str, Any]]:
    """Field-by-field comparison of two keyings: one discrepancy per differing field."""
    schema = SCHEMAS[kind]
    discrepancies = []
    for path in sorted(set(first) | set(second)):
        a, b = first.get(path), second.get(path)
        if not same_value(schema[path].type, a, b):
            discrepancies.append({"field": path, "first": a, "second": b})
    return discrepancies
