"""What a campaign came to (decision 0016): who was in it and how their contact went,
who responded, who converted by the campaign's rule and what they spent, at what cost,
and the lift over the hold-out.

How the figures are counted:

- **The window** is the same for both groups: the days from the launch (its date in the
  business's time zone) to ``attribution_days`` after it, both included. Orders and
  responses outside it do not count, so the hold-out, never contacted, is measured over
  exactly the days the contacted group is.
- **Intention to treat**: the contacted group's rates are over every member drawn to be
  contacted, reached or not (a bounce, a refusal, a call nobody answered stay in), since
  the hold-out it is compared with was drawn from the same members.
- **Delivered** are the members whose message went out (state sent or done); the cost is
  the fixed cost plus the cost per contact for each of them.
- **A response** is an inbound contact from a member of the contacted group within the
  window (they wrote, called or came by), or a call whose outcome was ``interested`` or
  ``order_taken``. ``reached`` alone is a contact made, not an answer to the offer.
- **A conversion** is a bought order (neither a draft nor cancelled) in the window that
  meets the rule: any order; an order holding one of the conversion products; an order
  whose total reaches the conversion amount. A member converts once however many such
  orders they place; **revenue** is the total of those orders. Only orders in the
  campaign's currency count: an amount in another currency is left out rather than
  converted at a rate the application does not know.

Every figure is a handful of grouped queries, whatever the number of members or orders.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from clientela.campaigns.lift import Lift, lift
from clientela.campaigns.models import (
    Campaign,
    CampaignMember,
    ConversionRule,
    MemberGroup,
    MemberState,
)
from clientela.core.models import User
from clientela.customers.models import CustomerEmail, CustomerPhone
from clientela.customers.selectors import customer_scope
from clientela.orders.models import BOUGHT, Order, OrderLine
from clientela.relations.models import Direction, Interaction, Outcome

# Call outcomes that count as a response to the offer.
POSITIVE_OUTCOMES = (Outcome.INTERESTED, Outcome.ORDER_TAKEN)
DELIVERED_STATES = (MemberState.SENT, MemberState.DONE)
WAITING_STATES = (MemberState.QUEUED, MemberState.SENDING)
COMPARED_GROUPS = (MemberGroup.CONTACTED, MemberGroup.HOLDOUT)


@dataclass(frozen=True)
class GroupOutcome:
    """A group's conversions: its size, how many converted and what they spent."""

    members: int
    converted: int
    revenue: Decimal

    @property
    def conversion_rate(self) -> float | None:
        """The share of the group that converted; None for an empty group."""
        return self.converted / self.members if self.members else None

    @property
    def revenue_per_member(self) -> Decimal | None:
        """The revenue over every member of the group, those who bought nothing too."""
        return self.revenue / self.members if self.members else None


@dataclass(frozen=True)
class DayPoint:
    """The share of each group converted by the end of ``day`` (0–1)."""

    day: date
    contacted: float | None
    holdout: float | None


@dataclass(frozen=True)
class Results:
    """A campaign's figures (see the module's notes for how each is counted)."""

    campaign: Campaign
    window_start: date
    window_end: date
    members: int
    set_aside: int
    set_aside_by_reason: dict[str, int]
    delivered: int
    bounced: int
    refused: int
    unknown: int
    waiting: int
    unsubscribed: int
    responses: int
    contacted: GroupOutcome
    holdout: GroupOutcome
    cost: Decimal
    lift: Lift | None
    series: tuple[DayPoint, ...]

    @property
    def response_rate(self) -> float | None:
        """Responses over the contacted group."""
        return self.responses / self.contacted.members if self.contacted.members else None

    @property
    def revenue(self) -> Decimal:
        """The contacted group's revenue in the window."""
        return self.contacted.revenue

    @property
    def return_on_investment(self) -> float | None:
        """(revenue − cost) / cost, on the contacted group's whole revenue; None without
        a cost. The incremental return (``lift``) is the honest one."""
        if not self.cost:
            return None
        return float((self.revenue - self.cost) / self.cost)

    @property
    def distinguishable(self) -> bool:
        """Whether the conversion-rate difference with the hold-out leaves out zero."""
        return self.lift is not None and self.lift.rate.distinguishable


def attribution_window(campaign: Campaign) -> tuple[date, date] | None:
    """The first and last days (included) whose orders count for ``campaign``; None
    before it is launched."""
    if campaign.launched_at is None:
        return None
    start = timezone.localdate(campaign.launched_at)
    return start, start + timedelta(days=campaign.attribution_days)


def _conversions(campaign: Campaign, start: date, end: date) -> QuerySet[Order]:
    """The orders in the window that count as a conversion for ``campaign``."""
    orders = Order.objects.filter(
        BOUGHT, currency=campaign.currency, order_date__gte=start, order_date__lte=end
    )
    if campaign.conversion_rule == ConversionRule.PRODUCTS:
        orders = orders.filter(
            Exists(
                OrderLine.objects.filter(
                    order=OuterRef("pk"),
                    product__in=campaign.conversion_products.through.objects.filter(
                        campaign=campaign
                    ).values("product"),
                )
            )
        )
    elif campaign.conversion_rule == ConversionRule.AMOUNT:
        orders = orders.filter(total__gte=campaign.conversion_amount or 0)
    return orders


def _buyers(campaign: Campaign, start: date, end: date) -> QuerySet:
    """One row per converted member of either compared group: ``customer_id``,
    ``group``, ``revenue`` and ``first`` (the day of their first conversion)."""
    return (
        _conversions(campaign, start, end)
        .filter(
            customer__campaign_memberships__campaign=campaign,
            customer__campaign_memberships__group__in=COMPARED_GROUPS,
        )
        .values("customer_id", group=F("customer__campaign_memberships__group"))
        .annotate(revenue=Sum("total"), first=Min("order_date"))
        .order_by()
    )


def campaign_conversions(campaign: Campaign) -> dict[int, Decimal]:
    """Each converted member's revenue in the window (customer id → revenue), in one
    query; empty before the launch."""
    window = attribution_window(campaign)
    if window is None:
        return {}
    return {row["customer_id"]: row["revenue"] for row in _buyers(campaign, *window)}


def _series(
    firsts: dict[str, Counter[date]], sizes: dict[str, int], start: date, end: date
) -> tuple[DayPoint, ...]:
    """The cumulative share converted of each group, day by day up to ``end`` or today."""
    last = min(end, max(timezone.localdate(), start))
    totals = dict.fromkeys(COMPARED_GROUPS, 0)
    points = []
    day = start
    while day <= last:
        shares = {}
        for group in COMPARED_GROUPS:
            totals[group] += firsts[group][day]
            shares[group] = totals[group] / sizes[group] if sizes[group] else None
        points.append(DayPoint(day, shares[MemberGroup.CONTACTED], shares[MemberGroup.HOLDOUT]))
        day += timedelta(days=1)
    return tuple(points)


def campaign_results(campaign: Campaign) -> Results | None:
    """The figures of ``campaign`` as of now, in four queries; None for a draft."""
    window = attribution_window(campaign)
    if window is None:
        return None
    start, end = window
    members = CampaignMember.objects.filter(campaign=campaign)
    rows = (
        members.values("group", "reason", "state")
        .annotate(
            count=Count("pk"), unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False))
        )
        .order_by()
    )
    groups: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    states: Counter[str] = Counter()
    unsubscribed = 0
    for row in rows:
        groups[row["group"]] += row["count"]
        unsubscribed += row["unsubscribed"]
        if row["group"] == MemberGroup.SET_ASIDE:
            reasons[row["reason"]] += row["count"]
        if row["group"] == MemberGroup.CONTACTED:
            states[row["state"]] += row["count"]
    window_closes = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
    inbound = Interaction.objects.filter(
        customer=OuterRef("customer"),
        direction=Direction.INBOUND,
        at__gte=campaign.launched_at,
        at__lt=window_closes,
    )
    responses = (
        members.filter(group=MemberGroup.CONTACTED)
        .filter(Q(outcome__in=POSITIVE_OUTCOMES) | Exists(inbound))
        .count()
    )
    revenues: dict[str, list[Decimal]] = {group: [] for group in COMPARED_GROUPS}
    firsts: dict[str, Counter[date]] = {group: Counter() for group in COMPARED_GROUPS}
    for row in _buyers(campaign, start, end):
        revenues[row["group"]].append(row["revenue"])
        firsts[row["group"]][row["first"]] += 1
    sizes: dict[str, int] = {group: groups[group] for group in COMPARED_GROUPS}
    outcomes = {
        group: GroupOutcome(sizes[group], len(revenues[group]), sum(revenues[group], Decimal(0)))
        for group in COMPARED_GROUPS
    }
    delivered = sum(states[state] for state in DELIVERED_STATES)
    cost = campaign.cost_fixed + campaign.cost_per_contact * delivered
    measured = None
    if sizes[MemberGroup.CONTACTED] >= 2 and sizes[MemberGroup.HOLDOUT] >= 2:
        arrays = {
            group: np.concatenate(
                [
                    np.array([float(value) for value in revenues[group]], dtype=float),
                    np.zeros(sizes[group] - len(revenues[group])),
                ]
            )
            for group in COMPARED_GROUPS
        }
        measured = lift(
            contacted_revenue=arrays[MemberGroup.CONTACTED],
            held_revenue=arrays[MemberGroup.HOLDOUT],
            converted=outcomes[MemberGroup.CONTACTED].converted,
            held_converted=outcomes[MemberGroup.HOLDOUT].converted,
            cost=float(cost),
        )
    return Results(
        campaign=campaign,
        window_start=start,
        window_end=end,
        members=sum(groups.values()),
        set_aside=groups[MemberGroup.SET_ASIDE],
        set_aside_by_reason=dict(reasons),
        delivered=delivered,
        bounced=states[MemberState.BOUNCED],
        refused=states[MemberState.REFUSED],
        unknown=states[MemberState.UNKNOWN],
        waiting=sum(states[state] for state in WAITING_STATES),
        unsubscribed=unsubscribed,
        responses=responses,
        contacted=outcomes[MemberGroup.CONTACTED],
        holdout=outcomes[MemberGroup.HOLDOUT],
        cost=cost,
        lift=measured,
        series=_series(firsts, sizes, start, end),
    )


def results_campaigns() -> QuerySet[Campaign]:
    """The launched campaigns, whose results can be read, the latest launched first."""
    return Campaign.objects.filter(launched_at__isnull=False).order_by("-launched_at", "-id")


def campaign_member_rows(*, user: User, campaign: Campaign) -> QuerySet[CampaignMember]:
    """The members of ``campaign`` among the customers ``user`` may see, with their
    customer, first e-mail and first phone, by customer name."""
    first_email = CustomerEmail.objects.filter(customer=OuterRef("customer")).order_by(
        "position", "id"
    )
    first_phone = CustomerPhone.objects.filter(customer=OuterRef("customer")).order_by(
        "position", "id"
    )
    return (
        CampaignMember.objects.filter(
            campaign=campaign, customer__in=customer_scope(user=user).values("pk")
        )
        .select_related("customer")
        .only(
            "customer__name",
            "group",
            "reason",
            "state",
            "outcome",
            "contacted_at",
            "unsubscribed_at",
        )
        .annotate(
            email=Subquery(first_email.values("email")[:1]),
            phone=Subquery(first_phone.values("number")[:1]),
        )
        .order_by("customer__name", "customer_id")
    )
