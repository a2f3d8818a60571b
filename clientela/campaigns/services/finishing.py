"""Campaigns that end on their own: the scheduler finishes every running or paused
campaign whose last day has passed (``core.background.clock_register``)."""

from django.utils import timezone

from clientela.campaigns.models import Campaign, CampaignStatus
from clientela.campaigns.services.campaigns import campaign_finish


def campaigns_finish_due() -> int:
    """Finish, as the system, the running and paused campaigns whose ``ends_on`` is
    before today in the business's time zone (``campaign.finished`` for each); how many
    it finished. Run again, it finds none of them."""
    due = Campaign.objects.filter(
        status__in=[CampaignStatus.RUNNING, CampaignStatus.PAUSED],
        ends_on__lt=timezone.localdate(),
    ).order_by("pk")
    finished = 0
    for campaign in due:
        if campaign_finish(actor=None, campaign=campaign).status == CampaignStatus.FINISHED:
            finished += 1
    return finished
