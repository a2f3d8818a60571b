"""Importing contacts: a call log in any of three languages, recorded once, refused for
the same reasons and in the same words as the form, nothing written for a refused row."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from clientela.core.access import AccessDenied
from clientela.customers.services import contact_create
from clientela.customers.tests.factories import CustomerFactory, UserFactory
from clientela.relations.models import Interaction
from clientela.relations.services import interaction_record
from clientela.relations.sheet.interactions import INTERACTION_FIELDS, INTERACTIONS
from clientela.relations.tests.factories import consenting
from clientela.sheets.importing import ImportRefused, sheet_import, sheet_plan
from clientela.sheets.mapping import match_columns
from clientela.sheets.reading import open_sheet

pytestmark = pytest.mark.django_db


def _file(tmp_path, headers, rows, name="llamadas.csv"):
    path = tmp_path / name
    lines = [";".join(row) for row in [headers, *rows]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _columns(path):
    sheet = open_sheet(path)
    return sheet, match_columns(sheet.headers, INTERACTION_FIELDS)


def _import(path, actor, **options):
    sheet, columns = _columns(path)
    return sheet_import(
        kind=INTERACTIONS, actor=actor, sheet=sheet, columns=columns, source=path.name, **options
    )


def _dry_run(path, user):
    sheet, columns = _columns(path)
    return sheet_plan(INTERACTIONS, sheet, columns, user=user)


def _problems(plan):
    return [(p.row, p.column, p.message) for p in plan.problems]


def _day(days_ago: int, clock: str = "10:00") -> str:
    return (timezone.localdate() - timedelta(days=days_ago)).strftime("%d/%m/%Y") + " " + clock


@pytest.fixture
def luna(sales):
    return consenting(CustomerFactory(name="Café Luna", tax_id="GODE561231GR8", owner=sales))


@pytest.mark.parametrize(
    "headers",
    [
        ["RFC", "Fecha", "Canal", "Tipo", "Resultado", "Notas", "Vendedor"],
        ["ИНН", "Дата", "Канал", "Направление", "Результат", "Комментарий", "Менеджер"],
        ["Tax id", "Date", "Channel", "Direction", "Outcome", "Notes", "Salesperson"],
    ],
)
def test_headers_are_read_in_spanish_russian_and_english(headers):
    assert list(match_columns(headers, INTERACTION_FIELDS).values()) == [
        "customer_tax_id",
        "at",
        "channel",
        "direction",
        "outcome",
        "notes",
        "staff",
    ]


@pytest.mark.parametrize(
    "headers",
    [
        ["Fecha", "Cliente", "Canal", "Tipo", "Contacto", "Resultado", "Notas", "Vendedor"],
        [
            "FECHA Y HORA", "Nombre del cliente", "Medio", "Sentido", "Persona de contacto",
            "Resultado de la llamada", "Observaciones", "Asesor",
        ],
    ],
)  # fmt: skip
def test_a_call_log_from_excel_is_recorded_and_moves_the_last_contact(
    tmp_path, owner, sales, luna, headers
):
    # given a call log as a salesperson keeps it, its headers written one way or
    # another: mixed date forms, labels in two languages, the salesperson by full name,
    # the customer by name
    sales.first_name, sales.last_name = "Ana", "Ruiz"
    sales.save()
    contact_create(actor=None, customer=luna, name="Rosa Gómez")
    path = _file(
        tmp_path,
        headers,
        [
            [_day(20), "café luna", "Llamada", "Saliente", "rosa gomez", "Interesado", "", "Ana Ruiz"],
            [(timezone.localdate() - timedelta(days=10)).isoformat(), "Café Luna", "WhatsApp",
             "входящий", "", "", "Pide catálogo", "sales"],
            [_day(2, "4:15 pm"), "CAFE LUNA", "correo", "", "", "no contestó", "", ""],
        ],
    )  # fmt: skip

    plan = _import(path, owner)

    assert plan.counts == {"create": 3, "update": 0, "unchanged": 0, "refused": 0}
    rows = list(
        Interaction.objects.order_by("at").values_list(
            "channel", "direction", "outcome", "contact__name", "staff__username", "notes"
        )
    )
    assert rows == [
        ("phone", "outbound", "interested", "Rosa Gómez", "sales", ""),
        ("whatsapp", "inbound", "", None, "sales", "Pide catálogo"),
        ("email", "outbound", "no_answer", None, "owner", ""),
    ]
    last = Interaction.objects.order_by("-at").first()
    assert timezone.localtime(last.at).hour == 16
    luna.refresh_from_db()
    assert luna.last_contacted_at == last.at
    assert last.history.first().history_change_reason == "Imported from llamadas.csv"
    # importing it again records nothing twice
    assert _import(path, owner).counts["unchanged"] == 3


def test_a_russian_file_finds_customers_by_their_inn(tmp_path, owner):
    customer = consenting(CustomerFactory(name="ООО Ромашка", tax_id="7707083893", country="RU"))
    path = _file(
        tmp_path,
        ["ИНН", "Дата", "Канал", "Тип", "Итог", "Оценка"],
        [["7707083893", _day(3), "Звонок", "Исходящий", "дозвонились", "5"]],
    )

    plan = _import(path, owner)

    assert plan.counts["create"] == 1
    assert customer.interactions.get().satisfaction == 5


def test_bad_rows_are_refused_naming_the_column_and_nothing_is_written(tmp_path, owner, luna):
    path = _file(
        tmp_path,
        ["Cliente", "Fecha", "Canal", "Satisfacción", "Vendedor"],
        [
            ["Café Luna", _day(5), "teléfono", "4", ""],
            ["Café Sol", _day(5), "teléfono", "", ""],
            ["Café Luna", "31/02/2024", "teléfono", "", ""],
            ["Café Luna", _day(4), "paloma mensajera", "", ""],
            ["Café Luna", _day(4), "teléfono", "9", ""],
            ["Café Luna", _day(4), "teléfono", "", "nadie"],
            ["Café Luna", _day(-3), "teléfono", "", ""],
        ],
    )

    with pytest.raises(ImportRefused) as refused:
        _import(path, owner)

    columns = {row: column for row, column, _message in _problems(refused.value.plan)}
    assert columns == {
        3: "Cliente",
        4: "Fecha",
        5: "Canal",
        6: "Satisfacción",
        7: "Vendedor",
        8: "Fecha",
    }
    assert not Interaction.objects.exists()
    luna.refresh_from_db()
    assert luna.last_contacted_at is None


def test_a_call_without_consent_is_refused_in_the_forms_words(tmp_path, owner, sales):
    customer = consenting(CustomerFactory(name="Café Sol", owner=sales), consent_phone=False)
    with pytest.raises(ValidationError) as excinfo:
        interaction_record(
            actor=owner, customer=customer, channel="phone", direction="outbound",
            at=timezone.now() - timedelta(days=1),
        )  # fmt: skip
    path = _file(tmp_path, ["Cliente", "Fecha", "Canal"], [["Café Sol", _day(1), "Llamada"]])

    plan = _dry_run(path, owner)

    assert _problems(plan) == [(2, "Canal", excinfo.value.message_dict["channel"][0])]


def test_the_fifth_outbound_call_is_refused_and_an_override_lets_it_through(tmp_path, owner, luna):
    # given two calls recorded already, and a file of three more and an inbound one
    for days in (25, 20):
        interaction_record(
            actor=owner, customer=luna, channel="phone", direction="outbound",
            at=timezone.now() - timedelta(days=days),
        )  # fmt: skip
    rows = [
        ["Café Luna", _day(15), "Teléfono", "Saliente", ""],
        ["Café Luna", _day(12), "Teléfono", "Entrante", ""],
        ["Café Luna", _day(10), "Teléfono", "Saliente", ""],
        ["Café Luna", _day(5), "Teléfono", "Saliente", ""],
    ]
    headers = ["Cliente", "Fecha", "Canal", "Tipo", "Motivo de excepción"]
    path = _file(tmp_path, headers, rows)

    # the fifth outbound contact in 30 days, counting the rows above it, is refused on
    # the override reason's column, and nothing is written
    plan = _dry_run(path, owner)
    assert plan.counts == {"create": 3, "update": 0, "unchanged": 0, "refused": 1}
    [(row, column, message)] = _problems(plan)
    assert (row, column) == (5, "Motivo de excepción")
    with pytest.raises(ImportRefused):
        _import(path, owner)
    assert Interaction.objects.count() == 2

    # in the same words as the form and the API give, once the rows above it are there
    assert _import(_file(tmp_path, headers, rows[:3], "tres.csv"), owner).counts["create"] == 3
    with pytest.raises(ValidationError) as excinfo:
        interaction_record(
            actor=owner, customer=luna, channel="phone", direction="outbound",
            at=_at(rows[3][1]),
        )  # fmt: skip
    assert message == excinfo.value.message_dict["override_reason"][0]
    assert _problems(_dry_run(path, owner)) == [(5, "Motivo de excepción", message)]

    # with a reason, it goes through, kept with who gave it
    rows[3][4] = "Pidió que le llamáramos"
    plan = _import(_file(tmp_path, headers, rows), owner)
    assert plan.counts == {"create": 1, "update": 0, "unchanged": 3, "refused": 0}
    overridden = Interaction.objects.exclude(override_reason="").get()
    assert (overridden.override_reason, overridden.override_by) == (
        "Pidió que le llamáramos",
        owner,
    )
    assert Interaction.objects.filter(override_reason="").count() == 5


def _at(text):
    from clientela.sheets.values import cell_moment

    return cell_moment(text)


def test_a_salesperson_limited_to_their_customers_cannot_write_to_anothers(
    tmp_path, settings, sales, luna
):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    other = consenting(CustomerFactory(name="Café Sol", owner=UserFactory()))
    path = _file(
        tmp_path,
        ["Cliente", "Fecha", "Canal"],
        [["Café Luna", _day(3), "teléfono"], ["Café Sol", _day(3), "teléfono"]],
    )

    with pytest.raises(ImportRefused) as refused:
        _import(path, sales)

    assert _problems(refused.value.plan) == [
        (3, "Cliente", "This row matches a customer you may not change.")
    ]
    assert not Interaction.objects.exists()
    assert other.interactions.count() == 0
    with pytest.raises(AccessDenied):
        from clientela.relations.services import InteractionRow, interactions_bulk_record

        interactions_bulk_record(
            actor=sales,
            rows=[InteractionRow(other.pk, "phone", "outbound", timezone.now())],
        )


def test_the_export_reads_back_as_it_was(tmp_path, owner, sales, luna):
    contact = contact_create(actor=None, customer=luna, name="Rosa Gómez")
    interaction_record(
        actor=owner, customer=luna, channel="email", direction="inbound", contact=contact,
        at=timezone.now() - timedelta(days=3), subject="Cotización", outcome="interested",
        satisfaction=4, notes="Dos líneas\nde notas", staff=sales,
    )  # fmt: skip
    from clientela.sheets.exporting import export_write

    path = tmp_path / "export.csv"
    with translation.override("es"):
        export_write(INTERACTIONS.export(), path)
    before = list(
        Interaction.objects.values_list(
            "customer", "channel", "direction", "contact", "staff", "subject", "outcome",
            "satisfaction", "notes",
        )
    )  # fmt: skip
    with translation.override("es"):
        assert _import(path, owner).counts["unchanged"] == 1
        Interaction.objects.all().delete()

        plan = _import(path, owner)

    assert plan.counts["create"] == 1
    after = list(
        Interaction.objects.values_list(
            "customer", "channel", "direction", "contact", "staff", "subject", "outcome",
            "satisfaction", "notes",
        )
    )  # fmt: skip
    assert after == before


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2024-03-05", (2024, 3, 5, 0, 0)),
        ("05/03/2024 14:30", (2024, 3, 5, 14, 30)),
        ("5.3.2024 2:30 pm", (2024, 3, 5, 14, 30)),
        ("2024-03-05T08:15:00", (2024, 3, 5, 8, 15)),
        (45356.75, (2024, 3, 5, 18, 0)),
    ],
)
def test_a_moment_is_read_as_people_write_it_in_the_sites_time(cell, expected):
    moment = timezone.localtime(_at(cell))
    assert (moment.year, moment.month, moment.day, moment.hour, moment.minute) == expected


@pytest.mark.parametrize("cell", ["05/03/2024 25:00", "31/02/2024 10:00", "ayer", True])
def test_a_moment_that_is_none_is_refused(cell):
    from clientela.sheets.values import CellError

    with pytest.raises(CellError):
        _at(cell)


def test_rows_planned_on_a_customer_contacted_meanwhile_are_not_written(owner, luna):
    from clientela.relations.sheet.interactions import (
        interactions_changed_since,
        interactions_marker,
    )

    marker = interactions_marker()
    other = consenting(CustomerFactory(name="Café Sol"))
    assert interactions_changed_since(marker) == set()

    interaction_record(
        actor=owner, customer=luna, channel="email", direction="inbound",
        at=timezone.now() - timedelta(hours=1),
    )  # fmt: skip

    assert interactions_changed_since(marker) == {("customer", str(luna.pk))}
    assert ("customer", str(other.pk)) not in interactions_changed_since(marker)


def test_the_bulk_service_refuses_a_row_as_interaction_record_would_naming_it(owner, luna):
    from clientela.relations.services import (
        InteractionRow,
        InteractionRowInvalid,
        interactions_bulk_record,
    )

    gone = UserFactory()
    rows = [
        InteractionRow(luna.pk, "phone", "outbound", timezone.now() - timedelta(days=1)),
        InteractionRow(luna.pk, "phone", "outbound", timezone.now() + timedelta(days=1)),
        InteractionRow(luna.pk, "email", "inbound", timezone.now(), staff_id=gone.pk),
    ]
    gone.delete()

    with pytest.raises(InteractionRowInvalid) as refused:
        interactions_bulk_record(actor=owner, rows=rows)
    assert refused.value.index == 1
    assert "plan an activity" in refused.value.message_dict["at"][0]
    with pytest.raises(InteractionRowInvalid) as refused:
        interactions_bulk_record(actor=owner, rows=[rows[0], rows[2]])
    assert (refused.value.index, list(refused.value.message_dict)) == (1, ["staff"])
    assert not Interaction.objects.exists()

    [recorded] = interactions_bulk_record(actor=owner, rows=rows[:1], reason="Prueba")
    assert (recorded.staff, recorded.override_by) == (owner, None)
    luna.refresh_from_db()
    assert luna.last_contacted_at == rows[0].at
