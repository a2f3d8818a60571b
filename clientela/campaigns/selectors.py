"""Campaigns' reads: the segments a user may use, and the customers a segment's
conditions find, among those the user may see (decision 0016)."""

from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from clientela.analytics.selectors import score_latest_date
from clientela.campaigns.conditions import conditions_q
from clientela.campaigns.models import Campaign, CampaignMember, Segment
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


def campaign_list(*, status: str = "") -> QuerySet[Campaign]:
    """Campaigns, the latest first, with their segment; only those of ``status`` if given.
    Each has ``member_count``, the customers frozen at its launch."""
    members = (
        CampaignMember.objects.filter(campaign=OuterRef("pk"))
        .order_by()
        .values("campaign")
        .annotate(count=Count("pk"))
        .values("count")
    )
    campaigns = (
        Campaign.objects.select_related("segment")
        .annotate(member_count=Coalesce(Subquery(members), 0))
        .order_by("-starts_on", "-id")
    )
    return campaigns.filter(status=status) if status else campaigns


def campaign_get(*, pk: int) -> Campaign:
    """One campaign with its segment and makers; raises Campaign.DoesNotExist."""
    return Campaign.objects.select_related("segment", "created_by", "launched_by").get(pk=pk)


def campaign_member_counts(*, campaign: Campaign) -> list[dict[str, Any]]:
    """How many members each group (and, set aside, each reason) holds: rows of
    ``group``, ``reason`` and ``count``, in one query."""
    return list(
        CampaignMember.objects.filter(campaign=campaign)
        .values("group", "reason")
        .annotate(count=Count("pk"))
        .order_by("group", "reason")
    )


def campaign_member_list(
    *, user: User, campaign: Campaign, group: str = "", state: str = ""
) -> QuerySet[CampaignMember]:
    """A campaign's members that ``user`` may see, by customer name; of ``group`` and
    ``state`` if given."""
    members = CampaignMember.objects.filter(
        campaign=campaign, customer__in=customer_scope(user=user)
    )
    if group:
        members = members.filter(group=group)
    if state:
        members = members.filter(state=state)
    return (
        members.select_related("customer")
        .annotate(customer_name=F("customer__name"))
        .order_by("customer_name", "id")
    )
