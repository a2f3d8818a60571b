"""Campaigns' writes: segments (``segments``)."""

from clientela.campaigns.services.segments import segment_create, segment_delete, segment_update

__all__ = ["segment_create", "segment_delete", "segment_update"]
