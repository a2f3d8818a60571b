"""Each user's agenda beyond the page: the private calendar feed's secret, the morning
digest e-mail, and telling webhooks when planned activities fall due.

The feed's secret is shown once, when issued; only its SHA-256 is kept, so a database
copy holds no working URL. Issuing a new one replaces the digest: the old URL is a 404
at once.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from clientela.core.models import User
from clientela.mail.services.queue import mail_queue
from clientela.relations import selectors
from clientela.relations.models import Activity, ActivityEvent, ActivityStatus, AgendaSettings
from clientela.webhooks.services import event_emit_many

# Activities that fell due longer ago than this when the worker first sees them (an
# import of old plans, a server that was off for days) are not told to webhooks.
DUE_LOOKBACK = timedelta(days=1)


def feed_digest(secret: str) -> str:
    """The SHA-256 under which a feed's secret is kept."""
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def agenda_feed_issue(*, user: User) -> str:
    """Give ``user`` a new calendar-feed secret, returned once; any earlier one stops
    working."""
    secret = secrets.token_urlsafe(32)
    agenda, _created = AgendaSettings.objects.get_or_create(user=user)
    agenda.feed_digest = feed_digest(secret)
    agenda.feed_created_at = timezone.now()
    agenda.save(update_fields=["feed_digest", "feed_created_at"])
    return secret


@transaction.atomic
def agenda_feed_revoke(*, user: User) -> None:
    """Turn ``user``'s calendar feed off; its URL is a 404 from now on."""
    AgendaSettings.objects.filter(user=user).update(feed_digest=None, feed_created_at=None)


@transaction.atomic
def agenda_digest_set(*, user: User, on: bool) -> AgendaSettings:
    """Have the morning digest of the day's activities sent to ``user``, or stop it."""
    agenda, _created = AgendaSettings.objects.get_or_create(user=user)
    agenda.morning_digest = on
    agenda.save(update_fields=["morning_digest"])
    return agenda


def _due_data(activity: Activity) -> dict:
    return {
        "id": activity.pk,
        "kind": activity.kind,
        "subject": activity.subject,
        "due_at": activity.due_at.isoformat(),
        "customer_id": activity.customer_id,
        "owner_id": activity.owner_id,
        "opportunity_id": activity.opportunity_id,
        "order_id": activity.order_id,
    }


@transaction.atomic
def activities_due_emit(*, now: datetime | None = None) -> int:
    """Tell webhooks (``activity.due``) of each planned activity that fell due since the
    last call, once; how many were told."""
    now = now or timezone.now()
    due = list(
        Activity.objects.select_for_update(skip_locked=True)
        .filter(
            status=ActivityStatus.OPEN,
            due_sent_at__isnull=True,
            due_at__lte=now,
            due_at__gt=now - DUE_LOOKBACK,
        )
        .order_by("due_at", "id")[:500]
    )
    if due:
        event_emit_many(event=ActivityEvent.DUE, data=[_due_data(a) for a in due])
        Activity.objects.filter(pk__in=[a.pk for a in due]).update(due_sent_at=now)
    return len(due)


def agenda_digests_send(*, now: datetime | None = None) -> int:
    """Queue each user's morning digest of the day's activities, once a day from
    CLIENTELA_DIGEST_HOUR (local time), to those who asked for it and have an e-mail
    address; how many were queued. A day with nothing planned sends nothing."""
    local = timezone.localtime(now or timezone.now())
    if local.hour < settings.CLIENTELA_DIGEST_HOUR:
        return 0
    day = local.date()
    queued = 0
    waiting = AgendaSettings.objects.filter(morning_digest=True, user__is_active=True).exclude(
        digest_sent_on=day
    )
    for agenda in waiting.select_related("user"):
        with transaction.atomic():
            claimed = (
                AgendaSettings.objects.filter(pk=agenda.pk)
                .exclude(digest_sent_on=day)
                .update(digest_sent_on=day)
            )
            user = agenda.user
            if not claimed or not user.email:
                continue
            overdue, today = selectors.agenda_digest(user=user, day=day)
            if not overdue and not today:
                continue
            with translation.override(settings.LANGUAGE_CODE):
                context = {"user": user, "day": day, "overdue": overdue, "today": today}
                mail_queue(
                    to=[user.email],
                    subject=_("Your activities for %(day)s")
                    % {"day": formats.date_format(day, "DATE_FORMAT")},
                    text=render_to_string("relations/email/digest.txt", context),
                    html=render_to_string("relations/email/digest.html", context),
                )
            queued += 1
    return queued
