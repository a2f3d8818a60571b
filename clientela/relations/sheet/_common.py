"""What the relations kinds share: the customer, staff and contact person columns and how
they find their records, the words of the choices, and the book of contacts the dry run
keeps per customer to ask ``relations.pressure`` about each outbound row.

A row's customer is found as an order's is: by its tax id, else its customer code
(external id, or ``#42`` for Clientela's own number, as an export writes it), else its
e-mail, else its name (case and accents aside); the first of these that finds customers
decides, and it must find one. A member of staff is found by user name, e-mail or full
name; a contact person by name among the customer's contacts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.models import User
from clientela.core.parsing import fold
from clientela.core.validators import normalize_email, normalize_tax_id, tax_id_tells_apart
from clientela.customers.matching import name_key
from clientela.customers.models import LIVE, Contact, Customer, CustomerEmail
from clientela.customers.selectors import customers_hidden
from clientela.customers.sheet import hidden_customer
from clientela.orders.sheet.orders import ORDER_FIELDS
from clientela.relations import pressure
from clientela.relations.models import (
    Activity,
    ActivityStatus,
    ContactChannel,
    Direction,
    Interaction,
    Outcome,
)
from clientela.relations.services import contact_limits
from clientela.sheets.mapping import Field
from clientela.sheets.plan import RowPlan
from clientela.sheets.table import Cell
from clientela.sheets.values import CellError, cell_decimal

CUSTOMER_KEYS = ("customer_tax_id", "customer_code", "customer_email", "customer")
# The customer's columns, as the orders import names them.
CUSTOMER_FIELDS: tuple[Field, ...] = tuple(f for f in ORDER_FIELDS if f.key in CUSTOMER_KEYS)
_NUMBER = re.compile(r"#(\d{1,12})")

STAFF_NAMES = (
    "Vendedor",
    "Vendedora",
    "Asesor",
    "Agente",
    "Ejecutivo",
    "Atendido por",
    "Usuario",
    "Empleado",
    "Менеджер",
    "Сотрудник",
    "Продавец",
    "Staff",
    "Staff member",
    "Salesperson",
    "Agent",
    "Rep",
)
CONTACT_FIELD = Field(
    "contact",
    gettext_lazy("Contact person"),
    (
        "Contacto",
        "Persona de contacto",
        "Habló con",
        "Контакт",
        "Контактное лицо",
        "Contact",
        "Contact person",
        "Spoke with",
    ),
    example="Rosa Gómez",
)
NOTES_FIELD = Field(
    "notes",
    gettext_lazy("Notes"),
    (
        "Notas",
        "Observaciones",
        "Comentarios",
        "Примечание",
        "Примечания",
        "Комментарий",
        "Заметки",
        "Notes",
        "Comments",
    ),
    example="Pide catálogo",
)
OVERRIDE_FIELD = Field(
    "override_reason",
    gettext_lazy("Reason to go over the contact limit"),
    (
        "Motivo de excepción",
        "Justificación",
        "Razón para exceder el límite",
        "Motivo para pasar el límite de contactos",
        "Причина превышения",
        "Причина превысить лимит контактов",
        "Обоснование",
        "Override reason",
    ),
)
OUTCOME_FIELD = Field(
    "outcome",
    gettext_lazy("Outcome"),
    ("Resultado", "Resultado de la llamada", "Результат", "Итог", "Outcome", "Result"),
    example="Interesado",
)

CHANNEL_WORDS = {
    ContactChannel.PHONE: (
        "teléfono", "llamada", "tel", "telefónica", "телефон", "звонок", "тел", "call",
        "phone call",
    ),
    ContactChannel.EMAIL: (
        "correo", "correo electrónico", "email", "mail", "электронная почта", "эл почта",
        "почта", "письмо",
    ),
    ContactChannel.WHATSAPP: ("whatsapp", "wa", "ватсап", "вотсап"),
    ContactChannel.SMS: ("sms", "mensaje", "mensaje de texto", "смс", "text message"),
    ContactChannel.MAIL: ("correo postal", "carta", "почтой", "письмо почтой", "post", "letter"),
    ContactChannel.WEB_FORM: ("formulario", "formulario web", "форма на сайте", "website form"),
    ContactChannel.IN_PERSON: (
        "en persona", "visita", "presencial", "лично", "визит", "встреча", "visit", "meeting",
    ),
    ContactChannel.SOCIAL: (
        "redes sociales", "red social", "facebook", "instagram", "соцсети", "social media",
    ),
    ContactChannel.EVENT: ("evento", "feria", "выставка", "мероприятие", "fair"),
}  # fmt: skip
DIRECTION_WORDS = {
    Direction.INBOUND: (
        "entrante", "recibida", "recibido", "entrada", "входящий", "входящая", "входящее",
        "in", "incoming",
    ),
    Direction.OUTBOUND: (
        "saliente", "realizada", "realizado", "salida", "исходящий", "исходящая", "исходящее",
        "out", "outgoing",
    ),
}  # fmt: skip
OUTCOME_WORDS = {
    Outcome.REACHED: ("contactado", "contestó", "atendió", "дозвонились", "состоялся", "answered"),
    Outcome.NO_ANSWER: (
        "no contestó", "no contesta", "sin respuesta", "не ответил", "нет ответа", "недозвон",
    ),
    Outcome.LEFT_MESSAGE: (
        "dejé mensaje", "mensaje", "buzón", "оставил сообщение", "автоответчик", "voicemail",
    ),
    Outcome.INTERESTED: ("interesado", "interesada", "заинтересован", "интерес"),
    Outcome.NOT_INTERESTED: ("no interesado", "no le interesa", "не заинтересован", "отказ"),
    Outcome.COMPLAINT: ("queja", "reclamo", "жалоба", "претензия"),
    Outcome.ORDER_TAKEN: ("pedido", "venta", "compró", "заказ", "продажа", "order", "sale"),
    Outcome.OTHER: ("otro", "otra", "другое"),
}  # fmt: skip


@dataclass
class Row:
    """One row as read: the customer's keys, the names of its people, its values."""

    plan: RowPlan
    # field key → the column it is read from (shared by the rows of a sheet)
    columns: Mapping[str, str]
    customer: dict[str, str] = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    # field key → (column, text) as the file has it, for the messages
    shown: dict[str, tuple[str, str]] = field(default_factory=dict)

    def refuse(self, key: str, message: str) -> None:
        """Refuse the row on the column ``key`` was read from (else its header's name)."""
        column, text = self.shown.get(key) or (self.columns.get(key, ""), "")
        self.plan.refuse(column, text, message)

    @property
    def refused(self) -> bool:
        """Whether the row is refused already."""
        return self.plan.action == "refused"


def columns_named(headers: list[str], columns: Mapping[int, str], fields) -> dict[str, str]:
    """Field key → the header of its column, else the field's label (for a message about
    a field the file has no column for)."""
    named = {f.key: str(f.label) for f in fields}
    for index, key in sorted(columns.items(), reverse=True):
        named[key] = headers[index]
    return named


@lru_cache(maxsize=4096)
def _tax_id(text: str) -> str:
    """A tax id in the catalog's compact form (one of another country: as written,
    without spaces, dots or dashes); a call log names a customer many times over, so
    each is checked once."""
    try:
        return normalize_tax_id(text, settings.CLIENTELA_DEFAULT_COUNTRY)[0]
    except ValidationError:
        return re.sub(r"[\s.\-/]", "", text).upper()


def customer_key_read(row: Row, key: str, text: str) -> None:
    """Keep a customer key in the form the catalog stores it."""
    if key == "customer_tax_id":
        tax_id = _tax_id(text)
        if tax_id_tells_apart(tax_id):  # the general public's RFC names nobody
            row.customer[key] = tax_id
    elif key == "customer_email":
        row.customer[key] = normalize_email(text)
    elif key == "customer":
        row.customer[key] = fold(text)
    else:
        row.customer[key] = text


def whole_number(cell: Cell, low: int, high: int) -> int:
    """A cell as a whole number from ``low`` to ``high``."""
    value = cell_decimal(cell)
    if value != value.to_integral_value() or not low <= value <= high:
        raise CellError(
            _("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
        )
    return int(value)


def _key_label(key: str) -> str:
    return {
        "customer_tax_id": _("tax id"),
        "customer_code": _("customer code"),
        "customer_email": _("e-mail"),
        "customer": _("name"),
    }[key]


@dataclass
class Found:
    """The customers a chunk's rows name, as ``user`` may see them, with their contact
    persons: what ``customer_of`` and ``contact_of`` look rows up in."""

    by_key: dict[str, dict[str, set[int]]]
    names: dict[int, str]
    hidden_keys: set[tuple[str, str]]
    contacts: dict[tuple[int, str], int]


def customers_found(rows: Iterable[Row], user: User | None) -> Found:
    """Read the customers a chunk's rows name (one query per kind of key) and their
    contact persons (one more)."""
    rows = list(rows)
    wanted = {key: {r.customer[key] for r in rows if key in r.customer} for key in CUSTOMER_KEYS}
    by_key: dict[str, dict[str, set[int]]] = {key: {} for key in CUSTOMER_KEYS}
    names: dict[int, str] = {}
    numbers = {
        int(match.group(1))
        for code in wanted["customer_code"]
        if (match := _NUMBER.fullmatch(code))
    }
    query = Q()
    if wanted["customer_tax_id"]:
        query |= Q(tax_id__in=wanted["customer_tax_id"])
    if wanted["customer_code"]:
        query |= Q(external_id__in=wanted["customer_code"]) | Q(pk__in=numbers)
    keys = {name_key(name) for name in wanted["customer"]} - {""}
    if keys:
        query |= Q(name_key__in=keys)
    if query:
        customers = Customer.objects.filter(LIVE).filter(query)
        for pk, tax_id, code, name in customers.values_list("pk", "tax_id", "external_id", "name"):
            names[pk] = name
            for key, value in (
                ("customer_tax_id", tax_id),
                ("customer_code", code),
                ("customer_code", f"#{pk}"),
                ("customer", fold(name)),
            ):
                if value in wanted[key]:
                    by_key[key].setdefault(value, set()).add(pk)
    if wanted["customer_email"]:
        pairs = CustomerEmail.objects.filter(
            email__in=wanted["customer_email"], customer__merged_into__isnull=True
        ).values_list("email", "customer_id", "customer__name")
        for email, pk, name in pairs:
            names[pk] = name
            by_key["customer_email"].setdefault(email, set()).add(pk)
    hidden = customers_hidden(user, set(names))
    hidden_keys = set()
    for key, held in by_key.items():
        for value, pks in list(held.items()):
            if pks & hidden:
                held[value] = pks - hidden
                if not held[value]:
                    del held[value]
                    hidden_keys.add((key, value))
    contacts: dict[tuple[int, str], int] = {}
    if names:
        pairs = (
            Contact.objects.filter(customer__in=set(names) - hidden)
            .order_by("-pk")  # of two of one name, the first
            .values_list("pk", "customer_id", "name")
        )
        for pk, customer_id, name in pairs:
            contacts[customer_id, fold(name)] = pk
    return Found(by_key, names, hidden_keys, contacts)


def customer_of(row: Row, found: Found, *, needed: bool = True) -> int | None:
    """The one customer the row names, or None, refusing the row when its keys find
    none (and one is ``needed``), several, or one the user may not see."""
    if not row.customer:
        if needed and not any(key in row.shown for key in CUSTOMER_KEYS):
            row.refuse(
                "customer", _("Say which customer: a tax id, customer code, e-mail or name.")
            )
        return None
    key = next(key for key in CUSTOMER_KEYS if key in row.customer)
    for each in CUSTOMER_KEYS:
        pks = found.by_key[each].get(row.customer.get(each, ""))
        if pks:
            if len(pks) > 1:
                described = ", ".join(f"#{pk} {found.names[pk]}" for pk in sorted(pks))
                row.refuse(
                    each,
                    _(
                        "Several customers have this %(key)s: %(customers)s. Give a tax id or "
                        "customer code that tells them apart."
                    )
                    % {"key": _key_label(each), "customers": described},
                )
                return None
            return next(iter(pks))
    if found.hidden_keys.intersection(row.customer.items()):
        row.refuse(key, hidden_customer())
        return None
    given = ", ".join(
        f"{_key_label(k)} {row.shown[k][1]}" for k in CUSTOMER_KEYS if k in row.customer
    )
    row.refuse(key, _("No customer has %(keys)s: add the customer first.") % {"keys": given})
    return None


def contact_of(row: Row, customer: int | None, found: Found) -> int | None:
    """The contact person the row names among its customer's, refusing a name they do
    not have."""
    name = row.values.get("contact")
    if not name or customer is None:
        return None
    pk = found.contacts.get((customer, fold(name)))
    if pk is None:
        row.refuse(
            "contact",
            _(
                "%(customer)s has no contact person called %(name)s: add them on the "
                "customer's page, or leave the cell empty."
            )
            % {"customer": found.names[customer], "name": name},
        )
    return pk


class Staff:
    """The users, found by user name, e-mail or full name (case and accents aside);
    read once per import."""

    def __init__(self) -> None:
        self.names: dict[str, set[int]] = {}
        self.active: dict[int, bool] = {}
        self.shown: dict[int, str] = {}
        for pk, username, email, first, last, active in User.objects.values_list(
            "pk", "username", "email", "first_name", "last_name", "is_active"
        ):
            self.active[pk] = active
            self.shown[pk] = f"{first} {last}".strip() or username
            for name in {username, email, f"{first} {last}", f"{last} {first}"}:
                if fold(name):
                    self.names.setdefault(fold(name), set()).add(pk)

    def find(self, row: Row, key: str, *, active: bool) -> int | None:
        """The user the row's ``key`` names, refusing a name no user or several have (and
        one who can no longer sign in, when the work is to be ``active``)."""
        text = row.values.get(key)
        if not text:
            return None
        pks = self.names.get(fold(text), set())
        if len(pks) != 1:
            message = (
                _("Several users are called %(name)s: give the user name or e-mail.")
                if pks
                else _("No user is called %(name)s: give a user name, e-mail or full name.")
            )
            row.refuse(key, message % {"name": text})
            return None
        pk = next(iter(pks))
        if active and not self.active[pk]:
            row.refuse(key, _("%(user)s can no longer sign in.") % {"user": self.shown[pk]})
            return None
        return pk


@dataclass
class _Contacts:
    """One customer's contacts as the dry run counts them: outbound ones (done or
    planned) and inbound ones, each as (channel, when)."""

    outbound: list[tuple[str, datetime]] = field(default_factory=list)
    inbound: list[tuple[str, datetime]] = field(default_factory=list)


class PressureBook:
    """The contacts the dry run counts per customer as it goes through the file: those
    in the database around each chunk's rows, then each outbound row it lets through; it
    asks ``relations.pressure`` about each outbound row as ``contact_check`` asks about
    one contact, so a row is refused for the same reason in the same words."""

    def __init__(self) -> None:
        self.limits = contact_limits()
        days = max([limit.days for limit in self.limits], default=0)
        self.span = timedelta(days=days)
        self.reply = timedelta(days=settings.CLIENTELA_CONSENT_REPLY_DAYS)
        self.consents: dict[int, dict[str, bool]] = {}
        self.contacts: dict[int, _Contacts] = {}
        self._seen: set[tuple[str, int]] = set()
        # (customer, channel, direction, minute) of the interactions in the database
        # around the chunks read so far: a row that is one of them changes nothing.
        self.recorded: set[tuple[int, str, str, datetime]] = set()

    def read(self, moments: Mapping[int, list[datetime]]) -> None:
        """Read what counts for these customers around these moments of theirs: their
        consents, their interactions and open outbound activities in the database (each
        once, however many chunks read it)."""
        if not moments:
            return
        new = set(moments) - set(self.consents)
        if new:
            fields = sorted(set(pressure.CONSENTS.values()))
            for values in Customer.objects.filter(pk__in=new).values("pk", *fields):
                self.consents[values.pop("pk")] = values
        span = max(self.span, self.reply)
        every = [when for times in moments.values() for when in times]
        window = (min(every) - span, max(every) + span)
        interactions = Interaction.objects.filter(customer__in=moments, at__range=window)
        for pk, customer, channel, direction, at in interactions.values_list(
            "pk", "customer_id", "channel", "direction", "at"
        ):
            if ("i", pk) in self._seen:
                continue
            self._seen.add(("i", pk))
            book = self.contacts.setdefault(customer, _Contacts())
            (book.outbound if direction == Direction.OUTBOUND else book.inbound).append(
                (channel, at)
            )
            self.recorded.add((customer, channel, direction, minute(at)))
        planned = Activity.objects.filter(
            customer__in=moments, status=ActivityStatus.OPEN, due_at__range=window
        ).exclude(channel="")
        for pk, customer, channel, due_at in planned.values_list(
            "pk", "customer_id", "channel", "due_at"
        ):
            if ("a", pk) not in self._seen:
                self._seen.add(("a", pk))
                self.contacts.setdefault(customer, _Contacts()).outbound.append((channel, due_at))

    def refusal(self, customer: int, channel: str, at: datetime) -> pressure.Refusal | None:
        """Why one more outbound contact with ``customer`` on ``channel`` at ``at`` may
        not happen, given what was counted so far; or None."""
        consents = self.consents[customer]
        book = self.contacts.get(customer, _Contacts())
        consent = pressure.CONSENTS.get(channel)
        replying = False
        if consent is not None and not consents[consent]:
            replying = any(
                ch == channel and at - self.reply <= when <= at for ch, when in book.inbound
            )
        refusal = pressure.consent_refusal(consents=consents, channel=channel, replying=replying)
        if refusal is not None:
            return refusal
        limits = [limit for limit in self.limits if limit.covers(channel)]
        if not limits:
            return None
        span = timedelta(days=max(limit.days for limit in limits))
        near = [(ch, when) for ch, when in book.outbound if at - span <= when <= at + span]
        return pressure.limit_refusal(contacts=near, limits=limits, channel=channel, at=at)

    def count(self, customer: int, channel: str, direction: str, at: datetime) -> None:
        """Count a contact a row makes (an outbound one against the limits, an inbound
        one as one a later reply may answer)."""
        book = self.contacts.setdefault(customer, _Contacts())
        (book.outbound if direction == Direction.OUTBOUND else book.inbound).append((channel, at))


def minute(moment: datetime) -> datetime:
    """A moment to the minute, as a file holds it."""
    return moment.replace(second=0, microsecond=0)


def pressure_check(
    row: Row, book: PressureBook, customer: int, channel: str, at: datetime, channel_key: str
) -> str:
    """Ask the book about one outbound row: refuse it as ``contact_check`` would (on
    ``channel_key``'s column for a consent, the override reason's for a limit); the
    override reason it goes over a limit with, else ""."""
    refusal = book.refusal(customer, channel, at)
    if refusal is None:
        return ""
    reason = row.values.get("override_reason", "")
    if refusal.overridable and reason:
        return reason
    row.refuse(channel_key if refusal.field == "channel" else refusal.field, refusal.message)
    return ""
