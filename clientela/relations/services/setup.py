"""The owner's settings of relationship work: the pipeline's stages, the reasons a deal
is lost, and the limits on outbound contacts."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from clientela.core.access import Capability
from clientela.core.models import User
from clientela.core.parsing import one_line
from clientela.core.services import actor_check, full_clean_collecting, history_as
from clientela.relations.models import (
    ContactLimit,
    LostReason,
    Opportunity,
    OpportunityStageChange,
    Stage,
)

NAME_FIELDS = ("name", "name_es", "name_ru")
STAGE_FIELDS = frozenset(
    {*NAME_FIELDS, "position", "probability", "is_won", "is_lost", "is_active"}
)
REASON_FIELDS = frozenset({*NAME_FIELDS, "position", "asks_competitor", "is_active"})


def _apply(record: Stage | LostReason, fields: dict, allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    for field, value in fields.items():
        setattr(record, field, one_line(value) if field in NAME_FIELDS else value)


def _stage_clean(stage: Stage) -> None:
    errors: dict = {}
    if stage.is_won and stage.is_lost:
        errors["is_lost"] = [_("A stage is either won or lost, not both.")]
    if stage.pk and Opportunity.objects.filter(stage=stage).exists():
        before = Stage.objects.get(pk=stage.pk)
        if (before.is_won, before.is_lost) != (stage.is_won, stage.is_lost):
            errors["is_won"] = [
                _("Opportunities are on this stage: it cannot change between open, won and lost.")
            ]
    full_clean_collecting(stage, errors)


@transaction.atomic
def stage_create(*, actor: User | None, name: str, **fields) -> Stage:
    """Add a stage to the pipeline (at the end unless ``position`` is given)."""
    actor_check(actor, Capability.PIPELINE_CONFIGURE)
    stage = Stage(position=Stage.objects.count())
    _apply(stage, {"name": name, **fields}, STAGE_FIELDS)
    _stage_clean(stage)
    stage.save()
    return stage


@transaction.atomic
def stage_update(*, actor: User | None, stage: Stage, **fields) -> Stage:
    """Rename, reorder or retire a stage, or change its default probability. Whether it
    is open, won or lost changes only while no opportunity is on it."""
    actor_check(actor, Capability.PIPELINE_CONFIGURE)
    _apply(stage, fields, STAGE_FIELDS)
    _stage_clean(stage)
    stage.save()
    return stage


@transaction.atomic
def stage_delete(*, actor: User | None, stage: Stage) -> None:
    """Remove a stage no opportunity ever reached; one that was used is retired instead."""
    actor_check(actor, Capability.PIPELINE_CONFIGURE)
    used = OpportunityStageChange.objects.filter(Q(from_stage=stage) | Q(to_stage=stage))
    if stage.opportunities.exists() or used.exists():
        raise ValidationError(
            _("Opportunities reached this stage: take it out of use instead of deleting it.")
        )
    stage.delete()


@transaction.atomic
def lost_reason_create(*, actor: User | None, name: str, **fields) -> LostReason:
    """Add a reason a deal may be lost for (at the end unless ``position`` is given)."""
    actor_check(actor, Capability.PIPELINE_CONFIGURE)
    lost_reason = LostReason(position=LostReason.objects.count())
    _apply(lost_reason, {"name": name, **fields}, REASON_FIELDS)
    full_clean_collecting(lost_reason, {})
    lost_reason.save()
    return lost_reason


@transaction.atomic
def lost_reason_update(*, actor: User | None, lost_reason: LostReason, **fields) -> LostReason:
    """Rename, reorder or retire a lost reason; deals lost for it keep it."""
    actor_check(actor, Capability.PIPELINE_CONFIGURE)
    _apply(lost_reason, fields, REASON_FIELDS)
    full_clean_collecting(lost_reason, {})
    lost_reason.save()
    return lost_reason


@transaction.atomic
def contact_limit_set(
    *, actor: User | None, channel: str, max_contacts: int, days: int
) -> ContactLimit:
    """Allow at most ``max_contacts`` outbound contacts per customer in ``days`` days,
    on ``channel`` or, blank, on all channels together (replacing that limit)."""
    actor_check(actor, Capability.PIPELINE_CONFIGURE)
    limit = ContactLimit.objects.filter(channel=channel).first() or ContactLimit(channel=channel)
    limit.max_contacts, limit.days = max_contacts, days
    full_clean_collecting(limit, {}, exclude=["channel"] if limit.pk else [])
    history_as(limit, actor)
    limit.save()
    return limit


@transaction.atomic
def contact_limit_remove(*, actor: User | None, limit: ContactLimit) -> None:
    """Lift a limit on outbound contacts."""
    actor_check(actor, Capability.PIPELINE_CONFIGURE)
    history_as(limit, actor)
    limit.delete()
