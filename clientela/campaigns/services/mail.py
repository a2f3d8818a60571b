"""Direct mail: the files a mail campaign is printed from, and its posting.

The mail-merge rows, the labels and the letters are made for the contacted group only
(never the hold-out nor those set aside), as often as one likes: a download is not a
posting. The labels and the letters come in parts of ``PRINT_PART`` members, by
customer name: a part's PDF is made in seconds while the page waits, however large the
campaign, and part N of the labels goes with part N of the letters.

``mail_posted`` ("Mark as posted") is the posting: it checks each waiting member's
consent and contact limits at that moment, records one outbound mail interaction per
member posted (in bulk, the member as its source) and marks them sent; those refused
then are marked refused with the reason, and their letters should stay home.
"""

from collections.abc import Iterator

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from clientela.campaigns.mailing import (
    LABEL_SHEETS,
    PAPERS,
    Letter,
    MailRow,
    labels_pdf,
    letters_pdf,
    mail_row,
)
from clientela.campaigns.models import (
    Campaign,
    CampaignChannel,
    CampaignMember,
    CampaignStatus,
    MemberGroup,
    MemberState,
)
from clientela.campaigns.personalisation import message_text
from clientela.campaigns.recipients import delivery_address, main_contact, recipient_values
from clientela.campaigns.selectors import mail_recipients
from clientela.campaigns.services._common import maker_check
from clientela.campaigns.services.calls import channel_check
from clientela.core.models import User
from clientela.core.sql import AmongIds
from clientela.customers.models import Customer
from clientela.customers.selectors import customer_scope
from clientela.relations.models import ContactChannel, Direction
from clientela.relations.services import InteractionRow, contact_refusals, interactions_bulk_record

LAUNCHED: set[str] = {CampaignStatus.RUNNING, CampaignStatus.PAUSED, CampaignStatus.FINISHED}
READ_CHUNK = 1000
PRINT_PART = 2000


def _members(user: User, campaign: Campaign):
    channel_check(campaign, CampaignChannel.MAIL, LAUNCHED)
    return mail_recipients(campaign).filter(customer__in=customer_scope(user=user))


def mail_parts(*, user: User, campaign: Campaign) -> list[tuple[int, int]]:
    """The parts a mail campaign's labels and letters are printed in: the first and the
    last member of each (counted from 1), one part for none."""
    count = _members(user, campaign).count()
    return [
        (first + 1, min(first + PRINT_PART, count)) for first in range(0, max(count, 1), PRINT_PART)
    ]


def _part(user: User, campaign: Campaign, part: int):
    """The members of the part numbered ``part`` (from 1); ValidationError on ``part``
    for a number the campaign has no part for."""
    members = _members(user, campaign)
    parts = len(mail_parts(user=user, campaign=campaign))
    if not 1 <= part <= parts:
        raise ValidationError(
            {"part": [_("Choose a part from 1 to %(parts)d.") % {"parts": parts}]}
        )
    return members[(part - 1) * PRINT_PART : part * PRINT_PART]


def mail_rows(*, user: User, campaign: Campaign) -> Iterator[MailRow]:
    """The delivery of each member a mail campaign's letters go to, among the customers
    ``user`` may see, read a chunk at a time. Raises ValidationError at once for a
    campaign that is not a launched mail campaign."""
    members = _members(user, campaign)
    return (mail_row(member) for member in members.iterator(chunk_size=READ_CHUNK))


def mail_labels(*, user: User, campaign: Campaign, sheet: str, part: int = 1) -> bytes:
    """The PDF of a mail campaign's address labels on ``sheet`` (a key of
    ``LABEL_SHEETS``; another raises ValidationError on ``sheet``), for its members of
    part ``part``."""
    if sheet not in LABEL_SHEETS:
        raise ValidationError(
            {
                "sheet": [
                    _("Choose a label sheet: %(sheets)s.") % {"sheets": ", ".join(LABEL_SHEETS)}
                ]
            }
        )
    home = settings.CLIENTELA_DEFAULT_COUNTRY
    members = _part(user, campaign, part).iterator(chunk_size=READ_CHUNK)
    addresses = (mail_row(member).address_lines(home) for member in members)
    return labels_pdf(addresses, sheet=LABEL_SHEETS[sheet], title=campaign.name)


def _date_in(language: str, cache: dict[str, str]) -> str:
    if language not in cache:
        with translation.override(language or None):
            cache[language] = formats.date_format(timezone.localdate(), "DATE_FORMAT")
    return cache[language]


def mail_letters(*, user: User, campaign: Campaign, paper: str, part: int = 1) -> bytes:
    """The PDF of a mail campaign's letters on ``paper`` ("a4" or "letter"), one per
    member of part ``part``, in the member's language and personalised. Raises
    ValidationError on ``messages`` when the campaign has no letter for a member's
    language (nor one for everyone), on ``paper`` for another paper, on ``part`` for a
    part it has not."""
    if paper not in PAPERS:
        raise ValidationError(
            {"paper": [_("Choose the paper: %(papers)s.") % {"papers": ", ".join(PAPERS)}]}
        )
    members = _members(user, campaign)
    by_language = {message.language: message for message in campaign.messages.all()}
    if "" not in by_language:
        languages = set(
            members.prefetch_related(None)
            .order_by()
            .values_list("customer__language", flat=True)
            .distinct()
        )
        missing = sorted(languages - set(by_language))
        if missing or not by_language:
            raise ValidationError(
                {
                    "messages": [
                        _("Write the letter first (missing: %(languages)s).")
                        % {"languages": ", ".join(missing) or _("every language")}
                    ]
                }
            )
    home = settings.CLIENTELA_DEFAULT_COUNTRY
    dates: dict[str, str] = {}
    printed = _part(user, campaign, part)

    def letters() -> Iterator[Letter]:
        for member in printed.iterator(chunk_size=READ_CHUNK):
            customer = member.customer
            message = by_language.get(customer.language) or by_language[""]
            values = recipient_values(
                campaign=campaign,
                customer=customer,
                contact=main_contact(customer),
                address=delivery_address(customer),
            )
            yield Letter(
                address=mail_row(member).address_lines(home),
                date=_date_in(customer.language, dates),
                body=message_text(
                    body=message.body, body_format=message.body_format, values=values
                ),
            )

    return letters_pdf(
        letters(),
        paper=PAPERS[paper],
        sender=[settings.CLIENTELA_BUSINESS_NAME],
        title=campaign.name,
    )


@transaction.atomic
def mail_posted(*, actor: User | None, campaign: Campaign) -> dict[str, int]:
    """Mark a running mail campaign's waiting members as posted (its maker or the
    owner): each one's consent and contact limits are checked now; those who pass get an
    outbound mail interaction and are sent, the others are refused with the reason.
    Returns how many were ``sent`` and ``refused``; a second time finds nobody waiting."""
    maker_check(actor, campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    channel_check(campaign, CampaignChannel.MAIL, {CampaignStatus.RUNNING})
    waiting = list(
        CampaignMember.objects.select_for_update()
        .filter(campaign=campaign, group=MemberGroup.CONTACTED, state=MemberState.QUEUED)
        .order_by("pk")
        .values_list("pk", "customer_id")
    )
    customers = [customer for _pk, customer in waiting]
    gone: dict[int, str] = {}
    for pk, merged, erased in (
        Customer.objects.select_for_update()  # locked, as contact_check does
        .filter(AmongIds("pk", customers))
        .values_list("pk", "merged_into_id", "anonymized_at")
    ):
        if merged or erased:
            gone[pk] = (
                _("This customer's personal data was erased.")
                if erased
                else _("This customer was merged into another; use that one.")
            )
    now = timezone.now()
    open_customers = [customer for customer in customers if customer not in gone]
    reasons = gone | {
        customer: str(refusal.message)
        for customer, refusal in contact_refusals(
            open_customers, channel=ContactChannel.MAIL, at=now
        ).items()
    }
    posted = [(pk, customer) for pk, customer in waiting if customer not in reasons]
    source = ContentType.objects.get_for_model(CampaignMember).pk
    interactions_bulk_record(
        actor=actor,
        rows=[
            InteractionRow(
                customer_id=customer,
                channel=ContactChannel.MAIL,
                direction=Direction.OUTBOUND,
                at=now,
                subject=campaign.name,
                source_type_id=source,
                source_id=pk,
            )
            for pk, customer in posted
        ],
    )
    sent = [pk for pk, _customer in posted]
    CampaignMember.objects.filter(AmongIds("pk", sent)).update(
        state=MemberState.SENT, contacted_at=now
    )
    refused: dict[str, list[int]] = {}
    for pk, customer in waiting:
        if customer in reasons:
            refused.setdefault(reasons[customer], []).append(pk)
    for reason, pks in refused.items():
        CampaignMember.objects.filter(AmongIds("pk", pks)).update(
            state=MemberState.REFUSED, error=reason
        )
    return {"sent": len(sent), "refused": len(waiting) - len(sent)}
