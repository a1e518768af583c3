"""CSV a spreadsheet opens safely: a cell that starts like a formula is prefixed with a quote.

A reason or a note can hold what a customer typed (a name such as `=HYPERLINK(...)`); Excel, LibreOffice
and Google Sheets run a cell starting with = + - @ (or a tab or carriage return before one) as a formula,
so such a cell gets a leading `'` (OWASP's advice for CSV injection) and shows as the text it is.
"""

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return out.getvalue()
