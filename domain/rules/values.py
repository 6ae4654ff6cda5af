"""The words of the rules of values: fields, dates, names, ids, entries, books, the plan,
administrative units."""

from __future__ import annotations

from domain.rules.codes import Code, Rule, Term

_FOUND = "(found U+{codepoint:04X} {char!r})"
_FOUND_VI = "(có ký tự U+{codepoint:04X} {char!r})"
_CHAR = {"codepoint": 0x32, "char": "2"}
_LEVELS = {"level": Term.ADMIN_LEVEL, "wanted": Term.ADMIN_LEVEL}
_PARENT = "the parent of {level} {code} must be a {wanted}, but {parent!r}"
_PARENT_VI = "đơn vị cấp trên của {level} {code} phải là {wanted}, nhưng {parent!r}"
_PARENT_EXAMPLE = {"level": "district", "code": "026", "wanted": "province", "parent": "03"}

VALUE_RULES: dict[Code, Rule] = {
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
}
