"""Sending a campaign's e-mail (decision 0016): what one member gets, a test to oneself,
and the worker's batches, each message sent at most once.

One function (``member_values``, through ``recipients.template_values`` as calls and
letters) gives the values a member's message is made of, for the preview, the test and
the real send alike. The worker (``tasks.campaign_send``)
calls ``campaign_send_batch``:

1. In one transaction it takes the next queued members of the contacted group, checks
   them again against consent and the contact limits (``contact_refusals``; who may no
   longer be mailed is marked ``refused`` with the reason) and marks the rest
   ``sending``, then commits.
2. It sends their messages over ``LANES`` connections of the app's mail backend
   (``EMAIL_URL``, else the outbox folder) at once, each in a thread of its own that
   only sends: this thread writes the messages and the outcomes.
3. Every ``FLUSH_EVERY`` messages and at the end it writes what happened, in one
   transaction per flush (dated then, a fraction of a second after the sending):
   ``sent`` with an outbound e-mail interaction on the customer's timeline (its
   source the member), ``bounced`` with the server's answer
   for a lasting refusal (5xx), back to ``queued`` for a passing one (4xx; tried again
   after ``RETRY_WAIT``, ``refused`` after ``MAX_DEFERRALS`` of them).

A member is never taken twice: a connection lost in the middle of a message leaves
that member ``unknown`` (it may have gone), and members a crash left ``sending`` for
longer than ``SENDING_TIMEOUT`` become ``unknown`` too (``members_sending_sweep``), never
sent again. Members not yet tried when the connection failed go back to the queue.
"""

from __future__ import annotations

import logging
import queue
import smtplib
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Min, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clientela.campaigns.models import (
    Campaign,
    CampaignChannel,
    CampaignMember,
    CampaignStatus,
    MemberGroup,
    MemberState,
)
from clientela.campaigns.personalisation import Message, message_render
from clientela.campaigns.recipients import template_values
from clientela.campaigns.selectors import campaign_recipient_first
from clientela.campaigns.services.messages import campaign_message_for
from clientela.campaigns.services.unsubscribe import unsubscribe_token
from clientela.core.access import AccessDenied, Capability
from clientela.core.models import User
from clientela.core.services import actor_check
from clientela.customers.models import Address, Contact, Customer, CustomerEmail, CustomerKind
from clientela.customers.selectors import customer_scope
from clientela.mail.compose import BulkEmail
from clientela.relations.models import ContactChannel, Direction
from clientela.relations.services import (
    InteractionRow,
    InteractionRowInvalid,
    contact_refusals,
    interactions_bulk_record,
)

logger = logging.getLogger(__name__)

# A member taken for sending this long ago and still ``sending`` was left by a crash.
SENDING_TIMEOUT = timedelta(minutes=15)
# A member the server put off (4xx) is tried again after this long, at most this often.
RETRY_WAIT = timedelta(minutes=5)
MAX_DEFERRALS = 3
# How many messages are sent between two writes of their outcomes.
FLUSH_EVERY = 100
# How many connections a batch sends over at once: one message is written while the
# server reads another.
LANES = 2
# The unsubscribe link of a preview or a test: a token made nowhere, which does nothing.
PREVIEW_TOKEN = "preview"


# --- what a member gets -------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """What a customer's message is made of: their name, whether they are a person,
    their language and first e-mail address, their main contact's name, their default
    address's city and their salesperson's name ("" when they have none)."""

    customer_id: int
    name: str
    person: bool
    language: str
    email: str
    contact_name: str
    city: str
    owner_name: str


def recipients_load(customer_ids: Sequence[int]) -> dict[int, Recipient]:
    """The recipients of ``customer_ids``, in four queries."""
    emails = dict(
        CustomerEmail.objects.filter(customer__in=customer_ids)
        .order_by("customer_id", "-position", "-id")
        .values_list("customer_id", "email")
    )  # the last kept per customer: its first address
    contacts = dict(
        Contact.objects.filter(customer__in=customer_ids, is_primary=True)
        .order_by("customer_id", "-id")
        .values_list("customer_id", "name")
    )
    cities = dict(
        Address.objects.filter(customer__in=customer_ids, is_default=True)
        .order_by("customer_id", "-id")
        .values_list("customer_id", "city")
    )
    found = {}
    for pk, name, kind, language, first, last, username in Customer.objects.filter(
        pk__in=customer_ids
    ).values_list(
        "pk",
        "name",
        "kind",
        "language",
        "owner__first_name",
        "owner__last_name",
        "owner__username",
    ):
        found[pk] = Recipient(
            customer_id=pk,
            name=name,
            person=kind == CustomerKind.PERSON,
            language=language,
            email=emails.get(pk, ""),
            contact_name=contacts.get(pk, ""),
            city=cities.get(pk, ""),
            owner_name=f"{first or ''} {last or ''}".strip() or username or "",
        )
    return found


def unsubscribe_url(token: str) -> str:
    """The absolute address of the unsubscribe page for ``token``."""
    return settings.CLIENTELA_BASE_URL + reverse("campaigns:unsubscribe", args=[token])


def member_values(*, campaign: Campaign, recipient: Recipient, unsubscribe: str) -> dict[str, str]:
    """``recipients.template_values`` for ``recipient``'s message."""
    return template_values(
        campaign=campaign,
        name=recipient.name,
        person=recipient.person,
        contact_name=recipient.contact_name,
        city=recipient.city,
        owner_name=recipient.owner_name,
        unsubscribe_url=unsubscribe,
    )


def member_message(*, campaign: Campaign, recipient: Recipient, unsubscribe: str) -> Message:
    """``recipient``'s message: the version in their language (else the one for
    everyone), with a footer in their language saying why they get it and how to stop
    it. Raises ValidationError when the campaign has no message for them."""
    version = campaign_message_for(campaign, recipient.language)
    if version is None:
        raise ValidationError({"messages": [_("Write the e-mail before sending it.")]})
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        footer = _(
            "You get this e-mail because you agreed to hear from %(business)s by e-mail.\n"
            "To get no more, open %(url)s"
        ) % {"business": settings.CLIENTELA_BUSINESS_NAME, "url": unsubscribe}
        return message_render(
            subject=version.subject,
            body=version.body,
            body_format=version.body_format,
            values=member_values(campaign=campaign, recipient=recipient, unsubscribe=unsubscribe),
            footer=footer,
        )


def _email(message: Message, *, to: str, subject: str, unsubscribe: str) -> BulkEmail:
    """The e-mail of ``message`` to ``to``: plain text with the HTML as an alternative,
    and the headers mail programs show an unsubscribe button for (RFC 2369, RFC 8058)."""
    email = BulkEmail(
        subject=subject,
        body=message.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    email.attach_alternative(message.html, "text/html")
    return email


def campaign_preview(*, user: User, campaign: Campaign, customer: Customer) -> Message:
    """The message ``customer`` (one ``user`` may see) would get from ``campaign``; its
    unsubscribe link does nothing."""
    if not customer_scope(user=user).filter(pk=customer.pk).exists():
        raise AccessDenied(Capability.CAMPAIGN_VIEW)
    recipient = recipients_load([customer.pk])[customer.pk]
    return member_message(
        campaign=campaign, recipient=recipient, unsubscribe=unsubscribe_url(PREVIEW_TOKEN)
    )


def campaign_test_send(
    *, actor: User, campaign: Campaign, customer: Customer | None = None
) -> Message:
    """Send ``actor`` the message ``customer`` (else the first customer the campaign
    mails) would get, its subject marked as a test; nothing is recorded. Refuses (on
    ``email``) an actor without an e-mail address or a server that does not take it,
    (on ``customer``) a campaign that mails no one."""
    actor_check(actor, Capability.CAMPAIGN_EDIT)
    if not actor.email:
        raise ValidationError(
            {"email": [_("Add your e-mail address to your profile to get a test.")]}
        )
    customer = customer or campaign_recipient_first(user=actor, campaign=campaign)
    if customer is None:
        raise ValidationError({"customer": [_("The campaign finds no one to show.")]})
    message = campaign_preview(user=actor, campaign=campaign, customer=customer)
    email = _email(
        message,
        to=actor.email,
        subject=_("[Test] %(subject)s") % {"subject": message.subject},
        unsubscribe=unsubscribe_url(PREVIEW_TOKEN),
    )
    try:
        email.connection = get_connection(fail_silently=False)
        email.send()
    except (smtplib.SMTPException, OSError, ValueError) as failure:
        raise ValidationError(
            {
                "email": [
                    _("The mail server did not take the test: %(reason)s") % {"reason": failure}
                ]
            }
        ) from failure
    return message


# --- starting and pacing ------------------------------------------------------------


def campaign_sending_next(campaign_id: int, *, paced_until: datetime) -> datetime | None:
    """When the worker should send the campaign's next batch: at ``paced_until`` (the
    end of the last batch's share of time at the campaign's rate) while members wait,
    when the first put-off member may be tried again if only those wait, or never
    (None: nothing left to send, or the campaign is not running)."""
    if not Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.RUNNING).exists():
        return None
    queued = CampaignMember.objects.filter(
        campaign_id=campaign_id, group=MemberGroup.CONTACTED, state=MemberState.QUEUED
    )
    now = timezone.now()
    if queued.filter(_ready(now)).exists():
        return paced_until
    waiting = queued.aggregate(first=Min("claimed_at"))["first"]
    return None if waiting is None else waiting + RETRY_WAIT


def _ready(now: datetime) -> Q:
    """Queued members that may be taken now: never tried, or put off long enough ago."""
    return Q(claimed_at__isnull=True) | Q(claimed_at__lte=now - RETRY_WAIT)


# --- the worker's batch -------------------------------------------------------------


def members_sending_sweep(campaign_id: int | None = None) -> int:
    """Mark ``unknown`` the members (of one campaign, else of every e-mail campaign)
    left ``sending`` by a worker that stopped; how many. They are never sent again."""
    cutoff = timezone.now() - SENDING_TIMEOUT
    campaigns: Iterable[int] = (
        [campaign_id]
        if campaign_id is not None
        else Campaign.objects.filter(channel=CampaignChannel.EMAIL)
        .exclude(status=CampaignStatus.DRAFT)
        .values_list("pk", flat=True)
    )
    swept = 0
    for pk in campaigns:
        swept += CampaignMember.objects.filter(
            Q(claimed_at__isnull=True) | Q(claimed_at__lt=cutoff),
            campaign_id=pk,
            group=MemberGroup.CONTACTED,
            state=MemberState.SENDING,
        ).update(state=MemberState.UNKNOWN)
    return swept


@transaction.atomic
def _claim(campaign_id: int, limit: int) -> list[tuple[int, int]]:
    """Take up to ``limit`` queued members of the running campaign: those who may no
    longer be mailed are marked ``refused`` with the reason, the others ``sending``
    (member id, customer id), all committed together."""
    campaign = (
        Campaign.objects.select_for_update()
        .filter(pk=campaign_id, status=CampaignStatus.RUNNING, channel=CampaignChannel.EMAIL)
        .first()
    )
    if campaign is None:
        return []
    now = timezone.now()
    candidates = list(
        CampaignMember.objects.filter(
            _ready(now),
            campaign_id=campaign_id,
            group=MemberGroup.CONTACTED,
            state=MemberState.QUEUED,
        )
        .order_by("pk")
        .values_list("pk", "customer_id")[:limit]
    )
    if not candidates:
        return []
    customer_ids = [customer for _member, customer in candidates]
    reasons = {
        pk: refusal.message
        for pk, refusal in contact_refusals(
            customer_ids, channel=ContactChannel.EMAIL, at=now
        ).items()
    }
    gone = Customer.objects.filter(pk__in=customer_ids).filter(
        Q(anonymized_at__isnull=False) | Q(merged_into__isnull=False)
    )
    for pk in gone.values_list("pk", flat=True):
        reasons[pk] = _("The customer was merged or their personal data erased.")
    refused: dict[str, list[int]] = defaultdict(list)
    claimed = []
    for member, customer in candidates:
        if customer in reasons:
            refused[str(reasons[customer])].append(member)
        else:
            claimed.append((member, customer))
    for reason, members in refused.items():
        CampaignMember.objects.filter(pk__in=members).update(
            state=MemberState.REFUSED, error=reason, claimed_at=now
        )
    CampaignMember.objects.filter(pk__in=[member for member, _customer in claimed]).update(
        state=MemberState.SENDING, claimed_at=now
    )
    return claimed


@dataclass(frozen=True)
class _Outcome:
    member_id: int
    customer_id: int
    state: str  # sent, bounced, refused, unknown, or queued (put off)
    at: datetime
    subject: str = ""
    error: str = ""


def _answer(code: int, answer: bytes | str) -> str:
    text = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
    return f"{code} {text}"


def _send_one(connection, email: EmailMultiAlternatives) -> tuple[str, str]:
    """Send one message; its state and the server's answer when it was not taken.
    Raises what says the connection is gone (the message may or may not have gone)."""
    answer: bytes | str
    try:
        connection.send_messages([email])
    except smtplib.SMTPRecipientsRefused as refusal:
        code, answer = next(iter(refusal.recipients.values()))
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as refusal:
        code, answer = refusal.smtp_code, refusal.smtp_error
    except ValueError as refusal:  # an address the message cannot be written to
        return MemberState.REFUSED, str(refusal)
    else:
        return MemberState.SENT, ""
    return (MemberState.BOUNCED if code >= 500 else MemberState.QUEUED), _answer(code, answer)


@dataclass(frozen=True)
class _Job:
    member_id: int
    customer_id: int
    subject: str
    email: BulkEmail


def _lane(jobs: queue.SimpleQueue, results: queue.SimpleQueue, stop: threading.Event) -> None:
    """One connection's share of a batch: send the jobs it takes until there are none
    (``None``), its connection fails or ``stop`` is set; each outcome onto ``results``
    as (job, state, error). A job met by an unforeseen error is put as (job, None, …):
    it stays ``sending``."""
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as failure:
        logger.warning("a campaign's mail server cannot be reached: %s", failure)
        return
    try:
        while not stop.is_set():
            job = jobs.get()
            if job is None:
                break
            try:
                state, error = _send_one(connection, job.email)
            except (smtplib.SMTPException, OSError) as failure:
                logger.warning("a campaign's connection failed: %s", failure)
                results.put((job, MemberState.UNKNOWN, str(failure)))
                break
            except Exception as failure:
                results.put((job, None, failure))
                stop.set()
                break
            results.put((job, state, error))
    finally:
        try:
            connection.close()
        except (smtplib.SMTPException, OSError):
            logger.warning("a campaign's connection did not close cleanly")


def campaign_send_batch(campaign_id: int, *, limit: int) -> int:
    """Send the next (at most ``limit``) messages of a running e-mail campaign, each at
    most once (see the module), over ``LANES`` connections at once while this thread
    writes the next messages and the outcomes; how many the server took."""
    members_sending_sweep(campaign_id)
    claimed = _claim(campaign_id, limit)
    if not claimed:
        return 0
    campaign = Campaign.objects.prefetch_related("messages").get(pk=campaign_id)
    recipients = recipients_load([customer for _member, customer in claimed])
    jobs: queue.SimpleQueue = queue.SimpleQueue()
    results: queue.SimpleQueue = queue.SimpleQueue()
    stop = threading.Event()
    lanes = [
        threading.Thread(target=_lane, args=(jobs, results, stop), daemon=True)
        for _lane_number in range(LANES)
    ]
    for lane in lanes:
        lane.start()
    outcomes: list[_Outcome] = []
    handled: set[int] = set()
    taken = 0
    crash: BaseException | None = None

    def collect(block: bool) -> None:
        nonlocal taken, crash
        while True:
            try:
                job, state, error = results.get(block=block, timeout=0.05)
            except queue.Empty:
                return
            handled.add(job.member_id)
            if state is None:  # stays ``sending``
                crash = crash or error
                continue
            outcomes.append(
                _Outcome(job.member_id, job.customer_id, state, timezone.now(), job.subject,
                         error)
            )  # fmt: skip
            taken += state == MemberState.SENT

    try:
        for member_id, customer_id in claimed:
            if stop.is_set() or not any(lane.is_alive() for lane in lanes):
                break
            recipient = recipients.get(customer_id)
            if recipient is None or not recipient.email:
                handled.add(member_id)
                outcomes.append(
                    _Outcome(member_id, customer_id, MemberState.REFUSED, timezone.now(),
                             error=_("The customer has no e-mail address any more."))
                )  # fmt: skip
                continue
            link = unsubscribe_url(unsubscribe_token(CampaignMember(pk=member_id)))
            message = member_message(campaign=campaign, recipient=recipient, unsubscribe=link)
            email = _email(message, to=recipient.email, subject=message.subject, unsubscribe=link)
            jobs.put(_Job(member_id, customer_id, message.subject, email))
            collect(block=False)
            if len(outcomes) >= FLUSH_EVERY:
                _outcomes_record(campaign, outcomes)
                outcomes = []
    except BaseException:
        stop.set()
        raise
    finally:
        for _lane_number in lanes:
            jobs.put(None)
        while any(lane.is_alive() for lane in lanes):
            collect(block=True)
            if len(outcomes) >= FLUSH_EVERY:
                _outcomes_record(campaign, outcomes)
                outcomes = []
        for lane in lanes:
            lane.join()
        collect(block=False)
        _outcomes_record(campaign, outcomes)
        # Members not tried wait for the next batch; one being sent when an unforeseen
        # error struck stays ``sending``, to become ``unknown``.
        _release([member for member, _customer in claimed if member not in handled])
    if crash is not None:
        raise crash
    return taken


def _release(members: list[int]) -> None:
    """Put members taken but not tried back in the queue (tried again after
    ``RETRY_WAIT``)."""
    if members:
        CampaignMember.objects.filter(pk__in=members, state=MemberState.SENDING).update(
            state=MemberState.QUEUED
        )


@transaction.atomic
def _outcomes_record(campaign: Campaign, outcomes: list[_Outcome]) -> None:
    """Write what happened to each member still ``sending`` (a sweep may have given up
    on one) and, for the messages sent, one interaction each: the members sent and
    their interactions in a few statements, dated when they are written (within a
    flush of their sending); the rare others one by one."""
    if not outcomes:
        return
    still = dict(
        CampaignMember.objects.select_for_update()
        .filter(pk__in=[outcome.member_id for outcome in outcomes], state=MemberState.SENDING)
        .values_list("pk", "deferrals")
    )
    now = timezone.now()
    sent = [o for o in outcomes if o.state == MemberState.SENT and o.member_id in still]
    CampaignMember.objects.filter(pk__in=[outcome.member_id for outcome in sent]).update(
        state=MemberState.SENT, contacted_at=now, error=""
    )
    for outcome in outcomes:
        if outcome.state == MemberState.SENT or outcome.member_id not in still:
            continue
        deferrals = still[outcome.member_id] + (outcome.state == MemberState.QUEUED)
        state = outcome.state
        if state == MemberState.QUEUED and deferrals >= MAX_DEFERRALS:
            state = MemberState.REFUSED
        CampaignMember.objects.filter(pk=outcome.member_id).update(
            state=state, error=outcome.error, deferrals=deferrals
        )
    source_type = ContentType.objects.get_for_model(CampaignMember).pk
    rows = [
        InteractionRow(
            customer_id=outcome.customer_id,
            channel=ContactChannel.EMAIL,
            direction=Direction.OUTBOUND,
            at=now,
            staff_id=campaign.launched_by_id,
            subject=outcome.subject[:200],
            source_type_id=source_type,
            source_id=outcome.member_id,
        )
        for outcome in sent
    ]
    while rows:
        try:
            interactions_bulk_record(actor=None, rows=rows)
        except InteractionRowInvalid as refusal:
            # A customer merged or erased since the batch took them: the message went,
            # but there is no live customer to note it on.
            rows = rows[: refusal.index] + rows[refusal.index + 1 :]
        else:
            break
