"""The words of the web pages in Vietnamese (first) and English, and refusals worded in the
page's language.

``Translator(lang)`` is handed to every template as ``t``: ``t("signin.title")``,
``t("entry.saved", number=12)``, from the catalogue in :mod:`api.web.messages`. A key missing
from the catalogue is a bug (KeyError), caught by the tests that render every page in both
languages. Field labels come from the domain's schemas (``label_vi``) with English labels built
here. A refusal is worded from its rule's code and parameters (:mod:`domain.rules`); in
Vietnamese the parameters that name a field, a status, a kind, a sex or an administrative level
are shown by their Vietnamese names, in English as the API gives them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from api.web.messages import message
from digitization.errors import NotFoundError, VersionConflictError
from domain.entry_fields import SCHEMAS
from domain.errors import DomainError, InvalidValueError, PageConflictError, RuleViolationError
from domain.record_kind import RecordKind
from domain.rules import Term, render
from domain.sex import Sex
from projections.progress_assessment import Headline

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"

_PERSON_EN = {
    "child": "child",
    "mother": "mother",
    "father": "father",
    "deceased": "deceased",
    "husband": "husband",
    "wife": "wife",
    "declarant": "declarant",
    "subject": "person registered",
    "death": "death",
    "death_notice": "death notice",
}
_LEAF_EN = {
    "full_name": "full name",
    "sex": "sex",
    "birth_date": "date of birth",
    "birth_place": "place of birth",
    "ethnicity": "ethnicity",
    "nationality": "nationality",
    "home_town": "home town",
    "personal_id": "personal ID",
    "residence": "residence",
    "id_document": "ID document",
    "relationship": "relationship",
    "date": "date",
    "place": "place",
    "cause": "cause",
    "number": "number",
    "registration_date": "registration date",
    "registrar": "registrar",
    "signatory": "signatory",
    "notes": "notes",
    "details": "details",
    "entry_number": "entry number",
    "pages": "pages",
    "reason": "reason",
}
_OTHER_LABELS_VI = {
    "entry_number": "số",
    "pages": "trang",
    "reason": "lý do",
    "files": "tệp",
    "rescan_reason": "lý do quét lại",
    "year_from": "từ năm",
    "since": "thời điểm bắt đầu (since)",
}


def english_label(path: str) -> str:
    """An English label for a field path: "mother.birth_date" -> "mother: date of birth"."""
    head, _, leaf = path.rpartition(".")
    leaf = _LEAF_EN.get(leaf, leaf.replace("_", " "))
    return f"{_PERSON_EN.get(head, head.replace('_', ' '))}: {leaf}" if head else leaf


def vietnamese_label(path: str) -> str:
    for schema in SCHEMAS.values():
        if path in schema:
            return schema[path].label_vi
    return _OTHER_LABELS_VI.get(path.split("[", 1)[0], path)


def negotiate(requested: str | None, cookie: str | None) -> str:
    """The page's language: ``?lang=``, then the language cookie, then Vietnamese."""
    for lang in (requested, cookie):
        if lang in LANGS:
            return lang
    return DEFAULT_LANG


@dataclass(frozen=True)
class Translator:
    lang: str = DEFAULT_LANG

    @property
    def other(self) -> str:
        return "en" if self.lang == "vi" else "vi"

    def __call__(self, key: str, **values: object) -> str:
        return message(key, self.lang, **values)

    def label(self, path: str) -> str:
        label = vietnamese_label(path) if self.lang == "vi" else english_label(path)
        return label[:1].upper() + label[1:]

    def kind(self, kind: str) -> str:
        record_kind = RecordKind(kind)
        return record_kind.label_vi if self.lang == "vi" else record_kind.value.replace("_", " ")

    def role(self, role: str) -> str:
        return self(f"role.{role}")

    def entry_status(self, status: str) -> str:
        return self(f"entry_status.{status}")

    def plan_status(self, status: str) -> str:
        return self(f"status.{status}")

    def stage(self, stage: str) -> str:
        return self(f"stage.{stage}")

    def headline(self, headline: Headline) -> str:
        """The province's headline ("2/11 huyện đã hoàn thành; ...") from its figures."""
        return self(headline.code, **headline.params)

    def rule(self, code: str, params: Mapping[str, object] | None = None) -> str:
        """A rule in this language, from its code and parameters."""
        values = dict(params or {})
        if self.lang == "vi":
            return render(code, values, "vi", name=self._vietnamese)
        return render(code, values, "en")

    def field_error(self, error: InvalidValueError) -> str:
        """ "Ngày sinh (child.birth_date): phải là ngày như …" — the field and the rule."""
        label = self.label(error.field)
        if self.lang == "vi" and error.label_vi:
            label = error.label_vi[:1].upper() + error.label_vi[1:]
        rule = self.rule(error.code, error.params)
        return self("err.field", label=label, field=error.field, rule=rule)

    def error(self, error: DomainError) -> str:
        """Any refusal of the use cases, in this language."""
        if isinstance(error, InvalidValueError):
            return self.field_error(error)
        if isinstance(error, NotFoundError):
            return self("err.not_found", what=error.what)
        if isinstance(error, VersionConflictError):
            return self("err.version")
        if not isinstance(error, RuleViolationError):
            return self("err.other", detail=error.message)
        text = self.rule(error.code, error.params)
        return (
            self("err.page_conflict", detail=text) if isinstance(error, PageConflictError) else text
        )

    def _vietnamese(self, term: Term, value: str) -> str:
        """A rule's parameter that names something, by its Vietnamese name."""
        if term is Term.FIELD:
            return vietnamese_label(value)
        if term is Term.ENTRY_STATUS:
            return self.entry_status(value)
        if term is Term.RECORD_KIND:
            return RecordKind(value).label_vi
        if term is Term.SEX:
            return Sex(value).label_vi
        return self(f"admin_level.{value}")
