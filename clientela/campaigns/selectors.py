"""Campaigns' reads: the segments a user may use, and the customers a segment's
conditions find, among those the user may see (decision 0016); campaigns, their members
and how many are in each group and state; a campaign's sending progress and the
customers it mails."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, OuterRef, Prefetch, Q, QuerySet, Subquery, When
from django.db.models.functions import Coalesce

from clientela.analytics.selectors import score_latest_date
from clientela.campaigns.conditions import conditions_q
from clientela.campaigns.models import (
    Campaign,
    CampaignMember,
    CampaignStatus,
    MemberGroup,
    MemberState,
    Segment,
)
from clientela.core.access import limited_to_own_customers
from clientela.core.models import User
from clientela.customers.models import Address, Customer, CustomerEmail
from clientela.customers.selectors import customer_scope
from clientela.relations.models import Interaction


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


def segment_member_rows(*, user: User, conditions: list[dict[str, Any]]) -> QuerySet[Customer]:
    """``segment_members`` with what a list of them shows: the owner, the first e-mail
    (``email``) and the city of the default address (``city``), read in the same query."""
    first_email = CustomerEmail.objects.filter(customer=OuterRef("pk")).order_by("position", "id")
    default_address = Address.objects.filter(customer=OuterRef("pk")).order_by("-is_default", "id")
    return (
        segment_members(user=user, conditions=conditions)
        .select_related("owner")
        .annotate(
            email=Subquery(first_email.values("email")[:1]),
            city=Subquery(default_address.values("city")[:1]),
        )
    )


def campaign_list(*, status: str = "", channel: str = "") -> QuerySet[Campaign]:
    """Campaigns, latest start first, of a ``status`` and a ``channel`` when given."""
    campaigns = Campaign.objects.select_related("segment", "created_by", "launched_by")
    if status:
        campaigns = campaigns.filter(status=status)
    if channel:
        campaigns = campaigns.filter(channel=channel)
    return campaigns


def campaign_get(*, pk: int) -> Campaign:
    """One campaign with its conversion products and messages; raises
    Campaign.DoesNotExist."""
    return campaign_list().prefetch_related("conversion_products", "messages").get(pk=pk)


def campaign_member_list(
    *, user: User, campaign: Campaign, group: str = "", state: str = ""
) -> QuerySet[CampaignMember]:
    """``campaign``'s members ``user`` may see (a salesperson limited to their own
    customers sees theirs) in the order they were frozen, of a ``group`` and a ``state``
    when given, with their customers."""
    members = CampaignMember.objects.filter(campaign=campaign).select_related("customer")
    if limited_to_own_customers(user):
        members = members.filter(customer__owner=user)
    if group:
        members = members.filter(group=group)
    if state:
        members = members.filter(state=state)
    return members.order_by("id")


@dataclass(frozen=True)
class MemberCounts:
    """How many members a campaign has: in all, by group, set aside by reason, and
    contacted (or being contacted) by state."""

    total: int
    by_group: dict[str, int]
    by_reason: dict[str, int]
    by_state: dict[str, int]


def campaign_member_counts(*, campaign: Campaign) -> MemberCounts:
    """``campaign``'s members counted by group, reason and state, in one query."""
    rows = (
        CampaignMember.objects.filter(campaign=campaign)
        .values_list("group", "reason", "state")
        .annotate(count=Count("pk"))
        .order_by()
    )
    by_group: dict[str, int] = dict.fromkeys(MemberGroup.values, 0)
    by_reason: dict[str, int] = {}
    by_state: dict[str, int] = {}
    for group, reason, state, count in rows:
        by_group[group] = by_group.get(group, 0) + count
        if reason:
            by_reason[reason] = by_reason.get(reason, 0) + count
        if state:
            by_state[state] = by_state.get(state, 0) + count
    return MemberCounts(
        total=sum(by_group.values()), by_group=by_group, by_reason=by_reason, by_state=by_state
    )


# --- call lists and direct mail -------------------------------------------------------

# How many of a customer's last contacts a caller sees.
RECENT_CONTACTS = 3


def _member_customers(members: QuerySet[CampaignMember]) -> QuerySet[CampaignMember]:
    """``members`` with their customer, its owner, phones, contacts (the main one first)
    and addresses (the default one first) read in a few queries, however many."""
    return members.select_related("customer", "customer__owner", "caller").prefetch_related(
        "customer__phones", "customer__contacts", "customer__addresses"
    )


def call_list_for(
    *, user: User, campaign: Campaign, caller: User | None = None
) -> QuerySet[CampaignMember]:
    """The members of ``campaign`` that ``caller`` (default ``user``) is to call or has
    called, those waiting first, each with their customer's phones, main contact and
    last ``RECENT_CONTACTS`` contacts; only customers ``user`` may see."""
    recent = Prefetch(
        "customer__interactions",
        queryset=Interaction.objects.select_related("staff").order_by("-at", "-id")[
            :RECENT_CONTACTS
        ],
        to_attr="recent_contacts",
    )
    members = CampaignMember.objects.filter(
        campaign=campaign,
        group=MemberGroup.CONTACTED,
        caller=caller or user,
        customer__in=customer_scope(user=user),
    ).order_by(Case(When(state=MemberState.QUEUED, then=0), default=1), "pareto_class", "id")
    return _member_customers(members).prefetch_related(recent)


@dataclass
class CallerProgress:
    """How far one caller (None: nobody yet) is with a campaign's calls."""

    caller: User | None
    assigned: int = 0
    done: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def waiting(self) -> int:
        """Members still to call (again)."""
        return self.assigned - self.done


def call_progress(campaign: Campaign) -> list[CallerProgress]:
    """Per caller of ``campaign`` (by name, those not given yet last): the members
    given, those done, and the outcomes recorded so far, in one query."""
    rows = (
        CampaignMember.objects.filter(campaign=campaign, group=MemberGroup.CONTACTED)
        .values("caller", "state", "outcome")
        .annotate(count=Count("pk"))
        .order_by()
    )
    found: dict[int | None, CallerProgress] = {}
    for row in rows:
        progress = found.setdefault(row["caller"], CallerProgress(caller=None))
        progress.assigned += row["count"]
        if row["state"] != MemberState.QUEUED:
            progress.done += row["count"]
        if row["outcome"]:
            progress.outcomes[row["outcome"]] = (
                progress.outcomes.get(row["outcome"], 0) + row["count"]
            )
    users = User.objects.in_bulk([pk for pk in found if pk is not None])
    for pk, progress in found.items():
        progress.caller = users.get(pk) if pk is not None else None
    return sorted(
        found.values(),
        key=lambda progress: (progress.caller is None, str(progress.caller or "")),
    )


def mail_recipients(campaign: Campaign) -> QuerySet[CampaignMember]:
    """The members of ``campaign`` a letter goes to (the contacted group, not refused
    when posted; never the hold-out nor those set aside), by customer name, each with
    their customer's main contact and default address."""
    members = (
        CampaignMember.objects.filter(campaign=campaign, group=MemberGroup.CONTACTED)
        .exclude(state=MemberState.REFUSED)
        .order_by("customer__name", "id")
    )
    return _member_customers(members)


def campaign_rows(*, status: str = "") -> QuerySet[Campaign]:
    """``campaign_list`` with each campaign's ``member_count`` (the customers frozen at
    its launch), counted by a subquery, not a grouping: the list still pages by keyset."""
    members = (
        CampaignMember.objects.filter(campaign=OuterRef("pk"))
        .order_by()
        .values("campaign")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        campaign_list(status=status)
        .annotate(member_count=Coalesce(Subquery(members), 0))
        .order_by("-starts_on", "-id")
    )
