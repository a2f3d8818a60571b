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

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Window,
)
from django.db.models.functions import Lead, TruncMonth
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
    ContactLimit,
    CustomerNote,
    Interaction,
    LostReason,
    Opportunity,
    OpportunityStageChange,
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
    """A user's open activities: overdue, today's and the rest of the week's, the first
    of each (``overdue_count`` and the others say how many there are in all)."""

    overdue: list[Activity]
    today: list[Activity]
    week: list[Activity]
    overdue_count: int
    today_count: int
    week_count: int


# The agenda shows this many activities of each part (the most recent overdue ones, the
# next ones otherwise) unless asked for all of one part, then up to ``AGENDA_ALL``.
AGENDA_SHOWN, AGENDA_ALL = 25, 500
AGENDA_PARTS = ("overdue", "today", "week")


def agenda_for(
    *, user: User, owner: User | None, now: datetime | None = None, whole: str = ""
) -> Agenda:
    """The open activities assigned to ``owner`` (everyone's for None), as ``user`` may
    see them: overdue (due before now, the most recent first), today's still to come,
    and the next six days; ``AGENDA_SHOWN`` of each, but of the part named by ``whole``."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    tomorrow = _local_day_start(today + timedelta(days=1))
    week_end = _local_day_start(today + timedelta(days=7))
    queryset = activity_scope(user=user).filter(status=ActivityStatus.OPEN)
    if owner is not None:
        queryset = queryset.filter(owner=owner)
    parts = {
        "overdue": queryset.filter(due_at__lt=now).order_by("-due_at", "-id"),
        "today": queryset.filter(due_at__gte=now, due_at__lt=tomorrow).order_by("due_at", "id"),
        "week": queryset.filter(due_at__gte=tomorrow, due_at__lt=week_end).order_by("due_at", "id"),
    }
    rows = {
        name: list(
            part.select_related("customer", "contact", "owner")[
                : AGENDA_ALL if name == whole else AGENDA_SHOWN
            ]
        )
        for name, part in parts.items()
    }
    counts = {
        name: len(rows[name]) if len(rows[name]) < AGENDA_SHOWN else parts[name].order_by().count()
        for name in parts
    }
    return Agenda(
        overdue=rows["overdue"],
        today=rows["today"],
        week=rows["week"],
        overdue_count=counts["overdue"],
        today_count=counts["today"],
        week_count=counts["week"],
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


# --- the pipeline's pages: the sorted list, the rest of a column, an opportunity's
# history and the figures (weighted pipeline, win rate, cycle, conversion) ------------

# The list's orders besides the default, soonest expected close ("close").
OPPORTUNITY_ORDERINGS: dict[str, tuple] = {
    "-value": ("-value", "-id"),
    "value": ("value", "id"),
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "title": ("title", "id"),
}
BOARD_COLUMN_REST = 500  # the most cards a column's "more" loads


def opportunity_list_sorted(
    *, user: User, ordering: str = "close", with_products: bool = False, **filters
) -> QuerySet[Opportunity]:
    """``opportunity_list`` (same filters) in the order asked: soonest expected close
    ("close", the default), value ("value", "-value"), age ("created", "-created") or
    title; ``with_products`` reads the products of interest too (an export)."""

    soonest = (F("expected_close").asc(nulls_last=True), "id")  # undated deals last
    order = OPPORTUNITY_ORDERINGS.get(ordering, soonest)
    queryset = opportunity_list(user=user, **filters).order_by(*order)
    if with_products:
        queryset = queryset.select_related("lost_reason").prefetch_related("products")
    return queryset


def board_column_rest(
    *,
    user: User,
    stage: Stage,
    owner: User | None = None,
    close_month: date | None = None,
    product: int | None = None,
) -> list[Opportunity]:
    """The cards of a board's column after its first ``BOARD_COLUMN_SIZE`` (its "more"),
    up to ``BOARD_COLUMN_REST`` of them, in the column's order."""
    (column,) = board_columns(
        user=user,
        owner=owner,
        close_month=close_month,
        product=product,
        stage=stage,
        limit=BOARD_COLUMN_SIZE + BOARD_COLUMN_REST,
    )
    return column.cards[BOARD_COLUMN_SIZE:]


def opportunity_stage_history(*, opportunity: Opportunity) -> list:
    """Every move of the opportunity (``OpportunityStageChange``), oldest first, with
    its stages and who moved it."""
    return list(
        opportunity.stage_changes.select_related("from_stage", "to_stage", "by").order_by(
            "at", "id"
        )
    )


def opportunity_activities(*, opportunity: Opportunity) -> list[Activity]:
    """The activities planned for the opportunity, the next due first, done ones last."""

    return list(
        opportunity.activities.select_related("owner", "contact").order_by(
            F("done_at").asc(nulls_first=True), "due_at", "id"
        )
    )


def _figures_scope(*, user: User, owner: User | None) -> QuerySet[Opportunity]:
    queryset = opportunity_scope(user=user)
    return queryset.filter(owner=owner) if owner is not None else queryset


@dataclass
class WeightedRow:
    """Open deals of one expected-close month or one owner: how many, their value and
    their value weighted by probability (value × probability)."""

    key: date | int | None
    label: str
    count: int
    value: Decimal
    weighted: Decimal


def pipeline_weighted(*, user: User, by: str, owner: User | None = None) -> list[WeightedRow]:
    """The open pipeline weighted by probability, per expected-close month (``by``
    "month", soonest first, undated last) or per owner (``by`` "owner", most weighted
    first); in the business's currency."""

    weighted = ExpressionWrapper(
        F("value") * F("probability"), output_field=DecimalField(max_digits=22, decimal_places=2)
    )
    queryset = _figures_scope(user=user, owner=owner).filter(OPEN_OPPORTUNITY).order_by()
    grouped: QuerySet = (
        queryset.values("owner", "owner__first_name", "owner__last_name", "owner__username")
        if by == "owner"
        else queryset.annotate(month=TruncMonth("expected_close")).values("month")
    )
    rows = []
    for row in grouped.annotate(
        deals=Count("id"), total=Sum("value"), weighted_total=Sum(weighted)
    ):
        if by == "owner":
            name = f"{row['owner__first_name']} {row['owner__last_name']}".strip()
            key, label = row["owner"], name or row["owner__username"] or ""
        else:
            key, label = row["month"], ""
        rows.append(
            WeightedRow(
                key=key,
                label=label,
                count=row["deals"],
                value=row["total"] or Decimal(0),
                weighted=((row["weighted_total"] or Decimal(0)) / 100).quantize(Decimal("0.01")),
            )
        )
    if by == "owner":
        rows.sort(key=lambda row: (-row.weighted, row.label))
    else:
        rows.sort(key=lambda row: (row.key is None, row.key or date.min))
    return rows


@dataclass
class PeriodRow:
    """The deals closed in one month or quarter: won and lost, the win rate, the won
    value, the average won deal and the average days from creation to won."""

    start: date
    won: int = 0
    lost: int = 0
    won_value: Decimal = Decimal(0)
    cycle_days: list[float] = field(default_factory=list)

    @property
    def win_rate(self) -> float | None:
        """Won among the decided deals (0–1), or None when none was decided."""
        decided = self.won + self.lost
        return self.won / decided if decided else None

    @property
    def average_deal(self) -> Decimal | None:
        """The average value of a won deal."""
        return (self.won_value / self.won).quantize(Decimal("0.01")) if self.won else None

    @property
    def average_cycle(self) -> float | None:
        """The average days from creation to won."""
        return sum(self.cycle_days) / len(self.cycle_days) if self.cycle_days else None


def _period_start(moment: datetime, period: str) -> date:
    day = timezone.localdate(moment)
    if period == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(day=1)


@dataclass
class ClosedFigures:
    """The deals closed in a range, per period, and all of them together."""

    periods: list[PeriodRow]
    total: PeriodRow


def pipeline_closed(
    *, user: User, date_from: date, date_to: date, period: str = "month", owner: User | None = None
) -> ClosedFigures:
    """The deals won or lost from ``date_from`` to ``date_to`` (by the day they closed,
    in the business's time zone), per ``period`` ("month" or "quarter"), oldest first."""
    start, end = _local_day_start(date_from), _local_day_start(date_to + timedelta(days=1))
    closed = (
        _figures_scope(user=user, owner=owner)
        .filter(closed_at__gte=start, closed_at__lt=end)
        .filter(Q(stage__is_won=True) | Q(stage__is_lost=True))
        .order_by()
        .values_list("closed_at", "created_at", "stage__is_won", "value")
    )
    periods: dict[date, PeriodRow] = {}
    total = PeriodRow(start=date_from)
    for closed_at, created_at, won, value in closed.iterator():
        assert closed_at is not None  # filtered on it
        key = _period_start(closed_at, period)
        for row in (periods.setdefault(key, PeriodRow(start=key)), total):
            if won:
                row.won += 1
                row.won_value += value
                row.cycle_days.append((closed_at - created_at).total_seconds() / 86400)
            else:
                row.lost += 1
    return ClosedFigures(periods=[periods[key] for key in sorted(periods)], total=total)


@dataclass
class StageFigures:
    """One stage of the pipeline: how many deals reached it (or a later stage), how many
    of those went on to the next, and the median days a deal stayed on it."""

    stage: Stage
    reached: int
    went_on: int | None
    median_days: float | None
    stays: int

    @property
    def conversion(self) -> float | None:
        """The share (0–1) of the deals that reached this stage and reached the next."""
        if self.went_on is None or not self.reached:
            return None
        return self.went_on / self.reached


def pipeline_stages(
    *, user: User, date_from: date, date_to: date, owner: User | None = None
) -> list[StageFigures]:
    """Conversion between the stages and the median days per stage, from the moves
    (``OpportunityStageChange``) of the deals opened from ``date_from`` to ``date_to``.

    A deal reached a stage when it was moved to it or to a later one (a lost stage
    aside), so a deal opened on "Qualified" counts for "Lead" too. A stay is the time
    between moving onto a stage and moving off it; stays not ended yet are left out.
    """
    import statistics

    stages = [stage for stage in stage_list(in_use=False) if not stage.is_lost]
    index = {stage.pk: number for number, stage in enumerate(stages)}
    start, end = _local_day_start(date_from), _local_day_start(date_to + timedelta(days=1))
    opportunities = _figures_scope(user=user, owner=owner).filter(
        created_at__gte=start, created_at__lt=end
    )
    moves = (
        OpportunityStageChange.objects.filter(opportunity__in=opportunities.values("pk"))
        .annotate(
            left_at=Window(
                Lead("at"),
                partition_by=[F("opportunity_id")],
                order_by=[F("at").asc(), F("id").asc()],
            )
        )
        .values_list("opportunity_id", "to_stage_id", "at", "left_at")
    )
    furthest: dict[int, int] = {}
    stays: dict[int, list[float]] = {}
    for opportunity, to_stage, at, left_at in moves:
        if to_stage in index:
            furthest[opportunity] = max(furthest.get(opportunity, -1), index[to_stage])
        if left_at is not None:
            stays.setdefault(to_stage, []).append((left_at - at).total_seconds() / 86400)
    reached = [
        sum(1 for top in furthest.values() if top >= number) for number in range(len(stages))
    ]
    figures = []
    for number, stage in enumerate(stages):
        days = stays.get(stage.pk, [])
        figures.append(
            StageFigures(
                stage=stage,
                reached=reached[number],
                went_on=reached[number + 1]
                if number + 1 < len(stages) and not stage.is_won
                else None,
                median_days=statistics.median(days) if days else None,
                stays=len(days),
            )
        )
    return figures


def contact_limit_list() -> list:
    """The limits on outbound contacts (``ContactLimit``), the overall one first."""

    return list(ContactLimit.objects.order_by("channel"))
