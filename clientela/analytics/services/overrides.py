"""Stages of the customer ladder set by hand: a customer put on a stage for a reason (the
runs keep them there) or handed back to the rules, each change of stage recorded as a
manual transition."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.analytics import selectors
from clientela.analytics.models import (
    LadderOverride,
    LadderStage,
    LadderTransition,
    TransitionSource,
)
from clientela.analytics.services._common import _live_check
from clientela.core.access import Capability
from clientela.core.models import User
from clientela.core.services import actor_check
from clientela.customers.models import Customer


@transaction.atomic
def ladder_override(
    *, actor: User | None, customer: Customer, stage: str, reason: str
) -> LadderOverride:
    """Put a customer on a stage of the ladder by hand, for a reason; the runs keep them
    there until the stage is cleared. A change of stage is recorded as a manual
    transition dated today."""
    actor_check(actor, Capability.LADDER_OVERRIDE, customer)
    errors: dict[str, list] = {}
    if stage not in LadderStage.values:
        errors["stage"] = [_("Choose a stage of the ladder.")]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say why the customer is put on this stage by hand.")]
    _live_check(customer, errors)
    if errors:
        raise ValidationError(errors)
    previous = selectors.ladder_stage_current(customer=customer)
    override = selectors.ladder_override_get(customer=customer) or LadderOverride(customer=customer)
    override.stage, override.reason = stage, reason
    override.set_by, override.set_at = actor, timezone.now()
    override.full_clean(validate_unique=False)
    override.save()
    if previous != stage:
        _manual_transition(actor, customer, previous, stage, reason)
    return override


@transaction.atomic
def ladder_override_clear(*, actor: User | None, customer: Customer, reason: str = "") -> None:
    """Hand a customer back to the rules: their stage becomes the one the rules gave in
    the latest run (recorded as a manual transition), and the next run decides."""
    actor_check(actor, Capability.LADDER_OVERRIDE, customer)
    override = selectors.ladder_override_get(customer=customer)
    if override is None:
        return
    LadderOverride.objects.filter(customer=customer).delete()
    inferred = selectors.ladder_stage_current(customer=customer)
    if inferred and inferred != override.stage:
        _manual_transition(actor, customer, override.stage, inferred, reason.strip())


def _manual_transition(actor, customer: Customer, from_stage: str, to_stage: str, reason: str):
    transition = LadderTransition(
        customer=customer,
        from_stage=from_stage,
        to_stage=to_stage,
        on=timezone.localdate(),
        source=TransitionSource.MANUAL,
        reason=reason,
        changed_by=actor,
    )
    transition.full_clean()
    transition.save()
    return transition
