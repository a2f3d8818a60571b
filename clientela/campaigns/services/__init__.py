"""Campaigns' writes: segments (``segments``), campaigns and their launch
(``campaigns``)."""

from clientela.campaigns.services.campaigns import (
    campaign_create,
    campaign_launch,
    campaign_update,
    holdout_draw,
)
from clientela.campaigns.services.segments import segment_create, segment_delete, segment_update

__all__ = [
    "campaign_create",
    "campaign_launch",
    "campaign_update",
    "holdout_draw",
    "segment_create",
    "segment_delete",
    "segment_update",
]
