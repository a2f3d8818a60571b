"""Activities: calls, visits, meetings, e-mails and tasks planned for a day and time,
rescheduled (kept in the history), done with an outcome or cancelled.

Planning an outbound activity (every kind but a task) with a customer passes
``contact_check``, as recording the contact would: an agenda never holds a call the
limits would refuse on the day. Doing a call, visit, meeting or e-mail records its
interaction in the same transaction; it was checked when planned and is not counted
twice.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.access import Capability
from clientela.core.models import User
from clientela.core.parsing import one_line, text_block
from clientela.core.services import actor_check, full_clean_collecting, history_as, version_claim
from clientela.customers.models import Customer
from clientela.orders.models import Order
from clientela.relations.models import (
    ACTIVITY_CHANNELS,
    Activity,
    ActivityStatus,
    Direction,
    Interaction,
    Opportunity,
)
from clientela.relations.services._common import (
    Errors,
    contact_person_check,
    customer_check,
    error,
    moment_check,
    staff_check,
)
from clientela.relations.services.contacts import contact_check, interaction_record

ACTIVITY_FIELDS = frozenset(
    {
        "kind",
        "subject",
        "notes",
        "due_at",
        "duration_minutes",
        "owner",
        "customer",
        "contact",
        "opportunity",
        "order",
    }
)


def _apply(activity: Activity, fields: dict, errors: Errors) -> None:
    """Set the fields given; ``ends_at`` sets the duration from the start."""
    unknown = set(fields) - ACTIVITY_FIELDS - {"ends_at"}
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    ends_at = fields.pop("ends_at", None)
    for field, value in fields.items():
        if field == "subject":
            value = one_line(value)
        elif field == "notes":
            value = text_block(value)
        setattr(activity, field, value)
    activity.channel = ACTIVITY_CHANNELS.get(activity.kind, "")
    if ends_at is not None and isinstance(activity.due_at, datetime):
        if ends_at <= activity.due_at:
            error(errors, "ends_at", _("An activity must end after it starts."))
        else:
            activity.duration_minutes = round((ends_at - activity.due_at).total_seconds() / 60)


def _clean(activity: Activity, actor: User | None, errors: Errors) -> None:
    """Check what an activity points at belongs together, and its fields."""
    customer: Customer | None = activity.customer
    if customer is not None:
        customer_check(actor, Capability.ACTIVITY_EDIT, customer, errors)
    else:
        actor_check(actor, Capability.ACTIVITY_EDIT)
    contact_person_check(customer, activity.contact, errors)
    opportunity: Opportunity | None = activity.opportunity
    if opportunity is not None and opportunity.customer_id != getattr(customer, "pk", None):
        error(errors, "opportunity", _("This opportunity is another customer's."))
    order: Order | None = activity.order
    if order is not None and order.customer_id != getattr(customer, "pk", None):
        error(errors, "order", _("This order is another customer's."))
    if activity.channel and customer is None:
        error(
            errors,
            "customer",
            _("Say which customer it is with: calls, visits, meetings and e-mails need one."),
        )
    moment_check(activity.due_at, "due_at", errors)
    staff_check(activity.owner, "owner", errors)
    full_clean_collecting(activity, errors, exclude=["version", "override_by"], constraints=False)


def _pressure(activity: Activity, actor: User | None, override_reason: str) -> None:
    """Check the planned contact against consent and the limits; keep an override."""
    if not activity.channel or activity.customer is None:
        return
    overridden = contact_check(
        customer=activity.customer,
        channel=activity.channel,
        at=activity.due_at,
        actor=actor,
        override_reason=override_reason,
        exclude_activity=activity.pk,
    )
    if overridden:
        activity.override_reason = text_block(override_reason)
        activity.override_by = actor


@transaction.atomic
def activity_plan(
    *,
    actor: User | None,
    kind: str,
    subject: str,
    due_at: datetime,
    override_reason: str = "",
    reason: str = "",
    **fields,
) -> Activity:
    """Plan an activity, assigned to the actor unless ``owner`` is given. An outbound
    one with a customer passes ``contact_check`` (``override_reason`` lets it over a
    limit)."""
    activity = Activity()
    fields.setdefault("owner", actor)
    errors: Errors = {}
    _apply(activity, {"kind": kind, "subject": subject, "due_at": due_at, **fields}, errors)
    _clean(activity, actor, errors)
    _pressure(activity, actor, override_reason)
    history_as(activity, actor, reason)
    activity.save()
    return activity


@transaction.atomic
def activity_update(
    *,
    actor: User | None,
    activity: Activity,
    version: int,
    override_reason: str = "",
    reason: str = "",
    **fields,
) -> Activity:
    """Change a planned activity; a new time reschedules it (the history keeps the
    old one) and is checked against the limits again. Done or cancelled ones are
    closed. A stale ``version`` raises ConflictError."""
    if activity.status != ActivityStatus.OPEN:
        raise ValidationError({"status": [_("This activity is closed: it no longer changes.")]})
    before = (activity.due_at, activity.channel, activity.customer_id)
    errors: Errors = {}
    _apply(activity, dict(fields), errors)
    _clean(activity, actor, errors)
    version_claim(instance=activity, version=version)
    if (activity.due_at, activity.channel, activity.customer_id) != before:
        _pressure(activity, actor, override_reason or activity.override_reason)
    history_as(activity, actor, reason)
    activity.save()
    return activity


@transaction.atomic
def activity_complete(
    *,
    actor: User | None,
    activity: Activity,
    version: int,
    outcome: str = "",
    notes: str = "",
    satisfaction: int | None = None,
    done_at: datetime | None = None,
) -> tuple[Activity, Interaction | None]:
    """Mark a planned activity done with its outcome (needed for a contact); a call,
    visit, meeting or e-mail records its interaction, outbound, by the actor, now
    unless ``done_at`` says when. A stale ``version`` raises ConflictError."""
    customer = activity.customer
    errors: Errors = {}
    if customer is not None:
        customer_check(actor, Capability.ACTIVITY_EDIT, customer, errors)
    else:
        actor_check(actor, Capability.ACTIVITY_EDIT)
    if activity.status != ActivityStatus.OPEN:
        error(errors, "status", _("This activity is closed already."))
    if activity.channel and not outcome:
        error(errors, "outcome", _("Say how it went."))
    done_at = done_at or timezone.now()
    moment_check(done_at, "done_at", errors)
    activity.status = ActivityStatus.DONE
    activity.done_at = done_at
    activity.outcome = outcome
    if notes:
        activity.notes = "\n\n".join(filter(None, [activity.notes, text_block(notes)]))
    full_clean_collecting(activity, errors, exclude=["version", "override_by"], constraints=False)
    version_claim(instance=activity, version=version)
    history_as(activity, actor)
    activity.save()
    interaction = None
    if activity.channel and customer is not None:
        interaction = interaction_record(
            actor=actor,
            customer=customer,
            channel=activity.channel,
            direction=Direction.OUTBOUND,
            at=min(done_at, timezone.now()),
            contact=activity.contact,
            staff=actor or activity.owner,
            subject=activity.subject,
            outcome=outcome,
            satisfaction=satisfaction,
            notes=text_block(notes),
            override_reason=activity.override_reason,
            source=activity,
            checked=True,
        )
    return activity, interaction


@transaction.atomic
def activity_cancel(
    *, actor: User | None, activity: Activity, version: int, reason: str = ""
) -> Activity:
    """Cancel a planned activity; it stays in the history and leaves the agenda and the
    limits' count."""
    if activity.customer is not None:
        actor_check(actor, Capability.ACTIVITY_EDIT, activity.customer)
    else:
        actor_check(actor, Capability.ACTIVITY_EDIT)
    if activity.status != ActivityStatus.OPEN:
        raise ValidationError({"status": [_("This activity is closed already.")]})
    version_claim(instance=activity, version=version)
    activity.status = ActivityStatus.CANCELLED
    history_as(activity, actor, reason)
    activity.save()
    return activity


def activities_plan_calls(
    *,
    actor: User | None,
    customers: list[Customer],
    due_at: datetime,
    subject: str,
) -> tuple[list[Activity], list[tuple[Customer, str]]]:
    """Plan a call with each customer, assigned to the customer's owner (else the
    actor): the dashboard's one action for a list. Each call is its own transaction; a
    customer the check refuses (no consent to calls, a limit reached) is left out with
    the reason. Returns the calls planned and the customers left out."""
    planned, left_out = [], []
    for customer in customers:
        try:
            planned.append(
                activity_plan(
                    actor=actor,
                    kind="call",
                    subject=subject,
                    due_at=due_at,
                    customer=customer,
                    owner=customer.owner or actor,
                )
            )
        except ValidationError as refusal:
            left_out.append((customer, " ".join(refusal.messages)))
    return planned, left_out
