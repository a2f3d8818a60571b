"""Campaigns' writes: segments (``segments``), campaigns, their launch, pause and end
(``campaigns``), what they say (``messages``) and unsubscribing (``unsubscribe``)."""

from clientela.campaigns.services._common import maker_check
from clientela.campaigns.services.campaigns import (
    campaign_create,
    campaign_finish,
    campaign_launch,
    campaign_pause,
    campaign_resume,
    campaign_update,
    holdout_draw,
    launch_refusals,
)
from clientela.campaigns.services.finishing import campaigns_finish_due
from clientela.campaigns.services.messages import (
    campaign_message_delete,
    campaign_message_for,
    campaign_message_set,
)
from clientela.campaigns.services.segments import segment_create, segment_delete, segment_update

__all__ = [
    "campaign_create",
    "campaign_finish",
    "campaign_launch",
    "campaign_message_delete",
    "campaign_message_for",
    "campaign_message_set",
    "campaign_pause",
    "campaign_resume",
    "campaign_update",
    "campaigns_finish_due",
    "holdout_draw",
    "launch_refusals",
    "maker_check",
    "segment_create",
    "segment_delete",
    "segment_update",
]
