"""Products in from a spreadsheet and out to one: the catalog of what the business sells.

SKUs are stored as the order book stores them, trimmed and in capitals, so a row matches
an existing product by its SKU whatever its case or surrounding spaces ("pan-001 " is
PAN-001). A row then:

- **creates** a product when no product has its SKU (it needs a name and a unit price;
  the currency defaults to the business's, the unit to "pza");
- **updates** the product with the values it brings that differ (an empty cell changes
  nothing; "Active" no/yes deactivates or reactivates it);
- leaves it **unchanged** when it brings nothing new;
- is **refused**, saying why, when it has no SKU, when a value cannot be read or the
  catalog would not take it (a negative price, more decimals than the currency has, an
  unknown currency, a name too long…), or when an earlier row of the file has the same
  SKU.

The plan reads the catalog one query per chunk of rows and never writes;
``products_apply`` writes a chunk's planned rows through the order book's services.
``product_rows`` writes the catalog out in a form this import reads back unchanged.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.access import Capability
from clientela.core.models import User
from clientela.core.money import money_check, normalize_currency
from clientela.core.parsing import fold
from clientela.orders.models import Product
from clientela.orders.services import (
    product_create,
    product_deactivate,
    product_reactivate,
    product_update,
)
from clientela.sheets.exporting import chunks_by_id
from clientela.sheets.mapping import Field
from clientela.sheets.plan import Kind, RowPlan, row_text, row_writing, sheet_chunks
from clientela.sheets.table import Cell, Sheet
from clientela.sheets.values import CellError, cell_decimal, cell_line, cell_text, decimal_text

PRODUCT_FIELDS: tuple[Field, ...] = (
    Field(
        "sku",
        gettext_lazy("SKU"),
        (
            "SKU",
            "Clave",
            "Clave de producto",
            "Código",
            "Código de producto",
            "Artículo",
            "Артикул",
            "Код",
            "Код товара",
            "Product code",
            "Item code",
            "Code",
        ),
        example="PAN-001",
    ),
    Field(
        "name",
        gettext_lazy("Name"),
        (
            "Producto",
            "Nombre",
            "Nombre del producto",
            "Descripción",
            "Наименование",
            "Название",
            "Товар",
            "Name",
            "Product",
            "Product name",
            "Description",
        ),
        example="Concha de vainilla",
    ),
    Field(
        "category",
        gettext_lazy("Category"),
        ("Categoría", "Línea", "Familia", "Категория", "Группа", "Category"),
        example="Pan dulce",
    ),
    Field(
        "unit",
        gettext_lazy("Unit"),
        ("Unidad", "Unidad de medida", "UM", "Единица", "Ед изм", "Unit", "UoM"),
        example="pza",
    ),
    Field(
        "unit_price",
        gettext_lazy("Unit price"),
        (
            "Precio",
            "Precio unitario",
            "Precio de lista",
            "Цена",
            "Цена за единицу",
            "Price",
            "Unit price",
            "List price",
        ),
        example="12.50",
    ),
    Field(
        "currency",
        gettext_lazy("Currency"),
        ("Moneda", "Divisa", "Валюта", "Currency"),
        example="MXN",
    ),
    Field(
        "lead_time_tolerance_days",
        gettext_lazy("Delivery tolerance (days)"),
        (
            "Tolerancia",
            "Tolerancia de entrega",
            "Días de tolerancia",
            "Допуск",
            "Допуск по сроку",
            "Tolerance",
            "Delivery tolerance",
        ),
        example="1",
    ),
    Field(
        "is_active",
        gettext_lazy("Active"),
        ("Activo", "Activa", "Vigente", "Активен", "Активный", "Active"),
        example="Sí",
    ),
)

# The product's own fields a row can set (all but "is_active", which has its services).
_PRODUCT_COLUMNS = (
    "sku",
    "name",
    "category",
    "unit",
    "unit_price",
    "currency",
    "lead_time_tolerance_days",
)
_YES = frozenset({"si", "yes", "y", "s", "да", "д", "1", "true", "verdadero", "x"})
_NO = frozenset({"no", "n", "нет", "н", "0", "false", "falso"})


def sku_normal(text: str) -> str:
    """A SKU as the catalog stores it: trimmed, in capitals."""
    return text.strip().upper()


def whole_number(cell: Cell) -> int:
    """A cell as a whole number (``3``, ``3.0``, "3"); raises ``CellError``."""
    number = cell_decimal(cell)
    if number != number.to_integral_value():
        raise CellError(_("Enter a whole number."))
    return int(number)


def yes_or_no(cell: Cell) -> bool:
    """A cell as yes or no, written in Spanish, Russian or English (sí/no, да/нет,
    yes/no, 1/0, true/false) or in the active language."""
    if isinstance(cell, bool):
        return cell
    text = fold(cell_text(cell))
    if text in _YES or text == fold(_("Yes")):
        return True
    if text in _NO or text == fold(_("No")):
        return False
    raise CellError(_("“%(value)s” is neither yes nor no.") % {"value": cell_text(cell)[:40]})


@dataclass
class _Row:
    plan: RowPlan
    values: dict = field(default_factory=dict)
    # The column of each mapped field and its text: a refusal names them.
    cells: dict[str, tuple[str, str]] = field(default_factory=dict)

    def refuse(self, key: str, message: str) -> None:
        column, value = self.cells.get(key, ("", ""))
        self.plan.refuse(column, value, message)


def _read(number: int, cells: list[Cell], headers: list[str], columns: Mapping[int, str]) -> _Row:
    """A row's values as the catalog stores them, or its problems."""
    row = _Row(RowPlan(number, row_text(cells)))
    for index, key in columns.items():
        cell = cells[index]
        text = cell_line(cell)
        row.cells[key] = (headers[index], text)
        if not text:
            continue
        try:
            if key == "sku":
                value: object = sku_normal(text)
            elif key == "unit_price":
                value = cell_decimal(cell)
            elif key == "lead_time_tolerance_days":
                value = whole_number(cell)
            elif key == "is_active":
                value = yes_or_no(cell)
            elif key == "currency":
                value = normalize_currency(text)
            else:
                value = " ".join(text.split())
        except CellError as error:
            row.plan.refuse(headers[index], text, str(error))
            continue
        except ValidationError as error:
            row.plan.refuse(headers[index], text, " ".join(error.messages))
            continue
        row.values[key] = value
    if "sku" not in row.values and row.plan.action != "refused":
        row.refuse("sku", _("Every row needs the product's SKU."))
    return row


def _check(row: _Row, product: Product | None) -> None:
    """Refuse what the catalog would not take: the product as the row leaves it is
    checked field by field (and its price against its currency's decimals)."""
    after = (
        Product()
        if product is None
        else Product(**{key: getattr(product, key) for key in _PRODUCT_COLUMNS})
    )
    for key, value in row.values.items():
        setattr(after, key, value)
    try:
        after.clean_fields(exclude=["version"])
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            for message in messages:
                row.refuse(key, message)
    if row.values.keys() & {"unit_price", "currency"}:
        try:
            money_check(after.unit_price, after.currency)
        except ValidationError as error:
            for message in error.messages:
                row.refuse("unit_price", message)


def product_chunks(
    sheet: Sheet, columns: Mapping[int, str], _user: User | None = None
) -> Generator[list[RowPlan], None, None]:
    """The dry run of importing ``sheet`` with ``columns`` (index → field key), a chunk of
    rows at a time (products are no customer's: every user plans them alike)."""
    headers = sheet.headers
    seen: dict[str, int] = {}  # SKU → the first row with it
    for rows in sheet_chunks(sheet, partial(_read, headers=headers, columns=columns)):
        skus = {row.values["sku"] for row in rows if "sku" in row.values}
        existing = {product.sku: product for product in Product.objects.filter(sku__in=skus)}
        for row in rows:
            if row.plan.action != "refused":
                _plan(row, existing.get(row.values["sku"]), seen)
        yield [row.plan for row in rows]


def _plan(row: _Row, product: Product | None, seen: dict[str, int]) -> None:
    sku = row.values["sku"]
    earlier = seen.setdefault(sku, row.plan.row)
    if earlier != row.plan.row:
        row.refuse(
            "sku",
            _("Row %(row)s already has this SKU; one product takes one row.") % {"row": earlier},
        )
        return
    if product is None:
        if "name" not in row.values:
            row.refuse("name", _("A new product needs a name."))
        if "unit_price" not in row.values:
            row.refuse("unit_price", _("A new product needs a unit price."))
        if row.plan.action == "refused":
            return
        _check(row, None)
        row.plan.changes = dict(row.values)
        return
    row.plan.action, row.plan.target = "update", product.pk
    row.plan.changes = {
        key: value for key, value in row.values.items() if getattr(product, key) != value
    }
    if row.plan.changes:
        _check(row, product)
    else:
        row.plan.action = "unchanged"


def products_apply(rows: list[RowPlan], actor: User | None, reason: str) -> None:
    """Write a chunk's planned rows: create the new products, update the matched ones
    (deactivating or reactivating them as "Active" says)."""
    products = Product.objects.in_bulk([row.target for row in rows if row.action == "update"])
    for row in rows:
        if row.action not in ("create", "update"):
            continue
        with row_writing(row):
            changes = dict(row.changes)
            active = changes.pop("is_active", None)
            if row.action == "create":
                product = product_create(actor=actor, reason=reason, **changes)
            else:
                product = products[row.target]
                if changes:
                    product = product_update(
                        actor=actor,
                        product=product,
                        version=product.version,
                        reason=reason,
                        **changes,
                    )
            if active is not None and active != product.is_active:
                switch = product_reactivate if active else product_deactivate
                switch(actor=actor, product=product, reason=reason)


def product_rows(products: QuerySet[Product]) -> Iterator[list[str]]:
    """The header row (the fields' labels in the active language), then one row per
    product (by id), read a chunk at a time."""
    yield [str(field.label) for field in PRODUCT_FIELDS]
    yes, no = _("Yes"), _("No")
    for chunk in chunks_by_id(products):
        for product in chunk:
            yield [
                product.sku,
                product.name,
                product.category,
                product.unit,
                decimal_text(product.unit_price),
                product.currency,
                str(product.lead_time_tolerance_days),
                yes if product.is_active else no,
            ]


PRODUCTS = Kind(
    key="products",
    label=gettext_lazy("Products"),
    capability=Capability.PRODUCT_EDIT,
    fields=PRODUCT_FIELDS,
    plan_chunks=product_chunks,
    apply=products_apply,
    export=lambda: product_rows(Product.objects.all()),
)
