"""A customer's timeline: everything that happened to them, from every app, newest first,
a page at a time.

The catalog contributes its change history; later apps (orders, relationship work,
tickets) register their own source with ``timeline_register`` and their items appear in
the same list without the customer page knowing about them.

Each source reads a keyset page of its own, the items before a cursor, and the pages
are merged here (decision 0015): a page costs the same for a customer with five
entries or five thousand, and a filter by kind reads only those sources. Items are in
the order of ``(when, kind, key)``, newest first; the cursor is the last item shown.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clientela.core.models import User
from clientela.customers.models import Customer
from clientela.customers.selectors import FieldChange, customer_history

TIMELINE_PAGE = 25


@dataclass
class TimelineItem:
    """One event on a customer's timeline."""

    when: datetime
    kind: str  # the source: "history", "order", "interaction"…
    key: int  # tells apart items of one source at the same time (a record's id)
    title: str
    label: str = ""  # a short badge: "created", "changed", "won"…
    who: str = ""
    reason: str = ""
    text: str = ""  # notes, shown under the title
    changes: list[FieldChange] = field(default_factory=list)
    url: str = ""
    icon: str = "clock-history"  # a Bootstrap Icons name


@dataclass(frozen=True)
class TimelineCursor:
    """Where a page ended: the last item shown."""

    when: datetime
    kind: str
    key: int

    @classmethod
    def after(cls, item: TimelineItem) -> "TimelineCursor":
        """The cursor of the page that ends with ``item``."""
        return cls(item.when, item.kind, item.key)

    def encode(self) -> str:
        """The cursor as a URL's parameter."""
        return f"{self.when.isoformat()}~{self.kind}~{self.key}"

    @classmethod
    def decode(cls, text: str) -> "TimelineCursor | None":
        """A cursor from a URL's parameter; None for anything else."""
        parts = text.split("~")
        if len(parts) != 3 or not parts[2].isdigit():
            return None
        try:
            when = parse_datetime(parts[0])
        except ValueError:
            return None
        if when is None or timezone.is_naive(when):
            return None
        return cls(when, parts[1], int(parts[2]))

    def before(self, item: TimelineItem) -> bool:
        """Whether ``item`` comes after this cursor in the timeline (is older)."""
        return (item.when, item.kind, item.key) < (self.when, self.kind, self.key)

    def older(self, kind: str, when: str, key: str = "id") -> Q:
        """The condition on a source's rows (of ``kind``, timed by the field ``when``)
        for the items after this cursor."""
        if kind < self.kind:
            return Q(**{f"{when}__lte": self.when})
        if kind > self.kind:
            return Q(**{f"{when}__lt": self.when})
        return Q(**{f"{when}__lt": self.when}) | Q(**{when: self.when, f"{key}__lt": self.key})

    def older_by_day(self, kind: str, day: str) -> Q:
        """``older`` for a source timed by a date (``day``), its items at the day's
        start in the business's time zone."""
        local = timezone.localtime(self.when)
        threshold = local.date()
        starts = local == timezone.make_aware(datetime.combine(threshold, time.min))
        if kind == self.kind:
            return Q(**{f"{day}__lt": threshold}) | Q(**{day: threshold, "id__lt": self.key})
        if kind < self.kind or not starts:
            return Q(**{f"{day}__lte": threshold})
        return Q(**{f"{day}__lt": threshold})


def day_start(day: date) -> datetime:
    """When an item dated by a day stands on the timeline: the day's start, local time."""
    return timezone.make_aware(datetime.combine(day, time.min))


# A source gives up to ``limit`` items after the cursor (all if None), newest first.
TimelineSource = Callable[[Customer, User, TimelineCursor | None, int], Iterable[TimelineItem]]


@dataclass(frozen=True)
class _Registered:
    label: str | Promise
    source: TimelineSource


_sources: dict[str, _Registered] = {}


def timeline_register(kind: str, source: TimelineSource, *, label: str | Promise) -> None:
    """Add a source of timeline items, named ``label`` in the page's filter; apps call
    this from ``AppConfig.ready()``."""
    _sources[kind] = _Registered(label, source)


def timeline_kinds() -> list[tuple[str, str | Promise]]:
    """The kinds of item a timeline may be filtered by, with their labels."""
    return [(kind, registered.label) for kind, registered in _sources.items()]


ACTION_LABELS = {"created": _("created"), "changed": _("changed"), "deleted": _("deleted")}
ACTION_ICONS = {"created": "plus-circle", "changed": "pencil", "deleted": "trash"}


def history_items(
    customer: Customer, user: User, cursor: TimelineCursor | None, limit: int
) -> list[TimelineItem]:
    """The catalog's change history as timeline items (a customer's changes are few:
    read whole, then cut at the cursor)."""
    entries = customer_history(customer=customer)
    items = [
        TimelineItem(
            when=entry.when,
            kind="history",
            key=len(entries) - position,
            title=entry.subject,
            label=str(ACTION_LABELS.get(entry.action, entry.action)),
            who=entry.who,
            reason=entry.reason,
            changes=entry.changes,
            icon=ACTION_ICONS.get(entry.action, "clock-history"),
        )
        for position, entry in enumerate(entries)
    ]
    if cursor is not None:
        items = [item for item in items if cursor.before(item)]
    return items[:limit]


timeline_register("history", history_items, label=_("Changes"))


@dataclass
class TimelinePage:
    """One page of a timeline and the cursor of the next (None at its end)."""

    items: list[TimelineItem]
    next: str | None


def customer_timeline(
    *,
    customer: Customer,
    user: User,
    kinds: Iterable[str] | None = None,
    before: str = "",
    limit: int = TIMELINE_PAGE,
) -> TimelinePage:
    """A page of the customer's timeline, newest first: the items of ``kinds`` (every
    registered source when None or empty) after the cursor ``before`` (from the start
    when empty or not a cursor)."""
    chosen = [kind for kind in (kinds or ()) if kind in _sources] or list(_sources)
    cursor = TimelineCursor.decode(before) if before else None
    items = [
        item for kind in chosen for item in _sources[kind].source(customer, user, cursor, limit + 1)
    ]
    items.sort(key=lambda item: (item.when, item.kind, item.key), reverse=True)
    page = items[:limit]
    more = len(items) > limit
    return TimelinePage(page, TimelineCursor.after(page[-1]).encode() if more else None)
