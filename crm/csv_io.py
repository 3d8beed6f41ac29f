"""Reading and writing the CSV files of the agency's import and export.

Reading checks the file as a whole (UTF-8, size, row count, headers) and hands back
each row with its number in the file (the header is row 1, as a spreadsheet shows it).
Writing streams rows and defuses cells a spreadsheet would run as a formula.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.db import connection
from django.http import StreamingHttpResponse
from django_tenants.utils import tenant_context

from config.errors import ApplicationError

__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "STUDENT_COLUMNS",
    "STUDENT_REQUIRED",
    "STUDENT_SUMMARY_COLUMNS",
    "TUTOR_COLUMNS",
    "TUTOR_REQUIRED",
    "CsvRow",
    "cell_escape",
    "cell_unescape",
    "csv_read",
    "csv_response",
]

# The file formats: an export has the import's columns, so it imports again unchanged.
STUDENT_COLUMNS = (
    "first_name",
    "last_name",
    "email",
    "date_of_birth",
    "grade_level",
    "subjects",  # subject slugs separated by ";"
    "learning_style",
    "parent_email",
    "parent_first_name",
    "parent_last_name",
    "parent_relationship",
)
STUDENT_REQUIRED = ("first_name", "last_name", "email", "date_of_birth")
# Summaries the export adds (every parent, the assigned tutors); the import ignores them.
STUDENT_SUMMARY_COLUMNS = ("parents", "tutors")
TUTOR_COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "headline",
    "years_of_experience",
    "languages",  # language codes separated by ";"
    "subjects",  # slug:level:proficiency[:hourly_rate_minor] entries separated by ";"
)
TUTOR_REQUIRED = ("email", "first_name", "last_name")

MAX_BYTES = 1024 * 1024
MAX_ROWS = 2000
# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class CsvRow:
    number: int  # as in the file: the header is row 1
    values: dict[str, str]
    problem: str = ""  # a fault of the row as a whole (too many cells)


def _file_error(message: str) -> ApplicationError:
    return ApplicationError(
        "The file cannot be imported.",
        code="invalid",
        status=400,
        extra={"fields": {"file": [message]}},
    )


def cell_escape(value: object) -> str:
    """The cell's text, with a leading ``'`` if a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def cell_unescape(text: str) -> str:
    """Undo ``cell_escape``, so an exported file imports unchanged."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def _decode(upload) -> str:
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise _file_error(f"The file is larger than {MAX_BYTES // 1024} KB; split it up.")
    upload.seek(0)
    raw = upload.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise _file_error(f"The file is larger than {MAX_BYTES // 1024} KB; split it up.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _file_error(
            "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."
        ) from error
    if "\x00" in text:
        raise _file_error("The file is not a text CSV file.")
    return text


def csv_read(
    upload, *, required: Sequence[str], optional: Sequence[str] = (), ignored: Sequence[str] = ()
) -> list[CsvRow]:
    """The rows of an uploaded CSV file, each a dict of the known columns (cells stripped).

    ``required`` columns must be in the header, ``optional`` ones may be, ``ignored`` ones
    (summaries an export adds) are accepted and dropped; anything else is refused, so a
    misspelt column is never silently lost. Blank lines are skipped but still counted.
    """
    text = _decode(upload)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = list(reader)
    except csv.Error as error:
        raise _file_error(
            f"The file is not valid CSV near line {reader.line_num}: {error}."
        ) from error
    if not records or not any(cell.strip() for cell in records[0]):
        raise _file_error(
            f"The file is empty. The first row must name the columns: {', '.join(required)}."
        )

    header = [cell.strip().lower() for cell in records[0]]
    known = [*required, *optional, *ignored]
    problems = []
    missing = [name for name in required if name not in header]
    if missing:
        problems.append(f"Missing columns: {', '.join(missing)}.")
    unknown = [name or "(blank)" for name in header if name not in known]
    if unknown:
        problems.append(
            f"Unknown columns: {', '.join(unknown)}. The columns are: {', '.join(known)}."
        )
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        problems.append(f"Columns named more than once: {', '.join(repeated)}.")
    if problems:
        raise _file_error(" ".join(problems))

    kept = [name for name in header if name not in ignored]
    rows: list[CsvRow] = []
    for index, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        cells = dict(zip(header, record, strict=False))
        values = {name: cell_unescape(cells.get(name, "").strip()) for name in kept}
        problem = ""
        if len(record) > len(header):
            problem = f"This row has {len(record)} cells; the header names {len(header)}."
        rows.append(CsvRow(number=index, values=values, problem=problem))
        if len(rows) > MAX_ROWS:
            raise _file_error(f"The file has more than {MAX_ROWS} rows; split it up.")
    if not rows:
        raise _file_error("The file has a header but no rows.")
    return rows


class _Echo:
    """A file-like object whose ``write`` hands the line back (for streaming)."""

    def write(self, value: str) -> str:
        return value


def _lines(header: Sequence[str], rows: Iterable[Sequence[object]], tenant) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield codecs.BOM_UTF8.decode() + writer.writerow(header)  # the BOM tells Excel it is UTF-8
    # The rows are read while the response streams, after the view has returned: pin
    # the schema of the request rather than trust whatever the connection uses by then.
    with tenant_context(tenant):
        for row in rows:
            yield writer.writerow([cell_escape(cell) for cell in row])


def csv_response(
    *, filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    """A CSV download streamed row by row, every cell formula-safe."""
    response = StreamingHttpResponse(
        _lines(header, rows, connection.tenant), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
