"""A campaign's results counted by hand: members by group, state and reason, responses,
conversions and revenue by each conversion rule within the window (both edges), cost,
return and the lift over the hold-out, and the daily series for the chart."""

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from clientela.campaigns.lift import lift
from clientela.campaigns.models import CampaignMember, MemberGroup, MemberState
from clientela.campaigns.results import campaign_conversions, campaign_results
from clientela.campaigns.tests.factories import campaign_draft
from clientela.campaigns.tests.results_data import END, START, inbound, launched, order
from clientela.orders.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

MEMBERS = {
    "Ana": (MemberGroup.CONTACTED, MemberState.SENT),
    "Beto": (MemberGroup.CONTACTED, MemberState.DONE),
    "Carla": (MemberGroup.CONTACTED, MemberState.BOUNCED),
    "Dario": (MemberGroup.CONTACTED, MemberState.REFUSED),
    "Elena": (MemberGroup.CONTACTED, MemberState.UNKNOWN),
    "Fede": (MemberGroup.CONTACTED, MemberState.QUEUED),
    "Hugo": (MemberGroup.HOLDOUT, ""),
    "Iris": (MemberGroup.HOLDOUT, ""),
    "Juan": (MemberGroup.HOLDOUT, ""),
    "Kira": (MemberGroup.HOLDOUT, ""),
    "Luis": (MemberGroup.SET_ASIDE, "no_address"),
    "Mara": (MemberGroup.SET_ASIDE, "consent"),
    "Nico": (MemberGroup.SET_ASIDE, "consent"),
}


@pytest.fixture
def christmas(owner):
    """The hand-counted campaign: six to contact, four held out, three set aside."""
    campaign = launched(owner, MEMBERS, cost_fixed=Decimal("100"), cost_per_contact=Decimal("5"))
    CampaignMember.objects.filter(campaign=campaign, customer__name="Beto").update(
        unsubscribed_at=timezone.now()
    )
    CampaignMember.objects.filter(campaign=campaign, customer__name="Carla").update(
        outcome="interested"
    )
    CampaignMember.objects.filter(campaign=campaign, customer__name="Elena").update(
        outcome="reached"
    )
    launch = campaign.launched_at
    inbound(owner, "Ana", launch + timedelta(days=2))  # a response
    inbound(owner, "Dario", launch - timedelta(hours=1))  # before the launch
    inbound(owner, "Fede", launch + timedelta(days=11))  # the day after the window
    inbound(owner, "Hugo", launch + timedelta(days=1))  # held out: not a response
    order("Ana", START, quantity=10)  # 100 on the first day
    order("Ana", START + timedelta(days=3), quantity=5)  # 50 more, the same conversion
    order("Beto", END, quantity=2)  # 20 on the last day
    order("Carla", END + timedelta(days=1), quantity=7)  # a day late
    order("Dario", START + timedelta(days=2), quantity=9, status="cancelled")
    order("Elena", START + timedelta(days=2), quantity=9, status="draft")
    order("Hugo", START + timedelta(days=1), quantity=3)  # 30, held out
    order("Iris", START - timedelta(days=1), quantity=4)  # the day before
    order("Luis", START + timedelta(days=1), quantity=8)  # set aside: not compared
    return campaign


def test_every_figure_matches_a_hand_count(christmas):
    results = campaign_results(christmas)

    assert (results.window_start, results.window_end) == (START, END)
    assert results.members == 13
    assert results.set_aside == 3
    assert results.set_aside_by_reason == {"no_address": 1, "consent": 2}
    assert (results.contacted.members, results.holdout.members) == (6, 4)
    assert (results.delivered, results.bounced, results.refused, results.unknown) == (2, 1, 1, 1)
    assert results.waiting == 1
    assert results.unsubscribed == 1
    assert results.responses == 2  # Ana wrote, Carla was interested
    assert results.response_rate == pytest.approx(2 / 6)
    assert (results.contacted.converted, results.contacted.revenue) == (2, Decimal("170"))
    assert (results.holdout.converted, results.holdout.revenue) == (1, Decimal("30"))
    assert results.contacted.conversion_rate == pytest.approx(2 / 6)
    assert results.holdout.revenue_per_member == Decimal("7.5")
    assert results.cost == Decimal("110")  # 100 + 5 × 2 delivered
    assert results.return_on_investment == pytest.approx((170 - 110) / 110)
    expected = lift(
        contacted_revenue=np.array([150.0, 20, 0, 0, 0, 0]),
        held_revenue=np.array([30.0, 0, 0, 0]),
        converted=2,
        held_converted=1,
        cost=110.0,
    )
    assert results.lift == expected
    assert not results.distinguishable


def test_the_series_climbs_on_the_days_each_group_converted(christmas):
    series = campaign_results(christmas).series

    assert [point.day for point in series] == [START + timedelta(days=n) for n in range(11)]
    assert series[0].contacted == pytest.approx(1 / 6) and series[0].holdout == 0
    assert series[1].holdout == pytest.approx(1 / 4)
    assert series[-2].contacted == pytest.approx(1 / 6)
    assert series[-1].contacted == pytest.approx(2 / 6)


def test_each_converted_member_has_their_revenue(christmas):
    names = dict(CampaignMember.objects.values_list("customer_id", "customer__name"))

    conversions = campaign_conversions(christmas)

    assert {names[pk]: revenue for pk, revenue in conversions.items()} == {
        "Ana": Decimal("150"),
        "Beto": Decimal("20"),
        "Hugo": Decimal("30"),
    }


def test_the_results_take_a_few_queries(christmas, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        campaign_results(christmas)


def test_only_orders_holding_a_conversion_product_count(owner):
    bread, cake = ProductFactory(name="Concha"), ProductFactory(name="Pastel")
    campaign = launched(
        owner,
        {"Ana": ("contacted", "sent"), "Beto": ("contacted", "sent"), "Hugo": ("holdout", "")},
        conversion_rule="products",
        conversion_products=[bread],
    )
    order("Ana", START + timedelta(days=1), quantity=3, product=bread)
    order("Beto", START + timedelta(days=1), quantity=3, product=cake)
    order("Hugo", START + timedelta(days=1), quantity=1, product=bread)

    results = campaign_results(campaign)

    assert (results.contacted.converted, results.contacted.revenue) == (1, Decimal("30"))
    assert (results.holdout.converted, results.holdout.revenue) == (1, Decimal("10"))


def test_only_orders_reaching_the_amount_count(owner):
    campaign = launched(
        owner,
        {"Ana": ("contacted", "sent"), "Beto": ("contacted", "sent")},
        conversion_rule="amount",
        conversion_amount=Decimal("50"),
    )
    order("Ana", START + timedelta(days=1), quantity=5)  # exactly 50
    order("Ana", START + timedelta(days=2), quantity=4)  # 40
    order("Beto", START + timedelta(days=1), quantity=4)

    results = campaign_results(campaign)

    assert (results.contacted.converted, results.contacted.revenue) == (1, Decimal("50"))
    assert results.lift is None  # no hold-out to measure against


def test_a_clear_difference_is_distinguishable(owner):
    members = {f"C{n}": ("contacted", "sent") for n in range(12)}
    members |= {f"H{n}": ("holdout", "") for n in range(12)}
    campaign = launched(owner, members)
    for n in range(10):
        order(f"C{n}", START + timedelta(days=2), quantity=n + 1)

    results = campaign_results(campaign)

    assert results.contacted.converted == 10 and results.holdout.converted == 0
    assert results.distinguishable
    assert results.lift.rate.low > 0


def test_a_draft_has_no_results(owner):
    assert campaign_results(campaign_draft(owner)) is None
