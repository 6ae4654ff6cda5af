"""The words of the rules of the workflow, scans and uploads, requests and users."""

from __future__ import annotations

from domain.rules.codes import Code, Rule, Term

_STATUS = {"status": Term.ENTRY_STATUS, "allowed": Term.ENTRY_STATUS}
_STATE = {"status": "published", "allowed": ["keyed", "second_keyed"]}


def _not_in_state(verb: str, verb_vi: str) -> Rule:
    """The rule refusing to ``verb`` an entry in its status."""
    return Rule(
        f"cannot {verb} an entry that is {{status}} (allowed when: {{allowed}})",
        f"Bản ghi đang ở trạng thái “{{status}}”, không {verb_vi} được.",
        _STATE,
        _STATUS,
    )


WORKFLOW_RULES: dict[Code, Rule] = {
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
    Code.REKEY_NOT_ALLOWED_IN_STATE: _not_in_state("rekey", "nhập lại"),
    Code.SECOND_KEY_NOT_ALLOWED_IN_STATE: _not_in_state("second-key", "nhập lần 2"),
    Code.RECONCILE_NOT_ALLOWED_IN_STATE: _not_in_state("reconcile", "đối chiếu"),
    Code.VERIFY_NOT_ALLOWED_IN_STATE: _not_in_state("verify", "kiểm tra"),
    Code.REJECT_NOT_ALLOWED_IN_STATE: _not_in_state("reject", "trả lại"),
    Code.CORRECT_NOT_ALLOWED_IN_STATE: _not_in_state("correct", "cải chính"),
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
    Code.SCAN_NOT_STREAMABLE: Rule(
        "its header reads byte {offset}, which had streamed past unkept; upload it without "
        "declared digests (received whole, then checked)",
        "phần đầu tệp cần đọc lại byte {offset} đã truyền qua; hãy tải lên mà không khai báo "
        "mã băm (tệp được nhận trọn rồi mới kiểm tra)",
        {"offset": 1_048_576},
    ),
    Code.DECLARED_SIZE_MISMATCH: Rule(
        "has {size} bytes, not the {declared} declared; nothing was kept",
        "có {size} byte, không phải {declared} byte như đã khai báo; không lưu gì",
        {"size": 1000, "declared": 1200},
    ),
    Code.DECLARED_DIGEST_MISMATCH: Rule(
        "its SHA-256 is {sha256}, not the {declared} declared; nothing was kept",
        "mã SHA-256 là {sha256}, không phải {declared} như đã khai báo; không lưu gì",
        {"sha256": "ab" * 32, "declared": "cd" * 32},
    ),
    Code.MANIFEST_INVALID: Rule(
        "must be a JSON list of objects with sha256 (hex) and size (bytes), one per file, in "
        "order ({error})",
        "phải là danh sách JSON các đối tượng có sha256 (hex) và size (số byte), mỗi tệp một "
        "mục, theo thứ tự ({error})",
        {"error": "not JSON"},
    ),
    Code.MANIFEST_COUNT: Rule(
        "declares {declared} files; the request has more",
        "khai báo {declared} tệp nhưng yêu cầu có nhiều tệp hơn",
        {"declared": 2},
    ),
    Code.FIELD_AFTER_FILES: Rule(
        "must come before the files when their digests are declared",
        "phải đứng trước các tệp khi mã băm của tệp được khai báo",
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
