"""Plain-text tables for commands that list things."""

from collections.abc import Sequence


def table(rows: Sequence[Sequence[object]]) -> str:
    """Rows (the first one the headers) as left-aligned columns two spaces apart."""
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
