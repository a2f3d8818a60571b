"""Opportunities: created on a stage, edited, moved along the pipeline, won (opening a
draft order with the products of interest), lost with a reason, and reopened.

Every move is kept (``OpportunityStageChange``: from, to, when, who) for the pipeline's
conversion and days per stage, and told to webhooks (``opportunity.stage_changed``,
``opportunity.won``, ``opportunity.lost``). A move carries the version the card was
drawn with; a later move by someone else is refused with ``ConflictError``.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from clientela.core.access import Capability
from clientela.core.models import User
from clientela.core.money import money_check, normalize_currency
from clientela.core.parsing import one_line, text_block
from clientela.core.services import actor_check, full_clean_collecting, history_as, version_claim
from clientela.customers.models import Customer
from clientela.orders.models import Order, Product
from clientela.orders.services import order_create
from clientela.relations.models import (
    LostReason,
    Opportunity,
    OpportunityEvent,
    OpportunityStageChange,
    Stage,
)
from clientela.relations.services._common import (
    YEARS_AHEAD,
    Errors,
    customer_check,
    error,
    staff_check,
)
from clientela.webhooks.services import event_emit

OPPORTUNITY_FIELDS = frozenset(
    {
        "customer",
        "title",
        "value",
        "currency",
        "probability",
        "expected_close",
        "owner",
        "source",
        "products",
        "next_step",
        "notes",
    }
)


def opportunity_data(opportunity: Opportunity) -> dict[str, Any]:
    """An opportunity as webhooks and the API tell it."""
    return {
        "id": opportunity.pk,
        "title": opportunity.title,
        "customer_id": opportunity.customer_id,
        "stage_id": opportunity.stage_id,
        "stage": opportunity.stage.name,
        "value": str(opportunity.value),
        "currency": opportunity.currency,
        "probability": opportunity.probability,
        "expected_close": opportunity.expected_close.isoformat()
        if opportunity.expected_close
        else None,
        "owner_id": opportunity.owner_id,
        "lost_reason": opportunity.lost_reason.name if opportunity.lost_reason else None,
        "competitor": opportunity.competitor,
        "order_id": opportunity.order_id,
        "version": opportunity.version,
    }


def _apply(opportunity: Opportunity, fields: dict, errors: Errors) -> list[Product] | None:
    unknown = set(fields) - OPPORTUNITY_FIELDS
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    products = fields.pop("products", None)
    for field, value in fields.items():
        if field in {"title", "next_step"}:
            value = one_line(value)
        elif field == "notes":
            value = text_block(value)
        elif field == "source":
            value = value or ""
        elif field == "currency":
            try:
                value = normalize_currency(value)
            except ValidationError as problem:
                errors["currency"] = list(problem.messages)
                continue
        setattr(opportunity, field, value)
    if isinstance(opportunity.value, Decimal) and "currency" not in errors:
        try:
            money_check(opportunity.value, opportunity.currency)
        except ValidationError as problem:
            errors["value"] = list(problem.messages)
    return None if products is None else list(products)


def _close_check(opportunity: Opportunity, errors: Errors) -> None:
    """The expected close may not come before the opportunity was created, nor more
    than ``YEARS_AHEAD`` years ahead."""
    created = timezone.localdate(opportunity.created_at) if opportunity.created_at else None
    created = created or timezone.localdate()
    close = opportunity.expected_close
    if not isinstance(close, date) or "expected_close" in errors:
        return
    if close < created:
        error(
            errors,
            "expected_close",
            _("The expected close date is before the opportunity was created (%(day)s).")
            % {"day": formats.date_format(created, "SHORT_DATE_FORMAT")},
        )
    elif close.year > created.year + YEARS_AHEAD:
        error(
            errors,
            "expected_close",
            _("Enter a date in the years %(first)d to %(last)d.")
            % {"first": created.year, "last": created.year + YEARS_AHEAD},
        )


def _clean(opportunity: Opportunity, errors: Errors) -> None:
    _close_check(opportunity, errors)
    staff_check(opportunity.owner, "owner", errors)
    full_clean_collecting(
        opportunity,
        errors,
        exclude=["version", "stage", "lost_reason", "order", "closed_at", "stage_since"],
        constraints=False,
    )


def _stage_change(
    opportunity: Opportunity, from_stage: Stage | None, actor: User | None
) -> OpportunityStageChange:
    now = timezone.now()
    opportunity.stage_since = now
    return OpportunityStageChange.objects.create(
        opportunity=opportunity, from_stage=from_stage, to_stage=opportunity.stage, at=now, by=actor
    )


def _won_order(opportunity: Opportunity, actor: User | None, products: Iterable[Product]) -> Order:
    """The draft order a won opportunity opens: one of each product of interest."""
    today = timezone.localdate()
    due = max(opportunity.expected_close or today, today + timedelta(days=1))
    return order_create(
        actor=actor,
        customer=opportunity.customer,
        due_date=due,
        lines=[{"product": product, "quantity": Decimal(1)} for product in products],
        notes=_("From the opportunity “%(title)s”.") % {"title": opportunity.title},
    )


def _enter(
    opportunity: Opportunity,
    stage: Stage,
    actor: User | None,
    errors: Errors,
    *,
    lost_reason: LostReason | None,
    competitor: str,
    open_order: bool,
) -> None:
    """Put the opportunity on ``stage``: won closes it (opening a draft order if asked
    and there are products), lost closes it with a reason."""
    if not stage.is_active:
        error(errors, "stage", _("The stage “%(stage)s” is no longer in use.") % {"stage": stage})
    opportunity.stage = stage
    opportunity.probability = stage.probability
    opportunity.lost_reason = None
    opportunity.competitor = ""
    opportunity.closed_at = timezone.now() if stage.is_closed else None
    if stage.is_lost:
        if lost_reason is None:
            error(errors, "lost_reason", _("Say why it was lost."))
        elif not lost_reason.is_active:
            error(errors, "lost_reason", _("This reason is no longer in use."))
        else:
            opportunity.lost_reason = lost_reason
            opportunity.competitor = one_line(competitor)
            if lost_reason.asks_competitor and not opportunity.competitor:
                error(errors, "competitor", _("Say which competitor it went to."))
    if errors:
        raise ValidationError(errors)
    if stage.is_won and open_order and opportunity.order_id is None:
        products = list(opportunity.products.all()) if opportunity.pk else []
        if products:
            opportunity.order = _won_order(opportunity, actor, products)


def _emit(opportunity: Opportunity, from_stage: Stage | None) -> None:
    def data() -> dict[str, Any]:
        return opportunity_data(opportunity) | {
            "from_stage_id": from_stage.pk if from_stage else None,
            "from_stage": from_stage.name if from_stage else None,
        }

    event_emit(event=OpportunityEvent.STAGE_CHANGED, data=data)
    if opportunity.stage.is_won:
        event_emit(event=OpportunityEvent.WON, data=data)
    elif opportunity.stage.is_lost:
        event_emit(event=OpportunityEvent.LOST, data=data)


@transaction.atomic
def opportunity_create(
    *,
    actor: User | None,
    customer: Customer,
    title: str,
    stage: Stage | None = None,
    probability: int | None = None,
    lost_reason: LostReason | None = None,
    competitor: str = "",
    reason: str = "",
    **fields,
) -> Opportunity:
    """Open an opportunity with a customer or a prospect, on ``stage`` (the first stage
    in use when not given), with the stage's probability unless one is given. The owner
    defaults to the customer's owner, else the actor."""
    errors: Errors = {}
    customer_check(actor, Capability.OPPORTUNITY_EDIT, customer, errors)
    opportunity = Opportunity(customer=customer, title=title)
    fields.setdefault("owner", customer.owner or actor)
    products = _apply(opportunity, {"title": title, **fields}, errors)
    stage = stage or Stage.objects.filter(is_active=True, is_won=False, is_lost=False).first()
    if stage is None:
        raise ValidationError({"stage": [_("Set up at least one stage of the pipeline first.")]})
    _clean(opportunity, errors)
    _enter(
        opportunity, stage, actor, errors,
        lost_reason=lost_reason, competitor=competitor, open_order=False,
    )  # fmt: skip
    if probability is not None:
        opportunity.probability = probability
        full_clean_collecting(opportunity, errors, exclude=["version"], constraints=False)
    history_as(opportunity, actor, reason)
    opportunity.stage_since = timezone.now()
    opportunity.save()
    if products:
        opportunity.products.set(products)
    _stage_change(opportunity, None, actor)
    opportunity.save(update_fields=["stage_since"])
    _emit(opportunity, None)
    return opportunity


@transaction.atomic
def opportunity_update(
    *,
    actor: User | None,
    opportunity: Opportunity,
    version: int,
    reason: str = "",
    **fields,
) -> Opportunity:
    """Change an opportunity's details (not its stage: ``opportunity_move``); a stale
    ``version`` raises ConflictError. A won or lost one keeps its value and products."""
    actor_check(actor, Capability.OPPORTUNITY_EDIT, opportunity.customer)
    errors: Errors = {}
    if "customer" in fields:
        customer_check(actor, Capability.OPPORTUNITY_EDIT, fields["customer"], errors)
    products = _apply(opportunity, dict(fields), errors)
    _clean(opportunity, errors)
    version_claim(instance=opportunity, version=version)
    history_as(opportunity, actor, reason)
    opportunity.save()
    if products is not None:
        opportunity.products.set(products)
    return opportunity


@transaction.atomic
def opportunity_move(
    *,
    actor: User | None,
    opportunity: Opportunity,
    version: int,
    stage: Stage,
    lost_reason: LostReason | None = None,
    competitor: str = "",
    open_order: bool = True,
    reason: str = "",
) -> Opportunity:
    """Move an open opportunity to another stage. Won closes it and, with
    ``open_order``, opens a draft order with one of each product of interest; lost
    needs a reason (and the competitor, when the reason asks). A won or lost one must
    be reopened first. A stale ``version`` raises ConflictError."""
    actor_check(actor, Capability.OPPORTUNITY_EDIT, opportunity.customer)
    if opportunity.closed_at is not None:
        raise ValidationError(
            {"stage": [_("This opportunity is closed: reopen it before moving it.")]}
        )
    if stage.pk == opportunity.stage_id:
        return opportunity
    from_stage = opportunity.stage
    errors: Errors = {}
    version_claim(instance=opportunity, version=version)
    _enter(
        opportunity, stage, actor, errors,
        lost_reason=lost_reason, competitor=competitor, open_order=open_order,
    )  # fmt: skip
    history_as(opportunity, actor, reason)
    _stage_change(opportunity, from_stage, actor)
    opportunity.save()
    _emit(opportunity, from_stage)
    return opportunity


@transaction.atomic
def opportunity_reopen(
    *,
    actor: User | None,
    opportunity: Opportunity,
    version: int,
    stage: Stage | None = None,
    reason: str = "",
) -> Opportunity:
    """Reopen a won or lost opportunity on an open ``stage`` (by default the one it
    left to close). The draft order a win opened stays; a stale ``version`` raises
    ConflictError."""
    actor_check(actor, Capability.OPPORTUNITY_EDIT, opportunity.customer)
    if opportunity.closed_at is None:
        raise ValidationError({"stage": [_("This opportunity is open already.")]})
    if stage is None:
        last = opportunity.stage_changes.filter(to_stage=opportunity.stage_id).last()
        stage = last.from_stage if last and last.from_stage else None
    if stage is None or stage.is_closed:
        stage = Stage.objects.filter(is_active=True, is_won=False, is_lost=False).first()
    if stage is None or stage.is_closed:
        raise ValidationError({"stage": [_("Choose an open stage to reopen it on.")]})
    from_stage = opportunity.stage
    version_claim(instance=opportunity, version=version)
    _enter(opportunity, stage, actor, {}, lost_reason=None, competitor="", open_order=False)
    history_as(opportunity, actor, reason)
    _stage_change(opportunity, from_stage, actor)
    opportunity.save()
    _emit(opportunity, from_stage)
    return opportunity
