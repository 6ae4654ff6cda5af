"""The catalogue of rules: every rule hotich refuses something by, with its words.

A refusal carries a :class:`Code` and named parameters; its words come from here, in English
(the text errors and the API have always given) and in Vietnamese, by ``str.format`` over the
parameters::

    render(Code.MAX_CHARACTERS, {"limit": 500}, "vi")  ->  "tối đa 500 ký tự"

Each rule declares its parameters with an example value (``example``), which the tests use to
render every template in both languages. Some parameters name something a presenter shows in
its own words (:class:`Term`: a field path shown as its label, an entry status by its name, ...);
:func:`render` hands those to the caller's ``name`` function, and shows them as they are
without one (the English text is made that way).

An unknown code is a programming error (ValueError), and so are parameters other than the
rule's when an error is built (TypeError, from :func:`check_params`): never a message.
"""

from __future__ import annotations

from collections.abc import Mapping

from domain.rules.codes import LANGS, Code, Lang, Namer, Rule, Term
from domain.rules.delivery import DELIVERY_RULES
from domain.rules.signatures import SIGNATURE_RULES
from domain.rules.values import VALUE_RULES
from domain.rules.workflow import WORKFLOW_RULES

CATALOGUE: dict[Code, Rule] = {
    **VALUE_RULES,
    **WORKFLOW_RULES,
    **SIGNATURE_RULES,
    **DELIVERY_RULES,
}


def rule_of(code: str) -> Rule:
    """The catalogue's rule for ``code``; ValueError for a code that is not one."""
    return CATALOGUE[Code(code)]


def check_params(code: str, params: Mapping[str, object]) -> dict[str, object]:
    """``params`` as a dict, once they are exactly the rule's; TypeError otherwise."""
    declared = rule_of(code).example.keys()
    if params.keys() != declared:
        raise TypeError(f"rule {code} takes {sorted(declared)}, got {sorted(params)}")
    return dict(params)


def render(
    code: str, params: Mapping[str, object], lang: Lang = "en", *, name: Namer | None = None
) -> str:
    """The rule's words in ``lang``; ``name`` words the parameters that are terms."""
    rule = rule_of(code)
    values = dict(params)
    for key, term in rule.terms.items():
        values[key] = _term(term, values[key], name)
    return rule.template(lang).format_map(values)


def _term(term: Term, value: object, name: Namer | None) -> object:
    if isinstance(value, list | tuple):
        return ", ".join(str(_term(term, item, name)) for item in value)
    return name(term, str(value)) if name is not None else value


__all__ = [
    "CATALOGUE",
    "LANGS",
    "Code",
    "Lang",
    "Namer",
    "Rule",
    "Term",
    "check_params",
    "render",
    "rule_of",
]
