"""Campaigns end on their own the day after their last day: the scheduler finishes the
running and paused ones, once, and tells webhooks."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clientela.campaigns.models import Campaign, CampaignStatus
from clientela.campaigns.services import campaign_launch, campaign_pause, campaigns_finish_due
from clientela.campaigns.tests.factories import campaign_draft
from clientela.core.background import clock_run
from clientela.customers.tests.factories import CustomerFactory
from clientela.webhooks.models import WebhookDelivery
from clientela.webhooks.services import webhook_subscription_create

pytestmark = pytest.mark.django_db


def _campaign(owner, name: str, ends_in_days: int, launch: bool = True) -> Campaign:
    today = timezone.localdate()
    campaign = campaign_draft(
        owner,
        name=name,
        starts_on=today - timedelta(days=20),
        ends_on=today + timedelta(days=ends_in_days),
    )
    return campaign_launch(actor=owner, campaign=campaign) if launch else campaign


def test_the_scheduler_finishes_the_campaigns_past_their_last_day_once(owner):
    webhook_subscription_create(
        actor=owner, url="https://example.com/hook", events=["campaign.finished"]
    )
    CustomerFactory(name="Café Luna", emails=["luna@cafe.mx"])
    ended = _campaign(owner, "Ended yesterday", -1)
    paused = campaign_pause(actor=owner, campaign=_campaign(owner, "Paused, ended", -3))
    last_day = _campaign(owner, "Ends today", 0)
    draft = _campaign(owner, "Never launched", -1, launch=False)

    clock_run()
    clock_run()

    status = dict(Campaign.objects.values_list("name", "status"))
    assert status == {
        ended.name: CampaignStatus.FINISHED,
        paused.name: CampaignStatus.FINISHED,
        last_day.name: CampaignStatus.RUNNING,
        draft.name: CampaignStatus.DRAFT,
    }
    assert Campaign.objects.get(pk=ended.pk).finished_at is not None
    finished = WebhookDelivery.objects.filter(event="campaign.finished")
    assert sorted(delivery.payload["data"]["id"] for delivery in finished) == sorted(
        [ended.pk, paused.pk]
    )


def test_finishing_reports_how_many_it_finished(owner):
    CustomerFactory(name="Café Luna", emails=["luna@cafe.mx"])
    _campaign(owner, "Ended yesterday", -1)

    assert campaigns_finish_due() == 1
    assert campaigns_finish_due() == 0
