"""Reads of relationship work, scoped to what the user may see: the board, the lists,
the agenda, a customer's last contact and next activity, the override list and the
dashboard's consolidation lists.

A salesperson limited to their own customers (``CLIENTELA_SALES_OWN_CUSTOMERS_ONLY``)
sees the opportunities, activities and interactions of those customers only, and the
activities assigned to them that concern no customer.
"""

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from clientela.analytics.models import CustomerScore, ParetoClass, RFMSegment
from clientela.analytics.selectors import score_list
from clientela.core.access import ROLE_CAPABILITIES, Capability, limited_to_own_customers
from clientela.core.models import User
from clientela.customers.models import Contact, Customer
from clientela.orders.models import Order
from clientela.relations.models import (
    OPEN_OPPORTUNITY,
    Activity,
    ActivityStatus,
    AgendaSettings,
    CustomerNote,
    Interaction,
    LostReason,
    Opportunity,
    Stage,
)

BOARD_COLUMN_SIZE = 20


# --- scopes ---------------------------------------------------------------------------


def opportunity_scope(*, user: User) -> QuerySet[Opportunity]:
    """The opportunities ``user`` may see."""
    queryset = Opportunity.objects.all()
    if limited_to_own_customers(user):
        queryset = queryset.filter(customer__owner=user)
    return queryset


def activity_scope(*, user: User) -> QuerySet[Activity]:
    """The activities ``user`` may see: their customers' (when limited) and their own."""
    queryset = Activity.objects.all()
    if limited_to_own_customers(user):
        queryset = queryset.filter(Q(customer__owner=user) | Q(customer=None, owner=user))
    return queryset


def interaction_scope(*, user: User) -> QuerySet[Interaction]:
    """The interactions ``user`` may see."""
    queryset = Interaction.objects.all()
    if limited_to_own_customers(user):
        queryset = queryset.filter(customer__owner=user)
    return queryset


def opportunity_get(*, user: User, pk: int) -> Opportunity:
    """One opportunity the user may see; raises Opportunity.DoesNotExist."""
    return (
        opportunity_scope(user=user)
        .select_related("customer", "stage", "owner", "lost_reason", "order")
        .prefetch_related("products")
        .get(pk=pk)
    )


def activity_get(*, user: User, pk: int) -> Activity:
    """One activity the user may see; raises Activity.DoesNotExist."""
    return (
        activity_scope(user=user)
        .select_related("customer", "contact", "owner", "opportunity", "order")
        .get(pk=pk)
    )


def interaction_get(*, user: User, pk: int) -> Interaction:
    """One interaction the user may see; raises Interaction.DoesNotExist."""
    return (
        interaction_scope(user=user)
        .select_related("customer", "contact", "staff", "override_by")
        .get(pk=pk)
    )


def note_get(*, user: User, pk: int) -> CustomerNote:
    """One note the user may see; raises CustomerNote.DoesNotExist."""
    queryset = CustomerNote.objects.select_related("customer", "author")
    if limited_to_own_customers(user):
        queryset = queryset.filter(customer__owner=user)
    return queryset.get(pk=pk)


def note_list(
    *, user: User, customer: Customer | None = None, pinned: bool | None = None
) -> QuerySet[CustomerNote]:
    """The notes ``user`` may see (their own customers' when limited), pinned first,
    then newest; of one customer, pinned or not."""
    queryset = CustomerNote.objects.all()
    if limited_to_own_customers(user):
        queryset = queryset.filter(customer__owner=user)
    if customer is not None:
        queryset = queryset.filter(customer=customer)
    if pinned is not None:
        queryset = queryset.filter(pinned=pinned)
    return queryset.order_by("-pinned", "-created_at", "-id")


def stage_list(*, in_use: bool = True) -> list[Stage]:
    """The pipeline's stages in order (those in use only, unless ``in_use`` is False)."""
    queryset = Stage.objects.all()
    return list(queryset.filter(is_active=True) if in_use else queryset)


def lost_reason_list(*, in_use: bool = True) -> list[LostReason]:
    """The reasons a deal may be lost for, in order."""
    queryset = LostReason.objects.all()
    return list(queryset.filter(is_active=True) if in_use else queryset)


# --- opportunities --------------------------------------------------------------------


def _month_range(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def opportunity_list(
    *,
    user: User,
    owner: User | None = None,
    stage: Stage | None = None,
    close_month: date | None = None,
    product: int | None = None,
    status: str = "",
    search: str = "",
    customer: Customer | None = None,
) -> QuerySet[Opportunity]:
    """The opportunities ``user`` may see, filtered: by owner, stage, expected-close
    month, a product of interest, ``status`` ("open", "won", "lost"), a customer, and
    words of the title or the customer's name."""
    queryset = opportunity_scope(user=user)
    if owner is not None:
        queryset = queryset.filter(owner=owner)
    if stage is not None:
        queryset = queryset.filter(stage=stage)
    if close_month is not None:
        queryset = queryset.filter(expected_close__range=_month_range(close_month))
    if product is not None:
        queryset = queryset.filter(
            Exists(
                Opportunity.products.through.objects.filter(
                    opportunity=OuterRef("pk"), product=product
                )
            )
        )
    if status == "open":
        queryset = queryset.filter(OPEN_OPPORTUNITY)
    elif status == "won":
        queryset = queryset.filter(stage__is_won=True)
    elif status == "lost":
        queryset = queryset.filter(stage__is_lost=True)
    if customer is not None:
        queryset = queryset.filter(customer=customer)
    for word in search.split():
        queryset = queryset.filter(Q(title__icontains=word) | Q(customer__name__icontains=word))
    return queryset.select_related("customer", "stage", "owner")


@dataclass
class BoardColumn:
    """One stage of the board: its first cards, how many it holds and their total."""

    stage: Stage
    cards: list[Opportunity]
    count: int
    total: Decimal
    more: bool = field(init=False)

    def __post_init__(self) -> None:
        self.more = self.count > len(self.cards)


def board_columns(
    *,
    user: User,
    owner: User | None = None,
    close_month: date | None = None,
    product: int | None = None,
    stage: Stage | None = None,
    limit: int = BOARD_COLUMN_SIZE,
) -> list[BoardColumn]:
    """The board: one column per stage in use (or just ``stage``, for "more"), each with
    its first ``limit`` cards by expected close, its count and its value's total. Won
    and lost columns show the deals closed in the last 30 days unless a close month is
    chosen."""
    base = opportunity_list(user=user, owner=owner, close_month=close_month, product=product)
    recent = timezone.now() - timedelta(days=30)
    stages = [stage] if stage is not None else stage_list()
    columns = []
    figures = dict.fromkeys([s.pk for s in stages], (0, Decimal(0)))
    closed = Q(stage__is_won=False, stage__is_lost=False) | Q(closed_at__gte=recent)
    shown = base if close_month is not None else base.filter(closed)
    for row in (
        shown.filter(stage__in=stages)
        .order_by()
        .values("stage")
        .annotate(count=Count("id"), total=Sum("value"))
    ):
        figures[row["stage"]] = (row["count"], row["total"] or Decimal(0))
    for each in stages:
        count, total = figures[each.pk]
        cards = (
            list(shown.filter(stage=each).order_by("expected_close", "id")[:limit]) if count else []
        )
        columns.append(BoardColumn(each, cards, count, total))
    return columns


# --- activities and the agenda --------------------------------------------------------


def _local_day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass
class Agenda:
    """A user's open activities: overdue, today's and the rest of the week's."""

    overdue: list[Activity]
    today: list[Activity]
    week: list[Activity]


def agenda_for(*, user: User, owner: User | None, now: datetime | None = None) -> Agenda:
    """The open activities assigned to ``owner`` (everyone's for None), as ``user`` may
    see them: overdue (due before now), today's still to come, and the next six days."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    tomorrow = _local_day_start(today + timedelta(days=1))
    week_end = _local_day_start(today + timedelta(days=7))
    queryset = activity_scope(user=user).filter(status=ActivityStatus.OPEN)
    if owner is not None:
        queryset = queryset.filter(owner=owner)
    queryset = queryset.select_related("customer", "contact", "owner", "opportunity").order_by(
        "due_at", "id"
    )
    return Agenda(
        overdue=list(queryset.filter(due_at__lt=now).order_by("-due_at", "-id")[:200]),
        today=list(queryset.filter(due_at__gte=now, due_at__lt=tomorrow)),
        week=list(queryset.filter(due_at__gte=tomorrow, due_at__lt=week_end)[:200]),
    )


def activity_list(
    *,
    user: User,
    owner: User | None = None,
    customer: Customer | None = None,
    status: str = "",
    kind: str = "",
    due_from: date | None = None,
    due_to: date | None = None,
) -> QuerySet[Activity]:
    """The activities ``user`` may see, by due time, filtered: assigned to ``owner``,
    with a customer, in a status, of a kind, due from and to local days (both
    included)."""
    queryset = activity_scope(user=user)
    if owner is not None:
        queryset = queryset.filter(owner=owner)
    if customer is not None:
        queryset = queryset.filter(customer=customer)
    if status:
        queryset = queryset.filter(status=status)
    if kind:
        queryset = queryset.filter(kind=kind)
    if due_from is not None:
        queryset = queryset.filter(due_at__gte=_local_day_start(due_from))
    if due_to is not None:
        queryset = queryset.filter(due_at__lt=_local_day_start(due_to + timedelta(days=1)))
    return queryset.select_related("customer").order_by("due_at", "id")


def overdue_count(*, user: User) -> int:
    """How many of ``user``'s own planned activities are overdue (the top bar's badge)."""
    return Activity.objects.filter(
        owner=user, status=ActivityStatus.OPEN, due_at__lt=timezone.now()
    ).count()


def agenda_digest(*, user: User, day: date) -> tuple[list[Activity], list[Activity]]:
    """``user``'s overdue activities and those of ``day``, for the morning digest."""
    start, end = _local_day_start(day), _local_day_start(day + timedelta(days=1))
    queryset = (
        Activity.objects.filter(owner=user, status=ActivityStatus.OPEN)
        .select_related("customer", "contact")
        .order_by("due_at", "id")
    )
    return list(queryset.filter(due_at__lt=start)[:50]), list(
        queryset.filter(due_at__gte=start, due_at__lt=end)
    )


def feed_activities(*, user: User, since: datetime) -> QuerySet[Activity]:
    """The activities of ``user``'s calendar feed: assigned to them, from ``since`` on."""
    return (
        Activity.objects.filter(owner=user, due_at__gte=since)
        .exclude(status=ActivityStatus.CANCELLED)
        .select_related("customer", "contact")
        .order_by("due_at", "id")
    )


def feed_user(*, secret: str) -> User | None:
    """The active user whose calendar feed ``secret`` opens, or None; looked up by its
    SHA-256 and compared in constant time."""
    digest = hashlib.sha256(secret.encode()).hexdigest()
    agenda = (
        AgendaSettings.objects.select_related("user")
        .filter(feed_digest=digest, user__is_active=True)
        .first()
    )
    if agenda is None or not hmac.compare_digest(agenda.feed_digest or "", digest):
        return None
    return agenda.user


def agenda_settings(*, user: User) -> AgendaSettings:
    """The user's agenda settings (unsaved defaults if they never set any)."""
    return AgendaSettings.objects.filter(user=user).first() or AgendaSettings(user=user)


# --- a customer -----------------------------------------------------------------------


@dataclass
class CustomerRelations:
    """What the customer page shows of relationship work."""

    last_contact: Interaction | None
    next_activity: Activity | None
    pinned: list[CustomerNote]
    open_opportunities: list[Opportunity]


def customer_relations(*, customer: Customer) -> CustomerRelations:
    """The customer's last contact, next planned activity, pinned notes and open deals."""
    return CustomerRelations(
        last_contact=Interaction.objects.filter(customer=customer)
        .select_related("staff")
        .order_by("-at", "-id")
        .first(),
        next_activity=Activity.objects.filter(customer=customer, status=ActivityStatus.OPEN)
        .select_related("owner")
        .order_by("due_at", "id")
        .first(),
        pinned=list(
            CustomerNote.objects.filter(customer=customer, pinned=True)
            .select_related("author")
            .order_by("-created_at", "-id")[:5]
        ),
        open_opportunities=list(
            Opportunity.objects.filter(customer=customer)
            .filter(OPEN_OPPORTUNITY)
            .select_related("stage")
            .order_by("expected_close", "id")[:5]
        ),
    )


def interaction_list(
    *,
    user: User,
    customer: Customer | None = None,
    channel: str = "",
    direction: str = "",
    staff: User | None = None,
    overridden: bool = False,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[Interaction]:
    """The interactions ``user`` may see, newest first, filtered; ``since`` and
    ``until`` are local days, both included."""
    queryset = interaction_scope(user=user)
    if customer is not None:
        queryset = queryset.filter(customer=customer)
    if since is not None:
        queryset = queryset.filter(at__gte=_local_day_start(since))
    if until is not None:
        queryset = queryset.filter(at__lt=_local_day_start(until + timedelta(days=1)))
    if channel:
        queryset = queryset.filter(channel=channel)
    if direction:
        queryset = queryset.filter(direction=direction)
    if staff is not None:
        queryset = queryset.filter(staff=staff)
    if overridden:
        queryset = queryset.exclude(override_reason="")
    return queryset.select_related("customer", "contact", "staff", "override_by").order_by(
        "-at", "-id"
    )


def override_list(*, user: User) -> list[Interaction | Activity]:
    """Every contact let over a limit with a reason, newest first (for the owner)."""
    interactions = interaction_scope(user=user).exclude(override_reason="")
    activities = activity_scope(user=user).exclude(override_reason="")
    rows: list[Interaction | Activity] = [
        *interactions.select_related("customer", "override_by").order_by("-created_at")[:500],
        *activities.select_related("customer", "override_by").order_by("-created_at")[:500],
    ]
    rows.sort(key=lambda row: row.created_at, reverse=True)
    return rows


# --- the agenda's pages ------------------------------------------------------------------


def staff_for_work(*, current: User | None = None) -> list[User]:
    """The active users whose role plans and does activities (an activity's "assigned
    to", an interaction's staff member), and ``current`` if it is no longer one."""
    roles = [role for role, can in ROLE_CAPABILITIES.items() if Capability.ACTIVITY_EDIT in can]
    condition = Q(is_active=True, role__in=roles)
    if current is not None:
        condition |= Q(pk=current.pk)
    return list(User.objects.filter(condition).order_by("first_name", "last_name", "username"))


@dataclass
class CustomerTargets:
    """What an activity or a contact with a customer may point at."""

    contacts: list[Contact]
    opportunities: list[Opportunity]
    orders: list[Order]


def customer_targets(*, customer: Customer | None, keep: Activity | None = None) -> CustomerTargets:
    """The customer's contact people, open opportunities and latest orders (and those
    ``keep`` already points at), for a form's choices; empty without a customer."""
    if customer is None:
        return CustomerTargets([], [], [])
    opportunity_ids = [keep.opportunity_id] if keep is not None and keep.opportunity_id else []
    orders = list(Order.objects.filter(customer=customer).order_by("-order_date", "-id")[:20])
    if keep is not None and keep.order_id and keep.order_id not in {o.pk for o in orders}:
        orders += list(Order.objects.filter(pk=keep.order_id, customer=customer))
    return CustomerTargets(
        contacts=list(Contact.objects.filter(customer=customer).order_by("-is_primary", "name")),
        opportunities=list(
            Opportunity.objects.filter(customer=customer)
            .filter(OPEN_OPPORTUNITY | Q(pk__in=opportunity_ids))
            .order_by("expected_close", "id")[:50]
        ),
        orders=orders,
    )


def customer_notes_recent(*, customer: Customer, limit: int = 3) -> list[CustomerNote]:
    """The customer's latest notes that are not pinned (the panel offers to pin them)."""
    return list(
        CustomerNote.objects.filter(customer=customer, pinned=False)
        .select_related("author")
        .order_by("-created_at", "-id")[:limit]
    )


# --- the dashboard's consolidation view -----------------------------------------------


def _not_contacted(days: int) -> Q:
    since = timezone.now() - timedelta(days=days)
    return Q(customer__last_contacted_at__isnull=True) | Q(customer__last_contacted_at__lt=since)


# The consolidation lists of the dashboard (seed 000): the key customers nobody spoke to
# lately, and those drifting away with nothing planned.
CONSOLIDATION_LISTS = ("key_not_contacted", "drifting_unplanned")


def consolidation_list(
    *, user: User, which: str, days: int, owner: User | None = None
) -> QuerySet[CustomerScore]:
    """The scores of the latest analysis in one consolidation list, as ``user`` may see
    them (of ``owner``'s customers, if given), most at stake first:

    - ``key_not_contacted``: class A customers and Champions with no contact, either
      way, in the last ``days`` days;
    - ``drifting_unplanned``: customers drifting away (the analysis's "at risk") with
      no activity planned.
    """
    if which == "key_not_contacted":
        key = Q(pareto_class=ParetoClass.A) | Q(rfm_segment=RFMSegment.CHAMPIONS)
        scores = score_list(user=user, owner=owner, order="value_at_stake")
        return scores.filter(key).filter(_not_contacted(days)).select_related("customer__owner")
    if which == "drifting_unplanned":
        planned = Activity.objects.filter(customer=OuterRef("customer"), status=ActivityStatus.OPEN)
        drifting = score_list(user=user, owner=owner, churn="at_risk")
        return drifting.filter(~Exists(planned)).select_related("customer__owner")
    raise ValueError(f"which must be one of {', '.join(CONSOLIDATION_LISTS)}")
