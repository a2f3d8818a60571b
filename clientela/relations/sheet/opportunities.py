"""The import of opportunities: one row per deal, open, won or lost.

A row names its customer (see ``_common``) and gives the title, the value and currency
(default: the business's), the stage (by its name in English, Spanish or Russian; by
default the first open stage), the probability (default: the stage's), the expected
close, the owner (user name, e-mail or full name; default: the customer's owner, else
the one who imports), the source ("Recomendación", "Выставка", "Referral"…), the next
step, notes and, for a lost one, the reason (by its name in any of the three languages)
and the competitor. It then:

- **creates** the opportunity through ``opportunity_create``, on its stage: the history
  of stage changes holds one change, into that stage, at the import;
- leaves it **unchanged** when the customer has an opportunity of that title already
  (case and accents aside): move or edit it on the board;
- is **refused**, saying why and naming the column, when a value cannot be read, when
  its customer, stage, lost reason or owner cannot be found, or when
  ``opportunity_create`` would refuse it (a stage no longer in use, a lost one without
  its reason or competitor, an expected close before today…).

``opportunities_apply`` writes a chunk's rows through ``opportunity_create``, one by one;
``opportunity_rows`` exports opportunities in the form this import reads back.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from decimal import Decimal
from functools import partial

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.access import Capability
from clientela.core.models import User
from clientela.core.money import money_check, money_round, normalize_currency
from clientela.core.parsing import fold
from clientela.customers.models import Customer
from clientela.orders.models import business_currency
from clientela.relations.models import LostReason, Opportunity, OpportunitySource, Stage
from clientela.relations.services import opportunity_create
from clientela.relations.sheet._common import (
    CUSTOMER_FIELDS,
    CUSTOMER_KEYS,
    NOTES_FIELD,
    Row,
    Staff,
    columns_named,
    customer_key_read,
    customer_of,
    customers_found,
    whole_number,
)
from clientela.sheets.exporting import chunks_by_id
from clientela.sheets.mapping import Field
from clientela.sheets.plan import Kind, RowPlan, row_text, row_writing, sheet_chunks
from clientela.sheets.table import Cell, Sheet
from clientela.sheets.values import (
    CellError,
    cell_block,
    cell_date,
    cell_decimal,
    cell_line,
    choice_read,
    choice_words,
    decimal_text,
)

OPPORTUNITY_FIELDS: tuple[Field, ...] = (
    *CUSTOMER_FIELDS,
    Field(
        "title",
        gettext_lazy("Title"),
        (
            "Oportunidad",
            "Título",
            "Negocio",
            "Trato",
            "Nombre de la oportunidad",
            "Сделка",
            "Название сделки",
            "Название",
            "Возможность",
            "Opportunity",
            "Deal",
            "Deal name",
            "Title",
        ),
        example="Pan para 3 sucursales",
    ),
    Field(
        "value",
        gettext_lazy("Value"),
        (
            "Valor",
            "Monto",
            "Importe",
            "Сумма",
            "Значение",
            "Стоимость",
            "Бюджет",
            "Value",
            "Amount",
        ),
        example="45000",
    ),
    Field("currency", gettext_lazy("Currency"), ("Moneda", "Divisa", "Валюта"), example="MXN"),
    Field(
        "stage",
        gettext_lazy("Pipeline stage"),
        ("Etapa", "Fase", "Estado", "Этап", "Стадия", "Stage", "Status"),
        example="Propuesta enviada",
    ),
    Field(
        "probability",
        gettext_lazy("Probability (%)"),
        ("Probabilidad", "Вероятность", "Probability"),
        example="50",
    ),
    Field(
        "expected_close",
        gettext_lazy("Expected close"),
        (
            "Cierre esperado",
            "Cierre previsto",
            "Fecha de cierre",
            "Cierre",
            "Ожидаемое закрытие",
            "Дата закрытия",
            "Expected close",
            "Close date",
        ),
        example="2024-06-30",
    ),
    Field(
        "owner",
        gettext_lazy("Owner"),
        (
            "Responsable",
            "Propietario",
            "Vendedor",
            "Ответственный",
            "Владелец",
            "Менеджер",
            "Owner",
            "Salesperson",
        ),
        example="ana",
    ),
    Field(
        "source",
        gettext_lazy("Source"),
        ("Origen", "Fuente", "Источник", "Source", "Lead source"),
        example="Recomendación",
    ),
    Field(
        "next_step",
        gettext_lazy("Next step"),
        ("Siguiente paso", "Próximo paso", "Следующий шаг", "Next step"),
        example="Enviar muestras",
    ),
    Field(
        "lost_reason",
        gettext_lazy("Lost reason"),
        (
            "Motivo de pérdida",
            "Razón de pérdida",
            "Причина проигрыша",
            "Причина отказа",
            "Lost reason",
            "Reason lost",
        ),
        example="Precio",
    ),
    Field(
        "competitor",
        gettext_lazy("Competitor"),
        ("Competidor", "Competencia", "Конкурент", "Competitor"),
    ),
    NOTES_FIELD,
)

SOURCE_WORDS = {
    OpportunitySource.INBOUND: ("entrante", "solicitud", "входящий", "запрос клиента"),
    OpportunitySource.REFERRAL: ("recomendación", "referido", "рекомендация"),
    OpportunitySource.EXISTING: ("cliente existente", "существующий клиент"),
    OpportunitySource.OUTBOUND: ("prospección", "llamada en frío", "холодный звонок", "cold call"),
    OpportunitySource.EVENT: ("evento", "feria", "выставка", "мероприятие", "fair"),
    OpportunitySource.WEB: ("sitio web", "página web", "сайт", "website"),
    OpportunitySource.CAMPAIGN: ("campaña", "кампания"),
    OpportunitySource.OTHER: ("otro", "otra", "другое"),
}


def _read(
    number: int,
    cells: list[Cell],
    headers: list[str],
    columns: Mapping[int, str],
    named: Mapping[str, str],
    sources: Mapping[str, str],
) -> Row:
    """A row's values, or its problems (in the sheet reader: no database)."""
    row = Row(RowPlan(number, row_text(cells)), named)
    for index, key in columns.items():
        cell = cells[index]
        text = cell_block(cell) if key == "notes" else cell_line(cell)
        if not text:
            continue
        row.shown[key] = (headers[index], text)
        try:
            if key in CUSTOMER_KEYS:
                customer_key_read(row, key, text)
            elif key == "value":
                value = cell_decimal(cell)
                Opportunity._meta.get_field("value").run_validators(value)
                row.values[key] = value
            elif key == "currency":
                row.values[key] = normalize_currency(text)
            elif key == "probability":
                if isinstance(cell, str):
                    cell = cell.strip().removesuffix("%")
                row.values[key] = whole_number(cell, 0, 100)
            elif key == "expected_close":
                row.values[key] = cell_date(cell)
            elif key == "source":
                row.values[key] = choice_read(text, sources, OpportunitySource.choices)
            else:
                if key in {"title", "next_step", "notes", "competitor"}:
                    Opportunity._meta.get_field(key).run_validators(text)
                row.values[key] = text
        except CellError as error:
            row.refuse(key, str(error))
        except ValidationError as error:
            row.refuse(key, " ".join(error.messages))
    if "title" not in row.shown:
        row.refuse("title", _("Each opportunity needs its title."))
    return row


def _named(records) -> dict[str, Stage | LostReason]:
    """Folded name in each language → the record (a stage or a lost reason)."""
    names: dict[str, Stage | LostReason] = {}
    for record in records:
        for name in (record.name, record.name_es, record.name_ru):
            if name:
                names.setdefault(fold(name), record)
    return names


def opportunity_chunks(
    sheet: Sheet, columns: Mapping[int, str], user: User | None = None
) -> Generator[list[RowPlan], None, None]:
    """The dry run of importing ``sheet`` with ``columns`` (index → field key), a chunk of
    rows at a time, as ``user`` may (see ``Kind``)."""
    named = columns_named(sheet.headers, columns, OPPORTUNITY_FIELDS)
    sources = choice_words(OpportunitySource.choices, SOURCE_WORDS)
    stages, reasons = _named(Stage.objects.all()), _named(LostReason.objects.all())
    first_stage = Stage.objects.filter(is_active=True, is_won=False, is_lost=False).first()
    staff = Staff()
    titles: set[tuple[int, str]] = set()
    read = partial(_read, headers=sheet.headers, columns=columns, named=named, sources=sources)
    for rows in sheet_chunks(sheet, read):
        readable = [row for row in rows if not row.refused]
        found = customers_found(readable, user)
        customers = {row.plan.row: customer_of(row, found) for row in readable}
        wanted = set(customers.values()) - {None}
        titles |= {
            (customer, fold(title))
            for customer, title in Opportunity.objects.filter(customer__in=wanted).values_list(
                "customer_id", "title"
            )
        }
        for row in readable:
            customer = customers[row.plan.row]
            if customer is not None:
                _plan(row, customer, stages, reasons, first_stage, staff, titles)
        yield [row.plan for row in rows]


def _plan(row: Row, customer: int, stages, reasons, first_stage, staff, titles) -> None:
    values = row.values
    owner = staff.find(row, "owner", active=True)
    stage = stages.get(fold(values["stage"])) if "stage" in values else first_stage
    if stage is None:
        row.refuse(
            "stage",
            _("No stage of the pipeline is called %(name)s.") % {"name": values["stage"]}
            if "stage" in values
            else _("Set up at least one stage of the pipeline first."),
        )
        return
    if not stage.is_active:
        row.refuse("stage", _("The stage “%(stage)s” is no longer in use.") % {"stage": stage})
    reason = reasons.get(fold(values.get("lost_reason", "")))
    if stage.is_lost:
        if "lost_reason" not in values:
            row.refuse("lost_reason", _("Say why it was lost."))
        elif reason is None:
            row.refuse(
                "lost_reason",
                _("No lost reason is called %(name)s.") % {"name": values["lost_reason"]},
            )
        elif not reason.is_active:
            row.refuse("lost_reason", _("This reason is no longer in use."))
        elif reason.asks_competitor and "competitor" not in values:
            row.refuse("competitor", _("Say which competitor it went to."))
    close = values.get("expected_close")
    if close is not None and close < timezone.localdate():
        row.refuse(
            "expected_close",
            _("The expected close date is before the opportunity was created (%(day)s).")
            % {"day": timezone.localdate().isoformat()},
        )
    currency = values.get("currency")
    if "value" in values and ("currency" in values or "currency" not in row.shown):
        try:
            money_check(values["value"], currency or business_currency())
        except ValidationError as error:
            row.refuse("value", " ".join(error.messages))
    if row.refused:
        return
    row.plan.keys = (("customer", str(customer)),)
    title = (customer, fold(values["title"]))
    if title in titles:
        row.plan.action = "unchanged"
        return
    titles.add(title)
    row.plan.changes = (
        {
            key: values[key]
            for key in ("title", "value", "currency", "probability", "expected_close", "source")
            if key in values
        }
        | {key: values.get(key, "") for key in ("next_step", "notes", "competitor")}
        | {
            "customer": customer,
            "stage": stage.pk,
            "owner": owner,
            "lost_reason": reason.pk if stage.is_lost and reason is not None else None,
        }
    )


def opportunities_apply(rows: list[RowPlan], actor: User | None, reason: str) -> None:
    """Write a chunk's planned rows: open each new opportunity on its stage."""
    creates = [row for row in rows if row.action == "create"]
    customers = Customer.objects.in_bulk({row.changes["customer"] for row in creates})
    owners = User.objects.in_bulk({row.changes["owner"] for row in creates} - {None})
    stages = Stage.objects.in_bulk()
    reasons = LostReason.objects.in_bulk()
    for row in creates:
        changes = dict(row.changes)
        customer = customers[changes.pop("customer")]
        stage = stages[changes.pop("stage")]
        lost_reason = changes.pop("lost_reason")
        competitor = changes.pop("competitor")
        owner = changes.pop("owner")
        if owner is not None:
            changes["owner"] = owners[owner]
        with row_writing(row):
            opportunity_create(
                actor=actor,
                customer=customer,
                stage=stage,
                lost_reason=reasons[lost_reason] if lost_reason is not None else None,
                competitor=competitor,
                reason=reason,
                **changes,
            )


OPPORTUNITIES = Kind(
    key="opportunities",
    label=gettext_lazy("Opportunities"),
    capability=Capability.OPPORTUNITY_EDIT,
    fields=OPPORTUNITY_FIELDS,
    plan_chunks=opportunity_chunks,
    apply=opportunities_apply,
    export=lambda: opportunity_rows(Opportunity.objects.all()),
)


# --- export -------------------------------------------------------------------------

EXPORTED = (
    "customer_tax_id",
    "customer_code",
    "customer",
    "title",
    "value",
    "currency",
    "stage",
    "probability",
    "expected_close",
    "owner",
    "source",
    "next_step",
    "lost_reason",
    "competitor",
    "notes",
)


def opportunity_rows(opportunities: QuerySet[Opportunity]) -> Iterator[list[str]]:
    """The header row, then one row per opportunity (by id), read a chunk at a time."""
    labels = {f.key: str(f.label) for f in OPPORTUNITY_FIELDS}
    yield [labels[key] for key in EXPORTED]
    sources = dict(OpportunitySource.choices)
    related = opportunities.select_related("customer", "stage", "owner", "lost_reason")
    for chunk in chunks_by_id(related):
        for each in chunk:
            value: Decimal = money_round(each.value, each.currency)
            yield [
                each.customer.tax_id,
                each.customer.external_id or f"#{each.customer_id}",
                each.customer.name,
                each.title,
                decimal_text(value),
                each.currency,
                str(each.stage),
                str(each.probability),
                each.expected_close.isoformat() if each.expected_close else "",
                each.owner.username if each.owner else "",
                str(sources[each.source]) if each.source else "",
                each.next_step,
                str(each.lost_reason) if each.lost_reason else "",
                each.competitor,
                each.notes,
            ]
