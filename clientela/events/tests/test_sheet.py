"""Importing and exporting events with their products and daily sales: each rule row by
row, the file read in order across chunks, all or nothing, idempotent, the round trip
and the commands."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import formats, timezone, translation
from openpyxl import Workbook

from clientela.events.models import Event, EventKind, EventProduct, EventSale
from clientela.events.services import event_create, event_item_set, event_sale_record
from clientela.events.sheet import EVENT_FIELDS, EVENTS, event_chunks, event_rows
from clientela.orders.models import Product
from clientela.orders.tests.factories import ProductFactory
from clientela.sheets.exporting import export_write
from clientela.sheets.importing import sheet_import, sheet_plan
from clientela.sheets.mapping import match_columns
from clientela.sheets.plan import Plan
from clientela.sheets.reading import open_sheet
from clientela.sheets.template_files import template_rows

pytestmark = pytest.mark.django_db

HEADERS = [
    "Evento",
    "Fecha de inicio",
    "Lugar",
    "Tipo",
    "Días",
    "Producto (SKU)",
    "Llevado",
    "Esperado",
    "Precio",
    "Día",
    "Vendido",
]
FAIR = ["Feria de San Marcos", "20/04/2024", "Aguascalientes", "Feria", "3"]
MARKET = ["Mercado del Carmen", "2024-05-04", "Plaza del Carmen", "Mercado", "1"]


def _file(tmp_path, rows, name="eventos.csv"):
    path = tmp_path / name
    lines = [HEADERS, *rows]
    path.write_text("\n".join(";".join(cells) for cells in lines) + "\n", encoding="utf-8")
    return path


def _columns(sheet):
    return match_columns(sheet.headers, EVENT_FIELDS)


def _plan(path):
    sheet = open_sheet(path)
    rows = [row for chunk in event_chunks(sheet, _columns(sheet)) for row in chunk]
    plan = Plan("events", sheet.headers)
    plan.add(rows)
    return SimpleNamespace(rows=rows, counts=plan.counts, problems=plan.problems)


def _import(path, owner, **options):
    sheet = open_sheet(path)
    return sheet_import(
        kind=EVENTS, actor=owner, sheet=sheet, columns=_columns(sheet), source=path.name, **options
    )


@pytest.fixture
def products(db):
    return {
        "concha": ProductFactory(sku="PAN-001", name="Concha", unit_price=Decimal("12.50")),
        "bolillo": ProductFactory(sku="PAN-002", name="Bolillo", unit_price=Decimal("3")),
    }


@pytest.fixture
def fair(products):
    """The fair of the file, already there: 100 conchas brought, 30 sold its first day."""
    event = event_create(
        actor=None,
        name="Feria de San Marcos",
        kind=EventKind.FAIR,
        location="Aguascalientes",
        start_date=date(2024, 4, 20),
        duration_days=3,
    )
    item = event_item_set(
        actor=None,
        event=event,
        product=products["concha"],
        quantity_brought=Decimal(100),
        quantity_expected=Decimal(80),
    )
    event_sale_record(actor=None, item=item, sold_on=date(2024, 4, 20), quantity=Decimal(30))
    return event


def test_each_row_says_what_it_would_do_and_nothing_is_written(tmp_path, fair):
    path = _file(
        tmp_path,
        [
            # what is there already (the name in other case): unchanged
            [*FAIR, "pan-001", "100", "80", "12.50", "20/04/2024", "30"],
            # the conchas' second day: a new sale
            [
                "FERIA DE SAN MARCOS",
                "2024-04-20",
                "",
                "",
                "",
                "PAN-001",
                "",
                "",
                "",
                "21/04/2024",
                "25",
            ],
            # bolillos, new at the fair, with their first day
            [*FAIR, "PAN-002", "50", "40", "", "20/04/2024", "10"],
            # a new one-day market: its sale is on its only day
            [*MARKET, "PAN-001", "20", "15", "13", "", "12"],
            # the market's product again with no sale: the row says nothing new
            ["Mercado del Carmen", "04/05/2024", "", "", "", "PAN-001", "20", "", "", "", ""],
        ],
    )

    plan = _plan(path)

    assert [(row.row, row.action) for row in plan.rows] == [
        (2, "unchanged"),
        (3, "create"),
        (4, "create"),
        (5, "create"),
        (6, "unchanged"),
    ]
    second_day = plan.rows[1]
    assert second_day.target == fair.pk
    assert second_day.changes["sale"] == {"sold_on": date(2024, 4, 21), "quantity": Decimal(25)}
    assert plan.rows[2].changes["line"] == {
        "quantity_brought": Decimal(50),
        "quantity_expected": Decimal(40),
    }
    market = plan.rows[3]
    assert market.target is None
    assert market.changes["event"] == {
        "name": "Mercado del Carmen",
        "start_date": date(2024, 5, 4),
        "kind": "market",
        "location": "Plaza del Carmen",
        "duration_days": 1,
        "notes": "",
    }
    assert market.changes["sale"] == {"sold_on": date(2024, 5, 4), "quantity": Decimal(12)}
    assert plan.problems == []
    assert Event.objects.count() == 1
    assert EventSale.objects.count() == 1


def test_a_row_that_only_changes_the_event_or_its_line_is_an_update(tmp_path, fair, products):
    path = _file(
        tmp_path,
        [
            [
                "Feria de San Marcos",
                "2024-04-20",
                "Aguascalientes, Ags.",
                "Expo",
                "",
                "PAN-001",
                "120",
            ]
        ],
    )

    (row,) = _plan(path).rows

    assert row.action == "update"
    assert row.changes["event"] == {"location": "Aguascalientes, Ags.", "kind": "expo"}
    assert row.changes["line"] == {"quantity_brought": Decimal(120)}


@pytest.mark.parametrize(
    ("cells", "column", "value", "message"),
    [
        # the same day twice
        (
            [*FAIR, "PAN-001", "", "", "", "21/04/2024", "5"],
            "Día",
            "21/04/2024",
            "Row 2 already has this product's sale on this day.",
        ),
        # the services' own messages: a day outside the event, more sold than is left
        (
            [*FAIR, "PAN-001", "", "", "", "25/04/2024", "5"],
            "Día",
            "25/04/2024",
            "Pick a day of Feria de San Marcos, from",
        ),
        (
            [*FAIR, "PAN-001", "", "", "", "22/04/2024", "50"],
            "Vendido",
            "50",
            "Only 45 of Concha are left to sell: 100 brought, 55 sold on the other days.",
        ),
        (
            [*FAIR, "PAN-001", "50", "40", "", "", ""],
            "Llevado",
            "50",
            "55 have already sold; no less than that can have been brought.",
        ),
        (
            [*FAIR, "PAN-002", "10", "20", "", "", ""],
            "Esperado",
            "20",
            "No more can sell than is brought (10).",
        ),
        # a product that is not in the catalog, or not yet at the event
        ([*FAIR, "PAN-999", "10", "5", "", "", ""], "Producto (SKU)", "PAN-999", "No product"),
        (
            [*FAIR, "PAN-002", "10", "", "", "", ""],
            "Producto (SKU)",
            "PAN-002",
            "Bolillo is new at this event: fill in the quantity brought and the quantity "
            "expected to sell.",
        ),
        # a value another row of the same event gives differently
        (
            ["Feria de San Marcos", "2024-04-20", "León", "", "", "", "", "", "", "", ""],
            "Lugar",
            "León",
            "Row 2 says “Aguascalientes” for this event: the rows of one event must agree.",
        ),
        # values that cannot be read, or a sale without its day
        ([*FAIR[:3], "Concierto", *FAIR[4:]], "Tipo", "Concierto", "is not one of: "),
        ([*MARKET[:4], "0"], "Días", "0", "greater than or equal to 1"),
        ([*FAIR, "PAN-001", "", "", "", "", "5"], "Vendido", "5", "Fill in the day this sold"),
        ([*FAIR, "", "5"], "Producto (SKU)", "", "Which product? Fill in its SKU."),
        ([*MARKET[:2], "", *MARKET[3:]], "Lugar", "", "A new event needs its location."),
    ],
)
def test_a_row_is_refused_naming_its_column_value_and_why(
    tmp_path, fair, cells, column, value, message
):
    cells = cells + [""] * (len(HEADERS) - len(cells))
    path = _file(tmp_path, [[*FAIR, "PAN-001", "", "", "", "21/04/2024", "25"], cells])

    plan = _plan(path)

    assert [row.action for row in plan.rows] == ["create", "refused"]
    assert [(p.row, p.column, p.value) for p in plan.problems] == [(3, column, value)]
    assert message in plan.problems[0].message


def test_a_product_the_event_cannot_sell_is_refused_as_the_services_say(tmp_path, fair):
    ProductFactory(sku="PAN-003", name="Oreja", currency="USD")
    Product.objects.filter(sku="PAN-002").update(is_active=False)
    path = _file(
        tmp_path,
        [[*FAIR, "PAN-002", "10", "5", "", "", ""], [*FAIR, "PAN-003", "10", "5", "", "", ""]],
    )

    plan = _plan(path)

    assert [p.message for p in plan.problems] == [
        "Bolillo is no longer sold; it cannot be added to an event.",
        "Oreja is priced in USD; events sell in MXN.",
    ]


def test_the_catalog_is_read_a_chunk_at_a_time(
    tmp_path, fair, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr("clientela.sheets.plan.CHUNK_ROWS", 10)
    for n in range(30):
        ProductFactory(sku=f"PAN-{n + 100}")
    rows = [[*FAIR, f"PAN-{n + 100}", "10", "5", "", "21/04/2024", "2"] for n in range(30)]
    path = _file(tmp_path, rows)

    # products, events, their lines and their sales: four queries per chunk of 10 rows
    with django_assert_num_queries(3 * 4):
        plan = _plan(path)

    assert plan.counts == {"create": 30, "update": 0, "unchanged": 0, "refused": 0}


def test_an_import_writes_through_the_services_and_a_second_one_changes_nothing(
    tmp_path, owner, fair, products
):
    path = _file(
        tmp_path,
        [
            ["Feria de San Marcos", "2024-04-20", "Aguascalientes, Ags.", "", "", "PAN-001", "120"],
            [*FAIR[:2], "", "", "", "PAN-001", "", "", "", "21/04/2024", "25"],
            [*FAIR[:2], "", "", "", "PAN-002", "50", "40", "3.50", "20/04/2024", "10"],
            [*MARKET, "PAN-001", "20", "15", "13", "", "12"],
        ],
    )

    plan = _import(path, owner)

    assert plan.counts == {"create": 3, "update": 1, "unchanged": 0, "refused": 0}
    fair.refresh_from_db()
    assert fair.location == "Aguascalientes, Ags."
    conchas = EventProduct.objects.get(event=fair, product=products["concha"])
    assert conchas.quantity_brought == 120
    assert dict(conchas.sales.values_list("sold_on", "quantity")) == {
        date(2024, 4, 20): 30,
        date(2024, 4, 21): 25,
    }
    bolillos = EventProduct.objects.get(event=fair, product=products["bolillo"])
    assert (bolillos.unit_price, bolillos.sales.get().quantity) == (Decimal("3.50"), 10)
    market = Event.objects.get(name="Mercado del Carmen")
    assert (market.kind, market.items.get().sales.get().sold_on) == ("market", date(2024, 5, 4))
    last = conchas.history.latest("history_date")
    assert (last.history_user, last.history_change_reason) == (owner, "Imported from eventos.csv")
    versions = (fair.version, fair.sales_version)

    again = _import(path, owner)

    assert again.counts == {"create": 0, "update": 0, "unchanged": 4, "refused": 0}
    fair.refresh_from_db()
    assert (fair.version, fair.sales_version) == versions
    assert (Event.objects.count(), EventSale.objects.count()) == (2, 4)


def test_a_workbook_as_people_keep_it_imports(tmp_path, owner, products):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Ventas de ferias 2024"])
    sheet.append([])
    sheet.append(HEADERS)
    for day, sold in ((20, 30), (21, 25.0), (22, "12,5")):
        sheet.append(
            [
                "Feria de San Marcos ",
                datetime(2024, 4, 20),
                "Aguascalientes",
                "FERIA",
                3,
                " pan-001",
                100,
                80.0,
                "12,50",
                datetime(2024, 4, day),
                sold,
            ]
        )
    path = tmp_path / "ferias.xlsx"
    workbook.save(path)

    plan = _import(path, owner)

    assert plan.counts == {"create": 3, "update": 0, "unchanged": 0, "refused": 0}
    item = EventProduct.objects.get()
    assert (item.event.name, item.event.kind, item.unit_price) == (
        "Feria de San Marcos",
        "fair",
        Decimal("12.50"),
    )
    assert list(item.sales.values_list("quantity", flat=True)) == [30, 25, Decimal("12.5")]


def test_an_event_across_chunks_is_made_once_and_planned_alike_with_or_without_writing(
    tmp_path, owner, products, monkeypatch
):
    monkeypatch.setattr("clientela.sheets.plan.CHUNK_ROWS", 2)
    fair = ["Feria de León", "2024-01-12", "León", "Feria", "6"]
    rows = [[*fair, "PAN-001", "100", "90", "", f"{12 + n}/01/2024", "15"] for n in range(5)]
    path = _file(tmp_path, rows)
    sheet = open_sheet(path)

    dry = sheet_plan(EVENTS, sheet, _columns(sheet), user=None)
    plan = _import(path, owner)

    assert dry.counts == plan.counts == {"create": 5, "update": 0, "unchanged": 0, "refused": 0}
    event = Event.objects.get()
    assert event.items.get().sales.count() == 5
    # selling past what was brought is seen across chunks, in the dry run too
    rows.append([*fair, "PAN-001", "", "", "", "17/01/2024", "30"])
    path = _file(tmp_path, rows, name="otra.csv")
    sheet = open_sheet(path)
    Event.objects.all().delete()

    dry = sheet_plan(EVENTS, sheet, _columns(sheet), user=None)

    assert [(p.row, p.message) for p in dry.problems] == [
        (7, "Only 25 of Concha are left to sell: 100 brought, 75 sold on the other days.")
    ]


def test_a_refused_row_leaves_nothing_written_unless_skip_invalid(tmp_path, owner, fair):
    path = _file(
        tmp_path,
        [
            # the market's first row is refused: with skip_invalid the next one makes it
            [*MARKET, "PAN-999", "20", "15", "", "", ""],
            [*MARKET, "PAN-001", "20", "15", "", "", "12"],
            [*FAIR, "PAN-001", "", "", "", "21/04/2024", "25"],
        ],
    )

    with pytest.raises(ValidationError, match="1 row was refused, so nothing was imported"):
        _import(path, owner)

    assert (Event.objects.count(), EventSale.objects.count()) == (1, 1)

    plan = _import(path, owner, skip_invalid=True)

    assert plan.counts == {"create": 2, "update": 0, "unchanged": 0, "refused": 1}
    market = Event.objects.get(name="Mercado del Carmen")
    assert market.items.get().sales.get().quantity == 12
    assert EventSale.objects.count() == 3


def test_a_row_the_service_refuses_undoes_the_whole_import(tmp_path, owner, fair):
    # the fair shortened to one day, though its second day has sales: only the service
    # knows every sale of the event
    item = fair.items.get()
    event_sale_record(actor=None, item=item, sold_on=date(2024, 4, 21), quantity=Decimal(5))
    path = _file(
        tmp_path,
        [[*MARKET, "PAN-001", "20", "15", "", "", "12"], [*FAIR[:4], "1", "", "", "", "", "", ""]],
    )

    with pytest.raises(ValidationError, match="Row 3: Sales are recorded on"):
        _import(path, owner)

    assert Event.objects.count() == 1
    fair.refresh_from_db()
    assert fair.duration_days == 3


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("language", ["en", "es", "ru"])
def test_an_export_imports_back_unchanged(tmp_path, owner, fair, products, suffix, language):
    item = event_item_set(
        actor=None,
        event=fair,
        product=products["bolillo"],
        quantity_brought=Decimal("40.5"),
        quantity_expected=Decimal(40),
        unit_price=Decimal("3.25"),
    )
    event_sale_record(actor=None, item=item, sold_on=date(2024, 4, 22), quantity=Decimal(0))
    event_create(
        actor=None,
        name="=Expo sin productos",
        kind=EventKind.EXPO,
        location="-Centro",
        start_date=date(2024, 6, 1),
        notes="Stand 12\nJunto a la entrada",
    )
    path = tmp_path / f"eventos{suffix}"

    with translation.override(language):
        call_command("export", "events", str(path), stdout=StringIO())
        sheet = open_sheet(path)
        columns = _columns(sheet)
        plan = _import(path, owner)
        expo = str(EventKind.EXPO.label)

    assert len(columns) == len(sheet.headers) == len(EVENT_FIELDS)
    assert plan.counts == {"create": 0, "update": 0, "unchanged": 3, "refused": 0}
    assert plan.samples["unchanged"][2].cells[:4] == [
        "=Expo sin productos",
        "2024-06-01",
        expo,
        "-Centro",
    ]


def test_the_export_reads_a_chunk_of_events_at_a_time(
    fair, products, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr("clientela.events.sheet.EXPORT_CHUNK", 1)
    market = event_create(
        actor=None,
        name="Mercado del Carmen",
        kind=EventKind.MARKET,
        location="Plaza del Carmen",
        start_date=date(2024, 5, 4),
    )
    for product in products.values():
        event_item_set(
            actor=None,
            event=market,
            product=product,
            quantity_brought=Decimal(10),
            quantity_expected=Decimal(5),
        )

    # the events, their products and their days: three queries an event, and the last
    # empty chunk
    with django_assert_num_queries(2 * 3 + 1):
        rows = list(event_rows(Event.objects.all()))

    assert [row[0] for row in rows[1:]] == ["Feria de San Marcos"] + ["Mercado del Carmen"] * 2


def test_the_template_imports_as_a_new_event(tmp_path, owner):
    ProductFactory(sku="PAN-001", name="Concha")
    path = tmp_path / "plantilla.csv"
    with translation.override("es"):
        export_write(iter(template_rows(EVENTS)), path)

    plan = _import(path, owner)

    assert plan.counts["create"] == 1
    event = Event.objects.get()
    assert (event.name, event.kind, event.duration_days) == ("Feria de San Marcos", "fair", 3)
    assert event.items.get().sales.get().quantity == 45


def _run(*args):
    out = StringIO()
    try:
        call_command(*map(str, args), stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def test_the_commands_import_say_why_a_row_is_refused_and_export(tmp_path, owner, fair):
    path = _file(
        tmp_path,
        [[*MARKET, "PAN-001", "20", "15", "", "", "12"], [*FAIR, "PAN-001", "", "", "", "", "9"]],
    )

    code, printed = _run("import", "events", path, "--dry-run")

    assert code == 1
    assert "1 to create, 0 to update, 0 unchanged, 1 refused." in printed
    assert "row 3, Vendido “9”: Fill in the day this sold" in printed
    assert Event.objects.count() == 1

    code, printed = _run("import", "events", path)

    assert (code, "Nothing was imported." in printed) == (1, True)
    assert Event.objects.count() == 1

    exported = tmp_path / "eventos.xlsx"
    code, printed = _run("export", "events", exported)

    assert code == 0
    assert "1 row written to" in printed


def test_a_sale_for_a_day_that_has_not_come_is_refused_naming_it(tmp_path, products):
    start = timezone.localdate() + timedelta(days=3)
    event = ["Feria de Invierno", start.isoformat(), "Zócalo", "Feria", "2"]
    path = _file(tmp_path, [[*event, "PAN-001", "50", "40", "", start.isoformat(), "12"]])

    plan = _plan(path)

    assert [row.action for row in plan.rows] == ["refused"]
    day = formats.date_format(start, "SHORT_DATE_FORMAT")
    assert [(p.column, p.message) for p in plan.problems] == [
        ("Día", f"{day} has not come yet: its sales can be recorded from that day on.")
    ]
