"""Saved segments: made, changed and deleted by owners and salespeople; a segment kept
private is its maker's, a shared one anyone with the right may use; changing or
deleting one is its maker's or the owner's."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clientela.campaigns.conditions import conditions_clean
from clientela.campaigns.models import Segment
from clientela.core.access import AccessDenied, Capability
from clientela.core.models import Role, User
from clientela.core.parsing import one_line, text_block
from clientela.core.services import (
    actor_check,
    full_clean_collecting,
    history_as,
    version_claim,
)

SEGMENT_FIELDS = frozenset({"name", "description", "conditions", "shared"})


def _apply(segment: Segment, fields: dict[str, Any]) -> None:
    """Put ``fields`` on ``segment``, cleaned; raise ValidationError naming each wrong one."""
    unknown = set(fields) - SEGMENT_FIELDS
    if unknown:
        raise ValueError(f"unknown segment fields: {', '.join(sorted(unknown))}")
    errors: dict[str, list] = {}
    if "name" in fields:
        segment.name = one_line(fields["name"])
    if "description" in fields:
        segment.description = text_block(fields["description"])
    if "shared" in fields:
        segment.shared = bool(fields["shared"])
    if "conditions" in fields:
        try:
            segment.conditions = conditions_clean(fields["conditions"])
        except ValidationError as error:
            errors.update(error.message_dict)
    if not segment.name:
        errors.setdefault("name", []).append(_("Give the segment a name."))
    elif Segment.objects.filter(name__iexact=segment.name).exclude(pk=segment.pk).exists():
        errors.setdefault("name", []).append(
            _("There is already a segment named “%(name)s”.") % {"name": segment.name}
        )
    full_clean_collecting(segment, errors, exclude=["created_by"], constraints=False)


def _maker_check(actor: User | None, segment: Segment) -> None:
    actor_check(actor, Capability.CAMPAIGN_EDIT)
    if actor is not None and actor.role != Role.OWNER and segment.created_by_id != actor.pk:
        raise AccessDenied(Capability.CAMPAIGN_EDIT)


@transaction.atomic
def segment_create(*, actor: User, **fields) -> Segment:
    """Save a segment made by ``actor``: ``name`` (unique, case aside), ``conditions``
    (``conditions.conditions_clean``), ``description``, ``shared`` (default yes)."""
    actor_check(actor, Capability.CAMPAIGN_EDIT)
    segment = Segment(created_by=actor)
    _apply(segment, fields)
    history_as(segment, actor)
    segment.save()
    return segment


@transaction.atomic
def segment_update(*, actor: User | None, segment: Segment, version: int, **fields) -> Segment:
    """Change a segment (its maker or the owner); a stale ``version`` raises
    ConflictError."""
    _maker_check(actor, segment)
    _apply(segment, fields)
    version_claim(instance=segment, version=version)
    history_as(segment, actor)
    segment.save()
    return segment


@transaction.atomic
def segment_delete(*, actor: User | None, segment: Segment) -> None:
    """Delete a segment (its maker or the owner) that no campaign uses."""
    _maker_check(actor, segment)
    used = list(segment.campaigns.values_list("name", flat=True)[:3])
    if used:
        raise ValidationError(
            {
                "segment": [
                    _("Campaigns use this segment (%(names)s): it stays.")
                    % {"names": ", ".join(used)}
                ]
            }
        )
    history_as(segment, actor)
    segment.delete()
