"""Story time: the demo's records dated on the days of the story, not on the day it ran.

The demo creates years of orders in a minute through the services users go through,
and those services stamp what they write with the present moment: ``created_at`` and
``updated_at``, an order's ``confirmed_at``, the date of a renegotiation, the
``history_date`` of every history record. So that the demo reads like a business with
a past, each step of the story gets a moment of its own (``StoryClock``), and

- while ``story_time()`` is active, the history records written after
  ``story_at(moment)`` are dated ``moment`` (simple-history's
  ``pre_create_historical_record`` signal; only in the thread and context that set it);
- afterwards ``created_at``/``updated_at`` of the rows are set from their first and
  last history record (``timestamps_from_history``), and the demo sets the few other
  columns itself with UPDATEs.

Moments never lie in the future and never go back within one story, so that each
record's history stays in the order it was written.
"""

import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time, timedelta

from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from simple_history.signals import pre_create_historical_record

BATCH = 500  # ids per UPDATE, well under SQLite's limit of query parameters

_MOMENT: ContextVar[datetime | None] = ContextVar("demo_story_moment", default=None)
_RECEIVER_ID = "clientela.demo.story_time"


def _date_history_record(sender, history_instance, **kwargs) -> None:
    moment = _MOMENT.get()
    if moment is not None:
        history_instance.history_date = moment


@contextmanager
def story_time() -> Iterator[None]:
    """Date history records written inside with the moment last given to ``story_at``."""
    token = _MOMENT.set(None)
    pre_create_historical_record.connect(_date_history_record, dispatch_uid=_RECEIVER_ID)
    try:
        yield
    finally:
        pre_create_historical_record.disconnect(dispatch_uid=_RECEIVER_ID)
        _MOMENT.reset(token)


def story_at(moment: datetime | None) -> None:
    """The moment the next history records are dated (None: the present one)."""
    _MOMENT.set(moment)


def at_hour(day: date, hour: float) -> datetime:
    """``day`` at ``hour`` o'clock (23.5 is half past eleven), in the business's time zone."""
    midnight = datetime.combine(day, time(), tzinfo=timezone.get_current_timezone())
    return midnight + timedelta(hours=hour)


class StoryClock:
    """The moments of one story after the other: each on the day asked for, never before
    the previous one, never in the future. Whole seconds, drawn from ``rng``."""

    def __init__(self, rng: random.Random, now: datetime):
        self.rng = rng
        self.now = now
        self.last: datetime | None = None

    def begin(self) -> None:
        """Start another story (another order): no previous moment."""
        self.last = None

    def _take(self, low: datetime, high: datetime) -> datetime:
        if self.last is not None:
            low = max(low, self.last)
            high = max(high, low)
        moment = low + (high - low) * self.rng.random()
        moment = min(moment, self.now).replace(microsecond=0)
        if self.last is not None:
            moment = max(moment, self.last)
        self.last = moment
        return moment

    def on(self, day: date, hours: tuple[float, float] = (8, 19)) -> datetime:
        """A moment on ``day`` between those hours (later if the previous one was later)."""
        return self._take(at_hour(day, hours[0]), at_hour(day, hours[1]))

    def after(self, minutes: tuple[float, float]) -> datetime:
        """A few minutes after the previous moment, before its day ends."""
        assert self.last is not None, "after() needs a previous moment"
        local = timezone.localtime(self.last)
        end_of_day = at_hour(local.date(), 23.99)
        low = min(self.last + timedelta(minutes=minutes[0]), end_of_day)
        high = min(self.last + timedelta(minutes=minutes[1]), end_of_day)
        return self._take(low, high)


def _batches(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def timestamps_from_history(model: type[models.Model], ids: Sequence[int]) -> None:
    """Set ``created_at`` and ``updated_at`` of ``model``'s rows ``ids`` to the dates of
    their first and last history record (one UPDATE per batch)."""
    history = model.history.model  # type: ignore[attr-defined]
    dates = history.objects.filter(id=OuterRef("pk")).values("history_date")
    for batch in _batches(ids):
        model._default_manager.filter(pk__in=batch).update(
            created_at=Subquery(dates.order_by("history_date", "history_id")[:1]),
            updated_at=Subquery(dates.order_by("-history_date", "-history_id")[:1]),
        )


def confirmed_at_from_history(model: type[models.Model], ids: Sequence[int]) -> None:
    """Set ``confirmed_at`` of ``model``'s rows ``ids`` to the date of their first history
    record with one, the confirmation; and the history records' copies to the same."""
    history = model.history.model  # type: ignore[attr-defined]
    confirmation = (
        history.objects.filter(id=OuterRef("pk"), confirmed_at__isnull=False)
        .order_by("history_date", "history_id")
        .values("history_date")[:1]
    )
    confirmed_at = model._default_manager.filter(pk=OuterRef("id")).values("confirmed_at")[:1]
    for batch in _batches(ids):
        model._default_manager.filter(pk__in=batch, confirmed_at__isnull=False).update(
            confirmed_at=Subquery(confirmation)
        )
        history.objects.filter(id__in=batch, confirmed_at__isnull=False).update(
            confirmed_at=Subquery(confirmed_at)
        )


def timestamps_set(model: type[models.Model], moments: dict[int, dict[str, datetime]]) -> None:
    """Set columns of ``model``'s rows: ``{pk: {column: moment}}``, every row the same columns."""
    if not moments:
        return
    columns = list(next(iter(moments.values())))
    rows = [model(pk=pk, **values) for pk, values in moments.items()]
    model._default_manager.bulk_update(rows, columns, batch_size=BATCH)
