"""Every string the web pages show, in Vietnamese (first) and English.

``MESSAGES`` maps a key to (Vietnamese, English) templates for ``str.format``; the pages reach
them through :class:`api.web.i18n.Translator`, the JSON API through :func:`message` (the
province headline). The words of the domain's rules are in :mod:`domain.rules`.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # the frame
    "app.name": ("Hộ tịch số", "hotich"),
    "app.tagline": ("Số hóa sổ hộ tịch", "Digitising civil-status books"),
    "nav.dashboard": ("Tiến độ", "Progress"),
    "nav.signout": ("Đăng xuất", "Sign out"),
    "nav.signed_in_as": ("Đăng nhập: {name} ({role})", "Signed in: {name} ({role})"),
    "nav.lang_switch": ("English", "Tiếng Việt"),
    "nav.api_docs": ("Tài liệu API", "API documentation"),
    "nav.portal": ("Tra cứu, trích lục", "Look up, extracts"),
    "role.clerk": ("cán bộ nhập liệu", "clerk"),
    "role.verifier": ("cán bộ kiểm tra", "verifier"),
    "role.manager": ("quản lý", "manager"),
    "role.portal": ("Cổng DVC", "portal"),
    "role.admin": ("quản trị", "admin"),
    "role.metrics": ("giám sát", "monitoring"),
    "role.witness": ("đơn vị chứng kiến", "witness"),
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
    "error.back": ("Về trang chính", "Back to the start page"),
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
    # the portal (Cổng DVC): published records and their signed extracts
    "portal.title": ("Tra cứu hộ tịch đã công bố", "Published civil-status records"),
    "portal.lookup": (
        "Mã bản ghi hoặc số định danh cá nhân",
        "Record id or personal ID",
    ),
    "portal.lookup_hint": (
        "Mã bản ghi (dạng 8-4-4-4-12 ký tự) hoặc số định danh cá nhân 12 chữ số.",
        "A record id (8-4-4-4-12 characters) or a 12-digit personal ID.",
    ),
    "portal.lookup_submit": ("Tra cứu", "Look up"),
    "portal.found": (
        "{count} bản ghi có số định danh {personal_id}",
        "{count} records hold personal ID {personal_id}",
    ),
    "portal.none_found": (
        "Không có bản ghi đã công bố nào có số định danh {personal_id}.",
        "No published record holds personal ID {personal_id}.",
    ),
    "portal.found_more": (
        "Chỉ hiện {count} bản ghi đầu tiên.",
        "Only the first {count} records are shown.",
    ),
    "portal.book": ("Sổ", "Book"),
    "portal.place": ("Nơi đăng ký", "Registered at"),
    "portal.published_at": (
        "Công bố lúc {time} (phiên bản {version})",
        "Published {time} (version {version})",
    ),
    "portal.fields": ("Nội dung đã công bố", "Published fields"),
    "portal.extracts": ("Trích lục đã cấp", "Extracts issued"),
    "portal.no_extracts": ("Chưa cấp trích lục nào.", "No extract issued yet."),
    "portal.issued_at": ("Ngày cấp", "Issued"),
    "portal.purpose": ("Mục đích", "Purpose"),
    "portal.purpose_hint": ("ví dụ: Bổ sung hồ sơ nhập học", "e.g. Bổ sung hồ sơ nhập học"),
    "portal.signer": ("Người ký", "Signed by"),
    "portal.sha256": ("Mã băm SHA-256", "SHA-256"),
    "portal.download": ("Tải về (PDF, {size} KB)", "Download (PDF, {size} KB)"),
    "portal.issue": ("Cấp trích lục", "Issue an extract"),
    "portal.issue_intro": (
        "Trích lục được lập từ nội dung đã công bố và được ký số (PAdES) bằng chứng thư "
        "của người có thẩm quyền.",
        "The extract is made of the published fields and signed (PAdES) with a competent "
        "official's certificate.",
    ),
    "portal.issue_submit": ("Cấp trích lục", "Issue the extract"),
    "portal.issued": (
        "Đã cấp trích lục (SHA-256 {sha256}).",
        "Extract issued (SHA-256 {sha256}).",
    ),
    "portal.signing_unavailable": (
        "Chưa cấp được trích lục: {reason}. Chưa có gì được ghi nhận; vui lòng thử lại sau.",
        "No extract was issued: {reason}. Nothing was recorded; please try again later.",
    ),
    "portal.audit_unavailable": ("nhật ký truy cập", "read audit"),
    # entry statuses
    "entry_status.keyed": ("Đã nhập", "Keyed"),
    "entry_status.second_keyed": ("Đã nhập lần 2", "Second-keyed"),
    "entry_status.discrepancies_found": ("Có sai khác, chờ đối chiếu", "Discrepancies found"),
    "entry_status.reconciled": ("Đã đối chiếu", "Reconciled"),
    "entry_status.verified": ("Đã kiểm tra", "Verified"),
    "entry_status.rejected": ("Bị trả lại", "Rejected"),
    "entry_status.corrected": ("Đã cải chính, chờ kiểm tra", "Corrected"),
    "entry_status.published": ("Đã công bố", "Published"),
    # the province headline (projections.progress_assessment.Headline)
    "progress.headline": (
        "{districts_done}/{districts_total} huyện đã hoàn thành; kế hoạch năm {year}: "
        "{targeted} trong {remaining} huyện còn lại, đã hoàn thành {targeted_done}",
        "{districts_done} of {districts_total} districts complete; {targeted} of the "
        "{remaining} remaining targeted for {year}, {targeted_done} of them done",
    ),
    # administrative levels, as the rules about administrative units name them
    "admin_level.province": ("tỉnh", "province"),
    "admin_level.district": ("huyện", "district"),
    "admin_level.commune": ("xã", "commune"),
    # refusals (see Translator.error); the rules' own words are in domain.rules
    "err.field": ("{label} ({field}): {rule}", "{label} ({field}): {rule}"),
    "err.version": (
        "Người khác vừa thay đổi bản ghi này; hãy tải lại trang.",
        "Someone changed this entry meanwhile; reload the page.",
    ),
    "err.not_found": ("Không tìm thấy {what}.", "No such {what}."),
    "err.page_conflict": ("Trang quét: {detail}", "Scanned page: {detail}"),
    "err.other": ("Không thực hiện được: {detail}", "Refused: {detail}"),
    # delivery to the national database: the units since 1 July 2025, a book's numbering
    "units2025.title": ("Tiến độ theo xã mới (từ 01/7/2025)", "Progress by 2025 commune"),
    "units2025.link": ("Theo xã mới (từ 01/7/2025)", "By 2025 commune"),
    "units2025.intro": (
        "Sổ do xã, huyện cũ lưu giữ, nay thuộc xã mới theo Nghị quyết sắp xếp đơn vị hành chính"
        " năm 2025.",
        "Books kept by the old communes and districts, grouped by the 2025 commune that now"
        " files them (the 2025 rearrangement of administrative units).",
    ),
    "units2025.commune": ("Xã mới", "2025 commune"),
    "units2025.kept_by": ("Xã lưu sổ (huyện cũ)", "Kept by (old district)"),
    "units2025.unknown": ("Chưa có trong danh mục 2025", "Not in the 2025 list"),
    "numbering.title": ("Số thứ tự theo năm", "Numbering by year"),
    "numbering.year": ("Năm", "Year"),
    "numbering.entries": ("Bản ghi", "Entries"),
    "numbering.numbers": ("Từ số đến số", "Numbers"),
    "numbering.continues": ("Tiếp theo quyển", "Continues book"),
    "numbering.gaps": ("Số bị thiếu", "Missing numbers"),
    "numbering.unexplained": ("Chưa giải trình", "Unexplained"),
    "numbering.duplicates": ("Số trùng", "Duplicates"),
    "numbering.out_of_order": ("Sai thứ tự", "Out of order"),
    "numbering.none": (
        "Chưa có bản ghi nào có ngày đăng ký.",
        "No entry with a registration date.",
    ),
    "numbering.accepted": ("Đã chấp nhận: {reason}", "Accepted: {reason}"),
}


def message(key: str, lang: str, **values: object) -> str:
    """The message ``key`` in ``lang`` ("vi", else English); a missing key is a bug (KeyError)."""
    vi, en = MESSAGES[key]
    text = vi if lang == "vi" else en
    return text.format(**values) if values else text
