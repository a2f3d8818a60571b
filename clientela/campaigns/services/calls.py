"""Call lists: a launched call campaign's members shared among the staff who call, and
each call's outcome recorded as the customer's interaction.

- ``call_list_assign`` deals the members nobody has called yet among the chosen callers,
  round-robin through the members in Pareto-class order, so each caller gets as many
  (one more at most) and the classes alike; or gives each to their customer's owner.
  Members without an owner who may call go to the one assigning. Members already called
  keep their caller.
- ``call_record`` records a call through ``relations.interaction_record``, which checks
  the consent and the contact limits at that moment: a refusal writes nothing. "No
  answer" and "Left a message" keep the member waiting for another try, up to
  ``CALL_ATTEMPTS`` calls (counted from the member's interactions); any other outcome,
  or the last try, is the member's outcome and they are done.
"""

from collections.abc import Sequence
from itertools import cycle

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clientela.campaigns.models import (
    Campaign,
    CampaignChannel,
    CampaignMember,
    CampaignStatus,
    MemberGroup,
    MemberState,
)
from clientela.campaigns.services._common import maker_check
from clientela.core.access import AccessDenied, Capability, limited_to_own_customers, user_can
from clientela.core.models import Role, User
from clientela.core.sql import AmongIds
from clientela.customers.models import Contact
from clientela.relations.models import ContactChannel, Direction, Interaction, Outcome
from clientela.relations.services import interaction_record

# Outcomes after which a member is called again, and how many calls a member gets.
RETRY_OUTCOMES = frozenset({Outcome.NO_ANSWER, Outcome.LEFT_MESSAGE})
CALL_ATTEMPTS = 3


def channel_check(campaign: Campaign, channel: str, statuses: set[str]) -> None:
    """Refuse (on ``channel`` or ``status``) a campaign of another channel, or one whose
    status is not one of ``statuses``."""
    if campaign.channel != channel:
        raise ValidationError(
            {
                "channel": [
                    _("This is not a campaign of “%(channel)s”.")
                    % {"channel": CampaignChannel(channel).label}
                ]
            }
        )
    if campaign.status not in statuses:
        raise ValidationError(
            {
                "status": [
                    _("A campaign that is “%(status)s” has nobody to contact now.")
                    % {"status": campaign.get_status_display()}
                ]
            }
        )


def caller_can(user: User) -> bool:
    """Whether ``user`` may be given calls: active, with the right to record contacts."""
    return user.is_active and user_can(user, Capability.INTERACTION_RECORD)


def _callers_check(callers: Sequence[User]) -> list[User]:
    """The distinct ``callers`` by id; refuse, naming them, those who may not call or
    who see only their own customers (those are given calls by customer owner)."""
    chosen = sorted({user.pk: user for user in callers}.values(), key=lambda user: user.pk)
    if not chosen:
        raise ValidationError(
            {"callers": [_("Choose who calls, or give each call to the customer's owner.")]}
        )
    unable = [str(user) for user in chosen if not caller_can(user)]
    if unable:
        raise ValidationError(
            {"callers": [_("%(names)s may not record calls.") % {"names": ", ".join(unable)}]}
        )
    limited = [str(user) for user in chosen if limited_to_own_customers(user)]
    if limited:
        raise ValidationError(
            {
                "callers": [
                    _(
                        "%(names)s may call only their own customers: give each call to "
                        "the customer's owner instead."
                    )
                    % {"names": ", ".join(limited)}
                ]
            }
        )
    return chosen


def _assign(plan: dict[int, list[int]]) -> None:
    for caller_id, ids in plan.items():
        CampaignMember.objects.filter(AmongIds("pk", ids)).update(caller_id=caller_id)


@transaction.atomic
def call_list_assign(
    *,
    actor: User | None,
    campaign: Campaign,
    callers: Sequence[User] | None = None,
    by_owner: bool = False,
) -> dict[int, int]:
    """Share a launched call campaign's members not called yet among ``callers``
    (evenly, round-robin in Pareto-class order), or give each to their customer's owner
    (``by_owner``; those without an owner who may call go to ``actor``). The campaign's
    maker or the owner assigns. Returns each caller's id → members given now."""
    maker_check(actor, campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    channel_check(campaign, CampaignChannel.CALL, {CampaignStatus.RUNNING, CampaignStatus.PAUSED})
    chosen = [] if by_owner else _callers_check(callers or [])
    waiting = list(
        CampaignMember.objects.filter(
            campaign=campaign, group=MemberGroup.CONTACTED, state=MemberState.QUEUED, outcome=""
        )
        .order_by("pareto_class", "customer__name", "pk")
        .values_list("pk", "customer__owner")
    )
    plan: dict[int, list[int]] = {user.pk: [] for user in chosen}
    if by_owner:
        owners = {owner for _pk, owner in waiting if owner is not None}
        able = {user.pk for user in User.objects.filter(pk__in=owners) if caller_can(user)}
        orphans = [pk for pk, owner in waiting if owner not in able]
        if orphans and (actor is None or not caller_can(actor)):
            raise ValidationError(
                {
                    "by_owner": [
                        _(
                            "%(count)d customers have no owner who may call them: choose "
                            "the callers instead."
                        )
                        % {"count": len(orphans)}
                    ]
                }
            )
        for pk, owner in waiting:
            caller_id = owner if owner in able else actor.pk  # type: ignore[union-attr]
            plan.setdefault(caller_id, []).append(pk)
    else:
        for (pk, _owner), user in zip(waiting, cycle(chosen), strict=False):
            plan[user.pk].append(pk)
    _assign(plan)
    return {caller_id: len(ids) for caller_id, ids in plan.items()}


def _outcome_check(outcome: str) -> None:
    if outcome not in Outcome.values:
        raise ValidationError(
            {
                "outcome": [
                    _("Choose how the call went: %(outcomes)s.")
                    % {"outcomes": ", ".join(str(label) for label in Outcome.labels)}
                ]
            }
        )


@transaction.atomic
def call_record(
    *,
    actor: User | None,
    member: CampaignMember,
    outcome: str,
    notes: str = "",
    contact: Contact | None = None,
) -> Interaction:
    """Record the call to ``member`` by their caller (or the owner) with its ``outcome``:
    an outbound phone interaction on the customer's timeline, checked against consent
    and the contact limits (a refusal raises ValidationError and writes nothing). The
    member is done, or stays waiting after no answer until ``CALL_ATTEMPTS`` calls."""
    member = (
        CampaignMember.objects.select_for_update(of=("self",))
        .select_related("campaign", "customer")
        .get(pk=member.pk)
    )
    if actor is not None and actor.role != Role.OWNER and member.caller_id != actor.pk:
        raise AccessDenied(Capability.INTERACTION_RECORD)
    channel_check(member.campaign, CampaignChannel.CALL, {CampaignStatus.RUNNING})
    if member.group != MemberGroup.CONTACTED or member.state != MemberState.QUEUED:
        raise ValidationError({"state": [_("This call is already recorded.")]})
    _outcome_check(outcome)
    interaction = interaction_record(
        actor=actor,
        customer=member.customer,
        channel=ContactChannel.PHONE,
        direction=Direction.OUTBOUND,
        subject=member.campaign.name,
        outcome=outcome,
        notes=notes,
        contact=contact,
        source=member,
    )
    calls = Interaction.objects.filter(
        source_type=interaction.source_type_id, source_id=member.pk
    ).count()
    if outcome not in RETRY_OUTCOMES or calls >= CALL_ATTEMPTS:
        member.state = MemberState.DONE
    member.outcome = outcome
    member.contacted_at = interaction.at
    if member.caller_id is None and actor is not None:
        member.caller = actor
    member.save(update_fields=["state", "outcome", "contacted_at", "caller"])
    return interaction
