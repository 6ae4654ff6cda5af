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


_STATUS = {"status": Term.ENTRY_STATUS, "allowed": Term.ENTRY_STATUS}
_STATE = {"status": "published", "allowed": ["keyed", "second_keyed"]}
_FOUND = "(found U+{codepoint:04X} {char!r})"
_FOUND_VI = "(có ký tự U+{codepoint:04X} {char!r})"
_CHAR = {"codepoint": 0x32, "char": "2"}
_LEVELS = {"level": Term.ADMIN_LEVEL, "wanted": Term.ADMIN_LEVEL}
_PARENT = "the parent of {level} {code} must be a {wanted}, but {parent!r}"
_PARENT_VI = "đơn vị cấp trên của {level} {code} phải là {wanted}, nhưng {parent!r}"
_PARENT_EXAMPLE = {"level": "district", "code": "026", "wanted": "province", "parent": "03"}

CATALOGUE: dict[Code, Rule] = {
    # values of any field
    Code.REQUIRED: Rule("is required", "bắt buộc phải nhập"),
    Code.TEXT: Rule("must be text", "phải là chữ"),
    Code.NOT_EMPTY: Rule("must not be empty", "không được để trống"),
    Code.OBJECT: Rule("must be an object", "phải là một đối tượng JSON"),
    Code.INTEGER: Rule("must be an integer", "phải là số nguyên"),
    Code.POSITIVE_INTEGER: Rule("must be a positive integer", "phải là số nguyên dương"),
    Code.NON_NEGATIVE_INTEGER: Rule("must be a non-negative integer", "phải là số nguyên không âm"),
    Code.BETWEEN: Rule(
        "must be between {low} and {high}", "phải từ {low} đến {high}", {"low": 1800, "high": 2200}
    ),
    Code.AT_MOST: Rule("must be at most {limit}", "không được quá {limit}", {"limit": 2000}),
    Code.LENGTH_BETWEEN: Rule(
        "must be {low} to {high} characters",
        "phải từ {low} đến {high} ký tự",
        {"low": 1, "high": 30},
    ),
    Code.MAX_CHARACTERS: Rule(
        "must be at most {limit} characters", "tối đa {limit} ký tự", {"limit": 500}
    ),
    Code.MAX_CHARACTERS_GOT: Rule(
        "must be at most {limit} characters, got {length}",
        "tối đa {limit} ký tự (đang có {length})",
        {"limit": 120, "length": 130},
    ),
    Code.CONTROL_CHARACTERS: Rule(
        "must not contain control characters", "không được chứa ký tự điều khiển"
    ),
    Code.LETTER_REQUIRED: Rule("must contain a letter", "phải có ít nhất một chữ cái"),
    Code.NOT_BEFORE: Rule(
        "must not be before {other}",
        "không được trước {other}",
        {"other": "child.birth_date"},
        {"other": Term.FIELD},
    ),
    Code.ISO_DATE: Rule("must be a date YYYY-MM-DD", "phải là ngày dạng YYYY-MM-DD"),
    # partial dates
    Code.DATE_FORMAT: Rule(
        "must look like 1987, 1987-03, 1987-03-12, 12/03/1987 or 3/1987, got {text!r}",
        "phải là ngày như 12/03/1987, 3/1987, 1987 hoặc 1987-03-12",
        {"text": "hôm qua"},
    ),
    Code.DATE_SUCH_AS: Rule(
        "must be a date such as 1987, 1987-03 or 1987-03-12",
        "phải là ngày như 12/03/1987, 3/1987, 1987 hoặc 1987-03-12",
    ),
    Code.DATE_UNKNOWN_KEYS: Rule(
        "unknown keys {keys}", "có khóa không dùng được: {keys}", {"keys": ["month_name"]}
    ),
    Code.YEAR_REQUIRED: Rule("year is required", "phải có năm"),
    Code.LUNAR_BOOLEAN: Rule(
        "lunar must be true or false", "lunar (âm lịch) phải là true hoặc false"
    ),
    Code.LEAP_MONTH_BOOLEAN: Rule(
        "leap_month must be true or false", "leap_month (tháng nhuận) phải là true hoặc false"
    ),
    Code.YEAR_WHOLE_NUMBER: Rule("year must be a whole number", "năm phải là số nguyên"),
    Code.YEAR_BETWEEN: Rule(
        "year must be between {low} and {high}, got {year}",
        "năm phải từ {low} đến {high} (đang là {year})",
        {"low": 1800, "high": 2200, "year": 1700},
    ),
    Code.DAY_NEEDS_MONTH: Rule("a day needs a month", "có ngày thì phải có tháng"),
    Code.LEAP_MONTH_NEEDS_MONTH: Rule(
        "leap_month needs a month", "có tháng nhuận thì phải có tháng"
    ),
    Code.MONTH_WHOLE_NUMBER: Rule("month must be a whole number", "tháng phải là số nguyên"),
    Code.MONTH_BETWEEN: Rule(
        "month must be between 1 and 12, got {month}",
        "tháng phải từ 1 đến 12 (đang là {month})",
        {"month": 13},
    ),
    Code.LEAP_MONTH_LUNAR_ONLY: Rule(
        "leap_month only applies to lunar dates", "chỉ ngày âm lịch mới có tháng nhuận"
    ),
    Code.DAY_WHOLE_NUMBER: Rule("day must be a whole number", "ngày phải là số nguyên"),
    Code.LUNAR_DAY_BETWEEN: Rule(
        "a lunar day must be between 1 and 30, got {day}",
        "ngày âm lịch phải từ 1 đến 30 (đang là {day})",
        {"day": 31},
    ),
    Code.DAY_BETWEEN: Rule(
        "day must be between 1 and {last} for {year}-{month:02d}, got {day}",
        "ngày phải từ 1 đến {last} trong tháng {year}-{month:02d} (đang là {day})",
        {"last": 28, "year": 1990, "month": 2, "day": 31},
    ),
    Code.LUNAR_NO_SOLAR_RANGE: Rule(
        "a lunar date has no solar range (lunar dates are not converted)",
        "ngày âm lịch không có khoảng ngày dương lịch tương ứng (ngày âm lịch không được quy đổi)",
    ),
    # names, sex, kinds, personal ids
    Code.NAME_DIGITS: Rule(
        f"must not contain digits {_FOUND}", f"không được chứa chữ số {_FOUND_VI}", _CHAR
    ),
    Code.NAME_CONTROL_CHARACTERS: Rule(
        f"must not contain control characters {_FOUND}",
        f"không được chứa ký tự điều khiển {_FOUND_VI}",
        {"codepoint": 0, "char": "\x00"},
    ),
    Code.NAME_CHARACTERS: Rule(
        f"must contain only letters, spaces, apostrophes and hyphens {_FOUND}",
        f"chỉ được gồm chữ cái, dấu cách, dấu nháy và dấu gạch nối {_FOUND_VI}",
        {"codepoint": 0x2E, "char": "."},
    ),
    Code.NAME_NOT_CANONICAL: Rule(
        "must be NFC with single spaces (use PersonName.parse)",
        "phải ở dạng NFC, các từ cách nhau đúng một dấu cách (dùng PersonName.parse)",
    ),
    Code.MALE_OR_FEMALE: Rule("must be male or female", "phải là Nam hoặc Nữ"),
    Code.SEX_ONE_OF: Rule(
        "must be one of male/female/nam/nữ/nu/m/f, got {value!r}",
        "phải là Nam hoặc Nữ",
        {"value": "x"},
    ),
    Code.RECORD_KIND_ONE_OF: Rule(
        "must be one of {allowed}, got {value!r}",
        "phải là một loại việc hộ tịch: {allowed} (đang là {value!r})",
        {"allowed": "birth, death", "value": "x"},
    ),
    Code.PERSONAL_ID_TEXT: Rule("must be 12 digits as text", "phải gồm đúng 12 chữ số"),
    Code.PERSONAL_ID_DIGITS: Rule(
        "must be exactly 12 digits, got {value!r}", "phải gồm đúng 12 chữ số", {"value": "12"}
    ),
    Code.PERSONAL_ID_PROVINCE: Rule(
        "digits 1-3 must be a province code 001-096, got {code}",
        "ba chữ số đầu phải là mã tỉnh 001–096 (đang là {code})",
        {"code": "999"},
    ),
    Code.PERSONAL_ID_SEX: Rule(
        "digit 4 says {id_sex} but sex is {sex}",
        "chữ số thứ 4 ứng với giới tính {id_sex}, không khớp với giới tính {sex}",
        {"id_sex": "male", "sex": "female"},
        {"id_sex": Term.SEX, "sex": Term.SEX},
    ),
    Code.PERSONAL_ID_CENTURY: Rule(
        "digit 4 says born {first}-{last} but birth year is {year}",
        "chữ số thứ 4 ứng với năm sinh {first}–{last}, không khớp với năm sinh {year}",
        {"first": 2000, "last": 2099, "year": 1990},
    ),
    Code.PERSONAL_ID_YEAR: Rule(
        "digits 5-6 say birth year {id_year} but birth year is {year}",
        "chữ số thứ 5–6 ứng với năm sinh {id_year}, không khớp với năm sinh {year}",
        {"id_year": 1991, "year": 1990},
    ),
    # entries
    Code.PAGES_REQUIRED: Rule("must name at least one page", "phải ghi ít nhất một trang"),
    Code.PAGE_NUMBERS_POSITIVE: Rule(
        "page numbers must be positive integers", "số trang phải là số nguyên dương"
    ),
    Code.NOT_A_FIELD: Rule(
        "is not a field of a {kind} entry ({kind_vi})",
        "không phải là trường của bản ghi {kind_vi}",
        {"kind": "birth", "kind_vi": "khai sinh"},
    ),
    Code.NOT_A_FIELD_OF_KIND: Rule(
        "is not a field of a {kind} entry",
        "không phải là trường của bản ghi {kind}",
        {"kind": "birth"},
        {"kind": Term.RECORD_KIND},
    ),
    Code.RESOLUTIONS_REQUIRED: Rule(
        "must settle at least one discrepancy", "phải đối chiếu ít nhất một trường"
    ),
    Code.NO_DISCREPANCY: Rule("has no discrepancy to reconcile", "không có sai khác cần đối chiếu"),
    Code.CHANGES_REQUIRED: Rule(
        "must change at least one field", "phải thay đổi ít nhất một trường"
    ),
    Code.CHANGES_CHANGE_NOTHING: Rule(
        "change nothing: every value equals the current one",
        "không thay đổi gì: mọi giá trị đều giống giá trị hiện tại",
    ),
    # books and their scans
    Code.BOOK_SPAN: Rule(
        "a book spans at most {years} years",
        "một quyển sổ chỉ gồm tối đa {years} năm",
        {"years": 100},
    ),
    Code.PAGE_OUTSIDE_BOOK: Rule(
        "must be between 1 and the book's {pages} pages",
        "phải từ 1 đến {pages} (số trang của sổ)",
        {"pages": 200},
    ),
    Code.SHA256_FORMAT: Rule(
        "must be 64 lowercase hex digits", "phải gồm 64 chữ số thập lục phân viết thường"
    ),
    Code.NO_SCAN_TO_REPLACE: Rule(
        "page {page} has no scan to replace", "trang {page} chưa có ảnh quét để thay", {"page": 3}
    ),
    Code.REQUIRED_TO_RESCAN: Rule(
        "is required to rescan a page", "bắt buộc khi quét lại một trang"
    ),
    Code.FIXITY_OUTCOME: Rule("must be pass or fail", "phải là pass (đạt) hoặc fail (không đạt)"),
    # the plan
    Code.NO_TARGET: Rule("has no target in the plan", "chưa có hạn hoàn thành trong kế hoạch"),
    Code.ALREADY_COMPLETE: Rule(
        "is already recorded as complete", "đã được ghi nhận là hoàn thành"
    ),
    # administrative units
    Code.ADMIN_FILE_EMPTY: Rule(
        "line {line}: file is empty, expected code,name,level,parent_code",
        "dòng {line}: tệp rỗng, cần dòng tiêu đề code,name,level,parent_code",
        {"line": 1},
    ),
    Code.ADMIN_HEADER: Rule(
        "line {line}: must be code,name,level,parent_code, got {header!r}",
        "dòng {line}: phải là code,name,level,parent_code (đang là {header!r})",
        {"line": 1, "header": "ma,ten"},
    ),
    Code.ADMIN_ROW_COLUMNS: Rule(
        "line {line}: row has {columns} columns, expected {expected}",
        "dòng {line}: có {columns} cột, cần {expected} cột",
        {"line": 2, "columns": 3, "expected": 4},
    ),
    Code.ADMIN_LEVEL_UNKNOWN: Rule(
        "line {line}: must be province, district or commune, got {level!r}",
        "dòng {line}: phải là province (tỉnh), district (huyện) hoặc commune (xã),"
        " đang là {level!r}",
        {"line": 2, "level": "planet"},
    ),
    Code.ADMIN_CODE_DIGITS: Rule(
        "line {line}: a {level} code must be {length} digits, got {code!r}",
        "dòng {line}: mã {level} phải gồm {length} chữ số (đang là {code!r})",
        {"line": 2, "level": "province", "length": 2, "code": "2"},
        {"level": Term.ADMIN_LEVEL},
    ),
    Code.ADMIN_NAME_EMPTY: Rule(
        "line {line}: must not be empty", "dòng {line}: không được để trống", {"line": 2}
    ),
    Code.ADMIN_PROVINCE_PARENT_GIVEN: Rule(
        "line {line}: a province has no parent, got {parent!r}",
        "dòng {line}: tỉnh không có đơn vị cấp trên (đang ghi {parent!r})",
        {"line": 2, "parent": "01"},
    ),
    Code.ADMIN_PARENT_MISSING: Rule(
        "line {line}: a {level} needs a parent code",
        "dòng {line}: {level} phải có mã đơn vị cấp trên",
        {"line": 3, "level": "district"},
        {"level": Term.ADMIN_LEVEL},
    ),
    Code.ADMIN_CODE_ON_TWO_LINES: Rule(
        "line {line}: code {code} already used on line {first}",
        "dòng {line}: mã {code} đã dùng ở dòng {first}",
        {"line": 3, "code": "02", "first": 2},
    ),
    Code.ADMIN_SECOND_PROVINCE: Rule(
        "line {line}: second province {code}; the file must hold exactly one"
        " (the first is on line {first})",
        "dòng {line}: tỉnh thứ hai {code}; tệp chỉ được có đúng một tỉnh (tỉnh đầu ở dòng {first})",
        {"line": 3, "code": "03", "first": 2},
    ),
    Code.ADMIN_NO_PROVINCE_ROW: Rule(
        "line {line}: the file has no province row",
        "dòng {line}: tệp không có dòng nào là tỉnh",
        {"line": 2},
    ),
    Code.ADMIN_CODE_TWICE: Rule(
        "unit {code}: code {code} is used twice",
        "đơn vị {code}: mã {code} được dùng hai lần",
        {"code": "02"},
    ),
    Code.ADMIN_CODE_TWICE_ON_LINE: Rule(
        "line {line}: code {code} is used twice",
        "dòng {line}: mã {code} được dùng hai lần",
        {"line": 2, "code": "02"},
    ),
    Code.ADMIN_PROVINCE_HAS_PARENT: Rule(
        "unit {code}: a province has no parent",
        "đơn vị {code}: tỉnh không có đơn vị cấp trên",
        {"code": "02"},
    ),
    Code.ADMIN_PROVINCE_HAS_PARENT_ON_LINE: Rule(
        "line {line}: a province has no parent",
        "dòng {line}: tỉnh {code} không có đơn vị cấp trên",
        {"line": 2, "code": "02"},
    ),
    Code.ADMIN_PARENT_UNKNOWN: Rule(
        f"unit {{code}}: {_PARENT} is unknown",
        f"đơn vị {{code}}: {_PARENT_VI} không phải là mã đã có",
        _PARENT_EXAMPLE,
        _LEVELS,
    ),
    Code.ADMIN_PARENT_UNKNOWN_ON_LINE: Rule(
        f"line {{line}}: {_PARENT} is unknown",
        f"dòng {{line}}: {_PARENT_VI} không phải là mã đã có",
        {"line": 3, **_PARENT_EXAMPLE},
        _LEVELS,
    ),
    Code.ADMIN_PARENT_LEVEL: Rule(
        f"unit {{code}}: {_PARENT} is a {{found}}",
        f"đơn vị {{code}}: {_PARENT_VI} là {{found}}",
        {**_PARENT_EXAMPLE, "found": "commune"},
        {**_LEVELS, "found": Term.ADMIN_LEVEL},
    ),
    Code.ADMIN_PARENT_LEVEL_ON_LINE: Rule(
        f"line {{line}}: {_PARENT} is a {{found}}",
        f"dòng {{line}}: {_PARENT_VI} là {{found}}",
        {"line": 4, **_PARENT_EXAMPLE, "found": "commune"},
        {**_LEVELS, "found": Term.ADMIN_LEVEL},
    ),
    Code.ADMIN_NO_PROVINCE: Rule(
        "exactly one province is required, found none", "phải có đúng một tỉnh, chưa có tỉnh nào"
    ),
    Code.ADMIN_PROVINCES: Rule(
        "exactly one province is required, found {codes}",
        "phải có đúng một tỉnh, đang có {codes}",
        {"codes": "02, 03"},
    ),
    Code.ADMIN_UNIT_UNKNOWN: Rule(
        "unknown administrative unit code {code!r} in province {province}",
        "không có đơn vị hành chính mã {code!r} trong tỉnh {province}",
        {"code": "99", "province": "02"},
    ),
    Code.ADMIN_UNIT_LEVEL: Rule(
        "{code} is a {level} ({name}), not a {wanted}",
        "{code} là {level} ({name}), không phải {wanted}",
        {"code": "026", "level": "district", "name": "Đồng Văn", "wanted": "commune"},
        _LEVELS,
    ),
    # the workflow
    Code.ROLE_MAY_NOT: Rule(
        "role {role} may not {permission}",
        "Vai trò {role} không được phép làm việc này ({permission}).",
        {"role": "manager", "permission": "verify"},
    ),
    Code.LINK_INVALID: Rule(
        "the link is not valid or has expired; list the pages again",
        "Đường dẫn không hợp lệ hoặc đã hết hạn; hãy mở lại danh sách trang.",
    ),
    Code.DISTRICT_NOT_WORKED: Rule(
        "user {user} does not work in district {district}",
        "Người dùng {user} không làm việc ở huyện {district}.",
        {"user": "clerk.027.1", "district": "026"},
    ),
    Code.FOUR_EYES: Rule(
        "{actor} keyed, second-keyed or corrected this entry and cannot {action} it"
        " (không được tự kiểm tra bản ghi do mình nhập)",
        "Không được tự kiểm tra bản ghi do mình nhập, nhập lần 2 hoặc cải chính.",
        {"actor": "clerk.026.1", "action": "verify"},
    ),
    Code.SECOND_KEYING_BY_OTHER_PERSON: Rule(
        "{actor} keyed this entry and cannot second-key it (nhập lần 2 phải do người khác)",
        "Nhập lần 2 phải do người khác với người nhập lần 1.",
        {"actor": "clerk.026.1"},
    ),
    Code.ALREADY_RECONCILED: Rule(
        "{field} is already reconciled",
        "Trường “{field}” đã được đối chiếu.",
        {"field": "child.sex"},
        {"field": Term.FIELD},
    ),
    Code.PUBLISH_ONLY_VERIFIED: Rule(
        "only a verified entry can be published; this one is {status}",
        "Chỉ công bố được bản ghi đã kiểm tra; bản ghi này đang ở trạng thái “{status}”.",
        {"status": "keyed"},
        {"status": Term.ENTRY_STATUS},
    ),
    Code.REKEY_NOT_ALLOWED_IN_STATE: Rule(
        "cannot rekey an entry that is {status} (allowed when: {allowed})",
        "Bản ghi đang ở trạng thái “{status}”, không nhập lại được.",
        _STATE,
        _STATUS,
    ),
    Code.SECOND_KEY_NOT_ALLOWED_IN_STATE: Rule(
        "cannot second-key an entry that is {status} (allowed when: {allowed})",
        "Bản ghi đang ở trạng thái “{status}”, không nhập lần 2 được.",
        _STATE,
        _STATUS,
    ),
    Code.RECONCILE_NOT_ALLOWED_IN_STATE: Rule(
        "cannot reconcile an entry that is {status} (allowed when: {allowed})",
        "Bản ghi đang ở trạng thái “{status}”, không đối chiếu được.",
        _STATE,
        _STATUS,
    ),
    Code.VERIFY_NOT_ALLOWED_IN_STATE: Rule(
        "cannot verify an entry that is {status} (allowed when: {allowed})",
        "Bản ghi đang ở trạng thái “{status}”, không kiểm tra được.",
        _STATE,
        _STATUS,
    ),
    Code.REJECT_NOT_ALLOWED_IN_STATE: Rule(
        "cannot reject an entry that is {status} (allowed when: {allowed})",
        "Bản ghi đang ở trạng thái “{status}”, không trả lại được.",
        _STATE,
        _STATUS,
    ),
    Code.CORRECT_NOT_ALLOWED_IN_STATE: Rule(
        "cannot correct an entry that is {status} (allowed when: {allowed})",
        "Bản ghi đang ở trạng thái “{status}”, không cải chính được.",
        _STATE,
        _STATUS,
    ),
    Code.SAME_BYTES_OTHER_PAGE: Rule(
        "these bytes are already page {page} of this book",
        "ảnh này đã là trang {page} của sổ",
        {"page": 3},
    ),
    Code.PAGE_ALREADY_SCANNED: Rule(
        "page {page} already holds a scan; replacing it needs a rescan with a reason (quét lại)",
        "trang {page} đã có ảnh quét; muốn thay phải quét lại và ghi lý do",
        {"page": 3},
    ),
    Code.REGISTER_UNIQUE: Rule(
        "book {book} ({kind}, {year}) of commune {commune} is already catalogued as {register}",
        "Quyển số {book} ({kind}, {year}) của xã {commune} đã được lập danh mục.",
        {
            "book": "1",
            "kind": "birth",
            "year": 1990,
            "commune": "00718",
            "register": "6f1c2f0e-8a51-5c2e-9d8e-0d8f4a8c1b11",
        },
        {"kind": Term.RECORD_KIND},
    ),
    Code.ENTRY_NUMBER_UNIQUE: Rule(
        "entry_number (số): {number} is already keyed in book {book} (register {register})",
        "Số (entry_number): số {number} đã được nhập trong sổ này.",
        {"number": 12, "book": "1", "register": "6f1c2f0e-8a51-5c2e-9d8e-0d8f4a8c1b11"},
    ),
    # scans and uploads
    Code.SCAN_EMPTY: Rule("the file is empty", "tệp rỗng"),
    Code.SCAN_NOT_ACCEPTED: Rule(
        "content is not JPEG, PNG, TIFF or PDF (the file name is not used)",
        "không phải ảnh JPEG, PNG, TIFF hoặc PDF (xét theo nội dung, không theo tên tệp)",
    ),
    Code.SCAN_HEADER_DAMAGED: Rule(
        "the {format} header is damaged or truncated ({error})",
        "phần đầu tệp {format} bị hỏng hoặc bị cắt cụt ({error})",
        {"format": "PNG", "error": "truncated header"},
    ),
    Code.SCAN_FORMAT_MISMATCH: Rule(
        "content is {found}, not {expected}",
        "nội dung là {found}, không phải {expected}",
        {"found": "GIF", "expected": "PNG"},
    ),
    Code.SCAN_NO_PIXELS: Rule(
        "the image has no pixels ({width} x {height})",
        "ảnh không có điểm ảnh nào ({width} x {height})",
        {"width": 0, "height": 10},
    ),
    Code.SCAN_TOO_MANY_PIXELS: Rule(
        "{width} x {height} pixels exceeds the limit of {limit}",
        "quá lớn: {width} x {height} điểm ảnh, vượt giới hạn {limit} điểm ảnh",
        {"width": 40000, "height": 40000, "limit": 200_000_000},
    ),
    Code.SCAN_PAGE_TOO_MANY_PIXELS: Rule(
        "page {page} is {width} x {height} pixels exceeds the limit of {limit}",
        "quá lớn: trang {page} có {width} x {height} điểm ảnh, vượt giới hạn {limit} điểm ảnh",
        {"page": 2, "width": 40000, "height": 40000, "limit": 200_000_000},
    ),
    Code.PDF_HEADER: Rule(
        "the PDF header is not %PDF-1.x or %PDF-2.x",
        "phần đầu tệp PDF không phải %PDF-1.x hoặc %PDF-2.x",
    ),
    Code.PDF_TRUNCATED: Rule(
        "the PDF is truncated (no %%EOF marker within its last 2 KiB)",
        "tệp PDF bị cắt cụt (không có dấu %%EOF trong 2 KiB cuối)",
    ),
    Code.UPLOAD_TOO_LARGE: Rule(
        "the upload exceeds the limit of {limit} bytes",
        "quá lớn: vượt giới hạn {limit} byte",
        {"limit": 10_000},
    ),
    Code.MULTIPART_REQUIRED: Rule(
        "must be multipart/form-data with a boundary", "phải là multipart/form-data có boundary"
    ),
    Code.MULTIPART_INVALID: Rule(
        "is not a valid multipart form ({error})",
        "không phải biểu mẫu multipart hợp lệ ({error})",
        {"error": "bad boundary"},
    ),
    Code.TOO_MANY_FILES: Rule(
        "at most {limit} files per request", "tối đa {limit} tệp mỗi lần tải lên", {"limit": 50}
    ),
    Code.FORM_FIELD_TOO_LARGE: Rule(
        "a form field is at most {limit} bytes",
        "mỗi trường của biểu mẫu tối đa {limit} byte",
        {"limit": 65536},
    ),
    Code.FILES_REQUIRED: Rule("at least one file is required", "phải có ít nhất một tệp"),
    Code.PAGE_NUMBERS_COUNT: Rule(
        "gives {given} page numbers for {files} files",
        "số trang không khớp với các tệp: {given} số trang cho {files} tệp",
        {"given": 2, "files": 3},
    ),
    Code.NOT_A_PAGE_NUMBER: Rule(
        "{text!r} is not a page number", "{text!r} không phải là số trang", {"text": "x"}
    ),
    Code.PAGE_NUMBER_UNKNOWN: Rule(
        "file {label!r}: give page numbers, or name files by page (0012.tif)",
        "tệp {label!r}: hãy ghi số trang, hoặc đặt tên tệp theo số trang (0012.tif)",
        {"label": "scan.tif"},
    ),
    Code.PAGE_TWICE: Rule(
        "names the same page twice in one upload",
        "số trang không khớp với các tệp: một trang được ghi hai lần trong một lần tải lên",
    ),
    # requests
    Code.IF_MATCH_FORMAT: Rule(
        'must be an entry version in quotes, e.g. "3"',
        'phải là phiên bản của bản ghi trong dấu ngoặc kép, ví dụ "3"',
    ),
    Code.VERSION_DIFFERS_FROM_IF_MATCH: Rule("differs from If-Match", "khác với If-Match"),
    Code.CURSOR_UNKNOWN: Rule(
        "is not a cursor this API gave out", "không phải con trỏ (cursor) do API này cấp"
    ),
    Code.CURSOR_OTHER_QUERY: Rule(
        "belongs to another query: send the same parameters as the first page",
        "thuộc một truy vấn khác: hãy gửi đúng các tham số của trang đầu",
    ),
    Code.CURSOR_NOT_FROM_ENDPOINT: Rule(
        "is not a cursor returned by this endpoint",
        "không phải con trỏ (cursor) do địa chỉ này trả về",
    ),
    Code.LETTER_OR_DIGIT_REQUIRED: Rule(
        "must contain a letter or a digit", "phải có ít nhất một chữ cái hoặc chữ số"
    ),
    Code.BIRTH_YEAR_MISMATCH: Rule(
        "must equal the year of birth_date ({year})",
        "phải bằng năm của ngày sinh ({year})",
        {"year": 1990},
    ),
    Code.ISO_DATE_TIME: Rule(
        "must be an ISO 8601 date or time", "phải là ngày hoặc thời điểm theo ISO 8601"
    ),
    Code.TIME_OUT_OF_RANGE: Rule(
        "must be a time between the years 1 and 9999 in UTC",
        "phải là thời điểm trong khoảng năm 1 đến năm 9999 (giờ UTC)",
    ),
    Code.LATER_THAN: Rule(
        "must be later than {other}",
        "phải sau {other}",
        {"other": "since"},
        {"other": Term.FIELD},
    ),
    # users
    Code.USER_ID_FORMAT: Rule(
        "must be 1 to 100 characters without spaces", "phải từ 1 đến 100 ký tự, không có dấu cách"
    ),
    Code.ROLE_RESERVED: Rule(
        "system is reserved for hotich itself", "vai trò system chỉ dành cho chính hotich"
    ),
    Code.DISTRICTS_REQUIRED: Rule(
        "must name at least one district code or *", "phải ghi ít nhất một mã huyện hoặc *"
    ),
    Code.USER_EXISTS: Rule(
        "{user} already exists", "người dùng {user} đã có", {"user": "clerk.026.1"}
    ),
    Code.USER_UNKNOWN: Rule(
        "no user {user}", "không có người dùng {user}", {"user": "clerk.026.9"}
    ),
    Code.USER_NOT_ACTIVE: Rule(
        "no active user {user}",
        "không có người dùng {user} đang hoạt động",
        {"user": "clerk.026.9"},
    ),
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
