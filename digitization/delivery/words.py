"""A refusal in Vietnamese, for the cells of an annotated workbook: the field's label, then the
rule's words from the catalogue (domain/rules), its terms named in Vietnamese."""

from __future__ import annotations

from domain.entry_fields import SCHEMAS
from domain.errors import DomainError, InvalidValueError
from domain.record_kind import RecordKind
from domain.rules import Namer, Term, render
from domain.sex import Sex

_SOURCES_VI = {"entry.number": "số", "entry.pages": "trang", "pdfs": "tệp PDF"}


def _namer(kind: RecordKind) -> Namer:
    def name(term: Term, value: str) -> str:
        if term is Term.FIELD:
            spec = SCHEMAS[kind].get(value)
            return spec.label_vi if spec is not None else value
        if term is Term.RECORD_KIND:
            return RecordKind(value).label_vi
        if term is Term.SEX and value in {s.value for s in Sex}:
            return Sex(value).label_vi
        return value

    return name


def vietnamese(error: Exception, kind: RecordKind) -> str:
    """``error``'s rule in Vietnamese, after the label of the field it names."""
    code = getattr(error, "code", None)
    params = getattr(error, "params", {})
    if code is None:
        return str(error)
    text = render(code, params, "vi", name=_namer(kind))
    if isinstance(error, InvalidValueError):
        spec = SCHEMAS[kind].get(error.field.removeprefix("field:"))
        label = error.label_vi or (spec.label_vi if spec else _SOURCES_VI.get(error.field))
        if label:
            return f"{label[:1].upper()}{label[1:]}: {text}"
    elif isinstance(error, DomainError):
        return text
    field = getattr(error, "field", None)
    return f"{field}: {text}" if field else text
