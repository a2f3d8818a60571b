"""Contacts with customers: the one check every outbound contact passes, the record of
each contact (``Interaction``), and notes that record none.

Every outbound contact, planned (``activity_plan``) or done (``interaction_record``),
and later a campaign's message or a survey, goes through ``contact_check``: the
customer's consent to the channel, then the owner's limits (``relations.pressure``).
The check locks the customer's row, so two people cannot both take the last place
under a limit.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.access import Capability
from clientela.core.models import User
from clientela.core.parsing import one_line, text_block
from clientela.core.services import actor_check, full_clean_collecting, history_as, version_claim
from clientela.core.sql import AmongIds
from clientela.customers.models import Contact, Customer
from clientela.customers.services import customer_contacted_reset, customers_contacted
from clientela.relations import pressure
from clientela.relations.models import (
    Activity,
    ActivityStatus,
    ContactLimit,
    CustomerNote,
    Direction,
    Interaction,
)
from clientela.relations.services._common import (
    Errors,
    contact_person_check,
    customer_check,
    error,
    moment_check,
)

# An interaction is something that happened: a time this far ahead is a clock's error,
# anything later is a plan (an activity).
FUTURE_TOLERANCE = timedelta(minutes=5)


def contact_limits() -> list[pressure.Limit]:
    """The owner's limits on outbound contacts."""
    return [
        pressure.Limit(max_contacts=n, days=d, channel=c)
        for c, n, d in ContactLimit.objects.values_list("channel", "max_contacts", "days")
    ]


def _counted(
    customer_id: int, at: datetime, span: timedelta, exclude_activity: int | None
) -> list[tuple[str, datetime]]:
    """The customer's outbound contacts, done or planned, within ``span`` of ``at``."""
    window = (at - span, at + span)
    done = Interaction.objects.filter(
        customer_id=customer_id, direction=Direction.OUTBOUND, at__range=window
    ).values_list("channel", "at")
    planned = (
        Activity.objects.filter(
            customer_id=customer_id, status=ActivityStatus.OPEN, due_at__range=window
        )
        .exclude(channel="")
        .values_list("channel", "due_at")
    )
    if exclude_activity is not None:
        planned = planned.exclude(pk=exclude_activity)
    return [*done, *planned]


def contact_refusal(
    *, customer: Customer, channel: str, at: datetime, exclude_activity: int | None = None
) -> pressure.Refusal | None:
    """Why an outbound contact with ``customer`` on ``channel`` at ``at`` may not
    happen, or None. Locks the customer's row until the caller's transaction ends."""
    consents = (
        Customer.objects.select_for_update()
        .filter(pk=customer.pk)
        .values(*set(pressure.CONSENTS.values()))
        .get()
    )
    replying = False
    if channel in pressure.CONSENTS and not consents[pressure.CONSENTS[channel]]:
        reply_window = (at - timedelta(days=settings.CLIENTELA_CONSENT_REPLY_DAYS), at)
        replying = Interaction.objects.filter(
            customer=customer, direction=Direction.INBOUND, channel=channel, at__range=reply_window
        ).exists()
    refusal = pressure.consent_refusal(consents=consents, channel=channel, replying=replying)
    if refusal is not None:
        return refusal
    limits = [limit for limit in contact_limits() if limit.covers(channel)]
    if not limits:
        return None
    span = timedelta(days=max(limit.days for limit in limits))
    contacts = _counted(customer.pk, at, span, exclude_activity)
    return pressure.limit_refusal(contacts=contacts, limits=limits, channel=channel, at=at)


@transaction.atomic
def contact_check(
    *,
    customer: Customer,
    channel: str,
    at: datetime,
    actor: User | None,
    override_reason: str = "",
    exclude_activity: int | None = None,
) -> bool:
    """Allow one outbound contact with ``customer`` on ``channel`` at ``at``, or raise
    ValidationError keyed by the field to change: ``channel`` without the customer's
    consent (unless replying to their own contact on it within
    CLIENTELA_CONSENT_REPLY_DAYS), ``override_reason`` over a limit unless a reason is
    given. Returns whether it goes over a limit on the strength of that reason.

    ``exclude_activity`` is a planned activity being moved, not counted against itself.
    Call it in the transaction that writes the contact: it locks the customer's row.
    """
    refusal = contact_refusal(
        customer=customer, channel=channel, at=at, exclude_activity=exclude_activity
    )
    if refusal is None:
        return False
    if refusal.overridable and one_line(override_reason):
        return True
    raise ValidationError({refusal.field: [refusal.message]})


def _source_check(source: models.Model | None) -> tuple[ContentType | None, int | None]:
    if source is None:
        return None, None
    return ContentType.objects.get_for_model(source), source.pk


# How many customers ``contact_refusals`` reads at once.
CHECK_CHUNK = 50_000


def contact_refusals(
    customers: Iterable[int], *, channel: str, at: datetime
) -> dict[int, pressure.Refusal]:
    """Why an outbound contact on ``channel`` at ``at`` may not happen, for each of
    ``customers`` (ids) it may not: the same rules in the same words as
    ``contact_refusal``, read a few queries per ``CHECK_CHUNK`` customers, without
    locking (a campaign's launch sets members aside with it; each message is checked
    again when it goes out)."""
    consent = pressure.CONSENTS.get(channel)
    limits = [limit for limit in contact_limits() if limit.covers(channel)]
    span = timedelta(days=max((limit.days for limit in limits), default=0))
    refusals: dict[int, pressure.Refusal] = {}
    ids = list(customers)
    for start in range(0, len(ids), CHECK_CHUNK):
        chunk = ids[start : start + CHECK_CHUNK]
        unwilling: set[int] = set()
        if consent is not None:
            unwilling = set(
                Customer.objects.filter(AmongIds("id", chunk), **{consent: False}).values_list(
                    "pk", flat=True
                )
            )
            if unwilling:
                reply_window = (at - timedelta(days=settings.CLIENTELA_CONSENT_REPLY_DAYS), at)
                unwilling -= set(
                    Interaction.objects.filter(
                        AmongIds("customer_id", unwilling),
                        direction=Direction.INBOUND,
                        channel=channel,
                        at__range=reply_window,
                    ).values_list("customer_id", flat=True)
                )
        if unwilling and consent is not None:
            refused = pressure.consent_refusal(
                consents={consent: False}, channel=channel, replying=False
            )
            if refused is not None:
                refusals.update(dict.fromkeys(unwilling, refused))
        if not limits:
            continue
        contacts: dict[int, list[tuple[str, datetime]]] = {}
        window = (at - span, at + span)
        willing = [pk for pk in chunk if pk not in unwilling]
        done = Interaction.objects.filter(
            AmongIds("customer_id", willing), direction=Direction.OUTBOUND, at__range=window
        ).values_list("customer_id", "channel", "at")
        planned = (
            Activity.objects.filter(
                AmongIds("customer_id", willing), status=ActivityStatus.OPEN, due_at__range=window
            )
            .exclude(channel="")
            .values_list("customer_id", "channel", "due_at")
        )
        for pk, used, when in [*done, *planned]:
            contacts.setdefault(pk, []).append((used, when))
        for pk, counted in contacts.items():
            refusal = pressure.limit_refusal(
                contacts=counted, limits=limits, channel=channel, at=at
            )
            if refusal is not None:
                refusals[pk] = refusal
    return refusals


@transaction.atomic
def interaction_record(
    *,
    actor: User | None,
    customer: Customer,
    channel: str,
    direction: str,
    at: datetime | None = None,
    contact: Contact | None = None,
    staff: User | None = None,
    subject: str = "",
    outcome: str = "",
    satisfaction: int | None = None,
    notes: str = "",
    override_reason: str = "",
    source: models.Model | None = None,
    checked: bool = False,
) -> Interaction:
    """Record a contact with a customer; an outbound one passes ``contact_check`` first
    (``checked`` when it already did, as the planned activity it completes).

    ``at`` defaults to now and may not be in the future (plan an activity instead);
    ``staff`` defaults to the actor. The customer's last contact moves on to it.
    """
    errors: Errors = {}
    customer_check(actor, Capability.INTERACTION_RECORD, customer, errors)
    at = at or timezone.now()
    moment_check(at, "at", errors)
    if "at" not in errors and at > timezone.now() + FUTURE_TOLERANCE:
        error(
            errors,
            "at",
            _("An interaction is a contact that happened: plan an activity for a later time."),
        )
    contact_person_check(customer, contact, errors)
    source_type, source_id = _source_check(source)
    interaction = Interaction(
        customer=customer,
        channel=channel,
        direction=direction,
        at=at,
        contact=contact,
        staff=staff or actor,
        subject=one_line(subject),
        outcome=outcome,
        satisfaction=satisfaction,
        notes=text_block(notes),
        override_reason=text_block(override_reason),
        source_type=source_type,
        source_id=source_id,
    )
    full_clean_collecting(interaction, errors, exclude=["override_by"], constraints=False)
    if direction == Direction.OUTBOUND and not checked:
        overridden = contact_check(
            customer=customer,
            channel=channel,
            at=at,
            actor=actor,
            override_reason=override_reason,
        )
        if not overridden:
            interaction.override_reason = ""
    if interaction.override_reason:
        interaction.override_by = actor
    history_as(interaction, actor)
    interaction.save()
    customers_contacted({customer.pk: at})
    return interaction


@transaction.atomic
def interaction_delete(*, actor: User | None, interaction: Interaction, reason: str = "") -> None:
    """Remove a contact recorded by mistake; the customer's last contact is recomputed."""
    customer = interaction.customer
    actor_check(actor, Capability.INTERACTION_RECORD, customer)
    history_as(interaction, actor, reason)
    interaction.delete()
    latest = Interaction.objects.filter(customer=customer).aggregate(latest=Max("at"))["latest"]
    customer_contacted_reset(customer.pk, latest)


@transaction.atomic
def note_add(
    *, actor: User | None, customer: Customer, text: str, pinned: bool = False
) -> CustomerNote:
    """Write a note about a customer that records no contact; a pinned one heads the page."""
    errors: Errors = {}
    customer_check(actor, Capability.INTERACTION_RECORD, customer, errors)
    note = CustomerNote(customer=customer, text=text_block(text), pinned=pinned, author=actor)
    full_clean_collecting(note, errors, exclude=["version", "author"])
    history_as(note, actor)
    note.save()
    return note


@transaction.atomic
def note_update(
    *,
    actor: User | None,
    note: CustomerNote,
    version: int,
    text: str | None = None,
    pinned: bool | None = None,
) -> CustomerNote:
    """Change a note's text or pin it to the top (or unpin it)."""
    errors: Errors = {}
    customer_check(actor, Capability.INTERACTION_RECORD, note.customer, errors)
    if text is not None:
        note.text = text_block(text)
    if pinned is not None:
        note.pinned = pinned
    full_clean_collecting(note, errors, exclude=["version", "author"])
    version_claim(instance=note, version=version)
    history_as(note, actor)
    note.save()
    return note


@transaction.atomic
def note_delete(*, actor: User | None, note: CustomerNote, version: int) -> None:
    """Remove a note; its history keeps what it said and who removed it."""
    errors: Errors = {}
    customer_check(actor, Capability.INTERACTION_RECORD, note.customer, errors)
    version_claim(instance=note, version=version)
    history_as(note, actor)
    note.delete()
