"""The import of activities: one row per call, visit, meeting, e-mail or task, planned
or done.

A row gives the kind (by code or by its label in Spanish, Russian or English: "Llamada",
"Звонок", "Call"…), the subject, when it is due (a date and time, in the site's time
zone), its duration in minutes (or ``H:MM``) or when it ends, who it is assigned to
(user name, e-mail or full name; default: the one who imports), the customer (see
``_common``; calls, visits, meetings and e-mails need one) and contact person, the
status (planned, done or cancelled; a row with an outcome and no status is done), the
outcome, notes and a reason to go over the contact limit. It then:

- **creates** the activity through ``activity_plan``, then, done, ``activity_complete``
  (which records its interaction) or, cancelled, ``activity_cancel``;
- leaves it **unchanged** when the same activity is there already (the same customer,
  kind, subject and minute), so importing a file again plans nothing twice;
- is **refused**, saying why and naming the column, when a value cannot be read, when
  its customer, contact person or user cannot be found, or when a planned call, visit,
  meeting or e-mail fails ``contact_check``'s rules as ``activity_plan`` would check it:
  the customer's consent to the channel, then the contact limits, counted with the
  contacts and open activities in the database and the rows above it. A row over a
  limit passes with a reason.

``activities_apply`` writes a chunk's rows through the activity services, one by one;
``activity_rows`` exports activities in the form this import reads back.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from datetime import timedelta
from functools import partial

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.access import Capability
from clientela.core.models import User
from clientela.core.parsing import fold
from clientela.customers.models import Contact, Customer
from clientela.relations.models import (
    ACTIVITY_CHANNELS,
    Activity,
    ActivityKind,
    ActivityStatus,
    Direction,
    Outcome,
)
from clientela.relations.services import activity_cancel, activity_complete, activity_plan
from clientela.relations.sheet._common import (
    CONTACT_FIELD,
    CUSTOMER_FIELDS,
    CUSTOMER_KEYS,
    NOTES_FIELD,
    OUTCOME_FIELD,
    OUTCOME_WORDS,
    OVERRIDE_FIELD,
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
from clientela.relations.sheet.interactions import moment_text
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

# The longest an activity may last, in minutes (the model's limit: two weeks).
LONGEST = 24 * 60 * 14

ACTIVITY_FIELDS: tuple[Field, ...] = (
    Field(
        "kind",
        gettext_lazy("Kind of activity"),
        (
            "Tipo",
            "Tipo de actividad",
            "Actividad",
            "Тип",
            "Вид",
            "Вид дела",
            "Тип задачи",
            "Kind",
            "Type",
        ),
        example="Llamada",
    ),
    Field(
        "subject",
        gettext_lazy("Subject"),
        ("Asunto", "Título", "Tema", "Descripción", "Тема", "Задача", "Описание", "Subject"),
        example="Llamar para confirmar pedido",
    ),
    Field(
        "due_at",
        gettext_lazy("Due"),
        (
            "Fecha",
            "Fecha y hora",
            "Cuándo",
            "Vence",
            "Fecha compromiso",
            "Programada para",
            "Inicio",
            "Дата",
            "Дата и время",
            "Срок",
            "Когда",
            "Начало",
            "Due",
            "When",
            "Date",
            "Start",
        ),
        example="2024-03-05 10:00",
    ),
    Field(
        "duration_minutes",
        gettext_lazy("Duration (minutes)"),
        ("Duración", "Minutos", "Длительность", "Продолжительность", "Минут", "Duration"),
        example="30",
    ),
    Field(
        "ends_at",
        gettext_lazy("Ends"),
        ("Fin", "Hasta", "Termina", "Окончание", "Конец", "End", "Ends", "Until"),
        example="2024-03-05 10:30",
    ),
    Field(
        "owner",
        gettext_lazy("Assigned to"),
        (
            "Asignado a",
            "Asignada a",
            "Responsable",
            "Vendedor",
            "Usuario",
            "Ответственный",
            "Исполнитель",
            "Менеджер",
            "Assigned to",
            "Owner",
            "User",
        ),
        example="ana",
    ),
    *CUSTOMER_FIELDS,
    CONTACT_FIELD,
    Field(
        "status",
        gettext_lazy("Status"),
        ("Estado", "Estatus", "Статус", "Состояние", "Status"),
        example="Pendiente",
    ),
    OUTCOME_FIELD,
    NOTES_FIELD,
    OVERRIDE_FIELD,
)

KIND_WORDS = {
    ActivityKind.CALL: ("llamada", "llamar", "teléfono", "звонок", "позвонить", "phone call"),
    ActivityKind.VISIT: ("visita", "visitar", "визит", "посещение"),
    ActivityKind.MEETING: ("reunión", "junta", "cita", "встреча", "совещание"),
    ActivityKind.EMAIL: ("correo", "correo electrónico", "email", "письмо", "эл почта"),
    ActivityKind.TASK: ("tarea", "pendiente", "задача", "дело", "to do", "todo"),
}
STATUS_WORDS = {
    ActivityStatus.OPEN: (
        "pendiente", "abierta", "planeada", "programada", "запланирована", "открыта",
        "не выполнена", "open", "planned", "to do",
    ),
    ActivityStatus.DONE: (
        "hecha", "hecho", "realizada", "completada", "terminada", "выполнена", "сделано",
        "завершена", "completed", "finished",
    ),
    ActivityStatus.CANCELLED: ("cancelada", "anulada", "отменена", "canceled"),
}  # fmt: skip


def _duration(cell: Cell) -> int:
    """Minutes: a whole number, or hours and minutes as ``H:MM``."""
    if isinstance(cell, str) and ":" in cell:
        hours, _colon, minutes = cell.strip().partition(":")
        if hours.isdigit() and minutes.isdigit() and int(minutes) < 60:
            total = int(hours) * 60 + int(minutes)
            if total <= LONGEST:
                return total
    return whole_number(cell, 0, LONGEST)


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
            elif key in {"due_at", "ends_at"}:
                row.values[key] = cell_moment(cell)
            elif key == "duration_minutes":
                row.values[key] = _duration(cell)
            elif key == "kind":
                row.values[key] = choice_read(text, words[key], ActivityKind.choices)
            elif key == "status":
                row.values[key] = choice_read(text, words[key], ActivityStatus.choices)
            elif key == "outcome":
                row.values[key] = choice_read(text, words[key], Outcome.choices)
            else:
                if key in {"subject", "notes", "override_reason"}:
                    Activity._meta.get_field(key).run_validators(text)
                row.values[key] = text
        except CellError as error:
            row.refuse(key, str(error))
        except ValidationError as error:
            row.refuse(key, " ".join(error.messages))
    for key, message in (
        ("kind", _("Each activity needs its kind: call, visit, meeting, e-mail or task.")),
        ("subject", _("Each activity needs its subject.")),
        ("due_at", _("Each activity needs the day and time it is due.")),
    ):
        if key not in row.values and key not in row.shown:
            row.refuse(key, message)
    values = row.values
    if "ends_at" in values and "due_at" in values and values["ends_at"] <= values["due_at"]:
        row.refuse("ends_at", _("An activity must end after it starts."))
    if "status" not in values and "outcome" in values:
        values["status"] = ActivityStatus.DONE
    return row


def activity_chunks(
    sheet: Sheet, columns: Mapping[int, str], user: User | None = None
) -> Generator[list[RowPlan], None, None]:
    """The dry run of importing ``sheet`` with ``columns`` (index → field key), a chunk of
    rows at a time, as ``user`` may (see ``Kind``)."""
    named = columns_named(sheet.headers, columns, ACTIVITY_FIELDS)
    words = {
        "kind": choice_words(ActivityKind.choices, KIND_WORDS),
        "status": choice_words(ActivityStatus.choices, STATUS_WORDS),
        "outcome": choice_words(Outcome.choices, OUTCOME_WORDS),
    }
    staff = Staff()
    book = PressureBook()
    read = partial(_read, headers=sheet.headers, columns=columns, named=named, words=words)
    for rows in sheet_chunks(sheet, read):
        readable = [row for row in rows if not row.refused]
        found = customers_found(readable, user)
        customers = {row.plan.row: customer_of(row, found, needed=False) for row in readable}
        moments: dict[int, list] = {}
        for row in readable:
            customer = customers[row.plan.row]
            if customer is not None:
                moments.setdefault(customer, []).append(row.values["due_at"])
        book.read(moments)
        existing = _existing(readable)
        for row in readable:
            if not row.refused:
                _plan(row, customers[row.plan.row], found, staff, book, existing)
        yield [row.plan for row in rows]


def _existing(rows: list[Row]) -> set[tuple]:
    """(customer, kind, minute, folded subject) of the activities due when these rows'
    are: a row that is one of them changes nothing."""
    if not rows:
        return set()
    due = [row.values["due_at"] for row in rows]
    window = (min(due) - timedelta(minutes=1), max(due) + timedelta(minutes=1))
    return {
        (customer, kind, minute(due_at), fold(subject))
        for customer, kind, due_at, subject in Activity.objects.filter(
            due_at__range=window
        ).values_list("customer_id", "kind", "due_at", "subject")
    }


def _plan(
    row: Row, customer: int | None, found, staff: Staff, book: PressureBook, existing: set
) -> None:
    values = row.values
    kind, due_at = values["kind"], values["due_at"]
    channel = ACTIVITY_CHANNELS.get(kind, "")
    contact = contact_of(row, customer, found)
    owner = staff.find(row, "owner", active=True)
    status = values.get("status", ActivityStatus.OPEN)
    if channel and customer is None and not row.refused:
        row.refuse(
            "customer",
            _("Say which customer it is with: calls, visits, meetings and e-mails need one."),
        )
    if channel and status == ActivityStatus.DONE and "outcome" not in values:
        row.refuse("outcome", _("Say how it went."))
    if row.refused:
        return
    if customer is not None:
        row.plan.keys = (("customer", str(customer)),)
    if (customer, kind, minute(due_at), fold(values["subject"])) in existing:
        row.plan.action = "unchanged"
        return
    override = ""
    if channel and customer is not None:
        override = pressure_check(row, book, customer, channel, due_at, "kind")
        if row.refused:
            return
        if status != ActivityStatus.CANCELLED:
            book.count(customer, channel, Direction.OUTBOUND, due_at)
    existing.add((customer, kind, minute(due_at), fold(values["subject"])))
    row.plan.changes = {
        key: values[key]
        for key in ("kind", "subject", "due_at", "duration_minutes", "ends_at", "notes", "outcome")
        if key in values
    } | {
        "customer": customer,
        "contact": contact,
        "owner": owner,
        "status": status,
        "override_reason": override,
    }


def activities_apply(rows: list[RowPlan], actor: User | None, reason: str) -> None:
    """Write a chunk's planned rows through the activity services: plan each new one,
    then complete or cancel it as the row says."""
    creates = [row for row in rows if row.action == "create"]
    customers = Customer.objects.in_bulk({row.changes["customer"] for row in creates} - {None})
    contacts = Contact.objects.in_bulk({row.changes["contact"] for row in creates} - {None})
    owners = User.objects.in_bulk({row.changes["owner"] for row in creates} - {None})
    for row in creates:
        changes = dict(row.changes)
        fields = {
            key: changes[key] for key in ("duration_minutes", "ends_at", "notes") if key in changes
        }
        if changes["owner"] is not None:
            fields["owner"] = owners[changes["owner"]]
        with row_writing(row):
            activity = activity_plan(
                actor=actor,
                kind=changes["kind"],
                subject=changes["subject"],
                due_at=changes["due_at"],
                override_reason=changes["override_reason"],
                reason=reason,
                customer=customers.get(changes["customer"]),
                contact=contacts.get(changes["contact"]),
                **fields,
            )
            if changes["status"] == ActivityStatus.DONE:
                activity_complete(
                    actor=actor,
                    activity=activity,
                    version=activity.version,
                    outcome=changes.get("outcome", ""),
                    done_at=changes["due_at"],
                )
            elif changes["status"] == ActivityStatus.CANCELLED:
                activity_cancel(
                    actor=actor, activity=activity, version=activity.version, reason=reason
                )


ACTIVITIES = Kind(
    key="activities",
    label=gettext_lazy("Activities"),
    capability=Capability.ACTIVITY_EDIT,
    fields=ACTIVITY_FIELDS,
    plan_chunks=activity_chunks,
    apply=activities_apply,
    export=lambda: activity_rows(Activity.objects.all()),
)


# --- export -------------------------------------------------------------------------

EXPORTED = (
    "kind",
    "subject",
    "due_at",
    "duration_minutes",
    "owner",
    "customer_tax_id",
    "customer_code",
    "customer",
    "contact",
    "status",
    "outcome",
    "notes",
    "override_reason",
)


def activity_rows(activities: QuerySet[Activity]) -> Iterator[list[str]]:
    """The header row, then one row per activity (by id), read a chunk at a time."""
    labels = {f.key: str(f.label) for f in ACTIVITY_FIELDS}
    yield [labels[key] for key in EXPORTED]
    kinds, statuses = dict(ActivityKind.choices), dict(ActivityStatus.choices)
    outcomes = dict(Outcome.choices)
    related = activities.select_related("customer", "contact", "owner")
    for chunk in chunks_by_id(related):
        for each in chunk:
            customer = each.customer
            yield [
                str(kinds[each.kind]),
                each.subject,
                moment_text(each.due_at),
                str(each.duration_minutes),
                each.owner.username if each.owner else "",
                customer.tax_id if customer else "",
                (customer.external_id or f"#{customer.pk}") if customer else "",
                customer.name if customer else "",
                each.contact.name if each.contact else "",
                str(statuses[each.status]),
                str(outcomes[each.outcome]) if each.outcome else "",
                each.notes,
                each.override_reason,
            ]
