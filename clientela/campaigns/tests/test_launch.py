"""A campaign's launch: the segment's members frozen, who may not be contacted set aside
with the reason, a hold-out drawn alike in every Pareto class and never contacted;
launching twice changes nothing; an empty segment, a wrong draft and a salesperson's
large e-mail campaign are refused."""

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clientela.analytics.models import AnalysisRun, CustomerScore, RunStatus
from clientela.campaigns.models import (
    Campaign,
    CampaignMember,
    CampaignStatus,
    MemberGroup,
    MemberState,
)
from clientela.campaigns.services import (
    campaign_launch,
    campaign_update,
    holdout_draw,
    segment_delete,
)
from clientela.campaigns.tests.factories import EVERYONE, campaign_draft
from clientela.customers.services import customer_anonymize
from clientela.customers.tests.factories import CustomerFactory
from clientela.relations.services import interaction_record
from clientela.relations.tests.factories import consenting, days_ago
from clientela.webhooks.models import WebhookDelivery
from clientela.webhooks.services import webhook_subscription_create

pytestmark = pytest.mark.django_db


def _campaign(actor, conditions=EVERYONE, **fields):
    return campaign_draft(actor, conditions, **fields)


def _groups(campaign) -> dict[str, str]:
    return {
        member.customer.name: member.reason or member.group
        for member in CampaignMember.objects.filter(campaign=campaign).select_related("customer")
    }


def test_who_may_not_be_mailed_is_set_aside_with_the_reason(owner, sales):
    consenting(CustomerFactory(name="Café Luna", owner=sales, emails=["luna@cafe.mx"]))
    consenting(CustomerFactory(name="Sin correo", owner=sales))  # no address
    consenting(CustomerFactory(name="No quiere", owner=sales, emails=["no@quiere.mx"]),
               consent_email=False)  # fmt: skip
    busy = consenting(CustomerFactory(name="Muy llamado", owner=sales, emails=["b@b.mx"]))
    for days in (20, 15, 10, 5):
        interaction_record(
            actor=sales, customer=busy, channel="phone", direction="outbound", at=days_ago(days)
        )
    gone = consenting(CustomerFactory(name="Borrado", owner=sales, emails=["x@x.mx"]))
    customer_anonymize(actor=owner, customer=gone)
    campaign = _campaign(owner, holdout_percent=0)

    campaign = campaign_launch(actor=owner, campaign=campaign)

    assert campaign.status == CampaignStatus.RUNNING
    assert campaign.launched_by == owner
    groups = _groups(campaign)
    assert groups["Café Luna"] == MemberGroup.CONTACTED
    assert groups["Sin correo"] == "no_address"
    assert groups["No quiere"] == "consent"
    assert groups["Muy llamado"] == "pressure"
    assert [m.state for m in CampaignMember.objects.filter(group=MemberGroup.CONTACTED)] == [
        MemberState.QUEUED
    ]


def test_the_hold_out_is_drawn_alike_in_each_pareto_class_and_never_queued(owner):
    today = timezone.localdate()
    AnalysisRun.objects.create(as_of=today, status=RunStatus.DONE)
    for number in range(200):
        customer = consenting(
            CustomerFactory(name=f"Cliente {number}", emails=[f"c{number}@ejemplo.mx"])
        )
        CustomerScore.objects.create(
            customer=customer,
            as_of=today,
            ladder_stage="regular",
            pareto_class="A" if number < 40 else "B" if number < 100 else "C",
            clv=Decimal(number),
        )
    campaign = _campaign(owner, holdout_percent=10)

    campaign_launch(actor=owner, campaign=campaign)

    held = CampaignMember.objects.filter(campaign=campaign, group=MemberGroup.HOLDOUT)
    assert Counter(held.values_list("pareto_class", flat=True)) == {"A": 4, "B": 6, "C": 10}
    assert not held.exclude(state="").exists()
    assert CampaignMember.objects.filter(group=MemberGroup.CONTACTED).count() == 180


def test_the_draw_is_the_same_for_the_same_seed_and_differs_for_another():
    classes = {pk: "A" if pk % 3 else "B" for pk in range(1, 301)}

    first = holdout_draw(classes, 10, seed=7)

    assert first == holdout_draw(classes, 10, seed=7)
    assert first != holdout_draw(classes, 10, seed=8)
    assert len(first) == 30


def test_small_classes_still_give_the_whole_hold_out():
    # 10 % of 30 customers is 3, though no class of 4, 6, 7 or 13 reaches one alone.
    sizes = {"A": 4, "B": 6, "C": 7, "": 13}
    classes, pk = {}, 0
    for stratum, size in sizes.items():
        for _ in range(size):
            pk += 1
            classes[pk] = stratum

    held = holdout_draw(classes, 10, seed=3)

    assert len(held) == 3
    assert Counter(classes[pk] for pk in held) == {"": 1, "C": 1, "B": 1}


def test_launching_twice_changes_nothing(owner):
    consenting(CustomerFactory(name="Café Luna", emails=["luna@cafe.mx"]))
    campaign = _campaign(owner)
    campaign_launch(actor=owner, campaign=campaign)
    consenting(CustomerFactory(name="Llegó después", emails=["tarde@cafe.mx"]))

    again = campaign_launch(actor=owner, campaign=campaign)

    assert again.status == CampaignStatus.RUNNING
    assert CampaignMember.objects.count() == 1
    with pytest.raises(ValidationError) as refused:
        campaign_update(actor=owner, campaign=again, version=again.version, name="Otra")
    assert "cannot be changed" in refused.value.message_dict["status"][0]


def test_a_segment_that_finds_no_one_cannot_launch(owner):
    campaign = _campaign(owner, conditions=[{"field": "city", "op": "in", "value": ["Atlantis"]}])

    with pytest.raises(ValidationError) as refused:
        campaign_launch(actor=owner, campaign=campaign)

    assert "finds no one" in refused.value.message_dict["segment"][0]
    assert Campaign.objects.get().status == CampaignStatus.DRAFT


def test_only_the_owner_launches_a_large_e_mail_campaign(owner, sales, settings):
    settings.CLIENTELA_CAMPAIGN_EMAIL_LIMIT = 2
    for number in range(3):
        consenting(CustomerFactory(name=f"Cliente {number}", owner=sales,
                                   emails=[f"c{number}@ejemplo.mx"]))  # fmt: skip
    campaign = _campaign(sales)

    with pytest.raises(ValidationError) as refused:
        campaign_launch(actor=sales, campaign=campaign)
    assert "Only the owner" in refused.value.message_dict["segment"][0]
    assert not CampaignMember.objects.exists()

    call_list = _campaign(sales, channel="call")
    assert campaign_launch(actor=sales, campaign=call_list).status == CampaignStatus.RUNNING
    assert campaign_launch(actor=owner, campaign=campaign).status == CampaignStatus.RUNNING


@pytest.mark.parametrize(
    ("fields", "field", "problem"),
    [
        ({"name": "  "}, "name", "Give the campaign a name"),
        ({"ends_on": date(2026, 11, 1)}, "ends_on", "cannot end before it starts"),
        ({"cost_fixed": Decimal("-1")}, "cost_fixed", "greater than or equal to 0"),
        ({"cost_per_contact": Decimal("0.001")}, "cost_per_contact", "at most 2 decimals"),
        ({"conversion_rule": "amount"}, "conversion_amount", "Give the amount"),
        ({"conversion_rule": "products"}, "conversion_products", "Pick the products"),
        ({"holdout_percent": 80}, "holdout_percent", "less than or equal to 50"),
        ({"attribution_days": 0}, "attribution_days", "greater than or equal to 1"),
        ({"channel": "fax"}, "channel", "not a valid choice"),
        ({"starts_on": date(1066, 1, 1)}, "starts_on", "Enter a date in the years"),
    ],
)
def test_a_wrong_draft_is_refused_on_its_field_and_nothing_is_saved(owner, fields, field, problem):
    with pytest.raises(ValidationError) as refused:
        _campaign(owner, **fields)

    assert problem in " ".join(refused.value.message_dict[field])
    assert not Campaign.objects.exists()


def test_launch_is_told_to_webhooks_with_its_counts(owner):
    webhook_subscription_create(
        actor=owner, url="https://example.com/hook", events=["campaign.launched"]
    )
    consenting(CustomerFactory(name="Café Luna", emails=["luna@cafe.mx"]))
    consenting(CustomerFactory(name="Sin correo"))
    campaign = _campaign(owner, holdout_percent=0)

    campaign_launch(actor=owner, campaign=campaign)

    delivery = WebhookDelivery.objects.get(event="campaign.launched")
    data = delivery.payload["data"]
    assert (data["id"], data["members"], data["held_out"], data["set_aside"]) == (
        campaign.pk,
        2,
        0,
        1,
    )


def test_a_segment_a_campaign_uses_cannot_be_deleted(owner):
    campaign = _campaign(owner)

    with pytest.raises(ValidationError) as refused:
        segment_delete(actor=owner, segment=campaign.segment)

    assert "Navidad" in refused.value.message_dict["segment"][0]
    assert Campaign.objects.get().segment.pk
