"""The import of interactions: one row per contact with a customer, a call log as Excel
exports it ("Fecha, Cliente, Canal, Tipo, Resultado, Notas, Vendedor").

A row names its customer (see ``_common``), when it happened (a date, or a date and a
time; a day alone is its start, in the site's time zone), the channel and, optionally,
the direction (a row without one is outbound, as a call log lists the calls made; a web
form's is inbound), the contact person, the member of staff (default: the one who
imports), the subject, the outcome, the satisfaction (1–5), notes and a reason to go
over the contact limit. Channel, direction and outcome are read by code or by their
label in Spanish, Russian or English, and the usual words ("llamada", "звонок",
"saliente"…). It then:

- **creates** the interaction;
- leaves it **unchanged** when the customer has that contact already (the same
  channel, direction and minute), so importing a file again records nothing twice;
- is **refused**, saying why and naming the column, when a value cannot be read, when
  no customer or several match, when it is in the future, or when an outbound row
  fails ``contact_check``'s rules: the customer's consent to the channel, then the
  owner's contact limits, counted with the contacts in the database and the rows above
  it. A row over a limit passes with a reason; a refused row counts for nothing.

The plan reads a chunk of rows at a time: one query per kind of customer key, one for
the contact persons, one for the consents of the customers it meets first, two for the
contacts counted; it never writes.
``interactions_apply`` records a chunk's rows through ``interactions_bulk_record`` (one
multi-row insert, the customers' last contact moved on once per chunk);
``interaction_rows`` exports interactions in the form this import reads back.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from functools import partial

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.access import Capability
from clientela.core.models import User
from clientela.relations.models import Activity, ContactChannel, Direction, Interaction, Outcome
from clientela.relations.services import (
    InteractionRow,
    InteractionRowInvalid,
    interactions_bulk_record,
)
from clientela.relations.services.contacts import FUTURE_TOLERANCE
from clientela.relations.sheet._common import (
    CHANNEL_WORDS,
    CONTACT_FIELD,
    CUSTOMER_FIELDS,
    CUSTOMER_KEYS,
    DIRECTION_WORDS,
    NOTES_FIELD,
    OUTCOME_FIELD,
    OUTCOME_WORDS,
    OVERRIDE_FIELD,
    STAFF_NAMES,
    PressureBook,
    Row,
    Staff,
    columns_named,
    contact_of,
    customer_key_read,
    customer_of,
    customers_found,
    minute,
    pressure_check,
    whole_number,
)
from clientela.sheets.exporting import chunks_by_id
from clientela.sheets.mapping import Field
from clientela.sheets.plan import Kind, RowPlan, row_text, row_writing, sheet_chunks
from clientela.sheets.table import Cell, Sheet
from clientela.sheets.values import (
    CellError,
    cell_block,
    cell_line,
    cell_moment,
    choice_read,
    choice_words,
)

INTERACTION_FIELDS: tuple[Field, ...] = (
    *CUSTOMER_FIELDS,
    Field(
        "at",
        gettext_lazy("When"),
        (
            "Fecha",
            "Fecha y hora",
            "Fecha de contacto",
            "Fecha de la llamada",
            "Cuándo",
            "Дата",
            "Дата и время",
            "Дата звонка",
            "Дата контакта",
            "Когда",
            "Date",
            "Date and time",
            "Contacted on",
        ),
        example="2024-03-05 10:30",
    ),
    Field(
        "channel",
        gettext_lazy("Channel"),
        ("Canal", "Medio", "Vía", "Канал", "Способ связи", "Channel", "Medium"),
        example="Teléfono",
    ),
    Field(
        "direction",
        gettext_lazy("Direction"),
        (
            "Tipo",
            "Sentido",
            "Entrante o saliente",
            "Тип",
            "Направление",
            "Входящий или исходящий",
            "Type",
            "Inbound or outbound",
        ),
        example="Saliente",
    ),
    CONTACT_FIELD,
    Field("staff", gettext_lazy("Staff member"), STAFF_NAMES, example="ana"),
    Field(
        "subject",
        gettext_lazy("Subject"),
        ("Asunto", "Motivo", "Tema", "Тема", "Предмет", "Subject", "Topic"),
        example="Seguimiento de cotización",
    ),
    OUTCOME_FIELD,
    Field(
        "satisfaction",
        gettext_lazy("Satisfaction (1–5)"),
        (
            "Satisfacción",
            "Calificación",
            "Оценка",
            "Удовлетворенность",
            "Satisfaction",
            "Rating",
        ),
        example="4",
    ),
    NOTES_FIELD,
    OVERRIDE_FIELD,
)

# The texts the model checks (their length).
_CHECKED = {"subject", "notes", "override_reason"}


def _read(
    number: int,
    cells: list[Cell],
    headers: list[str],
    columns: Mapping[int, str],
    named: Mapping[str, str],
    words: Mapping[str, Mapping[str, str]],
) -> Row:
    """A row's values, or its problems (in the sheet reader: no database)."""
    row = Row(RowPlan(number, row_text(cells)), named)
    for index, key in columns.items():
        cell = cells[index]
        text = cell_block(cell) if key in {"notes", "override_reason"} else cell_line(cell)
        if not text:
            continue
        row.shown[key] = (headers[index], text)
        try:
            if key in CUSTOMER_KEYS:
                customer_key_read(row, key, text)
            elif key == "at":
                row.values[key] = cell_moment(cell)
            elif key == "channel":
                row.values[key] = choice_read(text, words[key], ContactChannel.choices)
            elif key == "direction":
                row.values[key] = choice_read(text, words[key], Direction.choices)
            elif key == "outcome":
                row.values[key] = choice_read(text, words[key], Outcome.choices)
            elif key == "satisfaction":
                row.values[key] = whole_number(cell, 1, 5)
            else:
                if key in _CHECKED:
                    Interaction._meta.get_field(key).run_validators(text)
                row.values[key] = text
        except CellError as error:
            row.refuse(key, str(error))
        except ValidationError as error:
            row.refuse(key, " ".join(error.messages))
    for key, message in (
        ("at", _("Each contact needs the day it happened.")),
        ("channel", _("Each contact needs its channel: phone, e-mail, WhatsApp…")),
    ):
        if key not in row.values and key not in row.shown:
            row.refuse(key, message)
    if "at" in row.values and row.values["at"] > timezone.now() + FUTURE_TOLERANCE:
        row.refuse(
            "at",
            _("An interaction is a contact that happened: plan an activity for a later time."),
        )
    if not row.refused and "direction" not in row.values:
        web = row.values["channel"] == ContactChannel.WEB_FORM
        row.values["direction"] = Direction.INBOUND if web else Direction.OUTBOUND
    return row


def interaction_chunks(
    sheet: Sheet, columns: Mapping[int, str], user: User | None = None
) -> Generator[list[RowPlan], None, None]:
    """The dry run of importing ``sheet`` with ``columns`` (index → field key), a chunk of
    rows at a time, as ``user`` may (see ``Kind``)."""
    named = columns_named(sheet.headers, columns, INTERACTION_FIELDS)
    words = {
        "channel": choice_words(ContactChannel.choices, CHANNEL_WORDS),
        "direction": choice_words(Direction.choices, DIRECTION_WORDS),
        "outcome": choice_words(Outcome.choices, OUTCOME_WORDS),
    }
    staff = Staff()
    book = PressureBook()
    read = partial(_read, headers=sheet.headers, columns=columns, named=named, words=words)
    for rows in sheet_chunks(sheet, read):
        readable = [row for row in rows if not row.refused]
        found = customers_found(readable, user)
        customers = {row.plan.row: customer_of(row, found) for row in readable}
        moments: dict[int, list] = {}
        for row in readable:
            customer = customers[row.plan.row]
            if customer is not None:
                moments.setdefault(customer, []).append(row.values["at"])
        book.read(moments)
        for row in readable:
            customer = customers[row.plan.row]
            if customer is not None:
                _plan(row, customer, found, staff, book, user)
        yield [row.plan for row in rows]


def _plan(row: Row, customer: int, found, staff: Staff, book: PressureBook, user) -> None:
    values = row.values
    contact = contact_of(row, customer, found)
    staff_id = staff.find(row, "staff", active=False)
    if row.refused:
        return
    at, channel, direction = values["at"], values["channel"], values["direction"]
    row.plan.keys = (("customer", str(customer)),)
    if (customer, channel, direction, minute(at)) in book.recorded:
        row.plan.action = "unchanged"
        return
    override = ""
    if direction == Direction.OUTBOUND:
        override = pressure_check(row, book, customer, channel, at, "channel")
        if row.refused:
            return
    book.count(customer, channel, direction, at)
    book.recorded.add((customer, channel, direction, minute(at)))
    row.plan.changes = {
        "customer": customer,
        "at": at,
        "channel": channel,
        "direction": direction,
        "contact": contact,
        "staff": staff_id if staff_id is not None else getattr(user, "pk", None),
        "subject": values.get("subject", ""),
        "outcome": values.get("outcome", ""),
        "satisfaction": values.get("satisfaction"),
        "notes": values.get("notes", ""),
        "override_reason": override,
    }


def interactions_apply(rows: list[RowPlan], actor: User | None, reason: str) -> None:
    """Write a chunk's planned rows: record the new contacts all at once."""
    creates = [row for row in rows if row.action == "create"]
    records = [
        InteractionRow(
            customer_id=c["customer"],
            channel=c["channel"],
            direction=c["direction"],
            at=c["at"],
            contact_id=c["contact"],
            staff_id=c["staff"],
            subject=c["subject"],
            outcome=c["outcome"],
            satisfaction=c["satisfaction"],
            notes=c["notes"],
            override_reason=c["override_reason"],
        )
        for c in (row.changes for row in creates)
    ]
    try:
        interactions_bulk_record(actor=actor, rows=records, reason=reason)
    except InteractionRowInvalid as refusal:
        with row_writing(creates[refusal.index]):
            raise


def interactions_marker() -> object:
    """Where the contacts stand when an import starts planning: the last interaction and
    the time (activities planned or moved after it count against the limits too)."""
    last = Interaction.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return last, timezone.now()


def interactions_changed_since(marker: object) -> set[tuple[str, str]]:
    """The customers (as ``RowPlan.keys``) contacted, or with an activity planned or
    moved, since ``marker``: a row planned on their counts is not written."""
    last, since = marker  # type: ignore[misc]
    customers = set(
        Interaction.objects.filter(pk__gt=last).values_list("customer_id", flat=True)
    ) | set(
        Activity.objects.filter(updated_at__gte=since)
        .exclude(customer=None)
        .values_list("customer_id", flat=True)
    )
    return {("customer", str(pk)) for pk in customers}


INTERACTIONS = Kind(
    key="interactions",
    label=gettext_lazy("Interactions"),
    capability=Capability.INTERACTION_RECORD,
    fields=INTERACTION_FIELDS,
    plan_chunks=interaction_chunks,
    apply=interactions_apply,
    export=lambda: interaction_rows(Interaction.objects.all()),
    marker=interactions_marker,
    changed_since=interactions_changed_since,
)


# --- export -------------------------------------------------------------------------

EXPORTED = (
    "customer_tax_id",
    "customer_code",
    "customer",
    "at",
    "channel",
    "direction",
    "contact",
    "staff",
    "subject",
    "outcome",
    "satisfaction",
    "notes",
    "override_reason",
)


def moment_text(moment) -> str:
    """A stored moment as the import reads it back: local time, to the minute."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def interaction_rows(interactions: QuerySet[Interaction]) -> Iterator[list[str]]:
    """The header row, then one row per interaction (by id), read a chunk at a time."""
    labels = {f.key: str(f.label) for f in INTERACTION_FIELDS}
    yield [labels[key] for key in EXPORTED]
    channels, directions = dict(ContactChannel.choices), dict(Direction.choices)
    outcomes = dict(Outcome.choices)
    related = interactions.select_related("customer", "contact", "staff")
    for chunk in chunks_by_id(related):
        for each in chunk:
            yield [
                each.customer.tax_id,
                each.customer.external_id or f"#{each.customer_id}",
                each.customer.name,
                moment_text(each.at),
                str(channels[each.channel]),
                str(directions[each.direction]),
                each.contact.name if each.contact else "",
                each.staff.username if each.staff else "",
                each.subject,
                str(outcomes[each.outcome]) if each.outcome else "",
                str(each.satisfaction or ""),
                each.notes,
                each.override_reason,
            ]
