"""Every rule's code, what a parameter may name (:class:`Term`), and a rule's words
(:class:`Rule`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

Lang = Literal["en", "vi"]
LANGS: tuple[Lang, ...] = ("en", "vi")


class Term(StrEnum):
    """What a parameter names, for presenters that show it in their own words."""

    FIELD = "field"  # a field path ("child.birth_date"), shown as the field's label
    ENTRY_STATUS = "entry_status"  # an entry status ("published")
    RECORD_KIND = "record_kind"  # a kind of act ("birth")
    SEX = "sex"  # "male" or "female"
    ADMIN_LEVEL = "admin_level"  # "province", "district" or "commune"


# (term, value) -> the words for value; values that are lists are named one by one.
Namer = Callable[[Term, str], str]


class Code(StrEnum):
    """Every rule's code. Workflow rules keep the codes the API has always given as ``rule``."""

    # values of any field
    REQUIRED = "required"
    TEXT = "text"
    NOT_EMPTY = "not_empty"
    OBJECT = "object"
    INTEGER = "integer"
    POSITIVE_INTEGER = "positive_integer"
    NON_NEGATIVE_INTEGER = "non_negative_integer"
    BETWEEN = "between"
    AT_MOST = "at_most"
    LENGTH_BETWEEN = "length_between"
    MAX_CHARACTERS = "max_characters"
    MAX_CHARACTERS_GOT = "max_characters_got"
    CONTROL_CHARACTERS = "control_characters"
    LETTER_REQUIRED = "letter_required"
    NOT_BEFORE = "not_before"
    ISO_DATE = "iso_date"
    # partial dates
    DATE_FORMAT = "date_format"
    DATE_SUCH_AS = "date_such_as"
    DATE_UNKNOWN_KEYS = "date_unknown_keys"
    YEAR_REQUIRED = "year_required"
    LUNAR_BOOLEAN = "lunar_boolean"
    LEAP_MONTH_BOOLEAN = "leap_month_boolean"
    YEAR_WHOLE_NUMBER = "year_whole_number"
    YEAR_BETWEEN = "year_between"
    DAY_NEEDS_MONTH = "day_needs_month"
    LEAP_MONTH_NEEDS_MONTH = "leap_month_needs_month"
    MONTH_WHOLE_NUMBER = "month_whole_number"
    MONTH_BETWEEN = "month_between"
    LEAP_MONTH_LUNAR_ONLY = "leap_month_lunar_only"
    DAY_WHOLE_NUMBER = "day_whole_number"
    LUNAR_DAY_BETWEEN = "lunar_day_between"
    DAY_BETWEEN = "day_between"
    LUNAR_NO_SOLAR_RANGE = "lunar_no_solar_range"
    # names, sex, kinds, personal ids
    NAME_DIGITS = "name_digits"
    NAME_CONTROL_CHARACTERS = "name_control_characters"
    NAME_CHARACTERS = "name_characters"
    NAME_NOT_CANONICAL = "name_not_canonical"
    MALE_OR_FEMALE = "male_or_female"
    SEX_ONE_OF = "sex_one_of"
    RECORD_KIND_ONE_OF = "record_kind_one_of"
    PERSONAL_ID_TEXT = "personal_id_text"
    PERSONAL_ID_DIGITS = "personal_id_digits"
    PERSONAL_ID_PROVINCE = "personal_id_province"
    PERSONAL_ID_SEX = "personal_id_sex"
    PERSONAL_ID_CENTURY = "personal_id_century"
    PERSONAL_ID_YEAR = "personal_id_year"
    # entries
    PAGES_REQUIRED = "pages_required"
    PAGE_NUMBERS_POSITIVE = "page_numbers_positive"
    NOT_A_FIELD = "not_a_field"
    NOT_A_FIELD_OF_KIND = "not_a_field_of_kind"
    RESOLUTIONS_REQUIRED = "resolutions_required"
    NO_DISCREPANCY = "no_discrepancy"
    CHANGES_REQUIRED = "changes_required"
    CHANGES_CHANGE_NOTHING = "changes_change_nothing"
    # books and their scans
    BOOK_SPAN = "book_span"
    PAGE_OUTSIDE_BOOK = "page_outside_book"
    SHA256_FORMAT = "sha256_format"
    NO_SCAN_TO_REPLACE = "no_scan_to_replace"
    REQUIRED_TO_RESCAN = "required_to_rescan"
    FIXITY_OUTCOME = "fixity_outcome"
    # the plan
    NO_TARGET = "no_target"
    ALREADY_COMPLETE = "already_complete"
    # administrative units (the CSV file's line, or the unit when there are no lines)
    ADMIN_FILE_EMPTY = "admin_file_empty"
    ADMIN_HEADER = "admin_header"
    ADMIN_ROW_COLUMNS = "admin_row_columns"
    ADMIN_LEVEL_UNKNOWN = "admin_level_unknown"
    ADMIN_CODE_DIGITS = "admin_code_digits"
    ADMIN_NAME_EMPTY = "admin_name_empty"
    ADMIN_PROVINCE_PARENT_GIVEN = "admin_province_parent_given"
    ADMIN_PARENT_MISSING = "admin_parent_missing"
    ADMIN_CODE_ON_TWO_LINES = "admin_code_on_two_lines"
    ADMIN_SECOND_PROVINCE = "admin_second_province"
    ADMIN_NO_PROVINCE_ROW = "admin_no_province_row"
    ADMIN_CODE_TWICE = "admin_code_twice"
    ADMIN_CODE_TWICE_ON_LINE = "admin_code_twice_on_line"
    ADMIN_PROVINCE_HAS_PARENT = "admin_province_has_parent"
    ADMIN_PROVINCE_HAS_PARENT_ON_LINE = "admin_province_has_parent_on_line"
    ADMIN_PARENT_UNKNOWN = "admin_parent_unknown"
    ADMIN_PARENT_UNKNOWN_ON_LINE = "admin_parent_unknown_on_line"
    ADMIN_PARENT_LEVEL = "admin_parent_level"
    ADMIN_PARENT_LEVEL_ON_LINE = "admin_parent_level_on_line"
    ADMIN_NO_PROVINCE = "admin_no_province"
    ADMIN_PROVINCES = "admin_provinces"
    ADMIN_UNIT_UNKNOWN = "admin_unit_unknown"
    ADMIN_UNIT_LEVEL = "admin_unit_level"
    # the workflow (RuleViolationError and its subclasses)
    FOUR_EYES = "four_eyes"
    ROLE_MAY_NOT = "role_may_not"
    LINK_INVALID = "link_invalid"
    DISTRICT_NOT_WORKED = "district_not_worked"
    SECOND_KEYING_BY_OTHER_PERSON = "second_keying_by_other_person"
    ALREADY_RECONCILED = "already_reconciled"
    PUBLISH_ONLY_VERIFIED = "publish_only_verified"
    REKEY_NOT_ALLOWED_IN_STATE = "rekey_not_allowed_in_state"
    SECOND_KEY_NOT_ALLOWED_IN_STATE = "second-key_not_allowed_in_state"
    RECONCILE_NOT_ALLOWED_IN_STATE = "reconcile_not_allowed_in_state"
    VERIFY_NOT_ALLOWED_IN_STATE = "verify_not_allowed_in_state"
    REJECT_NOT_ALLOWED_IN_STATE = "reject_not_allowed_in_state"
    CORRECT_NOT_ALLOWED_IN_STATE = "correct_not_allowed_in_state"
    SAME_BYTES_OTHER_PAGE = "same_bytes_other_page"
    PAGE_ALREADY_SCANNED = "page_already_scanned"
    REGISTER_UNIQUE = "register_unique"
    ENTRY_NUMBER_UNIQUE = "entry_number_unique"
    # scans and uploads (digitization/media.py, api/uploads.py, api/routes/pages.py)
    SCAN_EMPTY = "scan_empty"
    SCAN_NOT_ACCEPTED = "scan_not_accepted"
    SCAN_HEADER_DAMAGED = "scan_header_damaged"
    SCAN_FORMAT_MISMATCH = "scan_format_mismatch"
    SCAN_NO_PIXELS = "scan_no_pixels"
    SCAN_TOO_MANY_PIXELS = "scan_too_many_pixels"
    SCAN_PAGE_TOO_MANY_PIXELS = "scan_page_too_many_pixels"
    PDF_HEADER = "pdf_header"
    PDF_TRUNCATED = "pdf_truncated"
    SCAN_NOT_STREAMABLE = "scan_not_streamable"
    DECLARED_SIZE_MISMATCH = "declared_size_mismatch"
    DECLARED_DIGEST_MISMATCH = "declared_digest_mismatch"
    MANIFEST_INVALID = "manifest_invalid"
    MANIFEST_COUNT = "manifest_count"
    FIELD_AFTER_FILES = "field_after_files"
    UPLOAD_TOO_LARGE = "upload_too_large"
    MULTIPART_REQUIRED = "multipart_required"
    MULTIPART_INVALID = "multipart_invalid"
    TOO_MANY_FILES = "too_many_files"
    FORM_FIELD_TOO_LARGE = "form_field_too_large"
    FILES_REQUIRED = "files_required"
    PAGE_NUMBERS_COUNT = "page_numbers_count"
    NOT_A_PAGE_NUMBER = "not_a_page_number"
    PAGE_NUMBER_UNKNOWN = "page_number_unknown"
    PAGE_TWICE = "page_twice"
    # requests (api/routes/*, api/cursor.py)
    IF_MATCH_FORMAT = "if_match_format"
    VERSION_DIFFERS_FROM_IF_MATCH = "version_differs_from_if_match"
    CURSOR_UNKNOWN = "cursor_unknown"
    CURSOR_OTHER_QUERY = "cursor_other_query"
    CURSOR_NOT_FROM_ENDPOINT = "cursor_not_from_endpoint"
    LETTER_OR_DIGIT_REQUIRED = "letter_or_digit_required"
    BIRTH_YEAR_MISMATCH = "birth_year_mismatch"
    ISO_DATE_TIME = "iso_date_time"
    TIME_OUT_OF_RANGE = "time_out_of_range"
    LATER_THAN = "later_than"
    # users (infra/auth/user_store.py)
    USER_ID_FORMAT = "user_id_format"
    ROLE_RESERVED = "role_reserved"
    DISTRICTS_REQUIRED = "districts_required"
    USER_EXISTS = "user_exists"
    USER_UNKNOWN = "user_unknown"
    USER_NOT_ACTIVE = "user_not_active"
    # delivery to the national database: exports, imported packages, numbering, 2025 units
    # (domain/rules/delivery.py)
    SUCCESSION_HEADER = "succession_header"
    SUCCESSION_ROW = "succession_row"
    SUCCESSION_COMMUNE_UNKNOWN = "succession_commune_unknown"
    SUCCESSION_SHARE = "succession_share"
    COLUMNS_FORMAT = "columns_format"
    COLUMNS_UNKNOWN_FIELD = "columns_unknown_field"
    COLUMNS_UNKNOWN_SOURCE = "columns_unknown_source"
    COLUMNS_HEADER_TWICE = "columns_header_twice"
    COLUMNS_SOURCE_REQUIRED = "columns_source_required"
    NUMBERING_GAPS_UNEXPLAINED = "numbering_gaps_unexplained"
    NO_GAPS_TO_ACCEPT = "no_gaps_to_accept"
    DELIVERY_NO_ENTRIES = "delivery_no_entries"
    DELIVERY_UNPUBLISHED = "delivery_unpublished"
    DELIVERY_PAGE_NOT_SCANNED = "delivery_page_not_scanned"
    DELIVERY_SCAN_MISSING = "delivery_scan_missing"
    IMPORT_NOT_A_ZIP = "import_not_a_zip"
    IMPORT_NOT_A_WORKBOOK = "import_not_a_workbook"
    IMPORT_TOO_LARGE = "import_too_large"
    IMPORT_ZIP_MEMBERS = "import_zip_members"
    IMPORT_ZIP_RATIO = "import_zip_ratio"
    IMPORT_ZIP_PATH = "import_zip_path"
    IMPORT_XML_DOCTYPE = "import_xml_doctype"
    IMPORT_FORMULA = "import_formula"
    IMPORT_TOO_MANY_ROWS = "import_too_many_rows"
    IMPORT_TOO_MANY_COLUMNS = "import_too_many_columns"
    IMPORT_NO_SHEET = "import_no_sheet"
    IMPORT_COLUMN_MISSING = "import_column_missing"
    IMPORT_CELL_VALUE = "import_cell_value"
    IMPORT_NUMBER_TWICE = "import_number_twice"
    IMPORT_ENTRY_DIFFERS = "import_entry_differs"
    IMPORT_PDF_MISSING = "import_pdf_missing"
    IMPORT_PDF_PAGES = "import_pdf_pages"
    IMPORT_PDF_UNREADABLE = "import_pdf_unreadable"
    # extracts and officials' signatures (domain/rules/signatures.py)
    EXTRACT_ONLY_PUBLISHED = "extract_only_published"
    EXTRACT_NOT_ISSUED = "extract_not_issued"
    CERTIFICATE_EXPIRED = "certificate_expired"
    CERTIFICATE_NOT_YET_VALID = "certificate_not_yet_valid"
    CERTIFICATE_REVOKED = "certificate_revoked"
    CERTIFICATE_NOT_TRUSTED = "certificate_not_trusted"
    CERTIFICATE_KEY_USAGE = "certificate_key_usage"
    CERTIFICATE_REVOCATION_UNKNOWN = "certificate_revocation_unknown"
    SIGNING_TOKEN_ABSENT = "signing_token_absent"  # noqa: S105 - a rule code, not a secret
    SIGNING_TOKEN_LOCKED = "signing_token_locked"  # noqa: S105 - a rule code, not a secret
    SIGNING_KEY_ABSENT = "signing_key_absent"
    SIGNING_FAILED = "signing_failed"
    PUBLICATION_SIGNATURE_REQUIRED = "publication_signature_required"
    SIGNATURE_INVALID = "signature_invalid"
    # Deprecated, temporary: English text from call sites not converted to codes yet


@dataclass(frozen=True)
class Rule:
    """A rule's words in both languages, its parameters (with an example value each) and which
    of them name something a presenter words itself."""

    en: str
    vi: str
    example: Mapping[str, object] = field(default_factory=dict)
    terms: Mapping[str, Term] = field(default_factory=dict)

    def template(self, lang: Lang) -> str:
        return self.en if lang == "en" else self.vi
