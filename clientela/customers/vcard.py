"""Customers' contacts as vCards: out to phones and mail programs, in as a sheet.

**Out** (``customer_vcards``): one vCard 3.0 per contact person of each customer — FN
and N the person, TITLE their role, ORG the customer — or, for a customer without
contacts, one card of the customer itself (ORG too for a business). Every card of a
customer carries the customer's e-mails, phones, default address (the neighbourhood as
the address's "extended" part, the country as the customer's), notes and tags
(CATEGORIES); a contact's own e-mail and phone go in the group ``contact.`` (shown by
phones, read back by no one: a customer import has no field for them). The customer's
legal name and external id travel as ``X-CLIENTELA-LEGAL-NAME`` and
``X-CLIENTELA-EXTERNAL-ID``. UIDs are stable: ``clientela-customer-<id>`` and
``clientela-contact-<id>``. Customers are read a chunk at a time.

**In** (``vcard_sheet``): a vCard file (2.1, 3.0 or 4.0; UTF-8, or quoted-printable
with its charset) reads as a ``Sheet`` whose headers are the customer import's field
labels, so the customer import takes it as it takes a spreadsheet. A card gives one
row: its ORG is the name and its FN the contact (unless FN only repeats the ORG), else
its FN (or N) is the name; several EMAIL, TEL or CATEGORIES are joined by ", ". Cards
that follow one another for the same organisation with the same e-mails, phones,
address, notes and tags (the cards of one customer's contacts, as exported above) are
one row, whose contact is the first card's person: a customer takes one row. Rows are
numbered by the card their first card is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import vobject
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from vobject.base import VObjectError

from clientela.core.parsing import fold
from clientela.core.validators import normalize_country
from clientela.customers.models import Contact, Customer, CustomerKind
from clientela.customers.sheet import CUSTOMER_FIELDS
from clientela.sheets.table import Cell, Sheet, SpreadsheetError

CHUNK = 1000
PRODID = "-//Clientela//Clientela//EN"
CONTACT_GROUP = "contact"
LEGAL_NAME = "X-CLIENTELA-LEGAL-NAME"
EXTERNAL_ID = "X-CLIENTELA-EXTERNAL-ID"
# The fields a card fills, in the order of the sheet's columns.
READ = (
    "name",
    "legal_name",
    "external_id",
    "email",
    "phone",
    "address_street",
    "address_neighborhood",
    "address_city",
    "address_region",
    "address_postal_code",
    "country",
    "contact_name",
    "tags",
    "notes",
)
_ADDRESS_PARTS = {
    "address_street": "street",
    "address_neighborhood": "extended",
    "address_city": "city",
    "address_region": "region",
    "address_postal_code": "code",
    "country": "country",
}


# --- out ------------------------------------------------------------------------------


def customer_vcards(customers: QuerySet[Customer]) -> Iterator[str]:
    """The vCards of ``customers`` in their order, the cards of one customer (text, CRLF
    lines) at a time (see the module)."""
    queryset = customers.prefetch_related(
        "emails", "phones", "addresses", "customer_tags__tag", "contacts"
    )
    for customer in queryset.iterator(chunk_size=CHUNK):
        contacts = list(customer.contacts.all()) or [None]
        yield "".join(_card(customer, contact).serialize() for contact in contacts)


def vcard_write(customers: QuerySet[Customer], path: str | Path) -> int:
    """Write the vCards of ``customers`` to ``path``; the number of customers written."""
    count = 0
    with Path(path).open("w", encoding="utf-8", newline="") as file:
        for count, cards in enumerate(customer_vcards(customers), start=1):  # noqa: B007
            file.write(cards)
    return count


def _split_name(name: str) -> vobject.vcard.Name:
    """A person's name as N: the last word the family name, the others given names."""
    *given, family = name.split() or [""]
    return vobject.vcard.Name(family=family, given=" ".join(given))


def _add(card, name: str, value, *, types: list[str] | None = None, group: str | None = None):
    line = card.add(name)
    line.value = value
    if types:
        line.type_paramlist = types
    if group:
        line.group = group


def _card(customer: Customer, contact: Contact | None) -> vobject.base.Component:
    card = vobject.vCard()
    _add(card, "prodid", PRODID)
    if contact is None:
        _add(card, "uid", f"clientela-customer-{customer.pk}")
        _add(card, "fn", customer.name)
        if customer.kind == CustomerKind.PERSON:
            _add(card, "n", _split_name(customer.name))
        else:
            _add(card, "n", vobject.vcard.Name())
            _add(card, "org", [customer.name])
            _add(card, "x-abshowas", "COMPANY")  # Apple's address book: file under the ORG
    else:
        _add(card, "uid", f"clientela-contact-{contact.pk}")
        _add(card, "fn", contact.name)
        _add(card, "n", _split_name(contact.name))
        _add(card, "org", [customer.name])
        if contact.role:
            _add(card, "title", contact.role)
        if contact.email:
            _add(card, "email", contact.email, types=["INTERNET"], group=CONTACT_GROUP)
        if contact.phone:
            _add(card, "tel", contact.phone, types=["CELL"], group=CONTACT_GROUP)
    for email in customer.emails.all():
        _add(card, "email", email.email, types=["INTERNET", "WORK"])
    for phone in customer.phones.all():
        _add(card, "tel", phone.number, types=["WORK", "VOICE"])
    address = next(iter(customer.addresses.all()), None)
    if address is not None:
        _add(
            card,
            "adr",
            vobject.vcard.Address(
                street=address.street,
                extended=address.neighborhood,
                city=address.city,
                region=address.region,
                code=address.postal_code,
                country=customer.country,
            ),
            types=["WORK"],
        )
    if customer.notes:
        _add(card, "note", customer.notes)
    tags = [link.tag.name for link in customer.customer_tags.all()]
    if tags:
        _add(card, "categories", tags)
    if customer.legal_name:
        _add(card, LEGAL_NAME.lower(), customer.legal_name)
    if customer.external_id:
        _add(card, EXTERNAL_ID.lower(), customer.external_id)
    return card


# --- in -------------------------------------------------------------------------------


def vcard_sheet(path: str | Path, *, encoding: str) -> Sheet:
    """The cards of the vCard file ``path`` (text in ``encoding``) as a customer sheet.

    The first card is read at once, so a file broken from its start is refused here;
    a card broken further on is refused when the rows reach it.
    """
    path = Path(path)
    labels = {field.key: str(field.label) for field in CUSTOMER_FIELDS}
    rows = _rows(path, encoding)
    first = next(rows, None)
    if first is None:
        raise SpreadsheetError(_("The vCard file has no contacts."))

    def all_rows() -> Iterator[tuple[int, list[Cell]]]:
        yield first
        yield from rows

    return Sheet(path.stem, 0, [labels[key] for key in READ], all_rows())


def _rows(path: Path, encoding: str) -> Iterator[tuple[int, list[Cell]]]:
    """``(number of its first card, cells)`` per customer, the cards of one joined."""
    pending: tuple[int, dict[str, str]] | None = None
    for number, values in _cards(path, encoding):
        if pending is not None and _same_customer(pending[1], values):
            continue
        if pending is not None:
            yield pending[0], [pending[1].get(key) or None for key in READ]
        pending = number, values
    if pending is not None:
        yield pending[0], [pending[1].get(key) or None for key in READ]


def _same_customer(first: dict[str, str], other: dict[str, str]) -> bool:
    """Whether ``other`` is another contact's card of the customer of ``first``."""
    if not first.get("organisation") or first["organisation"] != other.get("organisation"):
        return False
    return all(first.get(key) == other.get(key) for key in READ if key != "contact_name")


def _cards(path: Path, encoding: str) -> Iterator[tuple[int, dict[str, str]]]:
    number = 0
    with path.open(encoding=encoding, newline="") as file:
        try:
            for component in vobject.readComponents(file, allowQP=True):
                if component.name == "VCARD":
                    number += 1
                    yield number, _values(component)
        except (VObjectError, ValueError, LookupError) as error:
            line = getattr(error, "lineNumber", None)
            if line is not None:
                message = _(
                    "The vCard file cannot be read at line %(line)s (card %(card)s): it may "
                    "be damaged or cut short."
                ) % {"line": line, "card": number + 1}
            else:
                message = _(
                    "The vCard file cannot be read at card %(card)s: it may be damaged or "
                    "cut short."
                ) % {"card": number + 1}
            raise SpreadsheetError(message) from error


def _text(value) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "").strip()


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _joined(values: list[str]) -> str:
    unique = []
    for value in values:
        if value and value not in unique:
            unique.append(value)
    return ", ".join(unique)


def _phone(value: str) -> str:
    """A TEL value as a number: a vCard 4.0 ``tel:`` URI loses its scheme and parameters."""
    if value.lower().startswith("tel:"):
        value = value[4:].split(";")[0]
    return value


def _values(card) -> dict[str, str]:
    """A card's values by customer field key (``organisation`` for joining cards)."""
    lines: dict[str, list] = {}
    for line in card.getChildren():
        if line.group and line.group.lower() == CONTACT_GROUP:
            continue  # a contact's own e-mail or phone: the import has no field for it
        lines.setdefault(line.name, []).append(line.value)
    organisation = _text(lines.get("ORG", [""])[0])
    person = _text(lines.get("FN", [""])[0])
    if not person and lines.get("N"):
        name = lines["N"][0]
        parts = (getattr(name, part, "") for part in ("prefix", "given", "additional", "family"))
        person = " ".join(" ".join(_text(part) for part in parts).split())
    values = {
        "organisation": organisation,
        "name": organisation or person,
        "contact_name": person if organisation and fold(person) != fold(organisation) else "",
        "legal_name": _text(lines.get(LEGAL_NAME, [""])[0]),
        "external_id": _text(lines.get(EXTERNAL_ID, [""])[0]),
        "email": _joined([_text(value) for value in lines.get("EMAIL", [])]),
        "phone": _joined([_phone(_text(value)) for value in lines.get("TEL", [])]),
        "tags": _joined(
            [_text(tag) for value in lines.get("CATEGORIES", []) for tag in _listed(value)]
        ),
        "notes": "\n".join(_text(value) for value in lines.get("NOTE", []) if _text(value)),
    }
    if lines.get("ADR"):
        address = lines["ADR"][0]
        for key, part in _ADDRESS_PARTS.items():
            # a comma left unescaped (as vCard 2.1 writes it) splits a part into a list
            text = ", ".join(_text(item) for item in _listed(getattr(address, part, "")))
            values[key] = " ".join(text.split())
        values["country"] = _country_code(values["country"])
    return values


def _country_code(text: str) -> str:
    """A country as its ISO code, from the code or its name in a language Clientela
    speaks; "" for one not known (the customer then takes the default country)."""
    try:
        return normalize_country(text) if text else ""
    except ValidationError:
        return ""
