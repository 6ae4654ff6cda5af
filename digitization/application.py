"""Digitisation: the service layer; one method per use case of clerks, verifiers and admins.

The use cases are grouped by what they act on, each group a module of its own: books
(``registers``), scanned pages (``scans``), entries (``entries``) and the plan (``plan``);
``service`` holds what they share (the event store, loading and saving, who may act where).
"""

from __future__ import annotations

from digitization.entries import EntryCases
from digitization.extracts import ExtractCases
from digitization.intake import Declared, ScanIntake, scan_key
from digitization.media import ScanLimits
from digitization.plan import PlanCases
from digitization.registers import RegisterCases
from digitization.scans import (
    FixityReport,
    IncomingScan,
    PageLink,
    PageUpload,
    ScanCases,
)


class Digitisation(RegisterCases, ScanCases, EntryCases, PlanCases, ExtractCases):
    """Catalogue books, upload pages, key, check, verify, correct and publish entries, keep
    the plan, and issue signed extracts of published entries."""


__all__ = [
    "Declared",
    "Digitisation",
    "FixityReport",
    "IncomingScan",
    "PageLink",
    "PageUpload",
    "ScanIntake",
    "ScanLimits",
    "scan_key",
]
