"""The page numbers of an upload's files: given in file order, or read from the files' names."""

from __future__ import annotations

import re
from collections.abc import Sequence

from domain.errors import InvalidValueError
from domain.numbers import small_number
from domain.rules import Code

_DIGITS = re.compile(r"([0-9]+)")


def page_number_from_label(label: str) -> int | None:
    """The last run of digits in the file name's stem: '0012.tif' and 'trang-12.jpg' give 12."""
    stem = label.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0]
    runs = _DIGITS.findall(stem)
    return small_number(runs[-1]) if runs else None


def page_number(given: str | None, files: int, index: int, label: str) -> int:
    """The page of the ``index``-th of ``files`` files: from ``given`` (numbers in file
    order, by spaces or commas), else from the file's name."""
    numbers_given = (given or "").replace(",", " ").split()
    if not numbers_given:
        number = page_number_from_label(label)
        if number is None:
            raise InvalidValueError("pages", Code.PAGE_NUMBER_UNKNOWN, label=label)
        return number
    if len(numbers_given) != files:
        raise InvalidValueError(
            "pages", Code.PAGE_NUMBERS_COUNT, given=len(numbers_given), files=files
        )
    number = small_number(numbers_given[index])
    if number is None:
        raise InvalidValueError("pages", Code.NOT_A_PAGE_NUMBER, text=numbers_given[index])
    return number


def page_numbers(given: str | None, labels: Sequence[str]) -> list[int]:
    """The page of each file (see ``page_number``); no page twice."""
    numbers = [page_number(given, len(labels), i, label) for i, label in enumerate(labels)]
    if len(set(numbers)) != len(numbers):
        raise InvalidValueError("pages", Code.PAGE_TWICE)
    return numbers
