"""The pipeline's pages: who sees and changes what, forms that refuse bad input beside
the field, the board's moves (a stale one refused, the card back in its column), the
list's export and the figures' arithmetic."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clientela.customers.tests.factories import CustomerFactory, UserFactory
from clientela.orders.models import Order
from clientela.orders.tests.factories import ProductFactory
from clientela.relations.models import ContactLimit, LostReason, Opportunity, Stage
from clientela.relations.selectors import pipeline_closed, pipeline_stages, pipeline_weighted
from clientela.relations.services import activity_plan, opportunity_create, opportunity_move
from clientela.relations.tests.factories import stage

pytestmark = pytest.mark.django_db

HTMX_BOARD = {"HX-Request": "true", "HX-Target": "board"}


@pytest.fixture
def customer(sales):
    return CustomerFactory(name="Hoteles del Bajío", owner=sales)


@pytest.fixture
def deal(sales, customer):
    return opportunity_create(
        actor=sales,
        customer=customer,
        title="Pan para 12 hoteles",
        value=Decimal("48000.00"),
        expected_close=timezone.localdate() + timedelta(days=20),
    )


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- who may see and do what -------------------------------------------------------------


def _pages(deal) -> dict[str, str]:
    return {
        "board": reverse("relations:pipeline"),
        "list": reverse("relations:pipeline_list"),
        "figures": reverse("relations:pipeline_figures"),
        "detail": reverse("relations:opportunity_detail", args=[deal.pk]),
        "create": reverse("relations:opportunity_create"),
        "edit": reverse("relations:opportunity_edit", args=[deal.pk]),
        "stages": reverse("relations:pipeline_stages"),
        "reasons": reverse("relations:pipeline_reasons"),
        "limits": reverse("relations:pipeline_limits"),
        "export": reverse("relations:pipeline_export") + "?format=csv",
    }


EDITING = {"create", "edit"}
SETTINGS = {"stages", "reasons", "limits"}


@pytest.mark.parametrize("role", ["owner", "sales", "support", "readonly"])
def test_every_page_answers_each_role_as_its_capabilities_allow(client, request, deal, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    for name, url in _pages(deal).items():
        allowed = True
        if name in EDITING:
            allowed = role in ("owner", "sales")
        elif name in SETTINGS:
            allowed = role == "owner"
        status = client.get(url).status_code
        assert status == (200 if allowed else 403), (role, name, status)


def test_anonymous_visitors_are_sent_to_sign_in(client, deal):
    for url in _pages(deal).values():
        assert client.get(url).status_code == 302


def test_the_menu_offers_the_pipeline_to_who_sees_customers(client, readonly):
    client.force_login(readonly)
    page = _page(client.get(reverse("dashboard")))
    assert reverse("relations:pipeline") in page


def test_a_salesperson_limited_to_own_customers_sees_only_their_deals(
    client, settings, sales, deal
):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    other_seller = UserFactory(username="otra", role="sales")
    theirs = CustomerFactory(name="Panadería Ajena", owner=other_seller)
    hidden = opportunity_create(actor=other_seller, customer=theirs, title="Trato ajeno")
    client.force_login(sales)
    for url in (reverse("relations:pipeline"), reverse("relations:pipeline_list")):
        page = _page(client.get(url))
        assert "Pan para 12 hoteles" in page and "Trato ajeno" not in page
    export = client.get(reverse("relations:pipeline_export") + "?format=csv")
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "Pan para 12 hoteles" in text and "Trato ajeno" not in text
    detail = reverse("relations:opportunity_detail", args=[hidden.pk])
    assert client.get(detail).status_code == 404
    move = reverse("relations:opportunity_move", args=[hidden.pk])
    assert client.post(move, {"stage": stage("Qualified").pk, "version": 1}).status_code == 404


# --- the form -------------------------------------------------------------------------------


def test_a_new_opportunity_is_opened_for_a_prospect_with_its_stage_probability(
    client, sales, customer
):
    bread = ProductFactory(name="Bolillo")
    client.force_login(sales)
    response = client.post(
        reverse("relations:opportunity_create"),
        {
            "customer": str(customer.pk),
            "title": "Desayunos del hotel",
            "value": "12,500.50",
            "currency": "mxn",
            "stage": stage("Qualified").pk,
            "probability": "",
            "expected_close": (timezone.localdate() + timedelta(days=10)).isoformat(),
            "owner": sales.pk,
            "source": "referral",
            "products": [bread.pk],
            "next_step": "Llamar el lunes",
        },
    )
    deal = Opportunity.objects.get(title="Desayunos del hotel")
    assert response.status_code == 302 and response["Location"].endswith(f"/{deal.pk}/")
    assert deal.value == Decimal("12500.50") and deal.currency == "MXN"
    assert deal.stage == stage("Qualified") and deal.probability == 25
    assert list(deal.products.all()) == [bread]


def test_the_form_refuses_bad_input_beside_the_field_and_writes_nothing(client, sales, customer):
    client.force_login(sales)
    yesterday = timezone.localdate() - timedelta(days=1)
    data = {
        "customer": str(customer.pk),
        "title": "Pedido de temporada",
        "value": "100",
        "currency": "MXN",
        "stage": stage("Lead").pk,
        "expected_close": yesterday.isoformat(),
    }
    page = _page(client.post(reverse("relations:opportunity_create"), data))
    assert 'id="id_expected_close_error"' in page
    assert "before the opportunity was created" in page
    page = _page(
        client.post(
            reverse("relations:opportunity_create"),
            data | {"expected_close": "", "value": "1,5", "probability": "120"},
        )
    )
    assert 'id="id_value_error"' in page and 'id="id_probability_error"' in page
    page = _page(
        client.post(
            reverse("relations:opportunity_create"),
            data | {"expected_close": "", "customer": "Nadie Conocido"},
        )
    )
    assert 'id="id_customer_error"' in page and "No customer matches" in page
    assert not Opportunity.objects.filter(title="Pedido de temporada").exists()


def test_an_edit_from_an_old_version_is_refused_and_the_input_kept(client, sales, deal):
    client.force_login(sales)
    url = reverse("relations:opportunity_edit", args=[deal.pk])
    opportunity_move(actor=sales, opportunity=deal, version=deal.version, stage=stage("Qualified"))
    page = _page(
        client.post(
            url,
            {"title": "Pan para 15 hoteles", "value": "50000", "currency": "MXN", "version": 1},
        )
    )
    assert "Someone else changed this record" in page and "Pan para 15 hoteles" in page
    assert Opportunity.objects.get(pk=deal.pk).title == "Pan para 12 hoteles"


# --- moves: the detail page, the board, the stage menu ---------------------------------------


def test_lost_asks_the_reason_and_the_competitor_when_the_reason_asks(client, sales, deal):
    client.force_login(sales)
    url = reverse("relations:opportunity_move", args=[deal.pk])
    lost = stage("Lost").pk
    page = _page(client.post(url, {"stage": lost, "version": deal.version}))
    assert 'id="id_lost_reason_error"' in page and "Say why it was lost." in page
    competitor = LostReason.objects.get(name="Went with a competitor")
    page = _page(
        client.post(url, {"stage": lost, "version": deal.version, "lost_reason": competitor.pk})
    )
    assert 'id="id_competitor_error"' in page
    deal.refresh_from_db()
    assert deal.closed_at is None and deal.stage == stage("Lead")
    response = client.post(
        url,
        {
            "stage": lost,
            "version": deal.version,
            "lost_reason": competitor.pk,
            "competitor": "Bimbo",
        },
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage.is_lost and deal.competitor == "Bimbo"
    page = _page(client.get(reverse("relations:opportunity_detail", args=[deal.pk])))
    assert "Bimbo" in page and 'id="reopen-form"' in page


def test_a_stale_move_from_the_page_is_refused_and_shows_the_deal_as_it_is(
    client, sales, owner, deal
):
    opportunity_move(actor=owner, opportunity=deal, version=1, stage=stage("Qualified"))
    client.force_login(sales)
    url = reverse("relations:opportunity_move", args=[deal.pk])
    response = client.post(url, {"stage": stage("Negotiation").pk, "version": 1}, follow=True)
    page = _page(response)
    assert "Someone else changed this record" in page
    assert 'name="version" value="2"' in page  # the forms carry the current version
    deal.refresh_from_db()
    assert deal.stage == stage("Qualified")


def test_a_board_move_redraws_the_columns_with_the_card_moved(client, sales, deal):
    client.force_login(sales)
    url = reverse("relations:opportunity_move", args=[deal.pk])
    page = _page(
        client.post(url, {"stage": stage("Proposal sent").pk, "version": 1}, headers=HTMX_BOARD)
    )
    assert 'id="board"' in page and "<html" not in page
    column = page.split(f'data-stage="{stage("Proposal sent").pk}"')[1].split("</section>")[0]
    assert "Pan para 12 hoteles" in column and "$48,000.00" in column
    assert "moved to Proposal sent" in page  # the message, out of band
    deal.refresh_from_db()
    assert deal.stage == stage("Proposal sent") and deal.version == 2


def test_a_stale_board_move_is_refused_and_the_card_stays_in_its_column(client, sales, owner, deal):
    client.force_login(sales)
    opportunity_move(actor=owner, opportunity=deal, version=1, stage=stage("Qualified"))
    url = reverse("relations:opportunity_move", args=[deal.pk])
    page = _page(
        client.post(url, {"stage": stage("Negotiation").pk, "version": 1}, headers=HTMX_BOARD)
    )
    assert "Someone else changed this record" in page
    column = page.split(f'data-stage="{stage("Qualified").pk}"')[1].split("</section>")[0]
    assert "Pan para 12 hoteles" in column
    deal.refresh_from_db()
    assert deal.stage == stage("Qualified")


def test_winning_from_the_board_opens_a_draft_order_with_the_products(client, sales, customer):
    bread, cake = ProductFactory(name="Bolillo"), ProductFactory(name="Pastel")
    deal = opportunity_create(
        actor=sales, customer=customer, title="Boda", products=[bread, cake], value=Decimal(900)
    )
    client.force_login(sales)
    url = reverse("relations:opportunity_move", args=[deal.pk])
    client.post(
        url, {"stage": stage("Won").pk, "version": 1, "open_order": "on"}, headers=HTMX_BOARD
    )
    deal.refresh_from_db()
    order = Order.objects.get(pk=deal.order_id)
    assert {line.product_id for line in order.lines.all()} == {bread.pk, cake.pk}
    page = _page(client.get(reverse("relations:opportunity_detail", args=[deal.pk])))
    assert reverse("orders:detail", args=[order.pk]) in page


def test_the_stage_menu_moves_a_card_without_javascript_and_returns_to_the_board(
    client, sales, deal
):
    client.force_login(sales)
    board = reverse("relations:pipeline") + "?owner=" + str(sales.pk)
    page = _page(client.get(board))
    assert f'id="card-{deal.pk}-stage"' in page
    url = reverse("relations:opportunity_move", args=[deal.pk])
    response = client.post(url, {"stage": stage("Qualified").pk, "version": 1, "next": board})
    assert response.status_code == 302 and response["Location"] == board
    stale = client.post(url, {"stage": stage("Negotiation").pk, "version": 1, "next": board})
    assert stale.status_code == 302
    assert "Someone else changed" in _page(client.get(board))


def test_a_column_shows_twenty_cards_and_loads_the_rest(client, sales, customer):
    for number in range(23):
        opportunity_create(actor=sales, customer=customer, title=f"Trato {number:02d}")
    client.force_login(sales)
    page = _page(client.get(reverse("relations:pipeline")))
    assert page.count("data-card ") == 20 and "Show 3 more" in page
    rest = _page(client.get(reverse("relations:pipeline_column", args=[stage("Lead").pk])))
    assert rest.count("data-card ") == 3


def test_the_page_shows_the_stage_history_and_the_activities_of_the_deal(client, sales, deal):
    activity_plan(
        actor=sales,
        kind="task",
        subject="Preparar degustación",
        due_at=timezone.now() + timedelta(days=2),
        customer=deal.customer,
        opportunity=deal,
    )
    opportunity_move(actor=sales, opportunity=deal, version=1, stage=stage("Qualified"))
    client.force_login(sales)
    page = _page(client.get(reverse("relations:opportunity_detail", args=[deal.pk])))
    history = page.split('id="stage-history"')[1].split("</section>")[0]
    assert "Lead" in history and "Qualified" in history and str(sales) in history
    assert "Preparar degustación" in page.split('id="activities"')[1]


def test_the_board_and_the_list_read_the_same_queries_for_few_or_many_deals(
    client, sales, customer
):
    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            _page(client.get(url))
        return len(captured)

    client.force_login(sales)
    opportunity_create(actor=sales, customer=customer, title="Uno")
    board, listing = reverse("relations:pipeline"), reverse("relations:pipeline_list")
    few = queries(board), queries(listing)
    other = CustomerFactory(name="Otra Cafetería", owner=sales)
    for number in range(8):
        opportunity_create(actor=sales, customer=other, title=f"Trato {number}")
    assert (queries(board), queries(listing)) == few


def test_reopening_puts_a_lost_deal_back_on_its_stage(client, sales, deal):
    reason = LostReason.objects.get(name="Price")
    opportunity_move(
        actor=sales, opportunity=deal, version=1, stage=stage("Lost"), lost_reason=reason
    )
    client.force_login(sales)
    url = reverse("relations:opportunity_reopen", args=[deal.pk])
    assert client.post(url, {"version": 2, "stage": ""}).status_code == 302
    deal.refresh_from_db()
    assert deal.stage == stage("Lead") and deal.closed_at is None


# --- the list and its export -----------------------------------------------------------------


def test_the_list_filters_sorts_and_exports_as_shown(client, owner, sales, customer):
    bread = ProductFactory(name="Bolillo")
    small = opportunity_create(actor=sales, customer=customer, title="Chico", value=Decimal(10))
    big = opportunity_create(
        actor=sales, customer=customer, title="Grande", value=Decimal(1000), products=[bread]
    )
    client.force_login(owner)
    url = reverse("relations:pipeline_list")
    page = _page(client.get(url, {"ordering": "-value"}))
    assert page.index("Grande") < page.index("Chico")
    page = _page(client.get(url, {"product": bread.pk}))
    assert "Grande" in page and "Chico" not in page
    page = _page(client.get(url, {"status": "won"}))
    assert "Grande" not in page
    export = client.get(
        reverse("relations:pipeline_export"), {"format": "csv", "ordering": "value"}
    )
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["Number", "Title", "Customer number", "Customer"]
    assert [row[1] for row in rows[1:]] == ["Chico", "Grande"]
    grande = rows[2]
    header = rows[0]
    assert grande[header.index("Weighted value")] == "100.00"
    assert grande[header.index("Products of interest")] == "Bolillo"
    assert int(grande[0]) == big.pk and int(rows[1][0]) == small.pk
    workbook = client.get(reverse("relations:pipeline_export"), {"format": "xlsx"})
    assert workbook.status_code == 200 and workbook["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )


# --- the figures --------------------------------------------------------------------------------


def test_the_figures_of_a_small_known_pipeline(client, owner, sales, customer):
    month = timezone.localdate() + timedelta(days=40)

    def deal(title, value, probability=None):
        return opportunity_create(
            actor=sales,
            customer=customer,
            title=title,
            value=Decimal(value),
            probability=probability,
            expected_close=month,
        )

    deal("A", 1000, 50)  # weighted 500
    deal("B", 400, 25)  # weighted 100
    won = deal("C", 300)
    opportunity_move(actor=sales, opportunity=won, version=1, stage=stage("Qualified"))
    opportunity_move(actor=sales, opportunity=won, version=2, stage=stage("Won"), open_order=False)
    lost = deal("D", 200)
    opportunity_move(
        actor=sales,
        opportunity=lost,
        version=1,
        stage=stage("Lost"),
        lost_reason=LostReason.objects.get(name="Price"),
    )
    (row,) = pipeline_weighted(user=owner, by="month")
    assert (row.count, row.value, row.weighted) == (2, Decimal(1400), Decimal(600))
    (by_owner,) = pipeline_weighted(user=owner, by="owner")
    assert by_owner.key == sales.pk and by_owner.weighted == Decimal(600)
    today = timezone.localdate()
    closed = pipeline_closed(user=owner, date_from=today, date_to=today)
    assert (closed.total.won, closed.total.lost, closed.total.win_rate) == (1, 1, 0.5)
    assert closed.total.average_deal == Decimal(300) and closed.total.average_cycle < 0.01
    stages = {
        row.stage.name: row for row in pipeline_stages(user=owner, date_from=today, date_to=today)
    }
    assert stages["Lead"].reached == 4 and stages["Qualified"].reached == 1
    assert stages["Lead"].conversion == 0.25 and stages["Won"].reached == 1
    assert stages["Lead"].stays == 2  # C and D left Lead; A and B are still on it
    client.force_login(owner)
    page = _page(client.get(reverse("relations:pipeline_figures")))
    assert 'id="weighted-total"' in page and "$600.00" in page and "50%" in page


# --- the owner's settings ---------------------------------------------------------------------


def test_the_owner_sets_up_stages_reasons_and_limits(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("relations:pipeline_stages"),
        {
            "name": "Tasting",
            "name_es": "Degustación",
            "name_ru": "Дегустация",
            "probability": 40,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    tasting = Stage.objects.get(name="Tasting")
    assert tasting.probability == 40 and tasting.is_active
    page = _page(
        client.post(
            reverse("relations:pipeline_stages"),
            {"name": "Both", "probability": 10, "is_won": "on", "is_lost": "on"},
        )
    )
    assert 'id="id_is_lost_error"' in page and not Stage.objects.filter(name="Both").exists()
    edit = reverse("relations:pipeline_stage_edit", args=[tasting.pk])
    client.post(edit, {"name": "Tasting", "probability": 45, "position": tasting.position})
    tasting.refresh_from_db()
    assert tasting.probability == 45 and not tasting.is_active
    client.post(reverse("relations:pipeline_stage_delete", args=[tasting.pk]))
    assert not Stage.objects.filter(pk=tasting.pk).exists()
    client.post(
        reverse("relations:pipeline_reasons"), {"name": "Moved away", "asks_competitor": "on"}
    )
    assert LostReason.objects.get(name="Moved away").asks_competitor
    client.post(
        reverse("relations:pipeline_limits"), {"channel": "phone", "max_contacts": 2, "days": 7}
    )
    limit = ContactLimit.objects.get(channel="phone")
    assert (limit.max_contacts, limit.days) == (2, 7)
    page = _page(
        client.post(
            reverse("relations:pipeline_limits"), {"channel": "", "max_contacts": 0, "days": 7}
        )
    )
    assert 'id="id_max_contacts_error"' in page
    client.post(reverse("relations:pipeline_limit_remove", args=[limit.pk]))
    assert not ContactLimit.objects.filter(channel="phone").exists()
