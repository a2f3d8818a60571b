"""Campaigns: drafted, changed while a draft, and launched.

A launch freezes the segment's members as the launcher sees them (decision 0016): those
who may not be contacted on the channel are set aside with the reason (anonymised, no
address for it, no consent, a contact limit reached), then a share of the others is
held out, drawn at random within each Pareto class, and never contacted. Launching a
launched campaign changes nothing.
"""

import random
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.analytics.models import CustomerScore
from clientela.analytics.selectors import score_latest_date
from clientela.campaigns.models import (
    Campaign,
    CampaignChannel,
    CampaignEvent,
    CampaignMember,
    CampaignStatus,
    ConversionRule,
    MemberGroup,
    MemberState,
    Segment,
    SetAsideReason,
)
from clientela.campaigns.selectors import segment_members
from clientela.campaigns.services._common import maker_check
from clientela.campaigns.tasks import campaign_sending_start
from clientela.core.access import Capability
from clientela.core.bulk import rows_completed, rows_insert
from clientela.core.models import Role, User
from clientela.core.money import money_check, normalize_currency
from clientela.core.parsing import one_line, text_block
from clientela.core.services import (
    actor_check,
    full_clean_collecting,
    history_as,
    version_claim,
)
from clientela.customers.models import Address, CustomerEmail, CustomerPhone
from clientela.orders.models import Product
from clientela.relations.models import ContactChannel
from clientela.relations.services import contact_refusals
from clientela.webhooks.services import event_emit

CAMPAIGN_FIELDS = frozenset(
    {
        "name",
        "objective",
        "segment",
        "channel",
        "starts_on",
        "ends_on",
        "currency",
        "cost_fixed",
        "cost_per_contact",
        "offer",
        "conversion_rule",
        "conversion_products",
        "conversion_amount",
        "attribution_days",
        "holdout_percent",
        "send_rate",
    }
)
# The contact channel (``relations``) each campaign channel uses.
CONTACT_CHANNEL: dict[str, str] = {
    CampaignChannel.EMAIL: ContactChannel.EMAIL,
    CampaignChannel.CALL: ContactChannel.PHONE,
    CampaignChannel.MAIL: ContactChannel.MAIL,
}

Errors = dict[str, list[str]]


def _apply(campaign: Campaign, fields: dict[str, Any], errors: Errors) -> list[Product] | None:
    """Put ``fields`` on ``campaign``, cleaned; the conversion products, if given."""
    unknown = set(fields) - CAMPAIGN_FIELDS
    if unknown:
        raise ValueError(f"unknown campaign fields: {', '.join(sorted(unknown))}")
    products = fields.pop("conversion_products", None)
    if "name" in fields:
        fields["name"] = one_line(fields["name"])
    for name in ("objective", "offer"):
        if name in fields:
            fields[name] = text_block(fields[name])
    if "currency" in fields:
        try:
            fields["currency"] = normalize_currency(fields["currency"])
        except ValidationError as error:
            errors["currency"] = error.messages
    for name, value in fields.items():
        setattr(campaign, name, value)
    for name in ("cost_fixed", "cost_per_contact", "conversion_amount"):
        value = getattr(campaign, name)
        if isinstance(value, Decimal) and "currency" not in errors:
            try:
                money_check(value, campaign.currency)
            except ValidationError as error:
                errors.setdefault(name, []).extend(error.messages)
    if not campaign.name:
        errors.setdefault("name", []).append(_("Give the campaign a name."))
    if campaign.starts_on and campaign.ends_on and campaign.ends_on < campaign.starts_on:
        errors.setdefault("ends_on", []).append(_("The campaign cannot end before it starts."))
    if campaign.conversion_rule == ConversionRule.AMOUNT and campaign.conversion_amount is None:
        errors.setdefault("conversion_amount", []).append(
            _("Give the amount an order must reach to count.")
        )
    if campaign.conversion_rule == ConversionRule.PRODUCTS:
        chosen = (
            products
            if products is not None
            else (list(campaign.conversion_products.all()) if campaign.pk else [])
        )
        if not chosen:
            errors.setdefault("conversion_products", []).append(
                _("Pick the products an order must hold to count.")
            )
    return list(products) if products is not None else None


def _clean(campaign: Campaign, errors: Errors) -> None:
    full_clean_collecting(
        campaign, errors, exclude=["created_by", "launched_by", "segment"], constraints=False
    )


@transaction.atomic
def campaign_create(*, actor: User, segment: Segment, **fields) -> Campaign:
    """Draft a campaign on ``segment`` (one ``actor`` may use)."""
    actor_check(actor, Capability.CAMPAIGN_EDIT)
    errors: Errors = {}
    campaign = Campaign(
        created_by=actor, segment=segment, seed=random.SystemRandom().randrange(2**31)
    )
    products = _apply(campaign, dict(fields), errors)
    _clean(campaign, errors)
    history_as(campaign, actor)
    campaign.save()
    if products is not None:
        campaign.conversion_products.set(products)
    return campaign


@transaction.atomic
def campaign_update(*, actor: User | None, campaign: Campaign, version: int, **fields) -> Campaign:
    """Change a draft campaign (its maker or the owner); a launched one keeps what it was
    launched with. A stale ``version`` raises ConflictError."""
    maker_check(actor, campaign)
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError(
            {"status": [_("A launched campaign cannot be changed; draft a new one.")]}
        )
    errors: Errors = {}
    products = _apply(campaign, dict(fields), errors)
    _clean(campaign, errors)
    version_claim(instance=campaign, version=version)
    history_as(campaign, actor)
    campaign.save()
    if products is not None:
        campaign.conversion_products.set(products)
    return campaign


# --- launch -------------------------------------------------------------------------


# Where each channel's address is.
ADDRESS_HOLDERS: dict[str, type[CustomerEmail | CustomerPhone | Address]] = {
    CampaignChannel.EMAIL: CustomerEmail,
    CampaignChannel.CALL: CustomerPhone,
    CampaignChannel.MAIL: Address,
}


def _members_read(
    viewer: User, campaign: Campaign
) -> list[tuple[int, datetime | None, bool, str | None]]:
    """The segment's members as the viewer sees them, in one query: id, when they were
    anonymised, whether they have an address for the channel, Pareto class in the
    latest analysis (None when not scored)."""
    as_of = score_latest_date()
    holder = ADDRESS_HOLDERS[campaign.channel]
    scored = (
        Subquery(
            CustomerScore.objects.filter(as_of=as_of, customer=OuterRef("pk")).values(
                "pareto_class"
            )[:1]
        )
        if as_of is not None
        else Value(None, output_field=models.CharField())
    )
    return list(
        segment_members(user=viewer, conditions=campaign.segment.conditions)
        .annotate(
            launch_addressed=Exists(holder.objects.filter(customer=OuterRef("pk"))),
            launch_class=scored,
        )
        .order_by("pk")
        .values_list("pk", "anonymized_at", "launch_addressed", "launch_class")
    )


def _members_write(
    campaign: Campaign,
    ids: list[int],
    reasons: dict[int, str],
    held: set[int],
    classes: dict[int, str],
) -> None:
    """Write the campaign's members (``rows_insert``: COPY on PostgreSQL)."""
    rows = []
    for pk in ids:
        if pk in reasons:
            group, state = MemberGroup.SET_ASIDE, ""
        elif pk in held:
            group, state = MemberGroup.HOLDOUT, ""
        else:
            group, state = MemberGroup.CONTACTED, MemberState.QUEUED
        rows.append((campaign.pk, pk, group, reasons.get(pk, ""), classes[pk], state))
    given = ["campaign_id", "customer_id", "group", "reason", "pareto_class", "state"]
    names, rows = rows_completed(CampaignMember, given, rows, timezone.now())
    rows_insert(CampaignMember, names, rows, returning=False)


def holdout_draw(classes: dict[int, str], share: int, seed: int) -> set[int]:
    """``share`` percent of the customers in ``classes`` (id → Pareto class), drawn at
    random with ``seed`` within each class, so both groups hold the classes alike. The
    whole share is held out even when each class alone is too small for one: the
    places left by rounding go to the classes closest to their next one."""
    rng = random.Random(seed)
    strata: dict[str, list[int]] = defaultdict(list)
    for pk in sorted(classes):
        strata[classes[pk]].append(pk)
    exact = {stratum: len(ids) * share / 100 for stratum, ids in strata.items()}
    places = {stratum: int(quota) for stratum, quota in exact.items()}
    left = round(len(classes) * share / 100) - sum(places.values())
    for stratum in sorted(exact, key=lambda s: (places[s] - exact[s], -len(strata[s]), s))[:left]:
        places[stratum] += 1
    held: set[int] = set()
    for stratum in sorted(strata):
        held.update(rng.sample(strata[stratum], places[stratum]))
    return held


def launch_refusals(actor: User | None, campaign: Campaign, found: int) -> Errors:
    """Why ``actor`` may not launch ``campaign`` while its segment finds ``found``
    customers, by field (empty when nothing stops it): an e-mail with no message, a
    segment that finds no one, an e-mail to more than ``CLIENTELA_CAMPAIGN_EMAIL_LIMIT``
    by anyone but the owner."""
    refusals: Errors = {}
    if campaign.channel == CampaignChannel.EMAIL and not campaign.messages.exists():
        refusals["messages"] = [_("Write the e-mail before launching.")]
    if not found:
        refusals["segment"] = [_("The segment finds no one: nobody to contact.")]
    elif (
        actor is not None
        and actor.role != Role.OWNER
        and campaign.channel == CampaignChannel.EMAIL
        and found > settings.CLIENTELA_CAMPAIGN_EMAIL_LIMIT
    ):
        refusals["segment"] = [
            _(
                "Only the owner launches an e-mail campaign to more than %(limit)s "
                "customers; this one has %(count)s."
            )
            % {"limit": settings.CLIENTELA_CAMPAIGN_EMAIL_LIMIT, "count": found}
        ]
    return refusals


@transaction.atomic
def campaign_launch(*, actor: User | None, campaign: Campaign) -> Campaign:
    """Freeze the members, set aside who may not be contacted, hold out a share and set
    the campaign running (``campaign.launched``). A launched campaign is returned as it
    is. What ``launch_refusals`` names stops it."""
    maker_check(actor, campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.DRAFT:
        return campaign
    viewer = actor or campaign.created_by
    members = _members_read(viewer, campaign)
    refusals = launch_refusals(actor, campaign, len(members))
    if refusals:
        raise ValidationError(refusals)
    now = timezone.now()
    ids = [member[0] for member in members]
    classes = {pk: scored or "" for pk, _anonymised, _addressed, scored in members}
    reasons: dict[int, str] = {}
    for pk, anonymised_at, addressed, _scored in members:
        if anonymised_at is not None:
            reasons[pk] = SetAsideReason.ANONYMISED
        elif not addressed:
            reasons[pk] = SetAsideReason.NO_ADDRESS
    open_ids = [pk for pk in ids if pk not in reasons]
    for pk, refusal in contact_refusals(
        open_ids, channel=CONTACT_CHANNEL[campaign.channel], at=now
    ).items():
        reasons[pk] = SetAsideReason.PRESSURE if refusal.overridable else SetAsideReason.CONSENT
    eligible = {pk: classes[pk] for pk in ids if pk not in reasons}
    held = holdout_draw(eligible, campaign.holdout_percent, campaign.seed)
    _members_write(campaign, ids, reasons, held, classes)
    campaign.status = CampaignStatus.RUNNING
    campaign.launched_at = now
    campaign.launched_by = actor
    campaign.version += 1
    history_as(campaign, actor)
    campaign.save()
    campaign_sending_start(campaign)
    event_emit(
        event=CampaignEvent.LAUNCHED,
        data=lambda: {
            "id": campaign.pk,
            "name": campaign.name,
            "channel": campaign.channel,
            "members": len(ids),
            "held_out": len(held),
            "set_aside": len(reasons),
        },
    )
    return campaign


# --- running ------------------------------------------------------------------------


def _status_move(
    actor: User | None, campaign: Campaign, *, from_: set[str], to: str
) -> tuple[Campaign, bool]:
    """Move ``campaign`` (locked) from one of ``from_`` to ``to``; whether it moved."""
    maker_check(actor, campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status == to:
        return campaign, False
    if campaign.status not in from_:
        raise ValidationError(
            {
                "status": [
                    _("A campaign that is “%(status)s” cannot be “%(wanted)s”.")
                    % {
                        "status": campaign.get_status_display(),
                        "wanted": CampaignStatus(to).label,
                    }
                ]
            }
        )
    campaign.status = to
    if to == CampaignStatus.FINISHED:
        campaign.finished_at = timezone.now()
    campaign.version += 1
    history_as(campaign, actor)
    campaign.save()
    return campaign, True


@transaction.atomic
def campaign_pause(*, actor: User | None, campaign: Campaign) -> Campaign:
    """Stop a running campaign's sending after the message under way; pausing a paused
    campaign changes nothing."""
    return _status_move(actor, campaign, from_={CampaignStatus.RUNNING}, to=CampaignStatus.PAUSED)[
        0
    ]


@transaction.atomic
def campaign_resume(*, actor: User | None, campaign: Campaign) -> Campaign:
    """Go on with a paused campaign where it stopped."""
    campaign, moved = _status_move(
        actor, campaign, from_={CampaignStatus.PAUSED}, to=CampaignStatus.RUNNING
    )
    if moved:
        campaign_sending_start(campaign)
    return campaign


@transaction.atomic
def campaign_finish(*, actor: User | None, campaign: Campaign) -> Campaign:
    """End a running or paused campaign: no more contacts (``campaign.finished``, with
    the counts); its results keep counting conversions until the window closes.
    Finishing a finished campaign changes nothing."""
    campaign, moved = _status_move(
        actor,
        campaign,
        from_={CampaignStatus.RUNNING, CampaignStatus.PAUSED},
        to=CampaignStatus.FINISHED,
    )
    if moved:
        counts = dict(
            CampaignMember.objects.filter(campaign=campaign)
            .values_list("group")
            .annotate(count=models.Count("pk"))
            .values_list("group", "count")
        )
        event_emit(
            event=CampaignEvent.FINISHED,
            data=lambda: {
                "id": campaign.pk,
                "name": campaign.name,
                "channel": campaign.channel,
                "members": sum(counts.values()),
                "contacted": counts.get(MemberGroup.CONTACTED, 0),
                "held_out": counts.get(MemberGroup.HOLDOUT, 0),
                "set_aside": counts.get(MemberGroup.SET_ASIDE, 0),
            },
        )
    return campaign
