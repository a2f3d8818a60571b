"""Campaigns' reads: the segments a user may use, and the customers a segment's
conditions find, among those the user may see (decision 0016)."""

from typing import Any

from django.db.models import Q, QuerySet

from clientela.analytics.selectors import score_latest_date
from clientela.campaigns.conditions import conditions_q
from clientela.campaigns.models import Segment
from clientela.core.models import User
from clientela.customers.models import Customer
from clientela.customers.selectors import customer_scope


def segment_list(*, user: User) -> QuerySet[Segment]:
    """The segments ``user`` may use: the shared ones and their own, by name."""
    return Segment.objects.filter(Q(shared=True) | Q(created_by=user)).select_related("created_by")


def segment_get(*, user: User, pk: int) -> Segment:
    """One segment ``user`` may use; raises Segment.DoesNotExist."""
    return segment_list(user=user).get(pk=pk)


def segment_members(*, user: User, conditions: list[dict[str, Any]]) -> QuerySet[Customer]:
    """The live customers ``user`` may see who meet every one of the cleaned
    ``conditions``, by name."""
    return (
        customer_scope(user=user)
        .filter(conditions_q(conditions, score_latest_date()))
        .order_by("name", "id")
    )


def segment_count(*, user: User, conditions: list[dict[str, Any]]) -> int:
    """How many customers ``segment_members`` finds, in one query."""
    return segment_members(user=user, conditions=conditions).order_by().count()
