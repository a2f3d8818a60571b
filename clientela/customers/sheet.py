"""The dry run of a customer import: what each row would do, before anything is written.

A row is matched to an existing live customer by its tax id, else one of its e-mails,
else one of its phones (each read in the normal form the catalog stores), else its
external id (a column the person importing maps to "External id": a code the customer
has in another system). Clientela's own number in that column (``#42``, as an export
writes it for a customer without an external id) says which customer it is, whatever
the other keys match.

A row's tax id and national phone numbers are read in its country: the one its country
column gives, else the one whose national id its tax id column's header names ("ИНН" is
Russia's, "NIF" Spain's; python-stdnum knows the names), else the one country whose ids
its tax id has the form of, else the default country. It then:

- **creates** a customer when nothing matches (a name or a legal name is needed: the
  catalog names it by its legal name when it has no other), noting the existing
  customers it looks like (a similar name at a similar street of the same postal code or
  city, as the duplicates list judges) for review;
- **updates** the one it matches, with the values it brings that differ (an empty cell
  changes nothing; e-mails, phones and tags — several to a cell, apart by commas or
  semicolons — are added to those already there);
- leaves it **unchanged** when it brings nothing new;
- is **refused**, saying why, when a value cannot be read, when it matches two customers
  (its first key that finds anyone finds two, or another of its keys is another
  customer's and not this one's; a key this one shares with an unmerged duplicate of it
  is no second match), or when an earlier row of the file has the same tax id, e-mail,
  phone or external id.

The plan reads the catalog a chunk of rows at a time (one query per key kind and chunk)
and never writes; ``customers_apply`` writes a chunk's planned rows through the
catalog's services. ``customer_rows`` writes customers out (headers in the active
language, several e-mails, phones or tags to a cell) in the form this import reads back.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Generator, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.access import Capability
from clientela.core.models import User
from clientela.core.parsing import split_list
from clientela.core.validators import (
    TAX_ID_TYPES,
    normalize_country,
    normalize_email,
    normalize_phone,
    normalize_tax_id,
    tax_id_countries,
    tax_id_country,
    tax_id_tells_apart,
)
from clientela.customers.matching import name_key
from clientela.customers.models import (
    LIVE,
    Address,
    Contact,
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerTag,
)
from clientela.customers.selectors import (
    customer_history_mark,
    customer_keys_changed_since,
    customers_alike,
    customers_alike_recorded,
    customers_hidden,
)
from clientela.customers.services import CUSTOMER_FIELDS as CUSTOMER_MODEL_FIELDS
from clientela.customers.services import (
    CustomerRowInvalid,
    address_create,
    address_update,
    contact_create,
    customer_since_clean,
    customer_update,
    customers_bulk_check,
    customers_bulk_write,
    new_customer_name,
)
from clientela.sheets.exporting import chunks_by_id
from clientela.sheets.mapping import Field
from clientela.sheets.plan import (
    Kind,
    RowPlan,
    row_text,
    row_writing,
    sheet_chunks,
)
from clientela.sheets.table import Cell, Sheet
from clientela.sheets.values import CellError, cell_block, cell_date, cell_line

# Clientela's own number of a customer, as an export writes it in the external id column.
_NUMBER = re.compile(r"#\d+")

# The fields of a customer row (e-mails, phones and tags may take several columns).
CUSTOMER_FIELDS: tuple[Field, ...] = (
    Field(
        "tax_id",
        gettext_lazy("Tax id"),
        (
            "RFC",
            "NIT",
            "RUC",
            "CUIT",
            "NIF",
            "CIF",
            "ИНН",
            "Tax id",
            "VAT",
            "Identificación fiscal",
            # every national id Clientela checks: CURP, NIE, RUT, CNPJ, УНП…
            *dict.fromkeys(t.label for types in TAX_ID_TYPES.values() for t in types),
        ),
        example="GODE561231GR8",
    ),
    Field(
        "external_id",
        gettext_lazy("External id"),
        (
            "Código",
            "Código de cliente",
            "Clave",
            "Número de cliente",
            "Код",
            "Код клиента",
            "Номер клиента",
            "External id",
            "Customer code",
            "Customer number",
        ),
        example="C-0042",
    ),
    Field(
        "name",
        gettext_lazy("Name"),
        (
            "Nombre",
            "Cliente",
            "Nombre del cliente",
            "Наименование",
            "Название",
            "Клиент",
            "Имя",
            "Name",
            "Customer",
            "Customer name",
            "Company",
            "Company name",
            "Наименование организации",
        ),
        example="Panadería Gómez",
        absorbs=("legal_name",),
    ),
    Field(
        "legal_name",
        gettext_lazy("Legal name"),
        (
            "Razón social",
            "Denominación social",
            "Полное наименование",
            "Юридическое название",
            "Legal name",
            "Company legal name",
        ),
        example="Panadería Gómez S.A. de C.V.",
    ),
    Field(
        "phone",
        gettext_lazy("Phone"),
        (
            "Teléfono",
            "Tel",
            "Celular",
            "Móvil",
            "WhatsApp",
            "Телефон",
            "Тел",
            "Мобильный",
            "Phone",
            "Mobile",
            "Cell",
        ),
        repeatable=True,
        example="222 555 0101",
    ),
    Field(
        "email",
        gettext_lazy("E-mail"),
        (
            "Correo electrónico",
            "Correo",
            "Email",
            "E-mail",
            "Mail",
            "Электронная почта",
            "Эл почта",
            "Почта",
        ),
        repeatable=True,
        example="pedidos@gomez.mx",
    ),
    Field(
        "address_street",
        gettext_lazy("Street and number"),
        (
            "Dirección",
            "Dirección de entrega",
            "Domicilio",
            "Calle",
            "Адрес",
            "Адрес доставки",
            "Улица",
            "Address",
            "Delivery address",
            "Street",
        ),
        example="Av. Reforma 120",
    ),
    Field(
        "address_neighborhood",
        gettext_lazy("Neighborhood"),
        ("Colonia", "Barrio", "Район", "Neighborhood", "District"),
        example="Centro",
    ),
    Field(
        "address_city",
        gettext_lazy("City"),
        ("Ciudad", "Municipio", "Город", "City", "Town"),
        example="Puebla",
    ),
    Field(
        "address_region",
        gettext_lazy("State or region"),
        ("Estado", "Provincia", "Región", "Область", "Регион", "State", "Region"),
        example="Puebla",
    ),
    Field(
        "address_postal_code",
        gettext_lazy("Postal code"),
        ("CP", "C.P.", "Código postal", "Индекс", "Почтовый индекс", "Postal code", "ZIP"),
        example="72000",
    ),
    Field("country", gettext_lazy("Country"), ("País", "Страна", "Country"), example="MX"),
    Field(
        "contact_name",
        gettext_lazy("Contact"),
        (
            "Contacto",
            "Persona de contacto",
            "Nombre de contacto",
            "Nombre del contacto",
            "Контакт",
            "Контактное лицо",
            "Contact",
            "Contact name",
        ),
        example="Rosa Gómez",
    ),
    Field(
        "tags",
        gettext_lazy("Tags"),
        ("Etiquetas", "Теги", "Метки", "Tags"),
        repeatable=True,
        example="Mayoreo, Cafetería",
    ),
    Field(
        "customer_since",
        gettext_lazy("Customer since"),
        (
            "Alta",
            "Fecha de alta",
            "Cliente desde",
            "Fecha de registro",
            "Дата регистрации",
            "Клиент с",
            "Клиент с даты",
            "Customer since",
            "Client since",
        ),
        example="2019-03-15",
    ),
    Field(
        "notes",
        gettext_lazy("Notes"),
        ("Notas", "Observaciones", "Comentarios", "Примечание", "Комментарий", "Notes"),
        example="Entrega antes de las 8",
    ),
)


@dataclass
class _Row:
    plan: RowPlan
    values: dict = field(default_factory=dict)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    # Clientela's own number of the customer ("#42" in the external id column, as an
    # export writes it for a customer without an external id), and where it was read.
    number: tuple[int, str, str] | None = None
    # The country the tax id column's header names, for a row with neither a country nor
    # a tax id: a new customer's, not a reason to change an existing one's.
    country: str | None = None


def hidden_customer() -> str:
    """Why a row matching a customer the importing user may not see is refused: the same
    words whatever key found it, naming nothing."""
    return _("This row matches a customer you may not change.")


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


def _read(
    number: int,
    cells: list[Cell],
    headers: list[str],
    columns: Mapping[int, str],
    named: tuple[str, ...],
) -> _Row:
    """A row's values in the catalog's normal forms, or its problems; ``named`` are the
    countries whose national id the tax id column's header names."""
    row = _Row(RowPlan(number, row_text(cells)))
    text = {
        index: cell_block(cells[index]) if key == "notes" else cell_line(cells[index])
        for index, key in columns.items()
    }
    for index, key in columns.items():
        if key == "country" and text[index]:
            try:
                row.values["country"] = normalize_country(text[index])
            except ValidationError as error:
                row.plan.refuse(headers[index], text[index], _message(error))
    country = _country(row, text, columns, named)
    for index, key in columns.items():
        value = text[index]
        if not value or key == "country":
            continue
        try:
            if key == "tax_id":
                row.values["tax_id"], _kind = normalize_tax_id(value, country)
            elif key == "external_id" and _NUMBER.fullmatch(value):
                row.number = (int(value[1:]), headers[index], value)
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
            elif key == "customer_since":
                row.values[key] = customer_since_clean(cell_date(cells[index])).isoformat()
            else:
                row.values[key] = value
        except ValidationError as error:
            row.plan.refuse(headers[index], value, _message(error))
        except CellError as error:
            row.plan.refuse(headers[index], value, str(error))
    return row


def _country(
    row: _Row, text: dict[int, str], columns: Mapping[int, str], named: tuple[str, ...]
) -> str:
    """The country a row's tax id and national phone numbers are read in: its own, else
    the one its tax id column's header names, else the one whose ids its tax id has the
    form of, else the default. Kept as the row's country when the file said it (a new
    customer's, or with the tax id it goes with)."""
    if "country" in row.values:
        return row.values["country"]
    default = settings.CLIENTELA_DEFAULT_COUNTRY
    tax_id = next((text[i] for i, key in columns.items() if key == "tax_id" and text[i]), "")
    if tax_id:
        row.values["country"] = tax_id_country(tax_id, named=named, default=default)
        return row.values["country"]
    if len(named) == 1:
        row.country = named[0]
        return row.country
    return default


def _matches(
    rows: list[_Row], user: User | None
) -> tuple[dict[str, dict[str, set[int]]], set[tuple[str, str]]]:
    """For each key kind, the live customers ``user`` may see holding each of these rows'
    values; and the keys (kind, value) only customers they may not see hold."""
    tax_ids = {key for row in rows for kind, key in _keys(row) if kind == "tax_id"}
    emails = {email for row in rows for email in row.emails}
    phones = {phone for row in rows for phone in row.phones}
    external_ids = {row.values["external_id"] for row in rows if "external_id" in row.values}
    numbers = {row.number[0] for row in rows if row.number}
    found: dict[str, dict[str, set[int]]] = {
        "number": {
            str(pk): {pk}
            for pk in Customer.objects.filter(LIVE, pk__in=numbers).values_list("pk", flat=True)
        }
        if numbers
        else {},
        "tax_id": {},
        "email": {},
        "phone": {},
        "external_id": {},
    }
    for kind, wanted in (("tax_id", tax_ids), ("external_id", external_ids)):
        if wanted:
            pairs = Customer.objects.filter(LIVE, **{f"{kind}__in": wanted})
            for value, pk in pairs.values_list(kind, "pk"):
                found[kind].setdefault(value, set()).add(pk)
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
    hidden = customers_hidden(
        user, {pk for held in found.values() for pks in held.values() for pk in pks}
    )
    hidden_keys = set()
    if hidden:
        for kind, held in found.items():
            for value, pks in list(held.items()):
                if pks & hidden:
                    held[value] = pks - hidden
                    if not held[value]:
                        del held[value]
                        hidden_keys.add((kind, value))
    return found, hidden_keys


def customer_chunks(
    sheet: Sheet, columns: Mapping[int, str], user: User | None = None
) -> Generator[list[RowPlan], None, None]:
    """The dry run of importing ``sheet`` with ``columns`` (index → field key), a chunk of
    rows at a time, as ``user`` may (see ``Kind``)."""
    headers = sheet.headers
    with closing(_KeysSeen()) as seen:
        named = tuple(
            country
            for index, key in columns.items()
            if key == "tax_id"
            for country in tax_id_countries(headers[index])
        )
        read = partial(_read, headers=headers, columns=columns, named=named)
        for rows in sheet_chunks(sheet, read):
            found, hidden_keys = _matches(rows, user)
            # (key kind, value) → the first row with it: earlier chunks', then this one's
            first_rows = seen.first_rows({key for row in rows for key in _keys(row)})
            matched_rows = {}
            for row in rows:
                _match(row, found, first_rows, hidden_keys)
                if row.plan.target is not None:
                    matched_rows[row.plan.target] = row
            seen.add(first_rows)
            _compare(matched_rows)
            yield [row.plan for row in rows]


class _KeysSeen:
    """The first row of the file holding each key (kind, value) the rows so far held, in
    a private temporary SQLite database: a million rows' keys would take hundreds of
    megabytes as a dictionary, and the plan's memory is to stay flat."""

    _BATCH = 500  # keys per look-up, well under SQLite's limit of parameters

    def __init__(self) -> None:
        # A temporary file, deleted when closed; the plan may move between threads.
        self._db = sqlite3.connect("", check_same_thread=False)
        self._db.execute(
            "CREATE TABLE seen (kind TEXT, value TEXT, row INTEGER, PRIMARY KEY (kind, value))"
            " WITHOUT ROWID"
        )

    def first_rows(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """The first row of each of ``keys`` that an earlier row held."""
        by_kind: dict[str, list[str]] = {}
        for kind, value in keys:
            by_kind.setdefault(kind, []).append(value)
        found = {}
        for kind, values in by_kind.items():
            for start in range(0, len(values), self._BATCH):
                part = values[start : start + self._BATCH]
                marks = ", ".join("?" * len(part))
                for value, row in self._db.execute(
                    f"SELECT value, row FROM seen WHERE kind = ? AND value IN ({marks})",
                    [kind, *part],
                ):
                    found[(kind, value)] = row
        return found

    def add(self, first_rows: dict[tuple[str, str], int]) -> None:
        """Remember these keys' first rows (keys already known keep theirs)."""
        self._db.executemany(
            "INSERT OR IGNORE INTO seen VALUES (?, ?, ?)",
            ((kind, value, row) for (kind, value), row in first_rows.items()),
        )

    def close(self) -> None:
        self._db.close()


def _keys(row: _Row) -> list[tuple[str, str]]:
    """The row's keys a customer is matched by: (kind, value)."""
    keys = [("number", str(row.number[0]))] if row.number else []
    tax_id = row.values.get("tax_id", "")
    # An id many people share (the RFC of the general public) finds nobody.
    keys += [("tax_id", tax_id)] if tax_id_tells_apart(tax_id) else []
    keys += [("email", email) for email in row.emails] + [("phone", p) for p in row.phones]
    if "external_id" in row.values:
        keys.append(("external_id", row.values["external_id"]))
    return keys


def _match(row: _Row, found: dict, seen: dict, hidden_keys: set[tuple[str, str]]) -> None:
    keys = _keys(row)
    row.plan.keys = tuple(keys)
    # Clientela's own number says which customer the row is (an export's rows of two
    # customers sharing an e-mail); only without it do the other keys find one, and
    # is a key an earlier row held a repeat.
    deciding = keys[:1] if row.number else keys
    for kind, value in keys:
        earlier = seen.setdefault((kind, value), row.plan.row)
        if earlier != row.plan.row and (kind, value) in deciding:
            row.plan.refuse(
                "",
                value,
                _("Row %(row)s already has this %(key)s; one customer takes one row.")
                % {"row": earlier, "key": _key_label(kind)},
            )
    if row.number and str(row.number[0]) not in found["number"]:
        _number, column, value = row.number
        if ("number", str(row.number[0])) in hidden_keys:
            row.plan.refuse(column, value, hidden_customer())
        else:
            row.plan.refuse(
                column, value, _("Clientela has no customer %(number)s.") % {"number": value}
            )
    if row.plan.action == "refused":
        return
    customers = _customers_matched(deciding, found)
    if not customers and hidden_keys.intersection(deciding):
        row.plan.refuse("", "", hidden_customer())
    elif len(customers) > 1:
        described = ", ".join(
            _("#%(id)s (by %(key)s)") % {"id": pk, "key": _key_label(kind)}
            for pk, kind in customers.items()
        )
        row.plan.refuse(
            "",
            "",
            _("This row matches more than one customer: %(customers)s. Merge them first.")
            % {"customers": described},
        )
    elif customers:
        row.plan.action, row.plan.target = "update", next(iter(customers))
        row.plan.keys += (("number", str(row.plan.target)),)
    elif not new_customer_name(row.values):
        row.plan.refuse("", "", _("A new customer needs a name or a legal name."))
    elif _address(row.values) and not _address_whole(row):
        return
    else:
        row.plan.changes = {
            **({"country": row.country} if row.country else {}),
            **row.values,
            "emails": row.emails,
            "phones": row.phones,
            "tags": row.tags,
        }


def _customers_matched(keys: list[tuple[str, str]], found: dict) -> dict[int, str]:
    """The customers a row's keys find (id → the kind of key that found it): those of its
    first key that finds any, and those of its other keys that are not that customer's.

    A key an unmerged duplicate shares with the customer the row's first key finds (the
    same e-mail under two records) adds no one; a key of another customer only does.
    """
    holders = [(kind, found[kind].get(value, set())) for kind, value in keys]
    first = next((pks for _kind, pks in holders if pks), set())
    target = next(iter(first)) if len(first) == 1 else None
    customers: dict[int, str] = {}
    for kind, pks in holders:
        if target in pks and target in customers:
            continue
        for pk in sorted(pks):
            customers.setdefault(pk, kind)
    return customers


def customers_review(rows: list[RowPlan], user: User | None = None) -> None:
    """Flag the new customers that look like existing ones ``user`` may see: a similar
    name at a similar street in the same postal code (or city without one), as the
    duplicates list judges."""
    creates = {row.row: row for row in rows if row.action == "create"}
    places = [
        (
            row.row,
            name_key(new_customer_name(row.changes)),
            row.changes.get("address_street", ""),
            row.changes.get("address_postal_code", "").upper(),
            row.changes.get("address_city", ""),
        )
        for row in creates.values()
        if row.changes.get("address_street")
    ]
    found = customers_alike(places)
    hidden = customers_hidden(user, {pk for alike in found.values() for pk in alike})
    for number, alike in found.items():
        creates[number].similar = [
            (pk, name) for pk, (name, _score) in alike.items() if pk not in hidden
        ]


def _key_label(kind: str) -> str:
    return {
        "tax_id": _("tax id"),
        "email": _("e-mail"),
        "phone": _("phone"),
        "external_id": _("external id"),
        "number": _("number"),
    }[kind]


# The fields of the sheet that are the customer's own columns (not its lists or address).
_CUSTOMER_COLUMNS = tuple(f.key for f in CUSTOMER_FIELDS if f.key in CUSTOMER_MODEL_FIELDS)


_ADDRESS_FIELDS = {
    "address_street": "street",
    "address_neighborhood": "neighborhood",
    "address_city": "city",
    "address_region": "region",
    "address_postal_code": "postal_code",
}


def _address(values: dict) -> dict:
    """The address fields a row brings, by the address's own field names."""
    address = {name: values[key] for key, name in _ADDRESS_FIELDS.items() if key in values}
    if "postal_code" in address:
        address["postal_code"] = address["postal_code"].upper()
    return address


def _address_whole(row: _Row) -> bool:
    """Whether the new address a row brings has its street and city; refuses it if not."""
    labels = {field.key: field.label for field in CUSTOMER_FIELDS}
    missing = [key for key in ("address_street", "address_city") if not row.values.get(key)]
    for key in missing:
        row.plan.refuse(
            str(labels[key]),
            "",
            _("A new address needs its street and city; this one has no %(field)s.")
            % {"field": str(labels[key]).lower()},
        )
    return not missing


def _stored(customer: Customer, key: str) -> str:
    """A customer's field as a row's value reads (a date in ISO form)."""
    value = getattr(customer, key)
    return value.isoformat() if isinstance(value, date) else value


def _compare(rows: dict[int, _Row]) -> None:
    """What each matched row would change on its customer: its fields, the e-mails,
    phones and tags it adds, its default address (added, or its fields changed) and a
    contact it adds."""
    customers = Customer.objects.filter(pk__in=rows).only(*_CUSTOMER_COLUMNS)
    lists: dict[str, dict[int, set[str]]] = {"emails": {}, "phones": {}, "tags": {}, "contacts": {}}
    for key, model, column in (
        ("emails", CustomerEmail, "email"),
        ("phones", CustomerPhone, "number"),
        ("tags", CustomerTag, "tag__name"),
        ("contacts", Contact, "name"),
    ):
        pairs = model.objects.filter(customer__in=rows).values_list("customer_id", column)
        for pk, value in pairs:
            lists[key].setdefault(pk, set()).add(value.casefold())
    # the default address (else the newest): the last of each customer in this order
    addresses = {
        address.customer_id: address
        for address in Address.objects.filter(customer__in=rows).order_by("is_default", "id")
    }
    for customer in customers:
        row = rows[customer.pk]
        changes = {
            key: value
            for key, value in row.values.items()
            if key in _CUSTOMER_COLUMNS and _stored(customer, key) != value
        }
        for key, new in (("emails", row.emails), ("phones", row.phones), ("tags", row.tags)):
            old = lists[key].get(customer.pk, set())
            added = [value for value in new if value.casefold() not in old]
            if added:
                changes[key] = added
        brought = _address(row.values)
        address = addresses.get(customer.pk)
        if brought and address is None:
            if not _address_whole(row):
                continue
            changes["address"] = brought
        elif brought:
            changed = {k: v for k, v in brought.items() if getattr(address, k) != v}
            if changed:
                changes["address"] = changed
        contact = row.values.get("contact_name")
        if contact and contact.casefold() not in lists["contacts"].get(customer.pk, set()):
            changes["contact_name"] = contact
        row.plan.changes = changes
        if not changes:
            row.plan.action = "unchanged"


def _new_customer(row: RowPlan) -> dict:
    """``customers_bulk_check``'s row for a planned new customer."""
    changes = dict(row.changes)
    address = _address(changes)
    for key in _ADDRESS_FIELDS:
        changes.pop(key, None)
    contact = changes.pop("contact_name", None)
    return {
        **changes,
        "addresses": [address] if address else [],
        "contacts": [{"name": contact}] if contact else [],
    }


def _update(row: RowPlan, customer: Customer, lists: dict, actor: User | None, reason: str):
    changes = dict(row.changes)
    address = changes.pop("address", None)
    contact = changes.pop("contact_name", None)
    for key in ("emails", "phones", "tags"):
        if key in changes:
            changes[key] = [*lists[key].get(customer.pk, []), *changes[key]]
    customer = customer_update(
        actor=actor, customer=customer, version=customer.version, reason=reason, **changes
    )
    if address is not None:
        current = customer.addresses.order_by("-is_default", "-id").first()
        if current is None:
            address_create(actor=actor, customer=customer, reason=reason, **address)
        else:
            address_update(
                actor=actor, address=current, version=current.version, reason=reason, **address
            )
    if contact is not None:
        contact_create(actor=actor, customer=customer, reason=reason, name=contact)


def customers_prepare(rows: list[RowPlan], actor: User | None) -> None:
    """Check and build a chunk's new customers (``RowPlan.prepared``) before anything is
    written: the checks are most of the work of writing them."""
    creates = [row for row in rows if row.action == "create"]
    try:
        checked = customers_bulk_check(actor=actor, rows=[_new_customer(row) for row in creates])
    except CustomerRowInvalid as refusal:
        with row_writing(creates[refusal.index]):
            raise
    for row, item in zip(creates, checked, strict=True):
        row.prepared = item


def customers_apply(rows: list[RowPlan], actor: User | None, reason: str) -> None:
    """Write a chunk's planned rows: create the new customers (prepared) all at once,
    then update the matched ones (adding e-mails, phones and tags to those they have)."""
    creates = [row for row in rows if row.action == "create"]
    try:
        created = customers_bulk_write(
            actor=actor, reason=reason, checked=[row.prepared for row in creates]
        )
    except CustomerRowInvalid as refusal:
        with row_writing(creates[refusal.index]):
            raise
    # Flagged from the candidates the service recorded: the new customer is always the
    # later of a pair (the other one existed, or came from an earlier row).
    rows_by_id = {customer.pk: row for customer, row in zip(created, creates, strict=True)}
    alike = customers_alike_recorded(customers=rows_by_id)
    hidden = customers_hidden(actor, {other for _pk, other, _name in alike})
    for pk, other, name in alike:
        if other not in hidden:
            rows_by_id[pk].similar.append((other, name))
    updates = {row.target: row for row in rows if row.action == "update"}
    lists: dict[str, dict[int, list[str]]] = {"emails": {}, "phones": {}, "tags": {}}
    for key, model, column in (
        ("emails", CustomerEmail, "email"),
        ("phones", CustomerPhone, "number"),
        ("tags", CustomerTag, "tag__name"),
    ):
        pairs = model.objects.filter(customer__in=updates).order_by("pk")
        for pk, value in pairs.values_list("customer_id", column):
            lists[key].setdefault(pk, []).append(value)
    customers = Customer.objects.in_bulk(list(updates))
    for row in rows:
        if row.action == "update":
            with row_writing(row):
                _update(row, customers[row.target], lists, actor, reason)


# --- out ------------------------------------------------------------------------------

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
_ADDRESS_COLUMNS = ("street", "neighborhood", "city", "region", "postal_code")


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


CUSTOMERS = Kind(
    key="customers",
    label=gettext_lazy("Customers"),
    capability=Capability.CUSTOMER_EDIT,
    fields=CUSTOMER_FIELDS,
    plan_chunks=customer_chunks,
    apply=customers_apply,
    export=lambda: customer_rows(Customer.objects.filter(LIVE)),
    review=customers_review,
    prepare=customers_prepare,
    marker=customer_history_mark,
    changed_since=customer_keys_changed_since,
)
