"""Who a call or a letter is for: a customer's main contact and delivery address, read
from what the selectors prefetched, and the values a campaign's template sees for them
(``personalisation.VARIABLES``)."""

from django.conf import settings

from clientela.campaigns.models import Campaign, CampaignMessage
from clientela.campaigns.personalisation import message_text
from clientela.customers.models import Address, Contact, Customer, CustomerKind


def main_contact(customer: Customer) -> Contact | None:
    """The customer's main contact person, else their first one, else None (from the
    prefetched ``contacts``, in their order: the main one first)."""
    contacts = list(customer.contacts.all())
    return contacts[0] if contacts else None


def delivery_address(customer: Customer) -> Address | None:
    """The customer's default address, else their first one, else None (from the
    prefetched ``addresses``, in their order: the default one first)."""
    addresses = list(customer.addresses.all())
    return addresses[0] if addresses else None


def template_values(
    *,
    campaign: Campaign,
    name: str,
    person: bool,
    contact_name: str,
    city: str,
    owner_name: str,
    unsubscribe_url: str = "",
) -> dict[str, str]:
    """What a template of ``campaign`` sees for a customer called ``name`` (a
    ``person``, or a business): every name of ``VARIABLES`` as a plain string. The first
    name is the main contact's, else a person's own; a business without a contact is
    greeted by its whole name."""
    greeted = contact_name or name
    words = greeted.split()
    return {
        "name": name,
        "first_name": words[0] if words and (contact_name or person) else greeted,
        "contact_name": greeted,
        "city": city,
        "owner_name": owner_name,
        "offer": campaign.offer,
        "business_name": settings.CLIENTELA_BUSINESS_NAME,
        "unsubscribe_url": unsubscribe_url,
    }


def recipient_values(
    *, campaign: Campaign, customer: Customer, contact: Contact | None, address: Address | None
) -> dict[str, str]:
    """``template_values`` for a call or a letter to ``customer`` (no unsubscribe link:
    that is e-mail's)."""
    return template_values(
        campaign=campaign,
        name=customer.name,
        person=customer.kind == CustomerKind.PERSON,
        contact_name=contact.name if contact is not None else "",
        city=address.city if address is not None else "",
        owner_name=str(customer.owner) if customer.owner is not None else "",
    )


def script_text(
    *, campaign: Campaign, message: CampaignMessage | None, values: dict[str, str]
) -> str:
    """What a caller reads out to a customer: the campaign's message rendered for them,
    else its offer and objective."""
    if message is None:
        return "\n\n".join(part for part in (campaign.offer, campaign.objective) if part)
    return message_text(body=message.body, body_format=message.body_format, values=values)
