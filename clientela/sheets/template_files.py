"""The spreadsheet templates a user downloads to fill in: for a kind, a header row of its
fields' labels in the active language and one row of example values. Imported as they
are, their columns match the kind's fields without any mapping by hand."""

from __future__ import annotations

import tempfile
from pathlib import Path

from clientela.sheets.exporting import export_write
from clientela.sheets.plan import Kind

TEMPLATE_FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def template_rows(kind: Kind) -> list[list[str]]:
    """The header row (labels in the active language) and the example row of ``kind``."""
    return [
        [str(field.label) for field in kind.fields],
        [field.example for field in kind.fields],
    ]


def template_content(kind: Kind, file_format: str) -> bytes:
    """The template of ``kind`` as an .xlsx or .csv file (``file_format``)."""
    if file_format not in TEMPLATE_FORMATS:
        raise ValueError(file_format)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"template.{file_format}"
        export_write(iter(template_rows(kind)), path)
        return path.read_bytes()
