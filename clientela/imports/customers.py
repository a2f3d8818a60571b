"""The dry run of a customer import: what each row would do, before anything is written.

A row is matched to an existing live customer by its tax id, else one of its e-mails,
else one of its phones (each read in the normal form the catalog stores). It then:

- **creates** a customer when nothing matches (a name is needed), noting the existing
  customers it looks like (a similar name at a similar street of the same postal code or
  city, as the duplicates list judges) for review;
- **updates** the one it matches, with the values it brings that differ (an empty cell
  changes nothing; e-mails, phones and tags — several to a cell, apart by commas or
  semicolons — are added to those already there);
- leaves it **unchanged** when it brings nothing new;
- is **refused**, saying why, when a value cannot be read, when it matches two customers
  (by different keys), or when an earlier row of the file has the same tax id, e-mail
  or phone.

The plan reads the catalog a chunk of rows at a time (one query per key kind and chunk)
and never writes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from clientela.core.parsing import split_list
from clientela.core.validators import (
    normalize_country,
    normalize_email,
    normalize_phone,
    normalize_tax_id,
)
from clientela.customers.matching import (
    NAME_SIMILARITY,
    fold,
    name_key,
    names_similar,
    street_key,
    streets_similar,
)
from clientela.customers.models import (
    LIVE,
    Address,
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerTag,
)
from clientela.imports.reading import Cell, Sheet
from clientela.imports.values import cell_text

CHUNK_ROWS = 1000
ACTIONS = ("create", "update", "unchanged", "refused")


@dataclass(frozen=True)
class Problem:
    """Why a row is refused: its row number, the column and value (if one), a message."""

    row: int
    column: str
    value: str
    message: str


@dataclass
class RowPlan:
    """What one row would do; ``changes`` holds the fields it sets (all of them for a
    new customer) and the e-mails, phones and tags it adds."""

    row: int
    action: str = "create"
    customer_id: int | None = None
    changes: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # A new customer with a similar name at a similar address: (id, name) of each, for
    # review (the import creates it; the duplicates list then shows the pair).
    similar: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class CustomerPlan:
    """The dry run of a whole sheet."""

    rows: list[RowPlan]

    def counts(self) -> dict[str, int]:
        """Rows per action, every action listed."""
        counts = dict.fromkeys(ACTIONS, 0)
        for row in self.rows:
            counts[row.action] += 1
        return counts

    def problems(self) -> list[Problem]:
        """Every reason a row is refused, in row order."""
        return [problem for row in self.rows for problem in row.problems]


@dataclass
class _Row:
    plan: RowPlan
    values: dict = field(default_factory=dict)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


def _refuse(row: _Row, column: str, value: str, message: str) -> None:
    row.plan.action = "refused"
    row.plan.problems.append(Problem(row.plan.row, column, value, message))


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


def _read(number: int, cells: list[Cell], headers: list[str], columns: Mapping[int, str]) -> _Row:
    """A row's values in the catalog's normal forms, or its problems."""
    row = _Row(RowPlan(number))
    text = {index: cell_text(cells[index]).strip() for index in columns}
    country = settings.CLIENTELA_DEFAULT_COUNTRY
    for index, key in columns.items():
        if key == "country" and text[index]:
            try:
                country = normalize_country(text[index])
                row.values["country"] = country
            except ValidationError as error:
                _refuse(row, headers[index], text[index], _message(error))
    for index, key in columns.items():
        value = text[index]
        if not value or key == "country":
            continue
        try:
            if key == "tax_id":
                row.values["tax_id"], _kind = normalize_tax_id(value, country)
            elif key == "email":
                for email in map(normalize_email, split_list(value, ",;")):
                    if email not in row.emails:
                        row.emails.append(email)
            elif key == "phone":
                for phone in (normalize_phone(part, country) for part in split_list(value, ",;")):
                    if phone not in row.phones:
                        row.phones.append(phone)
            elif key == "tags":
                row.tags += split_list(value, ",;")
            else:
                row.values[key] = value
        except ValidationError as error:
            _refuse(row, headers[index], value, _message(error))
    return row


def _chunks(sheet: Sheet, size: int) -> Iterator[list[tuple[int, list[Cell]]]]:
    chunk = []
    for item in sheet.rows:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _matches(rows: list[_Row]) -> dict[str, dict[str, set[int]]]:
    """For each key kind, the live customers holding each of these rows' values."""
    tax_ids = {row.values["tax_id"] for row in rows if "tax_id" in row.values}
    emails = {email for row in rows for email in row.emails}
    phones = {phone for row in rows for phone in row.phones}
    found: dict[str, dict[str, set[int]]] = {"tax_id": {}, "email": {}, "phone": {}}
    for value, pk in Customer.objects.filter(LIVE, tax_id__in=tax_ids).values_list("tax_id", "pk"):
        found["tax_id"].setdefault(value, set()).add(pk)
    for kind, model, column in (
        ("email", CustomerEmail, "email"),
        ("phone", CustomerPhone, "number"),
    ):
        wanted = emails if kind == "email" else phones
        pairs = model.objects.filter(
            **{f"{column}__in": wanted, "customer__merged_into__isnull": True}
        ).values_list(column, "customer_id")
        for value, pk in pairs:
            found[kind].setdefault(value, set()).add(pk)
    return found


def customers_plan(sheet: Sheet, columns: Mapping[int, str]) -> CustomerPlan:
    """The dry run of importing ``sheet`` with ``columns`` (index → field key)."""
    headers = sheet.headers
    seen: dict[tuple[str, str], int] = {}  # (key kind, value) → first row with it
    plans: list[RowPlan] = []
    for chunk in _chunks(sheet, CHUNK_ROWS):
        rows = [_read(number, cells, headers, columns) for number, cells in chunk]
        found = _matches(rows)
        matched_rows = {}
        for row in rows:
            _match(row, found, seen)
            if row.plan.customer_id is not None:
                matched_rows[row.plan.customer_id] = row
        _compare(matched_rows)
        _similar([row for row in rows if row.plan.action == "create"])
        plans += [row.plan for row in rows]
    return CustomerPlan(plans)


def _match(row: _Row, found: dict, seen: dict) -> None:
    keys = [("tax_id", row.values["tax_id"])] if "tax_id" in row.values else []
    keys += [("email", email) for email in row.emails] + [("phone", p) for p in row.phones]
    for kind, value in keys:
        earlier = seen.setdefault((kind, value), row.plan.row)
        if earlier != row.plan.row:
            _refuse(
                row,
                "",
                value,
                _("Row %(row)s already has this %(key)s; one customer takes one row.")
                % {"row": earlier, "key": _key_label(kind)},
            )
    if row.plan.action == "refused":
        return
    customers: dict[int, str] = {}
    for kind, value in keys:
        for pk in sorted(found[kind].get(value, ())):
            customers.setdefault(pk, kind)
    if len(customers) > 1:
        described = ", ".join(
            _("#%(id)s (by %(key)s)") % {"id": pk, "key": _key_label(kind)}
            for pk, kind in customers.items()
        )
        _refuse(
            row,
            "",
            "",
            _("This row matches more than one customer: %(customers)s. Merge them first.")
            % {"customers": described},
        )
    elif customers:
        row.plan.action, row.plan.customer_id = "update", next(iter(customers))
    elif not row.values.get("name"):
        _refuse(row, "", "", _("A new customer needs a name."))
    else:
        row.plan.changes = {
            **row.values,
            "emails": row.emails,
            "phones": row.phones,
            "tags": row.tags,
        }


def _similar(rows: list[_Row]) -> None:
    """Flag new customers that look like existing ones: a similar name at a similar
    street in the same postal code (or city without one), as the duplicates list judges."""
    blocks = {}
    near = Q(pk__in=[])
    for row in rows:
        street = row.values.get("address_street")
        code = row.values.get("address_postal_code", "")
        city = row.values.get("address_city", "")
        if street and (code or city):
            blocks[row.plan.row] = (code, "" if code else fold(city))
            near |= Q(postal_code=code) if code else Q(postal_code="", city__iexact=city)
    if not blocks:
        return
    candidates: dict[tuple[str, str], list[tuple[int, str, str, str]]] = {}
    for pk, name, name_key_, street, code, city in Address.objects.filter(
        near, customer__merged_into__isnull=True
    ).values_list(
        "customer_id", "customer__name", "customer__name_key", "street", "postal_code", "city"
    ):
        block = (code, "" if code else fold(city))
        candidates.setdefault(block, []).append((pk, name, name_key_, street_key(street)))
    for row in rows:
        if row.plan.row not in blocks:
            continue
        key, street = name_key(row.values["name"]), street_key(row.values["address_street"])
        for pk, name, other_key, other_street in candidates.get(blocks[row.plan.row], []):
            alike = names_similar(key, other_key) >= NAME_SIMILARITY
            if alike and streets_similar(street, other_street) and pk not in dict(row.plan.similar):
                row.plan.similar.append((pk, name))


def _key_label(kind: str) -> str:
    return {"tax_id": _("tax id"), "email": _("e-mail"), "phone": _("phone")}[kind]


_CUSTOMER_COLUMNS = ("name", "legal_name", "tax_id", "country", "notes")


def _compare(rows: dict[int, _Row]) -> None:
    """What each matched row would change on its customer."""
    customers = Customer.objects.filter(pk__in=rows).only(*_CUSTOMER_COLUMNS)
    emails: dict[int, set[str]] = {}
    phones: dict[int, set[str]] = {}
    tags: dict[int, set[str]] = {}
    for pk, email in CustomerEmail.objects.filter(customer__in=rows).values_list(
        "customer_id", "email"
    ):
        emails.setdefault(pk, set()).add(email)
    for pk, number in CustomerPhone.objects.filter(customer__in=rows).values_list(
        "customer_id", "number"
    ):
        phones.setdefault(pk, set()).add(number)
    for pk, name in CustomerTag.objects.filter(customer__in=rows).values_list(
        "customer_id", "tag__name"
    ):
        tags.setdefault(pk, set()).add(name.casefold())
    for customer in customers:
        row = rows[customer.pk]
        changes = {
            key: value
            for key, value in row.values.items()
            if key in _CUSTOMER_COLUMNS and getattr(customer, key) != value
        }
        for key, new, old in (
            ("emails", row.emails, emails.get(customer.pk, set())),
            ("phones", row.phones, phones.get(customer.pk, set())),
        ):
            added = [value for value in new if value not in old]
            if added:
                changes[key] = added
        added_tags = [tag for tag in row.tags if tag.casefold() not in tags.get(customer.pk, set())]
        if added_tags:
            changes["tags"] = added_tags
        row.plan.changes = changes
        if not changes:
            row.plan.action = "unchanged"
