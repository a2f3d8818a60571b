"""Consent and contact pressure: whether one more outbound contact with a customer may
happen (decision 0015).

Side-effect free, like ``orders.rules``: the caller gives the customer's consents, the
contacts already counted and the owner's limits, and gets back the refusal or ``None``.
``services.contact_check`` asks about one contact; an import's dry run asks about each
row of a chunk with the counts it keeps as it goes, so both refuse for the same reason
in the same words.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.relations.models import ContactChannel

# The customer's consent each channel needs; channels not named need none (in person,
# at an event, a web form or a social network the customer chose to use).
CONSENTS: dict[str, str] = {
    ContactChannel.PHONE: "consent_phone",
    ContactChannel.EMAIL: "consent_email",
    ContactChannel.SMS: "consent_sms",
    ContactChannel.WHATSAPP: "consent_sms",
    ContactChannel.MAIL: "consent_mail",
}


@dataclass(frozen=True)
class Limit:
    """At most ``max_contacts`` outbound contacts in ``days`` days, on ``channel`` or,
    blank, on all channels together."""

    max_contacts: int
    days: int
    channel: str = ""

    def covers(self, channel: str) -> bool:
        """Whether a contact on ``channel`` counts against this limit."""
        return not self.channel or self.channel == channel


@dataclass(frozen=True)
class Refusal:
    """Why a contact may not happen: ``field`` is what to change (the channel for a
    consent; an override reason for a limit, which ``overridable`` says may be given)."""

    field: str
    message: str
    overridable: bool


def _consent_label(field: str) -> str:
    labels = {
        "consent_phone": _("agrees to calls"),
        "consent_email": _("agrees to e-mail"),
        "consent_sms": _("agrees to SMS and WhatsApp"),
        "consent_mail": _("agrees to direct mail"),
    }
    return labels[field]


def consent_refusal(
    *, consents: Mapping[str, bool], channel: str, replying: bool
) -> Refusal | None:
    """The refusal of an outbound contact on ``channel`` without the customer's consent
    to it, unless ``replying`` (the customer contacted us on it lately)."""
    field = CONSENTS.get(channel)
    if field is None or consents.get(field) or replying:
        return None
    return Refusal(
        "channel",
        _(
            "The customer has not agreed to be contacted this way: “%(consent)s” is not "
            "ticked on their record. Choose another channel, or wait for them to contact "
            "you on this one."
        )
        % {"consent": _consent_label(field)},
        overridable=False,
    )


def _day(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT")


def _channel_label(channel: str) -> str:
    return str(ContactChannel(channel).label)


def limit_refusal(
    *,
    contacts: Iterable[tuple[str, datetime]],
    limits: Iterable[Limit],
    channel: str,
    at: datetime,
) -> Refusal | None:
    """The refusal of an outbound contact on ``channel`` at ``at`` that would put more
    than a limit's contacts in some ``days``-long window, given the customer's other
    outbound contacts (done or planned) as ``(channel, when)``.

    Every window of the limit's length that holds ``at`` is checked, so a contact is
    refused both for the contacts before it and for those planned after it.
    """
    contacts = list(contacts)
    for limit in limits:
        if not limit.covers(channel):
            continue
        span = timedelta(days=limit.days)
        times = sorted(
            when for ch, when in contacts if limit.covers(ch) and at - span < when < at + span
        )
        starts = [when for when in times if when <= at] + [at]
        for start in starts:
            inside = [when for when in times if start <= when < start + span]
            if len(inside) + 1 > limit.max_contacts:
                return _limit_message(limit, inside, span)
    return None


def _limit_message(limit: Limit, inside: list[datetime], span: timedelta) -> Refusal:
    if limit.channel:
        rule = ngettext(
            "At most %(max)d outbound contact by %(channel)s in %(days)d days.",
            "At most %(max)d outbound contacts by %(channel)s in %(days)d days.",
            limit.max_contacts,
        ) % {
            "max": limit.max_contacts,
            "channel": _channel_label(limit.channel),
            "days": limit.days,
        }
    else:
        rule = ngettext(
            "At most %(max)d outbound contact in %(days)d days.",
            "At most %(max)d outbound contacts in %(days)d days.",
            limit.max_contacts,
        ) % {"max": limit.max_contacts, "days": limit.days}
    counted = ngettext(
        "This customer has %(count)d, done or planned, from %(first)s to %(last)s;",
        "This customer has %(count)d, done or planned, from %(first)s to %(last)s;",
        len(inside),
    ) % {"count": len(inside), "first": _day(inside[0]), "last": _day(inside[-1])}
    frees = _("the next one fits from %(day)s. To go ahead anyway, give a reason.") % {
        "day": _day(inside[0] + span)
    }
    return Refusal("override_reason", f"{rule} {counted} {frees}", overridable=True)
