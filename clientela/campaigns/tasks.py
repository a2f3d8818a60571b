"""The background task that sends a running e-mail campaign, on the ``mail`` queue: a
batch at a time, each batch the campaign's rate allows in ``PACE``, the next one
enqueued for when that time is up; a paused or finished campaign stops it, and so does
a newer round of sending (a resume) taking over."""

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from clientela.campaigns.models import Campaign, CampaignChannel, CampaignStatus
from clientela.campaigns.services.sending import campaign_send_batch, campaign_sending_next

# A batch holds the messages of this long at the campaign's rate, at most BATCH_MAX.
PACE = timedelta(seconds=10)
BATCH_MAX = 500


def batch_limit(send_rate: int) -> int:
    """How many messages a batch sends at ``send_rate`` messages a minute."""
    return max(1, min(BATCH_MAX, round(send_rate * PACE.total_seconds() / 60)))


@task(queue_name="mail")
def campaign_send(campaign_id: int, send_round: int) -> None:
    """Send a batch of the campaign's messages, then enqueue the next batch for when the
    campaign's rate allows it, while the campaign runs in this round and members wait."""
    rate = (
        Campaign.objects.filter(
            pk=campaign_id, status=CampaignStatus.RUNNING, send_round=send_round
        )
        .values_list("send_rate", flat=True)
        .first()
    )
    if rate is None:
        return
    started = timezone.now()
    limit = batch_limit(rate)
    campaign_send_batch(campaign_id, limit=limit)
    paced_until = started + timedelta(minutes=limit / rate)
    after = campaign_sending_next(campaign_id, paced_until=paced_until)
    if after is not None:
        campaign_send.using(run_after=max(after, timezone.now())).enqueue(campaign_id, send_round)


def campaign_sending_start(campaign: Campaign) -> None:
    """Have the worker start (or go on) sending an e-mail campaign, in a new round, once
    the caller's transaction commits; other channels send nothing."""
    if campaign.channel != CampaignChannel.EMAIL:
        return
    Campaign.objects.filter(pk=campaign.pk).update(send_round=F("send_round") + 1)
    campaign.refresh_from_db(fields=["send_round"])
    pk, send_round = campaign.pk, campaign.send_round
    transaction.on_commit(lambda: campaign_send.enqueue(pk, send_round))
