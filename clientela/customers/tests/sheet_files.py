"""A customer file imported in the tests as the wizard would import it."""

from pathlib import Path

from clientela.customers.sheet import CUSTOMER_FIELDS, CUSTOMERS
from clientela.sheets.importing import sheet_import
from clientela.sheets.mapping import match_columns
from clientela.sheets.reading import open_sheet


def customers_file_import(path: Path, actor, *, columns=None, **options):
    """Import the customer file at ``path`` as ``actor``, its columns matched by their
    headers unless ``columns`` are given; ``options`` go to ``sheet_import``."""
    sheet = open_sheet(path)
    if columns is None:
        columns = match_columns(sheet.headers, CUSTOMER_FIELDS)
    return sheet_import(
        kind=CUSTOMERS, actor=actor, sheet=sheet, columns=columns, source=path.name, **options
    )
