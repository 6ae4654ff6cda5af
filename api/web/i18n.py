"""Every string the web pages show, in Vietnamese (first) and English, and the translation of
domain errors at the edge.

``Translator(lang)`` is handed to every template as ``t``: ``t("signin.title")``,
``t("entry.saved", number=12)``. A key missing from the catalogue is a bug (KeyError), caught
by the tests that render every page in both languages. Field labels come from the domain's
schemas (``label_vi``) with English labels built here; the domain's rules are English and are
translated by pattern (:data:`_RULES_VI`), falling back to the English text inside a Vietnamese
sentence, so a new rule is never lost, only untranslated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from digitization.errors import NotFoundError, VersionConflictError
from domain.entry_fields import SCHEMAS
from domain.errors import (
    DomainError,
    DuplicateEntryNumberError,
    InvalidStateError,
    InvalidValueError,
    NotAllowedError,
    PageConflictError,
)
from domain.record_kind import RecordKind

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"

# key -> (Vietnamese, English); str.format placeholders.
MESSAGES: dict[str, tuple[str, str]] = {
    # the frame
    "app.name": ("Hộ tịch số", "hotich"),
    "app.tagline": ("Số hóa sổ hộ tịch", "Digitising civil-status books"),
    "nav.dashboard": ("Tiến độ", "Progress"),
    "nav.signout": ("Đăng xuất", "Sign out"),
    "nav.signed_in_as": ("Đăng nhập: {name} ({role})", "Signed in: {name} ({role})"),
    "nav.lang_switch": ("English", "Tiếng Việt"),
    "nav.api_docs": ("Tài liệu API", "API documentation"),
    "role.clerk": ("cán bộ nhập liệu", "clerk"),
    "role.verifier": ("cán bộ kiểm tra", "verifier"),
    "role.manager": ("quản lý", "manager"),
    "role.portal": ("Cổng DVC", "portal"),
    "role.admin": ("quản trị", "admin"),
    "role.system": ("hệ thống", "system"),
    # sign-in
    "signin.title": ("Đăng nhập", "Sign in"),
    "signin.intro": (
        "Dán mã truy cập (token) do quản trị viên cấp bằng lệnh hotich users token.",
        "Paste the access token your administrator issued with hotich users token.",
    ),
    "signin.token": ("Mã truy cập", "Access token"),
    "signin.submit": ("Đăng nhập", "Sign in"),
    "signin.refused": (
        "Mã truy cập không đúng, đã hết hạn hoặc đã bị thu hồi.",
        "The token is unknown, expired or revoked.",
    ),
    "signin.signed_out": ("Đã đăng xuất.", "Signed out."),
    # errors
    "error.title": ("Không thực hiện được", "Could not do that"),
    "error.forbidden": (
        "Bạn không có quyền làm việc này ở đây.",
        "You may not do this here.",
    ),
    "error.csrf": (
        "Phiên làm việc không khớp (có thể biểu mẫu đã cũ). Hãy tải lại trang và thử lại.",
        "The form does not match your session (it may be stale). Reload the page and retry.",
    ),
    "error.not_found": ("Không tìm thấy.", "Not found."),
    "error.invalid_request": ("Yêu cầu không hợp lệ: {detail}", "Invalid request: {detail}"),
    "error.back": ("Về trang tiến độ", "Back to progress"),
    "error.unavailable": (
        "Hệ thống tạm thời gián đoạn ({detail}). Vui lòng thử lại sau ít phút.",
        "The service is unavailable for now ({detail}). Please try again in a few minutes.",
    ),
    "error.storage_full": (
        "Ổ đĩa đã đầy: chưa lưu gì. Hãy báo cho quản trị hệ thống.",
        "The disk is full: nothing was stored. Please tell the administrator.",
    ),
    # the dashboard
    "dash.title": ("Tiến độ số hóa hộ tịch", "Civil-status digitisation progress"),
    "dash.province": ("{name}", "{name}"),
    "dash.as_of": ("Tính đến ngày {day}", "As of {day}"),
    "dash.plan_year": ("Năm kế hoạch", "Plan year"),
    "dash.live": ("Tự cập nhật mỗi {seconds} giây", "Refreshes every {seconds} s"),
    "dash.updated": ("Cập nhật lúc {time}", "Updated at {time}"),
    "dash.completion": ("Hoàn thành {percent}%", "{percent}% complete"),
    "dash.export_csv": ("Tải CSV", "Download CSV"),
    "dash.export_xlsx": ("Tải Excel (XLSX)", "Download Excel (XLSX)"),
    "dash.districts": ("Các huyện", "Districts"),
    "dash.district": ("Huyện", "District"),
    "dash.code": ("Mã", "Code"),
    "dash.target": ("Hạn hoàn thành", "Target date"),
    "dash.completed_on": ("Nghiệm thu", "Accepted on"),
    "dash.status": ("Tình trạng", "Status"),
    "dash.trend": ("Diễn biến theo ngày", "Trend by day"),
    "dash.trend_empty": ("Chưa có số liệu theo ngày.", "No daily figures yet."),
    "dash.trend_table": ("Bảng số liệu theo ngày", "Figures by day"),
    "dash.day": ("Ngày", "Day"),
    "dash.by_stage": ("Theo công đoạn", "By stage"),
    "dash.open_district": ("Xem chi tiết {name}", "Open {name}"),
    "dash.total": ("Toàn tỉnh", "Province"),
    "dash.no_target": ("—", "—"),
    # plan status
    "status.done": ("Đã hoàn thành", "Done"),
    "status.on_track": ("Đúng tiến độ", "On track"),
    "status.late": ("Chậm tiến độ", "Late"),
    "status.no_target": ("Chưa có hạn", "No target"),
    # stages
    "stage.registers": ("Sổ đã lập danh mục", "Books catalogued"),
    "stage.pages_scanned": ("Trang đã quét", "Pages scanned"),
    "stage.pages_expected": ("Trang cần quét", "Pages expected"),
    "stage.entries_expected": ("Bản ghi ước tính", "Entries expected"),
    "stage.entries_keyed": ("Bản ghi đã nhập", "Entries keyed"),
    "stage.entries_second_keyed": ("Đã nhập lần 2", "Second-keyed"),
    "stage.entries_in_reconciliation": ("Đang đối chiếu", "In reconciliation"),
    "stage.entries_verified": ("Đã kiểm tra", "Verified"),
    "stage.entries_published": ("Đã đồng bộ (công bố)", "Published"),
    "stage.completion_percent": ("Hoàn thành (%)", "Completion (%)"),
    # drill-down
    "district.title": ("{name}", "{name}"),
    "district.communes": ("Các xã", "Communes"),
    "district.commune": ("Xã", "Commune"),
    "district.books": ("Số sổ", "Books"),
    "district.open_commune": ("Xem sổ của {name}", "Books of {name}"),
    "district.no_books": ("Chưa có sổ nào được lập danh mục.", "No book catalogued yet."),
    "commune.title": ("{name}", "{name}"),
    "commune.books": ("Sổ hộ tịch", "Books"),
    "book.kind": ("Loại việc", "Kind"),
    "book.number": ("Quyển số", "Book no."),
    "book.years": ("Năm", "Years"),
    "book.open": ("Mở sổ", "Open book"),
    "book.title": ("Sổ {kind} quyển {number} ({years})", "{kind} book {number} ({years})"),
    "book.pages": ("Trang đã quét", "Scanned pages"),
    "book.no_pages": ("Chưa có trang nào được quét.", "No page scanned yet."),
    "book.entries": ("Bản ghi", "Entries"),
    "book.no_entries": ("Chưa có bản ghi nào.", "No entry yet."),
    "book.key_new": ("Nhập bản ghi mới", "Key a new entry"),
    "book.upload": ("Tải trang quét lên", "Upload scanned pages"),
    "book.upload_files": (
        "Tệp ảnh quét (JPEG, PNG, TIFF, PDF)",
        "Scan files (JPEG, PNG, TIFF, PDF)",
    ),
    "book.upload_pages": (
        "Số trang (theo thứ tự tệp; để trống nếu tên tệp là số trang)",
        "Page numbers (in file order; empty if the file names are page numbers)",
    ),
    "book.rescan_reason": ("Lý do quét lại (khi thay trang)", "Rescan reason (to replace a page)"),
    "book.upload_submit": ("Tải lên", "Upload"),
    "book.uploaded": ("Trang {page}: đã lưu ({size} byte)", "Page {page}: stored ({size} bytes)"),
    "book.upload_same": (
        "Trang {page}: đã có đúng ảnh này, không ghi lại",
        "Page {page}: already holds these bytes, nothing recorded",
    ),
    "book.upload_refused": ("Không tải lên được: {message}", "Upload refused: {message}"),
    "book.page": ("Trang {page}", "Page {page}"),
    "book.view_scan": ("Xem ảnh", "View scan"),
    # entries
    "entry.number": ("Số", "No."),
    "entry.subject": ("Người được đăng ký", "Subject"),
    "entry.status": ("Trạng thái", "Status"),
    "entry.open": ("Mở", "Open"),
    "entry.pages": ("Trang", "Pages"),
    "entry.pages_hint": ("ví dụ 12 hoặc 12 13", "e.g. 12 or 12 13"),
    "entry.key_title": ("Nhập bản ghi — {book}", "Key an entry — {book}"),
    "entry.title": ("Bản ghi số {number} — {book}", "Entry {number} — {book}"),
    "entry.save": ("Lưu (Enter)", "Save (Enter)"),
    "entry.saved": ("Đã lưu bản ghi số {number}.", "Entry {number} saved."),
    "entry.second_keyed": ("Đã lưu lần nhập thứ hai.", "Second keying saved."),
    "entry.second_keyed_discrepancies": (
        "Đã lưu lần nhập thứ hai: {count} trường khác với lần nhập đầu, chờ đối chiếu.",
        "Second keying saved: {count} fields differ from the first keying; to reconcile.",
    ),
    "entry.reconciled": ("Đã đối chiếu.", "Reconciled."),
    "entry.verified": ("Đã kiểm tra, xác nhận bản ghi.", "Entry verified."),
    "entry.rejected": ("Đã trả lại bản ghi để nhập lại.", "Entry rejected, back to keying."),
    "entry.published": ("Đã công bố bản ghi.", "Entry published."),
    "entry.rekeyed": ("Đã nhập lại bản ghi.", "Entry keyed again."),
    "entry.fields": ("Nội dung bản ghi", "Entry fields"),
    "entry.field": ("Trường", "Field"),
    "entry.value": ("Giá trị", "Value"),
    "entry.empty": ("(trống)", "(empty)"),
    "entry.second_key_title": ("Nhập lần 2 (nhập độc lập)", "Second keying (blind)"),
    "entry.second_key_intro": (
        "Nhập lại từ ảnh quét mà không xem lần nhập đầu; các trường khác nhau sẽ được đối chiếu.",
        "Key again from the scan without seeing the first keying; differing fields go to "
        "reconciliation.",
    ),
    "entry.second_key_submit": ("Lưu lần nhập 2 (Enter)", "Save second keying (Enter)"),
    "entry.rekey_title": ("Nhập lại bản ghi bị trả lại", "Key the rejected entry again"),
    "entry.rejection_reason": ("Lý do trả lại: {reason}", "Rejected because: {reason}"),
    "entry.discrepancies": ("Đối chiếu các trường khác nhau", "Reconcile the differing fields"),
    "entry.first": ("Lần nhập 1", "First keying"),
    "entry.second": ("Lần nhập 2", "Second keying"),
    "entry.resolution": ("Giá trị đúng theo sổ", "Value the book says"),
    "entry.use_first": ("Theo lần 1", "Use first"),
    "entry.use_second": ("Theo lần 2", "Use second"),
    "entry.use_other": ("Giá trị khác", "Other value"),
    "entry.reconcile_submit": ("Lưu đối chiếu", "Save reconciliation"),
    "entry.resolved": ("Đã đối chiếu: {value}", "Reconciled: {value}"),
    "entry.verify": ("Xác nhận đúng (kiểm tra)", "Verify"),
    "entry.reject": ("Trả lại", "Reject"),
    "entry.reject_reason": ("Lý do trả lại", "Reason for rejecting"),
    "entry.publish": ("Công bố (đồng bộ)", "Publish"),
    "entry.no_action": (
        "Không có việc nào bạn có thể làm với bản ghi này lúc này.",
        "Nothing for you to do on this entry now.",
    ),
    "entry.four_eyes": (
        "Bạn đã nhập bản ghi này nên không tự kiểm tra được (nguyên tắc bốn mắt).",
        "You keyed this entry, so you cannot check it (four eyes).",
    ),
    "entry.keyed_by": ("Người nhập: {who}", "Keyed by: {who}"),
    "entry.sex_blank": ("—", "—"),
    "entry.date_hint": ("12/03/1990, 3/1990 hoặc 1990", "12/03/1990, 3/1990 or 1990"),
    "entry.required": ("bắt buộc", "required"),
    "entry.next_number": ("Số tiếp theo", "Next number"),
    "entry.no_scan": ("Trang này chưa có ảnh quét.", "This page has no scan yet."),
    "entry.scan_not_image": (
        "Ảnh quét dạng {media_type} không hiển thị được trong trang:",
        "A {media_type} scan cannot be shown in the page:",
    ),
    "scan.title": ("Ảnh quét", "Scan"),
    "scan.zoom_in": ("Phóng to", "Zoom in"),
    "scan.zoom_out": ("Thu nhỏ", "Zoom out"),
    "scan.rotate": ("Xoay", "Rotate"),
    "scan.reset": ("Vừa khung", "Fit"),
    "scan.prev": ("Trang trước", "Previous page"),
    "scan.next": ("Trang sau", "Next page"),
    "scan.page_of": ("Trang {page}", "Page {page}"),
    "keys.title": ("Phím tắt", "Keyboard shortcuts"),
    "keys.save": ("Enter: lưu · Ctrl+Enter trong ô ghi chú", "Enter: save · Ctrl+Enter in notes"),
    "keys.pages": ("Alt+N / Alt+P: trang sau / trang trước", "Alt+N / Alt+P: next / previous page"),
    "keys.zoom": (
        "Alt+= / Alt+-: phóng to / thu nhỏ · Alt+R: xoay · Alt+0: vừa khung",
        "Alt+= / Alt+-: zoom in / out · Alt+R: rotate · Alt+0: fit",
    ),
    # entry statuses
    "entry_status.keyed": ("Đã nhập", "Keyed"),
    "entry_status.second_keyed": ("Đã nhập lần 2", "Second-keyed"),
    "entry_status.discrepancies_found": ("Có sai khác, chờ đối chiếu", "Discrepancies found"),
    "entry_status.reconciled": ("Đã đối chiếu", "Reconciled"),
    "entry_status.verified": ("Đã kiểm tra", "Verified"),
    "entry_status.rejected": ("Bị trả lại", "Rejected"),
    "entry_status.corrected": ("Đã cải chính, chờ kiểm tra", "Corrected"),
    "entry_status.published": ("Đã công bố", "Published"),
    # domain errors (see translate_error)
    "err.field": ("{label} ({field}): {rule}", "{label} ({field}): {rule}"),
    "err.four_eyes": (
        "Không được tự kiểm tra bản ghi do mình nhập, nhập lần 2 hoặc cải chính.",
        "You keyed, second-keyed or corrected this entry and cannot check it.",
    ),
    "err.second_keying_by_other_person": (
        "Nhập lần 2 phải do người khác với người nhập lần 1.",
        "Second keying must be done by someone other than the first keyer.",
    ),
    "err.state": (
        "Bản ghi đang ở trạng thái “{status}”, không làm được việc này.",
        "The entry is {status}; this cannot be done now.",
    ),
    "err.duplicate_entry": (
        "Số (entry_number): số {number} đã được nhập trong sổ này.",
        "No. (entry_number): {number} is already keyed in this book.",
    ),
    "err.version": (
        "Người khác vừa thay đổi bản ghi này; hãy tải lại trang.",
        "Someone changed this entry meanwhile; reload the page.",
    ),
    "err.not_found": ("Không tìm thấy {what}.", "No such {what}."),
    "err.page_conflict": ("Trang quét: {detail}", "Scanned page: {detail}"),
    "err.other": ("Không thực hiện được: {detail}", "Refused: {detail}"),
    "err.untranslated_rule": ("không hợp lệ ({rule})", "{rule}"),
}

# The domain's rules (English) -> Vietnamese; matched in order, groups named for the template.
_RULES_VI: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), vi)
    for p, vi in [
        (r"^is required$", "bắt buộc phải nhập"),
        (r"^is required to rescan a page$", "bắt buộc khi quét lại một trang"),
        (r"^must be text$", "phải là chữ"),
        (r"^must not be empty$", "không được để trống"),
        (r"^must contain a letter$", "phải có ít nhất một chữ cái"),
        (r"^must not contain control characters$", "không được chứa ký tự điều khiển"),
        (r"^must be at most (?P<n>\d+) characters.*$", "tối đa {n} ký tự"),
        (
            r"^must be a date such as .*$|^must look like .*$",
            "phải là ngày như 12/03/1987, 3/1987, 1987 hoặc 1987-03-12",
        ),
        (r"^must be male or female$|^must be one of male/female.*$", "phải là Nam hoặc Nữ"),
        (r"^must be 12 digits as text$|^must be exactly 12 digits.*$", "phải gồm đúng 12 chữ số"),
        (
            r"^digits 1-3 must be a province code 001-096, got (?P<code>\d+)$",
            "ba chữ số đầu phải là mã tỉnh 001–096 (đang là {code})",
        ),
        (r"^digit 4 says .*$", "chữ số thứ 4 không khớp với giới tính hoặc năm sinh"),
        (r"^digits 5-6 say .*$", "chữ số thứ 5–6 không khớp với năm sinh"),
        (r"^must not be before (?P<other>.+)$", "không được trước {other_label}"),
        (
            r"^year must be between (?P<a>\d+) and (?P<b>\d+), got (?P<y>-?\d+)$",
            "năm phải từ {a} đến {b} (đang là {y})",
        ),
        (
            r"^month must be between 1 and 12, got (?P<m>-?\d+)$",
            "tháng phải từ 1 đến 12 (đang là {m})",
        ),
        (
            r"^day must be between 1 and (?P<last>\d+) for (?P<ym>[\d-]+), got (?P<d>-?\d+)$",
            "ngày phải từ 1 đến {last} trong tháng {ym} (đang là {d})",
        ),
        (
            r"^a lunar day must be between 1 and 30, got (?P<d>-?\d+)$",
            "ngày âm lịch phải từ 1 đến 30 (đang là {d})",
        ),
        (r"^a day needs a month$", "có ngày thì phải có tháng"),
        (r"^must be a positive integer$", "phải là số nguyên dương"),
        (r"^must name at least one page$", "phải ghi ít nhất một trang"),
        (r"^page numbers must be positive integers$", "số trang phải là số nguyên dương"),
        (
            r"^must be between 1 and the book's (?P<n>\d+) pages$",
            "phải từ 1 đến {n} (số trang của sổ)",
        ),
        (r"^has no discrepancy to reconcile$", "không có sai khác cần đối chiếu"),
        (r"^must settle at least one discrepancy$", "phải đối chiếu ít nhất một trường"),
        (r"^is not a field of .*$", "không phải là trường của loại bản ghi này"),
        (
            r"^content is not JPEG, PNG, TIFF or PDF.*$",
            "không phải ảnh JPEG, PNG, TIFF hoặc PDF (xét theo nội dung, không theo tên tệp)",
        ),
        (r"^.*exceeds the limit of (?P<n>\d+).*$", "quá lớn: vượt giới hạn {n} ({rule})"),
        (
            r"^(?:gives|file|names the same page).*$|^'.*' is not a page number$",
            "số trang không khớp với các tệp ({rule})",
        ),
    ]
]

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
        vi, en = MESSAGES[key]
        text = vi if self.lang == "vi" else en
        return text.format(**values) if values else text

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

    def rule(self, rule: str) -> str:
        """A domain rule (English) in this language."""
        if self.lang == "en":
            return rule
        for pattern, template in _RULES_VI:
            match = pattern.match(rule)
            if match:
                values = {k: v for k, v in match.groupdict().items() if v is not None}
                if "other" in values:
                    values["other_label"] = f"{vietnamese_label(values['other'])}"
                return template.format(rule=rule, **values)
        return self("err.untranslated_rule", rule=rule)

    def field_error(self, error: InvalidValueError) -> str:
        """ "Ngày sinh (child.birth_date): phải là ngày như …" — the field and the rule."""
        label = self.label(error.field)
        if self.lang == "vi" and error.label_vi:
            label = error.label_vi[:1].upper() + error.label_vi[1:]
        return self("err.field", label=label, field=error.field, rule=self.rule(error.rule))

    def error(self, error: DomainError) -> str:
        """Any refusal of the use cases, in this language."""
        return _translate(self, error)


def _translate(t: Translator, e: DomainError) -> str:
    handlers: list[tuple[type[DomainError], Callable[[], str]]] = [
        (InvalidValueError, lambda: t.field_error(e)),  # type: ignore[arg-type]
        (NotFoundError, lambda: t("err.not_found", what=getattr(e, "what", ""))),
        (VersionConflictError, lambda: t("err.version")),
        (PageConflictError, lambda: t("err.page_conflict", detail=e.message)),
    ]
    for cls, render in handlers:
        if isinstance(e, cls):
            return render()
    if isinstance(e, NotAllowedError):
        key = f"err.{e.rule}"
        return t(key) if key in MESSAGES else t("err.other", detail=e.message)
    if isinstance(e, DuplicateEntryNumberError):
        number = re.search(r"\): (\d+) is already", e.message)
        return t("err.duplicate_entry", number=number.group(1) if number else "?")
    if isinstance(e, InvalidStateError):
        state = re.search(r"an entry that is (\w+)", e.message)
        if state:
            return t("err.state", status=t.entry_status(state.group(1)))
    return t("err.other", detail=e.message)
