"""The SQL of the read stores, written once for SQLite and translated here for PostgreSQL.

Views write SQLite's SQL where it is also PostgreSQL's (``INSERT ... ON CONFLICT``, ``||``,
``CASE``); what differs is translated by the PostgreSQL read database, in this module only:

* placeholders: ``?`` becomes ``%s``, ``:name`` becomes ``%(name)s`` (not in quoted strings
  and identifiers), and every ``%`` is doubled (statements always go with parameters);
* ``instr(haystack, needle)`` becomes ``strpos(haystack, needle)`` (both 1-based, 0: absent);
* in a schema, ``INTEGER`` becomes ``BIGINT`` (positions are Kafka offsets and log ids, and one
  integer type keeps every column alike), ``TEXT`` compares by code point as SQLite's does
  (``COLLATE "C"``: ordering and the folded-name prefix range, whose upper bound is U+10FFFF, do
  not depend on the database's locale), and ``WITHOUT ROWID`` is dropped.

What the drivers return differently (``SUM`` of a ``BIGINT`` is a ``numeric``, booleans) is
settled by the adapters of infra/read_store/database.py.
"""

from __future__ import annotations

import re
from functools import lru_cache

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INSTR = re.compile(r"\binstr\s*\(", re.IGNORECASE)
_INTEGER = re.compile(r"\bINTEGER\b", re.IGNORECASE)
_TEXT = re.compile(r"\bTEXT\b", re.IGNORECASE)
_WITHOUT_ROWID = re.compile(r"\s*\bWITHOUT\s+ROWID\b", re.IGNORECASE)


def _outside_quotes(sql: str) -> list[tuple[bool, str]]:
    """``sql`` cut into (is_code, text) pieces; quoted strings and identifiers are not code."""
    pieces: list[tuple[bool, str]] = []
    start = i = 0
    while i < len(sql):
        quote = sql[i]
        if quote in "'\"":
            end = i + 1
            while True:  # a doubled quote inside is the quote itself
                end = sql.find(quote, end)
                if end < 0:
                    raise ValueError(f"unterminated {quote} in SQL: {sql!r}")
                if sql.startswith(quote * 2, end):
                    end += 2
                    continue
                break
            pieces.append((True, sql[start:i]))
            pieces.append((False, sql[i : end + 1]))
            start = i = end + 1
        else:
            i += 1
    pieces.append((True, sql[start:]))
    return [(code, text) for code, text in pieces if text]


def _placeholders(code: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(code):
        char = code[i]
        if char == "%":
            out.append("%%")
        elif char == "?":
            out.append("%s")
        elif char == ":" and code.startswith("::", i):
            out.append("::")  # a PostgreSQL cast
            i += 1
        elif char == ":" and (match := _NAME.match(code, i + 1)):
            out.append(f"%({match.group()})s")
            i = match.end() - 1
        else:
            out.append(char)
        i += 1
    return "".join(out)


@lru_cache(maxsize=1024)
def postgres_statement(sql: str) -> bytes:
    """One statement for psycopg (as bytes: psycopg wants a literal or bytes)."""
    return "".join(
        _placeholders(_INSTR.sub("strpos(", text)) if code else text.replace("%", "%%")
        for code, text in _outside_quotes(sql)
    ).encode()


def postgres_schema(ddl: str) -> list[str]:
    """The statements of a SQLite schema script, for PostgreSQL (no placeholders in a schema)."""
    statements = []
    for statement in ddl.split(";"):
        if not statement.strip():
            continue
        translated = "".join(
            _TEXT.sub('TEXT COLLATE "C"', _INTEGER.sub("BIGINT", _WITHOUT_ROWID.sub("", text)))
            if code
            else text
            for code, text in _outside_quotes(statement)
        )
        statements.append(translated.strip())
    return statements
