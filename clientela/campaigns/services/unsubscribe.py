"""Unsubscribing from a campaign's e-mail: the signed link each message carries, and
what using it does — the customer's e-mail consent withdrawn through the customers'
service (their history shows it, with the campaign), once; a second use changes
nothing."""

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.campaigns.models import CampaignMember
from clientela.customers.services import customer_update

SALT = "clientela.campaigns.unsubscribe"


def unsubscribe_token(member: CampaignMember) -> str:
    """The secret part of ``member``'s unsubscribe link."""
    return signing.dumps(member.pk, salt=SALT, compress=False)


def unsubscribe_member(token: str) -> CampaignMember | None:
    """The member a token was made for, or None for a token that was not made here."""
    try:
        pk = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return (
        CampaignMember.objects.select_related("customer", "campaign").filter(pk=pk).first()
        if isinstance(pk, int)
        else None
    )


@transaction.atomic
def member_unsubscribe(member: CampaignMember) -> bool:
    """Withdraw the member's customer's consent to e-mail, as asked through the
    campaign's link; whether anything changed (not the second time)."""
    member = CampaignMember.objects.select_for_update().select_related("campaign").get(pk=member.pk)
    if member.unsubscribed_at is not None:
        return False
    member.unsubscribed_at = timezone.now()
    member.save(update_fields=["unsubscribed_at"])
    customer = member.customer
    if customer.consent_email:
        customer_update(
            actor=None,
            customer=customer,
            version=customer.version,
            consent_email=False,
            reason=_("Unsubscribed from the campaign “%(name)s”.") % {"name": member.campaign.name},
        )
    return True
