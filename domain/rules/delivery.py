"""The words of the rules of delivering books to the national civil-status database: the 2025
units file, the column mapping file, numbering, exports and imported packages."""

from __future__ import annotations

from domain.rules.codes import Code, Rule, Term

_ROW = {"line": 3, "column": "share", "value": "most"}
_NUMBERS = {"count": 2, "numbers": "4, 9"}
_LIMIT = {"what": "pdfs.zip", "limit": 1 << 30}

DELIVERY_RULES: dict[Code, Rule] = {
    # the dated mapping of the units that kept the books to the 2025 units
    Code.SUCCESSION_HEADER: Rule(
        "line 1 must be the header {header}",
        "dòng 1 phải là dòng tiêu đề {header}",
        {"header": "old_code,old_name,..."},
    ),
    Code.SUCCESSION_ROW: Rule(
        "line {line}: {column} cannot be {value!r}",
        "dòng {line}: cột {column} không thể là {value!r}",
        _ROW,
    ),
    Code.SUCCESSION_COMMUNE_UNKNOWN: Rule(
        "line {line}: commune {code} is not one of the province's units",
        "dòng {line}: xã mã {code} không có trong danh mục đơn vị hành chính của tỉnh",
        {"line": 3, "code": "99999"},
    ),
    Code.SUCCESSION_SHARE: Rule(
        "commune {code} goes to {count} 2025 communes: one must take the books (whole,"
        " unchanged or remainder)",
        "xã mã {code} chuyển về {count} xã mới: phải có đúng một xã nhận sổ (toàn bộ,"
        " giữ nguyên hoặc phần còn lại)",
        {"code": "00688", "count": 2},
    ),
    # the column mapping file
    Code.COLUMNS_FORMAT: Rule(
        "{path}: must be {expected}",
        "{path}: phải là {expected}",
        {"path": "kinds", "expected": "an object"},
    ),
    Code.COLUMNS_UNKNOWN_FIELD: Rule(
        "{path}: {field} is not a field of {kind} entries",
        "{path}: {field} không phải là trường của bản ghi {kind}",
        {"path": "kinds.birth.columns[3]", "field": "child.age", "kind": "birth"},
        {"kind": Term.RECORD_KIND},
    ),
    Code.COLUMNS_UNKNOWN_SOURCE: Rule(
        "{path}: unknown source {source!r}",
        "{path}: nguồn dữ liệu {source!r} không có",
        {"path": "kinds.birth.columns[0]", "source": "entry.size"},
    ),
    Code.COLUMNS_HEADER_TWICE: Rule(
        "{path}: header {header!r} is used twice",
        "{path}: tiêu đề cột {header!r} bị dùng hai lần",
        {"path": "kinds.birth.columns[5]", "header": "Số"},
    ),
    Code.COLUMNS_SOURCE_REQUIRED: Rule(
        "{path}: a column of {source} is required",
        "{path}: phải có cột {source}",
        {"path": "kinds.birth", "source": "entry.number"},
    ),
    # numbering
    Code.NUMBERING_GAPS_UNEXPLAINED: Rule(
        "the book's numbering has unexplained gaps ({gaps}); export with a reason to accept them"
        " (--accept-gaps)",
        "sổ có số thứ tự bị thiếu chưa được giải trình ({gaps}); muốn xuất phải ghi lý do chấp"
        " nhận (--accept-gaps)",
        {"gaps": "1990: 4; 1991: 7-9"},
    ),
    Code.NO_GAPS_TO_ACCEPT: Rule(
        "the book's numbering has no unexplained gaps to accept",
        "sổ không có số thứ tự bị thiếu nào cần chấp nhận",
    ),
    # exports
    Code.DELIVERY_NO_ENTRIES: Rule(
        "the book has no published entries to deliver",
        "sổ chưa có bản ghi nào đã công bố để chuyển",
    ),
    Code.DELIVERY_UNPUBLISHED: Rule(
        "{count} entries of the book were never published (numbers {numbers}): a book is"
        " delivered once every entry is verified and published",
        "sổ còn {count} bản ghi chưa được công bố (số {numbers}): chỉ chuyển sổ khi mọi bản ghi"
        " đã được kiểm tra và công bố",
        _NUMBERS,
    ),
    Code.DELIVERY_PAGE_NOT_SCANNED: Rule(
        "entry {number} lies on page {page}, which has no scan",
        "bản ghi số {number} nằm ở trang {page}, trang này chưa có ảnh quét",
        {"number": 12, "page": 6},
    ),
    Code.DELIVERY_SCAN_MISSING: Rule(
        "the scan of page {page} is missing from the blob store or changed ({key});"
        " run hotich fixity",
        "ảnh quét của trang {page} không còn trong kho lưu trữ hoặc đã bị thay đổi ({key});"
        " hãy chạy hotich fixity",
        {"page": 6, "key": "scans/026/…/ab12.png"},
    ),
    # imported packages: the files
    Code.IMPORT_NOT_A_ZIP: Rule(
        "{what} is not a ZIP file", "{what} không phải là tệp ZIP", {"what": "pdfs"}
    ),
    Code.IMPORT_NOT_A_WORKBOOK: Rule(
        "{what} is not an Excel workbook (.xlsx): {error}",
        "{what} không phải là tệp Excel (.xlsx): {error}",
        {"what": "workbook", "error": "no xl/workbook.xml"},
    ),
    Code.IMPORT_TOO_LARGE: Rule(
        "{what} unpacks to more than {limit} bytes",
        "{what} khi giải nén lớn hơn {limit} byte",
        _LIMIT,
    ),
    Code.IMPORT_ZIP_MEMBERS: Rule(
        "{what} holds more than {limit} files",
        "{what} chứa quá {limit} tệp",
        {"what": "pdfs", "limit": 20000},
    ),
    Code.IMPORT_ZIP_RATIO: Rule(
        "{what}: {name} is compressed {ratio} times (at most {limit}): a ZIP bomb?",
        "{what}: tệp {name} nén {ratio} lần (tối đa {limit} lần): nghi là bom nén",
        {"what": "pdfs", "name": "12.pdf", "ratio": 1030, "limit": 100},
    ),
    Code.IMPORT_ZIP_PATH: Rule(
        "{what}: the name {name!r} is a path; files must be named by entry number, e.g. 12.pdf",
        "{what}: tên tệp {name!r} là một đường dẫn; tệp phải được đặt tên theo số, ví dụ 12.pdf",
        {"what": "pdfs", "name": "../../etc/passwd"},
    ),
    Code.IMPORT_XML_DOCTYPE: Rule(
        "{what}: {part} declares a DOCTYPE or entities, which a workbook never needs",
        "{what}: phần {part} khai báo DOCTYPE hoặc thực thể, tệp Excel không bao giờ cần",
        {"what": "workbook", "part": "xl/sharedStrings.xml"},
    ),
    Code.IMPORT_FORMULA: Rule(
        "cell {cell} of sheet {sheet} holds a formula; a package holds values only",
        "ô {cell} của trang {sheet} chứa công thức; tệp chỉ được chứa giá trị",
        {"cell": "B7", "sheet": "Khai sinh"},
    ),
    Code.IMPORT_TOO_MANY_ROWS: Rule(
        "sheet {sheet} has more than {limit} rows",
        "trang {sheet} có quá {limit} dòng",
        {"sheet": "Khai sinh", "limit": 20000},
    ),
    Code.IMPORT_TOO_MANY_COLUMNS: Rule(
        "sheet {sheet} has more than {limit} columns",
        "trang {sheet} có quá {limit} cột",
        {"sheet": "Khai sinh", "limit": 200},
    ),
    Code.IMPORT_NO_SHEET: Rule(
        "the workbook has no sheet {sheet} for this book's {kind} entries",
        "tệp Excel không có trang {sheet} cho bản ghi {kind} của sổ này",
        {"sheet": "Khai sinh", "kind": "birth"},
        {"kind": Term.RECORD_KIND},
    ),
    Code.IMPORT_COLUMN_MISSING: Rule(
        "sheet {sheet} has no column {header}",
        "trang {sheet} không có cột {header}",
        {"sheet": "Khai sinh", "header": "Số"},
    ),
    # imported packages: a row
    Code.IMPORT_CELL_VALUE: Rule(
        "cell {cell} holds {found}, not text, a number or a date",
        "ô {cell} chứa {found}, không phải chữ, số hay ngày",
        {"cell": "C4", "found": "an error (#REF!)"},
    ),
    Code.IMPORT_NUMBER_TWICE: Rule(
        "entry number {number} is also on row {row}",
        "số {number} cũng có ở dòng {row}",
        {"number": 12, "row": 9},
    ),
    Code.IMPORT_ENTRY_DIFFERS: Rule(
        "entry {number} is already in the book with other values ({fields})",
        "bản ghi số {number} đã có trong sổ với nội dung khác ({fields})",
        {"number": 12, "fields": ["child.birth_date"]},
        {"fields": Term.FIELD},
    ),
    Code.IMPORT_PDF_MISSING: Rule(
        "the package has no PDF {name} for this entry",
        "gói dữ liệu không có tệp PDF {name} cho bản ghi này",
        {"name": "12.pdf"},
    ),
    Code.IMPORT_PDF_PAGES: Rule(
        "{name} has {pdf_pages} pages, the row lists {pages}",
        "tệp {name} có {pdf_pages} trang, dòng này ghi {pages} trang",
        {"name": "12.pdf", "pdf_pages": 1, "pages": 2},
    ),
    Code.IMPORT_PDF_UNREADABLE: Rule(
        "{name} is not a readable PDF ({error})",
        "tệp {name} không phải là PDF đọc được ({error})",
        {"name": "12.pdf", "error": "no /Root object"},
    ),
}
