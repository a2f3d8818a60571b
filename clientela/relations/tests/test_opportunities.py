"""Opportunities move along the owner's pipeline: every move kept and told, won opens
a draft order, lost needs a reason, closed ones reopen first, stale moves are refused."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from clientela.core.errors import ConflictError
from clientela.customers.tests.factories import CustomerFactory
from clientela.orders.models import OrderStatus
from clientela.orders.tests.factories import ProductFactory
from clientela.relations.models import LostReason, Opportunity, OpportunityStageChange
from clientela.relations.services import (
    opportunity_create,
    opportunity_move,
    opportunity_reopen,
    opportunity_update,
    stage_create,
    stage_update,
)
from clientela.relations.tests.factories import stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(sales):
    return CustomerFactory(name="Hoteles del Bajío", owner=sales)


@pytest.fixture
def emitted(monkeypatch):
    """The events the opportunity services tell, in order."""
    events: list[tuple[str, dict]] = []

    def capture(*, event, data):
        events.append((event, data() if callable(data) else data))

    monkeypatch.setattr("clientela.relations.services.opportunities.event_emit", capture)
    return events


def _open(actor, customer, **fields):
    fields = {"title": "Pan para 12 hoteles", "value": Decimal("48000.00")} | fields
    return opportunity_create(actor=actor, customer=customer, **fields)


def test_a_new_opportunity_starts_on_the_first_stage_with_its_probability(sales, customer):
    deal = _open(sales, customer)
    assert deal.stage == stage("Lead") and deal.probability == 10
    assert deal.owner == sales and deal.currency == "MXN"
    assert OpportunityStageChange.objects.get(opportunity=deal).to_stage == stage("Lead")
    assert _open(sales, customer, probability=35).probability == 35


def test_bad_input_is_refused_field_by_field_and_nothing_is_written(sales, customer):
    yesterday = timezone.localdate() - timedelta(days=1)
    cases = [
        ({"value": Decimal("-1")}, "value"),
        ({"value": Decimal("1.005")}, "value"),
        ({"currency": "pesos"}, "currency"),
        ({"expected_close": yesterday}, "expected_close"),
        ({"expected_close": timezone.localdate().replace(year=9999)}, "expected_close"),
        ({"expected_close": timezone.localdate().replace(year=2150)}, "expected_close"),
        ({"probability": 101}, "probability"),
        ({"title": "  "}, "title"),
        ({"source": "telepathy"}, "source"),
    ]
    for change, field in cases:
        with pytest.raises(ValidationError) as excinfo:
            _open(sales, customer, **change)
        assert field in excinfo.value.message_dict, (change, excinfo.value.message_dict)
    assert not Opportunity.objects.exists()


def test_won_opens_a_draft_order_with_the_products_of_interest(sales, customer, emitted):
    bolillo = ProductFactory(name="Bolillo", unit_price=Decimal("3.50"))
    concha = ProductFactory(name="Concha", unit_price=Decimal("12.00"))
    deal = _open(sales, customer, products=[bolillo, concha])
    deal = opportunity_move(actor=sales, opportunity=deal, version=deal.version, stage=stage("Won"))
    assert deal.closed_at is not None and deal.probability == 100
    order = deal.order
    assert order.status == OrderStatus.DRAFT and order.customer == customer
    assert sorted(line.product.name for line in order.lines.all()) == ["Bolillo", "Concha"]
    assert [event for event, _data in emitted][-2:] == [
        "opportunity.stage_changed",
        "opportunity.won",
    ]
    assert emitted[-1][1]["from_stage"] == "Lead" and emitted[-1][1]["order_id"] == order.pk


def test_lost_needs_a_reason_and_the_competitor_when_the_reason_asks(sales, customer, emitted):
    deal = _open(sales, customer)
    with pytest.raises(ValidationError) as excinfo:
        opportunity_move(actor=sales, opportunity=deal, version=deal.version, stage=stage("Lost"))
    assert "lost_reason" in excinfo.value.message_dict
    competitor = LostReason.objects.get(asks_competitor=True)
    deal = Opportunity.objects.get(pk=deal.pk)
    with pytest.raises(ValidationError) as excinfo:
        opportunity_move(
            actor=sales, opportunity=deal, version=deal.version, stage=stage("Lost"),
            lost_reason=competitor,
        )  # fmt: skip
    assert "competitor" in excinfo.value.message_dict
    deal = Opportunity.objects.get(pk=deal.pk)
    assert deal.stage == stage("Lead") and deal.closed_at is None  # nothing written
    deal = opportunity_move(
        actor=sales, opportunity=deal, version=deal.version, stage=stage("Lost"),
        lost_reason=competitor, competitor="Panificadora Bimbo",
    )  # fmt: skip
    assert deal.competitor == "Panificadora Bimbo" and emitted[-1][0] == "opportunity.lost"


def test_a_closed_opportunity_moves_only_after_a_reopen(sales, customer):
    deal = _open(sales, customer)
    deal = opportunity_move(
        actor=sales, opportunity=deal, version=deal.version, stage=stage("Negotiation")
    )
    deal = opportunity_move(actor=sales, opportunity=deal, version=deal.version, stage=stage("Won"))
    with pytest.raises(ValidationError) as excinfo:
        opportunity_move(
            actor=sales, opportunity=deal, version=deal.version, stage=stage("Proposal sent")
        )
    assert "reopen" in " ".join(excinfo.value.message_dict["stage"])
    deal = opportunity_reopen(actor=sales, opportunity=deal, version=deal.version)
    assert deal.stage == stage("Negotiation") and deal.closed_at is None
    moves = list(deal.stage_changes.values_list("to_stage__name", flat=True))
    assert moves == ["Lead", "Negotiation", "Won", "Negotiation"]


def test_of_two_moves_drawn_from_one_version_the_later_is_refused(sales, owner, customer):
    deal = _open(sales, customer)
    seen = deal.version
    opportunity_move(actor=sales, opportunity=deal, version=seen, stage=stage("Qualified"))
    stale = Opportunity.objects.get(pk=deal.pk)
    with pytest.raises(ConflictError):
        opportunity_move(actor=owner, opportunity=stale, version=seen, stage=stage("Won"))
    assert Opportunity.objects.get(pk=deal.pk).stage == stage("Qualified")


def test_edits_keep_the_rules(sales, customer):
    deal = _open(sales, customer)
    with pytest.raises(ValidationError) as excinfo:
        opportunity_update(actor=sales, opportunity=deal, version=deal.version, value=Decimal("-5"))
    assert "value" in excinfo.value.message_dict
    deal = Opportunity.objects.get(pk=deal.pk)
    deal = opportunity_update(
        actor=sales, opportunity=deal, version=deal.version, next_step="Enviar muestras"
    )
    assert deal.next_step == "Enviar muestras"
    assert deal.history.first().history_user == sales


def test_stages_are_the_owners_to_configure_and_named_in_each_language(owner, sales, customer):
    tasting = stage_create(
        actor=owner, name="Tasting", name_es="Degustación", name_ru="Дегустация", probability=40,
        position=2,
    )  # fmt: skip
    with translation.override("es"):
        assert str(tasting) == "Degustación"
    with translation.override("ru"):
        assert str(tasting) == "Дегустация"
    deal = _open(sales, customer, stage=tasting)
    assert deal.probability == 40
    with pytest.raises(ValidationError):
        stage_update(actor=owner, stage=tasting, is_won=True)  # an opportunity is on it
    with pytest.raises(ValidationError):
        stage_create(actor=owner, name="Both", is_won=True, is_lost=True)
