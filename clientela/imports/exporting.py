"""Customers out to a spreadsheet, streamed, in a form the import reads back unchanged.

Headers are the fields' labels in the active language (the import matches them in any
language); several e-mails, phones or tags share a cell, apart by commas. A .csv is
UTF-8 with a BOM (so Excel opens it as such); an .xlsx is written in openpyxl's
write-only mode. Both go a chunk of customers at a time, so memory stays flat however
many there are. A cell that starts with ``=``, ``+``, ``-`` or ``@`` is written with a
leading apostrophe, so a spreadsheet never runs it as a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from clientela.customers.models import (
    Address,
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerTag,
)
from clientela.imports.customers import CUSTOMER_FIELDS
from clientela.imports.plan import Plan
from clientela.imports.reading import ESCAPED_STARTS, FORMULA_STARTS, Sheet
from clientela.imports.values import cell_text

CHUNK = 2000
# The fields an export writes, in this order.
EXPORTED = (
    "tax_id",
    "external_id",
    "name",
    "legal_name",
    "email",
    "phone",
    "tags",
    "address_street",
    "address_neighborhood",
    "address_city",
    "address_region",
    "address_postal_code",
    "country",
    "customer_since",
    "notes",
)


def neutralised(value: str) -> str:
    """``value`` safe from formula injection: a leading apostrophe when it starts like a
    formula, or with an apostrophe followed by what ``reading.clean`` would take for one
    an export put (so that the import gives back every value as it was)."""
    if value.startswith(FORMULA_STARTS) or (value[:1] == "'" and value[1:2] in ESCAPED_STARTS):
        return "'" + value
    return value


_ADDRESS_COLUMNS = ("street", "neighborhood", "city", "region", "postal_code")


def chunks_by_id(queryset: QuerySet, size: int = CHUNK) -> Iterator[list]:
    """The rows of ``queryset`` by id, ``size`` at a time, each chunk read from the last
    id of the one before (so a million rows read in flat memory, each chunk as fast as
    the first). A row is a model instance, or a ``values_list`` tuple that starts with
    the id."""
    last = 0
    while True:
        chunk = list(queryset.filter(pk__gt=last).order_by("pk")[:size])
        if not chunk:
            return
        yield chunk
        last = chunk[-1][0] if isinstance(chunk[-1], tuple) else chunk[-1].pk


def customer_rows(customers: QuerySet[Customer]) -> Iterator[list[str]]:
    """The header row, then one row per customer (by id), read a chunk at a time as plain
    values (no model instances: a million customers export in a few minutes)."""
    labels = {field.key: str(field.label) for field in CUSTOMER_FIELDS}
    yield [labels[key] for key in EXPORTED]
    rows = customers.values_list(
        "pk", "tax_id", "external_id", "name", "legal_name", "country", "customer_since", "notes"
    )
    for chunk in chunks_by_id(rows):
        ids = [row[0] for row in chunk]
        lists: dict[str, dict[int, list[str]]] = {"email": {}, "phone": {}, "tags": {}}
        for key, children, column in (
            ("email", CustomerEmail.objects.order_by("customer_id", "position", "id"), "email"),
            ("phone", CustomerPhone.objects.order_by("customer_id", "position", "id"), "number"),
            ("tags", CustomerTag.objects.order_by("customer_id", "id"), "tag__name"),
        ):
            for pk, value in children.filter(customer_id__in=ids).values_list(
                "customer_id", column
            ):
                lists[key].setdefault(pk, []).append(value)
        addresses: dict[int, tuple] = {}
        for pk, *address in (
            Address.objects.filter(customer_id__in=ids)
            .order_by("customer_id", "-is_default", "id")  # its default address first
            .values_list("customer_id", *_ADDRESS_COLUMNS)
        ):
            addresses.setdefault(pk, tuple(address))
        for pk, tax_id, external_id, name, legal_name, country, since, notes in chunk:
            values = {
                "tax_id": tax_id,
                # without one, Clientela's own number, by which the import finds it again
                "external_id": external_id or f"#{pk}",
                "name": name,
                "legal_name": legal_name,
                "country": country,
                "customer_since": since.isoformat() if since else "",
                "notes": notes,
                **{key: ", ".join(found.get(pk, ())) for key, found in lists.items()},
                **dict(
                    zip(
                        (f"address_{column}" for column in _ADDRESS_COLUMNS),
                        addresses.get(pk, ("",) * len(_ADDRESS_COLUMNS)),
                        strict=True,
                    )
                ),
            }
            yield [values[key] or "" for key in EXPORTED]


def refused_rows(sheet: Sheet, plan: Plan) -> Iterator[list[str]]:
    """The refused rows of a dry run as they were in the file, with their problems in a
    last column: corrected, the file imports again (that column matches no field)."""
    problems: dict[int, list[str]] = {}
    for problem in plan.problems:
        where = f"{problem.column}: " if problem.column else ""
        problems.setdefault(problem.row, []).append(where + problem.message)
    yield [*sheet.headers, _("Problems")]
    for number, cells in sheet.rows:
        if number in problems:
            yield [cell_text(cell) for cell in cells] + ["; ".join(problems[number])]


def export_write(rows: Iterator[list[str]], path: str | Path) -> int:
    """Write ``rows`` to ``path`` (.csv or .xlsx by its suffix), every text
    ``neutralised``; the data rows written."""
    path = Path(path)
    count = -1
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        for count, row in enumerate(rows):  # noqa: B007 (the count is the result)
            sheet.append([ILLEGAL_CHARACTERS_RE.sub("", neutralised(value)) for value in row])
        workbook.save(path)
    else:
        with path.open("w", encoding="utf-8-sig", newline="") as file:
            writer = csv.writer(file)
            for count, row in enumerate(rows):  # noqa: B007
                writer.writerow([neutralised(value) for value in row])
    return max(count, 0)
