"""The demo's past campaigns: six finished campaigns with members in both groups, their
contacts recorded, orders in their windows, and one without a lift."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clientela.campaigns.models import (
    Campaign,
    CampaignChannel,
    CampaignMember,
    CampaignStatus,
    ConversionRule,
    MemberGroup,
    MemberState,
)
from clientela.demo.campaigns import CAMPAIGNS
from clientela.demo.generator import build_demo
from clientela.orders.models import BOUGHT, Order
from clientela.relations.models import Interaction


@pytest.fixture(scope="module")
def business(django_db_setup, django_db_blocker):
    """The default demo (its campaigns need the default size and history to find their
    segments as they are meant), shared by the tests that only read it, rolled back at
    the end."""
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield build_demo()
        transaction.set_rollback(True)


def converted(campaign: Campaign, group: str) -> tuple[int, int]:
    """How many of ``campaign``'s members in ``group`` ordered by its rule in its window,
    of how many."""
    start = timezone.localdate(campaign.launched_at)
    window = BOUGHT & Q(
        order_date__range=(start, start + timedelta(days=campaign.attribution_days))
    )
    if campaign.conversion_rule == ConversionRule.PRODUCTS:
        window &= Q(lines__product__in=campaign.conversion_products.all())
    elif campaign.conversion_rule == ConversionRule.AMOUNT:
        window &= Q(total__gte=campaign.conversion_amount)
    members = list(campaign.members.filter(group=group).values_list("customer_id", flat=True))
    buyers = set(
        Order.objects.filter(window, customer__in=members).values_list("customer_id", flat=True)
    )
    return len(buyers), len(members)


@pytest.mark.django_db
def test_the_demo_has_six_finished_campaigns_in_its_past(business):
    now = timezone.now()
    campaigns = list(Campaign.objects.order_by("launched_at"))

    assert sorted(c.name for c in campaigns) == sorted(spec.name for spec in CAMPAIGNS)
    for campaign in campaigns:
        assert campaign.status == CampaignStatus.FINISHED
        window_end = campaign.launched_at + timedelta(days=campaign.attribution_days)
        assert campaign.launched_at < campaign.finished_at <= window_end + timedelta(days=1)
        assert window_end < now
        assert campaign.members.filter(group=MemberGroup.CONTACTED).count() >= 2
        assert campaign.members.filter(group=MemberGroup.HOLDOUT).count() >= 2
        held = campaign.members.filter(group=MemberGroup.HOLDOUT)
        assert not held.exclude(state="").exists() and not held.exclude(contacted_at=None).exists()
    assert {c.channel for c in campaigns} == set(CampaignChannel.values)


@pytest.mark.django_db
def test_each_contact_is_recorded_in_the_window_as_an_interaction(business):
    source = ContentType.objects.get_for_model(CampaignMember)
    for campaign in Campaign.objects.all():
        contacted = campaign.members.filter(group=MemberGroup.CONTACTED)
        end = campaign.launched_at + timedelta(days=campaign.attribution_days)
        if campaign.channel == CampaignChannel.CALL:
            assert not contacted.exclude(state=MemberState.DONE).exists()
            assert not contacted.filter(Q(outcome="") | Q(caller=None)).exists()
            assert contacted.filter(outcome="order_taken").exists()
        else:
            assert set(contacted.values_list("state", flat=True)) <= {
                MemberState.SENT,
                MemberState.BOUNCED,
            }
        reached = contacted.exclude(state=MemberState.BOUNCED)
        for member in reached:
            assert campaign.launched_at <= member.contacted_at <= end
        interactions = Interaction.objects.filter(
            source_type=source, source_id__in=reached.values("pk")
        )
        assert interactions.count() == reached.count()
        assert not interactions.exclude(at__range=(campaign.launched_at, end)).exists()
    unsubscribed = CampaignMember.objects.exclude(unsubscribed_at=None).select_related("customer")
    for member in unsubscribed:
        assert not member.customer.consent_email


@pytest.mark.django_db
def test_campaigns_bring_orders_but_the_summer_newsletter_does_not(business):
    for campaign in Campaign.objects.all():
        bought, contacted = converted(campaign, MemberGroup.CONTACTED)
        held_bought, held = converted(campaign, MemberGroup.HOLDOUT)
        assert bought > 0, campaign.name
        if campaign.name == "Boletín de verano":
            assert abs(bought / contacted - held_bought / held) < 0.15
        else:
            assert bought / contacted > held_bought / held, campaign.name
