"""Every list of the staff pages downloads as .csv or .xlsx: all its pages, as searched
and filtered, only what the user may see, and (for what can be imported) in the form
the import reads back."""

import csv
import html
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
import vobject
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from clientela.analytics.models import AnalysisRun, CustomerScore, LadderStage, RunStatus
from clientela.customers.models import Customer
from clientela.customers.sheet import CUSTOMER_FIELDS, CUSTOMERS
from clientela.customers.tests.factories import CustomerFactory, UserFactory
from clientela.events.tests.factories import EventFactory
from clientela.orders.tests.factories import OrderFactory, ProductFactory
from clientela.sheets.importing import sheet_import
from clientela.sheets.mapping import match_columns
from clientela.sheets.reading import open_sheet

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","clic")'


def _content(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content) if response.streaming else response.content


def _csv(response) -> list[list[str]]:
    content = _content(response)
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _xlsx(response) -> list[list]:
    workbook = load_workbook(io.BytesIO(_content(response)), read_only=True)
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def _column(rows: list[list], header: str) -> list:
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


@pytest.fixture
def catalog(owner):
    return {
        "espiga": CustomerFactory(
            name="Panadería La Espiga", tags=["VIP"], emails=["ventas@espiga.mx"]
        ),
        "aurora": CustomerFactory(name="Cafetería Aurora", tags=["VIP"], phones=["55 1234 5678"]),
        "portal": CustomerFactory(
            name="El Portal", tags=["VIP"], tax_id="GODE561231GR8", contacts=[{"name": "Ana Ruiz"}]
        ),
        "evil": CustomerFactory(name=FORMULA, notes="-1+2", emails=["x@evil.example"]),
    }


# --- customers ------------------------------------------------------------------------


def test_the_customer_list_exports_every_page_of_its_filters(client, settings, readonly, catalog):
    # given a list of one customer a page, filtered by a tag, seen by a read-only user
    settings.CLIENTELA_PAGE_SIZE = 1
    client.force_login(readonly)

    # when they open its second page and export it from there
    page = html.unescape(
        client.get(reverse("customers:list"), {"tag": "VIP", "page": 2}).content.decode()
    )
    rows = _csv(client.get(reverse("customers:export"), {"tag": "VIP", "page": 2, "format": "csv"}))

    # then the page offers every page of it, as filtered, in each format
    for file_format in ("xlsx", "csv", "vcf"):
        assert f'href="{reverse("customers:export")}?tag=VIP&format={file_format}"' in page
    # and the file has every customer with the tag, in the columns the import reads
    assert rows[0][:3] == ["Tax id", "External id", "Name"]
    assert sorted(_column(rows, "Name")) == ["Cafetería Aurora", "El Portal", "Panadería La Espiga"]


def test_a_search_exports_every_match_not_only_those_the_list_counts(client, settings, owner):
    settings.CLIENTELA_COUNT_LIMIT = 1
    for name in ("Panadería Norte", "Panadería Sur", "Panadería Centro", "Café Sur"):
        CustomerFactory(name=name)
    client.force_login(owner)

    rows = _csv(client.get(reverse("customers:export"), {"q": "panaderia", "format": "csv"}))

    assert sorted(_column(rows, "Name")) == ["Panadería Centro", "Panadería Norte", "Panadería Sur"]


def test_the_exported_customer_list_imports_back_unchanged(tmp_path, client, owner, catalog):
    # given a Spanish-speaking user's export of the list as a workbook, saved
    client.force_login(owner)
    response = client.get(
        reverse("customers:export"), {"format": "xlsx"}, headers={"accept-language": "es"}
    )
    path = tmp_path / "clientes.xlsx"
    path.write_bytes(_content(response))

    # when it is imported again
    sheet = open_sheet(path)
    columns = match_columns(sheet.headers, CUSTOMER_FIELDS)
    plan = sheet_import(kind=CUSTOMERS, actor=owner, sheet=sheet, columns=columns, source="x")

    # then its headers were in Spanish, every column matched, and nothing changed
    assert sheet.headers[:3] == ["Identificación fiscal", "Id externo", "Nombre"]
    assert len(columns) == len(sheet.headers)
    assert plan.counts == {"create": 0, "update": 0, "unchanged": 4, "refused": 0}
    assert response["Content-Disposition"].startswith('attachment; filename="clientes-')


def test_a_streamed_csv_keeps_the_language_of_the_request_that_asked(client, owner, catalog):
    client.force_login(owner)
    response = client.get(
        reverse("customers:export"), {"format": "csv"}, headers={"accept-language": "ru"}
    )

    with translation.override("en"):  # the server has moved on while the file streams
        rows = _csv(response)

    assert rows[0][2] == "Имя"


def test_cells_that_would_run_as_formulas_are_neutralised(client, owner, catalog):
    client.force_login(owner)
    url = reverse("customers:export")

    text_rows = _csv(client.get(url, {"format": "csv"}))
    sheet_rows = _xlsx(client.get(url, {"format": "xlsx"}))

    for rows in (text_rows, sheet_rows):
        assert "'" + FORMULA in _column(rows, "Name")
        assert "'-1+2" in _column(rows, "Notes")
        cells = [cell for row in rows for cell in row if isinstance(cell, str)]
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


def test_a_salesperson_exports_only_their_own_customers_and_orders(client, settings, owner):
    # given salespeople who see only their own customers
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    diego, sofia = UserFactory(), UserFactory()
    mine = CustomerFactory(actor=owner, name="Tortillería Doña Mary", owner=diego)
    theirs = CustomerFactory(actor=owner, name="Cafetería El Portal", owner=sofia)
    OrderFactory(actor=owner, customer=mine)
    OrderFactory(actor=owner, customer=theirs)
    client.force_login(diego)

    # when Diego exports the customers (searched too), their contacts and the orders
    customers = _csv(client.get(reverse("customers:export"), {"format": "csv"}))
    searched = _csv(client.get(reverse("customers:export"), {"q": "portal", "format": "csv"}))
    cards = b"".join(client.get(reverse("customers:export"), {"format": "vcf"}).streaming_content)
    orders = _xlsx(client.get(reverse("orders:export"), {"format": "xlsx"}))

    # then only his own are in the files
    assert _column(customers, "Name") == ["Tortillería Doña Mary"]
    assert _column(searched, "Name") == []
    assert [card.fn.value for card in vobject.readComponents(cards.decode())] == [
        "Tortillería Doña Mary"
    ]
    assert set(_column(orders, "Customer")) == {"Tortillería Doña Mary"}


def test_the_customer_export_reads_as_many_queries_for_3_customers_as_for_12(client, owner):
    client.force_login(owner)
    for number in range(3):
        CustomerFactory(
            emails=[f"a{number}@b.mx"], tags=["VIP"], phones=[f"55 1234 56{number:02d}"]
        )
    with CaptureQueriesContext(connection) as few:
        small = _csv(client.get(reverse("customers:export"), {"format": "csv"}))
    for number in range(9):
        CustomerFactory(
            emails=[f"c{number}@b.mx"],
            tags=["VIP", "Pan"],
            addresses=[{"street": "Reforma 1", "city": "Puebla"}],
        )

    with CaptureQueriesContext(connection) as many:
        large = _csv(client.get(reverse("customers:export"), {"format": "csv"}))

    assert (len(small), len(large)) == (4, 13)
    assert len(many) == len(few), "\n".join(query["sql"] for query in many.captured_queries)


def test_the_customer_list_exports_its_contacts_as_vcards(client, readonly, catalog):
    client.force_login(readonly)

    response = client.get(reverse("customers:export"), {"tag": "VIP", "format": "vcf"})

    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    cards = list(vobject.readComponents(b"".join(response.streaming_content).decode()))
    assert sorted(card.fn.value for card in cards) == [
        "Ana Ruiz",
        "Cafetería Aurora",
        "Panadería La Espiga",
    ]


# --- the other lists ------------------------------------------------------------------


@pytest.fixture
def book(owner):
    """Products, orders and events enough to filter."""
    concha = ProductFactory(actor=owner, name="Concha", category="Pan dulce")
    ProductFactory(actor=owner, name="Bolillo", category="Pan salado")
    ProductFactory(actor=owner, name="Cuernito", category="Pan dulce")
    shop = CustomerFactory(actor=owner, name="Cafetería Aurora")
    other = CustomerFactory(actor=owner, name="Abarrotes Paty")
    OrderFactory(actor=owner, customer=shop, lines=[{"product": concha, "quantity": 2}])
    OrderFactory(
        actor=owner,
        customer=other,
        lines=[{"product": concha, "quantity": 5}],
        status="confirmed",
    )
    EventFactory(actor=owner, name="Feria del Pan", location="Puebla")
    EventFactory(actor=owner, name="Mercado de Noche", location="Cholula")
    return {"concha": concha, "shop": shop}


@pytest.mark.parametrize(
    ("page_url", "export_url", "query", "column", "expected"),
    [
        (
            "orders:products",
            "orders:product_export",
            "category=Pan+dulce",
            "Name",
            ["Concha", "Cuernito"],
        ),
        ("orders:list", "orders:export", "status=confirmed", "Customer", ["Abarrotes Paty"]),
        ("events:list", "events:export", "location=pueb", "Event", ["Feria del Pan"]),
    ],
    ids=["products", "orders", "events"],
)
def test_each_list_offers_and_exports_what_its_filters_show(
    client, settings, readonly, book, page_url, export_url, query, column, expected
):
    # given a list of one row a page, filtered, seen by a read-only user
    settings.CLIENTELA_PAGE_SIZE = 1
    client.force_login(readonly)
    export = reverse(export_url)

    # when they open it and follow its export links
    page = html.unescape(client.get(f"{reverse(page_url)}?{query}").content.decode())
    text_rows = _csv(client.get(f"{export}?{query}&format=csv"))
    sheet_rows = _xlsx(client.get(f"{export}?{query}&format=xlsx"))

    # then the page offers both files with its filters, and each holds every row shown
    assert f'href="{export}?{query}&format=csv"' in page
    assert f'href="{export}?{query}&format=xlsx"' in page
    assert sorted(set(_column(text_rows, column))) == expected
    assert sorted(set(_column(sheet_rows, column))) == expected


@pytest.fixture
def late(owner):
    shop = CustomerFactory(actor=owner, name="Cafetería Aurora")
    concha = ProductFactory(actor=owner, name="Concha", lead_time_tolerance_days=1)
    days = [(date(2024, 3, 10), date(2024, 3, 14)), (date(2024, 3, 20), date(2024, 3, 27))]
    return [
        OrderFactory(
            actor=owner,
            customer=shop,
            lines=[{"product": concha, "quantity": 1}],
            order_date=date(2024, 3, 1),
            due_date=due,
            status="delivered",
            finished_on=due,
            delivered_on=delivered,
        )
        for due, delivered in days
    ]


def test_the_late_orders_export_their_columns_latest_first(client, readonly, late):
    client.force_login(readonly)
    period = {"date_from": "2024-03-01", "date_to": "2024-03-31"}

    page = html.unescape(client.get(reverse("orders:late"), period).content.decode())
    rows = _xlsx(client.get(reverse("orders:late_export"), {**period, "format": "xlsx"}))

    assert (
        reverse("orders:late_export") + "?date_from=2024-03-01&date_to=2024-03-31&format=csv"
        in page
    )
    assert rows == [
        ["Number", "Customer", "Due", "Delivered", "Days late", "Tolerance (days)"],
        # dates are dates in the workbook (openpyxl reads them back as midnight)
        [late[1].pk, "Cafetería Aurora", datetime(2024, 3, 20), datetime(2024, 3, 27), 7, 1],
        [late[0].pk, "Cafetería Aurora", datetime(2024, 3, 10), datetime(2024, 3, 14), 4, 1],
    ]


def _scores(customers: list[Customer], as_of: date) -> None:
    AnalysisRun.objects.create(as_of=as_of, status=RunStatus.DONE)
    for index, customer in enumerate(customers):
        CustomerScore.objects.create(
            customer=customer,
            as_of=as_of,
            last_purchase_on=date(2024, 5, 1),
            probability_alive=0.5,
            clv=Decimal(100 * (index + 1)),
            value_at_stake=Decimal(10),
            ladder_stage=LadderStage.POTENTIAL if index else LadderStage.POSSIBLE,
            inferred_stage=LadderStage.POSSIBLE,
            lost_by_rule=index == 0,
        )


def test_the_score_list_exports_its_filters_in_its_order_in_flat_queries(client, readonly):
    customers = [CustomerFactory(name=f"Cliente {number}") for number in range(6)]
    _scores(customers[:2], date(2024, 6, 1))
    client.force_login(readonly)
    url = reverse("analytics:score_export")
    with CaptureQueriesContext(connection) as few:
        _csv(client.get(url, {"format": "csv"}))
    _scores(customers, date(2024, 6, 2))

    with CaptureQueriesContext(connection) as many:
        rows = _csv(client.get(url, {"format": "csv"}))
    filtered = _csv(client.get(url, {"stage": LadderStage.POTENTIAL, "format": "csv"}))
    page = html.unescape(
        client.get(reverse("analytics:scores"), {"stage": LadderStage.POTENTIAL}).content.decode()
    )

    assert rows[0][:2] == ["Customer", "RFM segment"]
    assert _column(rows, "Customer") == [f"Cliente {number}" for number in range(5, -1, -1)]
    assert _column(rows, "Lifetime value")[0] == "600.00"
    assert _column(rows, "Still buying?")[-1] == "Lapsed"
    assert _column(filtered, "Customer") == [f"Cliente {number}" for number in range(5, 0, -1)]
    assert f'href="{url}?stage=potential&format=xlsx"' in page
    assert len(many) == len(few)


# --- what is refused ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "customers:export",
        "orders:export",
        "orders:product_export",
        "orders:late_export",
        "events:export",
        "analytics:score_export",
    ],
)
def test_an_unknown_format_is_not_found_and_strangers_are_sent_to_sign_in(client, readonly, url):
    assert client.get(reverse(url), {"format": "csv"}).status_code == 302

    client.force_login(readonly)

    assert client.get(reverse(url), {"format": "pdf"}).status_code == 404
