"""Importing activities: planned or done, checked against consent and the limits as
planning one is, nothing written for a refused row; exported as the import reads them."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from clientela.customers.services import contact_create
from clientela.customers.tests.factories import CustomerFactory, UserFactory
from clientela.relations.models import Activity, Interaction
from clientela.relations.services import activity_plan, interaction_record
from clientela.relations.sheet.activities import ACTIVITIES, ACTIVITY_FIELDS
from clientela.relations.tests.factories import consenting
from clientela.sheets.exporting import export_write
from clientela.sheets.importing import ImportRefused, sheet_import, sheet_plan
from clientela.sheets.mapping import match_columns
from clientela.sheets.reading import open_sheet
from clientela.sheets.values import cell_moment

pytestmark = pytest.mark.django_db


def _file(tmp_path, headers, rows, name="agenda.csv"):
    path = tmp_path / name
    path.write_text("\n".join(";".join(r) for r in [headers, *rows]) + "\n", encoding="utf-8")
    return path


def _import(path, actor):
    sheet = open_sheet(path)
    columns = match_columns(sheet.headers, ACTIVITY_FIELDS)
    return sheet_import(
        kind=ACTIVITIES, actor=actor, sheet=sheet, columns=columns, source=path.name
    )


def _dry_run(path, user):
    sheet = open_sheet(path)
    return sheet_plan(ACTIVITIES, sheet, match_columns(sheet.headers, ACTIVITY_FIELDS), user=user)


def _problems(plan):
    return [(p.row, p.column, p.message) for p in plan.problems]


def _day(days_ahead: int, clock: str = "10:00") -> str:
    return (timezone.localdate() + timedelta(days=days_ahead)).isoformat() + " " + clock


@pytest.fixture
def luna(sales):
    return consenting(CustomerFactory(name="Café Luna", owner=sales))


@pytest.mark.parametrize(
    "headers",
    [
        ["Tipo", "Asunto", "Fecha y hora", "Duración", "Asignado a", "Cliente", "Estado"],
        ["Тип", "Тема", "Дата и время", "Длительность", "Ответственный", "Клиент", "Статус"],
        ["Type", "Subject", "Due", "Duration", "Assigned to", "Customer", "Status"],
    ],
)
def test_headers_are_read_in_spanish_russian_and_english(headers):
    assert list(match_columns(headers, ACTIVITY_FIELDS).values()) == [
        "kind", "subject", "due_at", "duration_minutes", "owner", "customer", "status",
    ]  # fmt: skip


def test_planned_and_done_activities_are_written_through_the_services(tmp_path, owner, sales, luna):
    contact_create(actor=None, customer=luna, name="Rosa Gómez")
    path = _file(
        tmp_path,
        ["Tipo", "Asunto", "Fecha", "Fin", "Asignado a", "Cliente", "Contacto", "Estado", "Resultado"],
        [
            ["Llamada", "Confirmar pedido", _day(2), _day(2, "10:45"), "sales", "Café Luna",
             "Rosa Gómez", "Pendiente", ""],
            ["Визит", "Llevar muestras", _day(-3, "12:00"), "", "owner", "Café Luna", "", "",
             "Interesado"],
            ["Task", "Preparar catálogo", _day(1), "", "", "", "", "", ""],
        ],
    )  # fmt: skip

    plan = _import(path, owner)

    assert plan.counts == {"create": 3, "update": 0, "unchanged": 0, "refused": 0}
    call, visit, task = Activity.objects.order_by("subject").filter(
        subject__in=["Confirmar pedido", "Llevar muestras", "Preparar catálogo"]
    )
    assert (call.kind, call.status, call.duration_minutes, call.owner, call.contact.name) == (
        "call", "open", 45, sales, "Rosa Gómez",
    )  # fmt: skip
    assert (visit.status, visit.outcome) == ("done", "interested")
    done = Interaction.objects.get()
    assert (done.channel, done.direction, done.source) == ("in_person", "outbound", visit)
    assert (task.kind, task.customer, task.owner) == ("task", None, owner)
    assert _import(path, owner).counts["unchanged"] == 3


def test_bad_rows_are_refused_naming_the_column_and_nothing_is_written(tmp_path, owner, luna):
    path = _file(
        tmp_path,
        ["Tipo", "Asunto", "Fecha", "Cliente", "Asignado a", "Estado", "Duración"],
        [
            ["Llamada", "Bien", _day(2), "Café Luna", "", "", ""],
            ["Llamada", "Sin cliente", _day(2), "", "", "", ""],
            ["Paseo", "Tipo raro", _day(2), "Café Luna", "", "", ""],
            ["Visita", "Hecha sin resultado", _day(-2), "Café Luna", "", "Hecha", ""],
            ["Visita", "Nadie", _day(3), "Café Luna", "fantasma", "", ""],
            ["Llamada", "Larga", _day(3), "Café Luna", "", "", "99999"],
        ],
    )

    with pytest.raises(ImportRefused) as refused:
        _import(path, owner)

    assert [(row, column) for row, column, _m in _problems(refused.value.plan)] == [
        (3, "Cliente"), (4, "Tipo"), (5, "Outcome"), (6, "Asignado a"), (7, "Duración"),
    ]  # fmt: skip
    assert not Activity.objects.exists()


def test_a_fifth_planned_call_is_refused_as_planning_it_would_be(tmp_path, owner, luna):
    interaction_record(
        actor=owner, customer=luna, channel="phone", direction="outbound",
        at=timezone.now() - timedelta(days=2),
    )  # fmt: skip
    activity_plan(
        actor=owner, kind="call", subject="Uno", due_at=cell_moment(_day(3)), customer=luna
    )
    headers = ["Tipo", "Asunto", "Fecha", "Cliente", "Motivo de excepción"]
    rows = [
        ["Llamada", "Dos", _day(5), "Café Luna", ""],
        ["Correo", "Tres", _day(6), "Café Luna", ""],
        ["Tarea", "No cuenta", _day(6), "Café Luna", ""],
        ["Visita", "Cuatro", _day(8), "Café Luna", ""],
    ]
    path = _file(tmp_path, headers, rows)

    plan = _dry_run(path, owner)

    [(row, column, message)] = _problems(plan)
    assert (row, column) == (5, "Motivo de excepción")
    assert _import(_file(tmp_path, headers, rows[:3], "tres.csv"), owner).counts["create"] == 3
    with pytest.raises(ValidationError) as excinfo:
        activity_plan(
            actor=owner, kind="visit", subject="Cuatro", due_at=cell_moment(_day(8)),
            customer=luna,
        )  # fmt: skip
    assert message == excinfo.value.message_dict["override_reason"][0]
    rows[3][4] = "Lo pidió el cliente"
    assert _import(_file(tmp_path, headers, rows), owner).counts["create"] == 1
    assert Activity.objects.get(subject="Cuatro").override_by == owner


def test_a_salesperson_limited_to_their_customers_cannot_plan_for_anothers(
    tmp_path, settings, sales, luna
):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    consenting(CustomerFactory(name="Café Sol", owner=UserFactory()))
    path = _file(
        tmp_path,
        ["Tipo", "Asunto", "Fecha", "Cliente"],
        [["Llamada", "Mía", _day(2), "Café Luna"], ["Llamada", "Ajena", _day(2), "Café Sol"]],
    )

    with pytest.raises(ImportRefused) as refused:
        _import(path, sales)

    assert _problems(refused.value.plan) == [
        (3, "Cliente", "This row matches a customer you may not change.")
    ]
    assert not Activity.objects.exists()


def test_the_export_reads_back_as_it_was(tmp_path, owner, sales, luna):
    contact = contact_create(actor=None, customer=luna, name="Rosa Gómez")
    activity_plan(
        actor=owner, kind="meeting", subject="Degustación", due_at=cell_moment(_day(4, "17:30")),
        duration_minutes=90, customer=luna, contact=contact, owner=sales, notes="Llevar pan",
    )  # fmt: skip
    fields = ("kind", "subject", "due_at", "duration_minutes", "owner", "customer", "contact",
              "status", "notes")  # fmt: skip
    before = list(Activity.objects.values_list(*fields))
    path = tmp_path / "actividades.xlsx"
    with translation.override("ru"):
        export_write(ACTIVITIES.export(), path)
        assert _import(path, owner).counts["unchanged"] == 1
        Activity.objects.all().delete()
        assert _import(path, owner).counts["create"] == 1
    assert list(Activity.objects.values_list(*fields)) == before
