"""Campaigns' reads: the segments a user may use, the customers a segment's conditions
find, among those the user may see (decision 0016), and a campaign's sending progress."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from clientela.analytics.selectors import score_latest_date
from clientela.campaigns.conditions import conditions_q
from clientela.campaigns.models import (
    Campaign,
    CampaignMember,
    CampaignStatus,
    MemberGroup,
    Segment,
)
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


@dataclass(frozen=True)
class SendingProgress:
    """How many members of a campaign's contacted group are in each state of sending."""

    queued: int = 0
    sending: int = 0
    sent: int = 0
    unknown: int = 0
    bounced: int = 0
    refused: int = 0

    @property
    def total(self) -> int:
        return self.queued + self.sending + self.sent + self.unknown + self.bounced + self.refused

    @property
    def done(self) -> int:
        """Members whose sending is over, whatever its end."""
        return self.sent + self.unknown + self.bounced + self.refused

    @property
    def percent(self) -> float:
        """The share of members done, 0 to 100."""
        return 100.0 * self.done / self.total if self.total else 100.0


def campaign_progress(campaign: Campaign) -> SendingProgress:
    """The campaign's sending so far: its contacted members counted by state, in one
    query."""
    counts = dict(
        CampaignMember.objects.filter(campaign=campaign, group=MemberGroup.CONTACTED)
        .values_list("state")
        .annotate(count=Count("pk"))
        .values_list("state", "count")
    )
    return SendingProgress(
        **{
            state: counts.get(state, 0)
            for state in ("queued", "sending", "sent", "unknown", "bounced", "refused")
        }
    )


def _recipients(*, user: User, campaign: Campaign) -> QuerySet[Customer]:
    """The customers ``campaign`` mails that ``user`` may see: its contacted members
    once launched, its segment's customers before, in the order ``_order`` says."""
    if campaign.status == CampaignStatus.DRAFT:
        return segment_members(user=user, conditions=campaign.segment.conditions)
    return customer_scope(user=user).filter(
        campaign_memberships__campaign=campaign,
        campaign_memberships__group=MemberGroup.CONTACTED,
    )


def campaign_recipient_first(*, user: User, campaign: Campaign) -> Customer | None:
    """The first customer ``campaign`` mails that ``user`` may see, by name."""
    return _recipients(user=user, campaign=campaign).order_by("name", "id").first()


def campaign_recipient_neighbours(
    *, user: User, campaign: Campaign, customer: Customer
) -> tuple[Customer | None, Customer | None]:
    """The customers ``campaign`` mails just before and after ``customer``, by name (of
    those ``user`` may see)."""
    recipients = _recipients(user=user, campaign=campaign)
    name = customer.name
    before = (
        recipients.filter(Q(name__lt=name) | Q(name=name, id__lt=customer.pk))
        .order_by("-name", "-id")
        .first()
    )
    after = (
        recipients.filter(Q(name__gt=name) | Q(name=name, id__gt=customer.pk))
        .order_by("name", "id")
        .first()
    )
    return before, after
