"""A customer's contact people and delivery addresses: created, changed and removed one
at a time, their text kept as the catalog keeps it, their number bounded, one main
contact and one default address per customer, the customer's search text and duplicate
candidates kept up to date."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from clientela.core.access import Capability
from clientela.core.models import User
from clientela.core.parsing import one_line, text_block
from clientela.core.services import actor_check, full_clean_collecting, history_as, version_claim
from clientela.core.validators import normalize_country, normalize_email, normalize_phone
from clientela.customers.models import Address, Contact, Customer
from clientela.customers.services._common import _unknown_fields
from clientela.customers.services.derived import customer_refresh_derived
from clientela.customers.services.duplicates import duplicates_refresh_for

CONTACT_FIELDS = frozenset({"name", "role", "email", "phone", "is_primary", "notes"})
ADDRESS_FIELDS = frozenset(
    {
        "label",
        "street",
        "neighborhood",
        "city",
        "region",
        "postal_code",
        "country",
        "delivery_notes",
        "is_default",
    }
)

# The most contact people and delivery addresses one customer may have.
MAX_CONTACTS = 50
MAX_ADDRESSES = 50


def _kept_text(field: str, value):
    """A contact's or an address's value as it is kept: text on one line, notes as a
    block (``core.parsing``); anything else as it is."""
    value = "" if value is None else value
    if isinstance(value, str):
        return text_block(value) if field == "notes" else one_line(value)
    return value


def _clean_contact(contact: Contact, fields: dict, exclude: Sequence[str] = ()) -> None:
    errors: dict[str, list[ValidationError | str]] = {}
    for field, value in fields.items():
        setattr(contact, field, _kept_text(field, value))
    if contact.email:
        try:
            contact.email = normalize_email(contact.email)
        except ValidationError as error:
            errors.setdefault("email", []).extend(error.error_list)
    if contact.phone:
        try:
            contact.phone = normalize_phone(contact.phone, contact.customer.country)
        except ValidationError as error:
            errors.setdefault("phone", []).extend(error.error_list)
    full_clean_collecting(contact, errors, exclude=["version", *exclude])


def _room_check(records: models.QuerySet, most: int, message: str) -> None:
    """Refuse one more of a customer's ``records`` when it has ``most`` already."""
    if records.count() >= most:
        raise ValidationError(message % {"most": most}, code="too_many")


def _single_flag(instance: Contact | Address, flag: str, actor, reason) -> None:
    """Clear ``flag`` on the customer's other rows when ``instance`` has it."""
    if getattr(instance, flag):
        others = type(instance).objects.filter(customer=instance.customer, **{flag: True})
        for other in others.exclude(pk=instance.pk):
            setattr(other, flag, False)
            history_as(other, actor, reason)
            other.save()


@transaction.atomic
def contact_create(
    *, actor: User | None, customer: Customer, reason: str = "", refresh: bool = True, **fields
) -> Contact:
    """Add a contact person to a customer."""
    actor_check(actor, Capability.CUSTOMER_EDIT, customer)
    _unknown_fields(fields, CONTACT_FIELDS)
    _room_check(
        customer.contacts.all(),
        MAX_CONTACTS,
        _("A customer has at most %(most)d contact people: remove one to add another."),
    )
    contact = Contact(customer=customer)
    _clean_contact(contact, fields)
    history_as(contact, actor, reason)
    contact.save()
    _single_flag(contact, "is_primary", actor, reason)
    if refresh:
        customer_refresh_derived(customer)
    return contact


@transaction.atomic
def contact_update(
    *, actor: User | None, contact: Contact, version: int, reason: str = "", **fields
) -> Contact:
    """Change a contact; a stale ``version`` raises ConflictError."""
    actor_check(actor, Capability.CUSTOMER_EDIT, contact.customer)
    _unknown_fields(fields, CONTACT_FIELDS)
    _clean_contact(contact, fields)
    version_claim(instance=contact, version=version)
    history_as(contact, actor, reason)
    contact.save()
    _single_flag(contact, "is_primary", actor, reason)
    customer_refresh_derived(contact.customer)
    return contact


@transaction.atomic
def contact_delete(*, actor: User | None, contact: Contact, reason: str = "") -> None:
    """Remove a contact; its history stays."""
    actor_check(actor, Capability.CUSTOMER_EDIT, contact.customer)
    customer = contact.customer
    history_as(contact, actor, reason)
    contact.delete()
    customer_refresh_derived(customer)


def _clean_address(address: Address, fields: dict, exclude: Sequence[str] = ()) -> None:
    errors: dict[str, list[ValidationError | str]] = {}
    for field, value in fields.items():
        if field != "country":
            setattr(address, field, _kept_text(field, value))
    if "country" in fields:
        try:
            address.country = normalize_country(fields["country"] or "")
        except ValidationError as error:
            errors.setdefault("country", []).extend(error.error_list)
    address.postal_code = address.postal_code.strip().upper()
    full_clean_collecting(address, errors, exclude=["version", *exclude])


@transaction.atomic
def address_create(
    *, actor: User | None, customer: Customer, reason: str = "", refresh: bool = True, **fields
) -> Address:
    """Add a delivery address; a customer's first address becomes its default."""
    actor_check(actor, Capability.CUSTOMER_EDIT, customer)
    _unknown_fields(fields, ADDRESS_FIELDS)
    _room_check(
        customer.addresses.all(),
        MAX_ADDRESSES,
        _("A customer has at most %(most)d addresses: remove one to add another."),
    )
    address = Address(customer=customer, country=customer.country)
    _clean_address(address, fields)
    if not customer.addresses.exists():
        address.is_default = True
    history_as(address, actor, reason)
    address.save()
    _single_flag(address, "is_default", actor, reason)
    if refresh:
        duplicates_refresh_for(customer=customer)
    return address


@transaction.atomic
def address_update(
    *, actor: User | None, address: Address, version: int, reason: str = "", **fields
) -> Address:
    """Change an address; a stale ``version`` raises ConflictError."""
    actor_check(actor, Capability.CUSTOMER_EDIT, address.customer)
    _unknown_fields(fields, ADDRESS_FIELDS)
    _clean_address(address, fields)
    version_claim(instance=address, version=version)
    history_as(address, actor, reason)
    address.save()
    _single_flag(address, "is_default", actor, reason)
    duplicates_refresh_for(customer=address.customer)
    return address


@transaction.atomic
def address_delete(*, actor: User | None, address: Address, reason: str = "") -> None:
    """Remove an address; its history stays. Another address becomes the default.

    An address that records were delivered to (orders) stays: it is refused.
    """
    actor_check(actor, Capability.CUSTOMER_EDIT, address.customer)
    customer = address.customer
    history_as(address, actor, reason)
    try:
        with transaction.atomic():
            address.delete()
    except ProtectedError as error:
        raise ValidationError(
            _("Orders were delivered to this address, so it stays; add the new one instead.")
        ) from error
    # A fresh query: the customer's prefetched addresses would still hold the deleted one.
    if address.is_default and (successor := Address.objects.filter(customer=customer).first()):
        successor.is_default = True
        history_as(successor, actor, reason)
        successor.save()
