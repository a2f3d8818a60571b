"""Relationship work on a customer's timeline: contacts, activities, opportunities and
notes, each source a keyset page on its ``(customer, when, id)`` index."""

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from clientela.core.models import User
from clientela.customers.models import Customer
from clientela.customers.timeline import TimelineCursor, TimelineItem
from clientela.relations.models import (
    Activity,
    ActivityStatus,
    CustomerNote,
    Direction,
    Interaction,
    Opportunity,
)

CHANNEL_ICONS = {
    "phone": "telephone",
    "email": "envelope",
    "whatsapp": "whatsapp",
    "sms": "chat-dots",
    "mail": "mailbox",
    "web_form": "globe",
    "in_person": "people",
    "social": "share",
    "event": "shop",
}
ACTIVITY_ICONS = {
    "call": "telephone-outbound",
    "visit": "geo-alt",
    "meeting": "people",
    "email": "envelope",
    "task": "check2-square",
}


def _page(rows: QuerySet, cursor: TimelineCursor | None, kind: str, when: str, limit: int):
    if cursor is not None:
        rows = rows.filter(cursor.older(kind, when))
    return rows.order_by(f"-{when}", "-id")[:limit]


def interaction_items(
    customer: Customer, user: User, cursor: TimelineCursor | None, limit: int
) -> list[TimelineItem]:
    """Every contact with the customer, either way."""
    rows = Interaction.objects.filter(customer=customer).select_related("staff", "contact")
    items = []
    for row in _page(rows, cursor, "interaction", "at", limit):
        arrow = "←" if row.direction == Direction.INBOUND else "→"
        title = f"{arrow} {row.get_channel_display()}"
        if row.subject:
            title += f": {row.subject}"
        details = [row.notes]
        if row.contact:
            details.insert(0, _("With %(person)s.") % {"person": row.contact})
        if row.satisfaction:
            details.append(_("Satisfaction %(score)d of 5.") % {"score": row.satisfaction})
        items.append(
            TimelineItem(
                when=row.at,
                kind="interaction",
                key=row.pk,
                title=title,
                label=row.get_outcome_display() if row.outcome else row.get_direction_display(),
                who=str(row.staff or ""),
                reason=row.override_reason,
                text="\n".join(detail for detail in details if detail),
                icon=CHANNEL_ICONS.get(row.channel, "chat"),
            )
        )
    return items


def activity_items(
    customer: Customer, user: User, cursor: TimelineCursor | None, limit: int
) -> list[TimelineItem]:
    """The customer's activities, planned, done or cancelled, by their due time."""
    rows = Activity.objects.filter(customer=customer).select_related("owner")
    return [
        TimelineItem(
            when=row.due_at,
            kind="activity",
            key=row.pk,
            title=f"{row.get_kind_display()}: {row.subject}",
            label=row.get_outcome_display()
            if row.status == ActivityStatus.DONE and row.outcome
            else row.get_status_display(),
            who=str(row.owner or ""),
            reason=row.override_reason,
            text=row.notes,
            url=reverse("relations:activity", args=[row.pk]),
            icon=ACTIVITY_ICONS.get(row.kind, "calendar-event"),
        )
        for row in _page(rows, cursor, "activity", "due_at", limit)
    ]


def opportunity_items(
    customer: Customer, user: User, cursor: TimelineCursor | None, limit: int
) -> list[TimelineItem]:
    """The customer's opportunities, when each was opened, with its stage now."""
    rows = Opportunity.objects.filter(customer=customer).select_related("stage", "owner")
    return [
        TimelineItem(
            when=row.created_at,
            kind="opportunity",
            key=row.pk,
            title=row.title,
            label=str(row.stage),
            who=str(row.owner or ""),
            text=row.next_step,
            url=reverse("relations:opportunity_detail", args=[row.pk]),
            icon="funnel",
        )
        for row in _page(rows, cursor, "opportunity", "created_at", limit)
    ]


def note_items(
    customer: Customer, user: User, cursor: TimelineCursor | None, limit: int
) -> list[TimelineItem]:
    """Notes about the customer."""
    rows = CustomerNote.objects.filter(customer=customer).select_related("author")
    return [
        TimelineItem(
            when=row.created_at,
            kind="note",
            key=row.pk,
            title=_("Note"),
            label=_("pinned") if row.pinned else "",
            who=str(row.author or ""),
            text=row.text,
            icon="sticky",
        )
        for row in _page(rows, cursor, "note", "created_at", limit)
    ]
