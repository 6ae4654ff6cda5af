"""Delivering books to the national civil-status database (Cơ sở dữ liệu hộ tịch điện tử):
a verified book exported as the Ministry of Justice's package (an Excel workbook, one row per
entry, and a ZIP of one PDF per entry, with a signed manifest), a contractor's package of the
same kind imported, and the book's numbering checked year by year."""
