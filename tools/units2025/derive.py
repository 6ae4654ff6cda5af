"""Derive bootstrap/data/ha-giang-units-2025.csv: each pre-2025 commune of Hà Giang and
the 2025 commune(s) of Tuyên Quang it became, with the clause of Resolution 1684/NQ-UBTVQH15
that says so.

Two sources must agree for every row, or the script stops and names the row:

* the texts, as transcribed in the dvhcvn/20250701 repository (input/docs): Resolution
  1684/NQ-UBTVQH15 of 16 June 2025 (Điều 1, clauses 1-112) and the GSO's list of 2025 commune
  codes, Công văn 1027/CTK-CSCL of 25 June 2025 (Phụ lục I);
* that repository's per-commune reading of them (output/02/<district>/<commune>.json: the
  clause cited and the 2025 code), made there with a language model and checked by hand.

Each row's old name must stand in the old units of its clause (folded, spaces ignored; the
spellings the resolution uses where they differ from the 2024 list are the ALIASES below),
the clause's new name must be the 1027 list's name for the 2025 code, and every commune of
the province must be mapped. Run from the repository root, in the project's environment (it
writes the header domain/unit_succession.py reads), with a checkout of that repository:

    .venv/bin/python tools/units2025/derive.py DVHCVN > bootstrap/data/ha-giang-units-2025.csv
"""

from __future__ import annotations

import csv
import json
import re
import sys
import unicodedata
from pathlib import Path

from domain.unit_succession import HEADER

OLD_UNITS = Path("bootstrap/data/ha-giang-admin-units.csv")
NEW_PROVINCE = ("08", "Tỉnh Tuyên Quang")
EFFECTIVE = "2025-07-01"
RESOLUTION = "1684/NQ-UBTVQH15"
CODES = "1027/CTK-CSCL"
# The 2024 list's spelling -> the resolution's (same commune, same code).
ALIASES = {
    "Phó Bảng": "Phố Bảng",
    "Xà Phìn": "Sà Phìn",
    "Sủng Tráng": "Sủng Cháng",
    "Sán Xả Hồ": "Sán Sả Hồ",
}
LEVELS = ("Thị trấn ", "Phường ", "Xã ")


def fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def compact(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", fold(text))


def bare(name: str) -> str:
    for level in LEVELS:
        if name.startswith(level):
            return name[len(level) :]
    return name


def clauses(text: str) -> dict[int, str]:
    body = text.split("**Điều 1.", 1)[1].split("**Điều 2.", 1)[0]
    found: dict[int, str] = {}
    for part in re.split(r"\n(?=\d+\\\. )", "\n" + body):
        match = re.match(r"(\d+)\\\. (.*)", part.strip(), re.S)
        if match:
            found[int(match.group(1))] = " ".join(match.group(2).split())
    return found


def new_codes(text: str) -> dict[str, str]:
    codes = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[3] == NEW_PROVINCE[1] and re.fullmatch(r"\d{5}", cells[1]):
            codes[cells[1]] = cells[2]
    return codes


def clause_number(found: dict[int, str], line: str) -> int:
    """The clause a citation quotes: by its number, else by its words."""
    match = re.match(r"\s*(\d+)\.", line)
    if match:
        return int(match.group(1))
    words = compact(line)
    return next(n for n, text in found.items() if words in compact(text))


def share_of(clause: str, name: str) -> str:
    key = compact(clause)
    if re.search(r"motphandientichtunhienquymodanso(cua)?(xa|phuong|thitran)?" + name, key):
        return "part"
    if re.search(r"phanconlaicua(xa|phuong|thitran)?" + name, key):
        return "remainder"
    return "whole"


def main(repo: Path) -> None:
    docs = repo / "input" / "docs"
    text = (docs / "1684_NQ-UBTVQH15.md").read_text("utf-8")
    found = clauses(text)
    unchanged_clause = max(found)  # "... 13 xã không thực hiện sắp xếp là các xã ..."
    codes = new_codes((docs / "1027_CTK-CSCL.md").read_text("utf-8"))
    with OLD_UNITS.open(encoding="utf-8") as f:
        units = list(csv.DictReader(f))
    names = {u["code"]: u["name"] for u in units}
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(HEADER)  # the columns domain/unit_succession.py reads
    problems = []
    for unit in (u for u in units if u["level"] == "commune"):
        code, name, district = unit["code"], unit["name"], unit["parent_code"]
        reading = json.loads((repo / "output" / "02" / district / f"{code}.json").read_text())
        old = compact(ALIASES.get(bare(name), bare(name)))
        for result in reading["result"]:
            line = result["citation"]["line"]
            number = clause_number(found, line)
            clause = found.get(number, "")
            new_code = result["ward_code"]
            new_name = codes.get(new_code)
            head, _, tail = clause.partition("tên gọi là")
            if number == unchanged_clause:
                share, head, tail = "unchanged", clause, "**" + (new_name or "") + "**"
            else:
                share = share_of(head, old)
            bold = re.findall(r"\*\*(.+?)\*\*", tail)
            if old not in compact(head):
                problems.append(f"{code} {name}: not in clause {number}")
            if (
                new_name is None
                or not bold
                or compact(bare(new_name))
                != compact(bare(bold[-1].replace("xã ", "Xã ").replace("phường ", "Phường ")))
            ):
                problems.append(f"{code} {name}: clause {number} names {bold}, {CODES} {new_name}")
            out.writerow(
                [
                    code,
                    name,
                    district,
                    names[district],
                    new_code,
                    new_name,
                    *NEW_PROVINCE,
                    share,
                    EFFECTIVE,
                    RESOLUTION,
                    f"Điều 1 khoản {number}",
                    CODES,
                ]
            )
    if problems:
        sys.exit("\n".join(problems))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
