"""Launched campaigns with hand-set members, orders and responses, for the results'
tests: the window opens sixty days ago and lasts ten days (both ends included)."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from clientela.campaigns.models import Campaign, CampaignMember, MemberGroup
from clientela.campaigns.services import campaign_launch
from clientela.campaigns.tests.factories import campaign_draft
from clientela.customers.models import Customer
from clientela.customers.tests.factories import CustomerFactory
from clientela.orders.tests.factories import OrderFactory, ProductFactory
from clientela.relations.services import interaction_record

START = timezone.localdate() - timedelta(days=60)
END = START + timedelta(days=10)


def launched(owner, members: dict[str, tuple[str, str]], **fields) -> Campaign:
    """A campaign launched at 09:00 on ``START`` whose members are ``members`` (name →
    (group, state or set-aside reason)), every one with an e-mail address."""
    for name in members:
        CustomerFactory(name=name, emails=[f"{name.lower().replace(' ', '.')}@example.com"])
    campaign = campaign_draft(owner, holdout_percent=0, attribution_days=10, **fields)
    campaign = campaign_launch(actor=owner, campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(
        launched_at=timezone.make_aware(datetime.combine(START, time(9)))
    )
    for name, (group, detail) in members.items():
        CampaignMember.objects.filter(campaign=campaign, customer__name=name).update(
            group=group,
            state=detail if group == MemberGroup.CONTACTED else "",
            reason=detail if group == MemberGroup.SET_ASIDE else "",
        )
    campaign.refresh_from_db()
    return campaign


def order(name: str, day, quantity: int = 1, status: str = "confirmed", product=None):
    """An order by the customer called ``name`` on ``day`` of ``quantity`` units at 10."""
    return OrderFactory(
        customer=Customer.objects.get(name=name),
        order_date=day,
        due_date=day + timedelta(days=3),
        lines=[{"product": product or ProductFactory(), "quantity": quantity}],
        status=status,
    )


def inbound(owner, name: str, at):
    interaction_record(
        actor=owner,
        customer=Customer.objects.get(name=name),
        channel="email",
        direction="inbound",
        at=at,
    )
