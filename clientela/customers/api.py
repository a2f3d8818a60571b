"""REST endpoints of the customer catalog: customers, contacts, addresses, duplicates
and privacy. Handlers parse, call a service or selector, and shape the answer.

Mounted at ``/api/v1/customers`` by the composition root.
"""

from datetime import date, datetime
from typing import Any, Literal, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from clientela.core.access import Capability, limited_to_own_customers, require
from clientela.core.api import Day, Whole, WriteSchema, etag, fields_renamed, version_required
from clientela.core.models import User
from clientela.core.pagination import CappedPageNumberPagination
from clientela.customers import selectors, services
from clientela.customers.models import Address, Contact, Customer, DuplicateCandidate
from clientela.customers.timeline import (
    TimelineCursor,
    TimelinePage,
    customer_timeline,
    timeline_kinds,
)

router = Router(tags=["customers"])

Versioned = TypeVar("Versioned", Contact, Address)

MAX_PAGE_SIZE = 100

# Service errors name model fields; the API names them as its clients send them.
API_FIELD_NAMES = {
    "owner": "owner_id",
    "referred_by": "referred_by_id",
    "survivor": "survivor_id",
    "duplicate": "duplicate_id",
}


# --- schemas --------------------------------------------------------------------------


class ContactCreate(WriteSchema):
    name: str
    role: str = ""
    email: str = ""
    phone: str = ""
    is_primary: bool = False
    notes: str = ""


class ContactPatch(WriteSchema):
    """Only the fields sent change; ``version`` (or If-Match) is the version read."""

    version: Whole | None = None
    name: str | None = None
    role: str | None = None
    email: str | None = None
    phone: str | None = None
    is_primary: bool | None = None
    notes: str | None = None


class ContactOut(Schema):
    id: int
    customer_id: int
    name: str
    role: str
    email: str
    phone: str
    is_primary: bool
    notes: str
    version: int
    created_at: datetime
    updated_at: datetime


class AddressCreate(WriteSchema):
    street: str
    city: str
    label: str = ""
    neighborhood: str = ""
    region: str = ""
    postal_code: str = ""
    country: str | None = None
    delivery_notes: str = ""
    is_default: bool = False


class AddressPatch(WriteSchema):
    """Only the fields sent change; ``version`` (or If-Match) is the version read."""

    version: Whole | None = None
    street: str | None = None
    city: str | None = None
    label: str | None = None
    neighborhood: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    delivery_notes: str | None = None
    is_default: bool | None = None


class AddressOut(Schema):
    id: int
    customer_id: int
    label: str
    street: str
    neighborhood: str
    city: str
    region: str
    postal_code: str
    country: str
    delivery_notes: str
    is_default: bool
    version: int
    created_at: datetime
    updated_at: datetime


class CustomerPatch(WriteSchema):
    """Only the fields sent change; e-mails, phones and tags, when sent, replace the lists.

    ``version`` (or an If-Match header) is the version the client read.
    """

    version: Whole | None = None
    name: str | None = None
    kind: str | None = None
    legal_name: str | None = None
    tax_id: str | None = None
    external_id: str | None = None
    customer_since: Day | None = None
    country: str | None = None
    owner_id: Whole | None = None
    source: str | None = None
    referred_by_id: Whole | None = None
    consent_email: bool | None = None
    consent_phone: bool | None = None
    consent_sms: bool | None = None
    consent_mail: bool | None = None
    preferred_channel: str | None = None
    language: str | None = None
    notes: str | None = None
    emails: list[str] | None = None
    phones: list[str] | None = None
    tags: list[str] | None = None


class CustomerCreate(WriteSchema):
    """A new customer; country and language default to the business's own; without a
    name, its legal name is its name."""

    name: str = ""
    kind: str = "business"
    legal_name: str = ""
    tax_id: str = ""
    external_id: str = ""
    customer_since: Day | None = None
    country: str | None = None
    owner_id: Whole | None = None
    source: str = ""
    referred_by_id: Whole | None = None
    consent_email: bool = False
    consent_phone: bool = False
    consent_sms: bool = False
    consent_mail: bool = False
    preferred_channel: str = ""
    language: str | None = None
    notes: str = ""
    emails: list[str] = []
    phones: list[str] = []
    tags: list[str] = []
    contacts: list[ContactCreate] = []
    addresses: list[AddressCreate] = []


class CustomerOut(Schema):
    id: int
    name: str
    kind: str
    legal_name: str
    tax_id: str
    tax_id_type: str
    external_id: str
    customer_since: date | None
    country: str
    emails: list[str]
    phones: list[str]
    tags: list[str]
    owner_id: int | None
    source: str
    referred_by_id: int | None
    consent_email: bool
    consent_phone: bool
    consent_sms: bool
    consent_mail: bool
    preferred_channel: str
    language: str
    notes: str
    version: int
    created_at: datetime
    updated_at: datetime
    merged_into_id: int | None
    anonymized_at: datetime | None

    @staticmethod
    def resolve_emails(obj: Customer) -> list[str]:
        return [row.email for row in selectors.customer_children(obj, "emails")]

    @staticmethod
    def resolve_phones(obj: Customer) -> list[str]:
        return [row.number for row in selectors.customer_children(obj, "phones")]

    @staticmethod
    def resolve_tags(obj: Customer) -> list[str]:
        return selectors.customer_tags(customer=obj)


class CustomerDetail(CustomerOut):
    contacts: list[ContactOut]
    addresses: list[AddressOut]

    @staticmethod
    def resolve_contacts(obj: Customer) -> list[Contact]:
        return list(obj.contacts.all())

    @staticmethod
    def resolve_addresses(obj: Customer) -> list[Address]:
        return list(obj.addresses.all())


class CustomerFilters(Schema):
    search: str = ""
    tag: str = ""
    owner: Whole | None = None
    source: str = ""
    city: str = ""
    ordering: Literal["name", "-name", "created", "-created"] = "name"


class FieldChangeOut(Schema):
    field: str
    old: str
    new: str


class HistoryEntryOut(Schema):
    when: datetime
    who: str
    action: str
    subject: str
    reason: str
    changes: list[FieldChangeOut]


class TimelineItemOut(Schema):
    when: datetime
    kind: str
    id: int = Field(alias="key")
    title: str
    label: str
    who: str
    reason: str
    text: str
    changes: list[FieldChangeOut]


class TimelineOut(Schema):
    """A page of a customer's timeline; ``next`` is the ``before`` of the next page."""

    items: list[TimelineItemOut]
    next: str | None


class CustomerRef(Schema):
    id: int
    name: str


class DuplicateOut(Schema):
    id: int
    customer: CustomerRef
    other: CustomerRef
    reasons: list[str]
    reason_labels: list[str]
    score: float
    found_at: datetime

    @staticmethod
    def resolve_reason_labels(obj: DuplicateCandidate) -> list[str]:
        return obj.reason_labels()


class DuplicateFilters(Schema):
    customer: Whole | None = None


class MergeIn(WriteSchema):
    survivor_id: Whole
    duplicate_id: Whole
    reason: str = ""


class ReasonIn(WriteSchema):
    reason: str = ""


# --- helpers ----------------------------------------------------------------------------


def _references(
    user: User, data: dict[str, Any], customer: Customer | None = None
) -> dict[str, Any]:
    """Replace ``owner_id`` and ``referred_by_id`` by the records the services take: an
    owner the customer may be given (an active user, or its present owner; only
    themselves for a salesperson limited to their own customers, whom an unknown id and
    another user's answer alike), a referrer among the customers the user may see."""
    errors: dict[str, str] = {}
    if "owner_id" in data:
        owner_id = data.pop("owner_id")
        if owner_id is None:
            data["owner"] = None
        elif limited_to_own_customers(user):
            data["owner"] = user
            if owner_id != user.pk:
                errors["owner_id"] = _("You may make only yourself the owner of a customer.")
        else:
            choices = selectors.customer_owner_choices(current=customer)
            data["owner"] = choices.filter(pk=owner_id).first()
            if data["owner"] is None:
                errors["owner_id"] = _("There is no active user #%(id)s.") % {"id": owner_id}
    if "referred_by_id" in data:
        referrer_id = data.pop("referred_by_id")
        data["referred_by"] = (
            None
            if referrer_id is None
            else selectors.customer_scope(user=user).filter(pk=referrer_id).first()
        )
        if referrer_id is not None and data["referred_by"] is None:
            errors["referred_by_id"] = _("There is no customer #%(id)s.") % {"id": referrer_id}
    if errors:
        raise ValidationError(errors)
    return data


def _customer_detail(request: HttpRequest, response: HttpResponse, customer_id: int) -> Customer:
    customer = selectors.customer_get(user=request.auth, pk=customer_id)
    response["ETag"] = etag(customer.version)
    return customer


def _versioned(response: HttpResponse, record: Versioned) -> Versioned:
    response["ETag"] = etag(record.version)
    return record


# --- customers ---------------------------------------------------------------------------


@router.get("", response=list[CustomerOut])
@paginate(
    CappedPageNumberPagination, page_size=settings.CLIENTELA_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE
)
def customer_list(request: HttpRequest, filters: Query[CustomerFilters]) -> QuerySet[Customer]:
    """Customers matching the search and filters, a page at a time."""
    return selectors.customer_list(user=request.auth, **filters.dict())


@router.post("", response={201: CustomerDetail})
def customer_create(
    request: HttpRequest, response: HttpResponse, payload: CustomerCreate
) -> Customer:
    """Create a customer, with its contacts and addresses if given."""
    require(request.auth, Capability.CUSTOMER_EDIT)
    data = _references(request.auth, payload.dict(exclude_unset=True))
    with fields_renamed(API_FIELD_NAMES):
        customer = services.customer_create(actor=request.auth, **data)
    response["Location"] = reverse("api:customer_get", kwargs={"customer_id": customer.pk})
    return _customer_detail(request, response, customer.pk)


@router.get("/{int:customer_id}", response=CustomerDetail)
def customer_get(request: HttpRequest, response: HttpResponse, customer_id: Whole) -> Customer:
    """One customer with contacts and addresses; the ETag header carries its version."""
    return _customer_detail(request, response, customer_id)


@router.patch("/{int:customer_id}", response=CustomerDetail)
def customer_update(
    request: HttpRequest, response: HttpResponse, customer_id: Whole, payload: CustomerPatch
) -> Customer:
    """Change a customer. Needs the version read (``version`` or If-Match): 428 without
    it, 409 if someone changed the customer since."""
    customer = selectors.customer_get(user=request.auth, pk=customer_id)
    require(request.auth, Capability.CUSTOMER_EDIT)
    data = payload.dict(exclude_unset=True)
    version = version_required(request, data.pop("version", None))
    data = _references(request.auth, data, customer)
    with fields_renamed(API_FIELD_NAMES):
        services.customer_update(actor=request.auth, customer=customer, version=version, **data)
    return _customer_detail(request, response, customer_id)


@router.get("/{int:customer_id}/history", response=list[HistoryEntryOut])
def customer_history(request: HttpRequest, customer_id: Whole) -> list[selectors.HistoryEntry]:
    """Every change to the customer and its records, newest first."""
    customer = selectors.customer_get(user=request.auth, pk=customer_id)
    return selectors.customer_history(customer=customer)


@router.get("/{int:customer_id}/timeline", response=TimelineOut)
def customer_timeline_get(
    request: HttpRequest, customer_id: Whole, kind: Query[list[str]] = None, before: str = ""
) -> TimelinePage:
    """A page of everything that happened to the customer, newest first: changes,
    orders, contacts, activities, opportunities, notes (``kind`` repeated to choose);
    ``before`` is the ``next`` of the page read last."""
    customer = selectors.customer_get(user=request.auth, pk=customer_id)
    unknown = sorted(set(kind or ()) - {known for known, _label in timeline_kinds()})
    if unknown:
        raise ValidationError(
            {"kind": [_("Unknown kind: %(kinds)s.") % {"kinds": ", ".join(unknown)}]}
        )
    if before and TimelineCursor.decode(before) is None:
        raise ValidationError({"before": [_("Use the “next” of the page read last.")]})
    return customer_timeline(customer=customer, user=request.auth, kinds=kind, before=before)


@router.get("/{int:customer_id}/personal-data", response=dict[str, Any])
def customer_personal_data(request: HttpRequest, customer_id: Whole) -> dict[str, Any]:
    """Everything personal kept about the customer (owner only)."""
    require(request.auth, Capability.CUSTOMER_PRIVACY)
    customer = selectors.customer_get(user=request.auth, pk=customer_id)
    return selectors.customer_personal_data(customer=customer)


@router.post("/{int:customer_id}/anonymize", response=CustomerDetail)
def customer_anonymize(
    request: HttpRequest,
    response: HttpResponse,
    customer_id: Whole,
    payload: ReasonIn | None = None,
) -> Customer:
    """Erase the customer's personal data, keeping its sales figures (owner only)."""
    customer = selectors.customer_get(user=request.auth, pk=customer_id)
    reason = payload.reason if payload else ""
    services.customer_anonymize(actor=request.auth, customer=customer, reason=reason)
    return _customer_detail(request, response, customer_id)


# --- contacts ------------------------------------------------------------------------------


@router.get("/{int:customer_id}/contacts", response=list[ContactOut])
def contact_list(request: HttpRequest, customer_id: Whole) -> list[Contact]:
    """The customer's contact people, main contact first."""
    return list(selectors.customer_get(user=request.auth, pk=customer_id).contacts.all())


@router.post("/{int:customer_id}/contacts", response={201: ContactOut})
def contact_create(
    request: HttpRequest, response: HttpResponse, customer_id: Whole, payload: ContactCreate
) -> Contact:
    """Add a contact person to the customer."""
    customer = selectors.customer_get(user=request.auth, pk=customer_id)
    contact = services.contact_create(
        actor=request.auth, customer=customer, **payload.dict(exclude_unset=True)
    )
    return _versioned(response, contact)


@router.get("/contacts/{int:contact_id}", response=ContactOut)
def contact_get(request: HttpRequest, response: HttpResponse, contact_id: Whole) -> Contact:
    """One contact; the ETag header carries its version."""
    return _versioned(response, selectors.contact_get(user=request.auth, pk=contact_id))


@router.patch("/contacts/{int:contact_id}", response=ContactOut)
def contact_update(
    request: HttpRequest, response: HttpResponse, contact_id: Whole, payload: ContactPatch
) -> Contact:
    """Change a contact; needs the version read, like a customer."""
    contact = selectors.contact_get(user=request.auth, pk=contact_id)
    data = payload.dict(exclude_unset=True)
    version = version_required(request, data.pop("version", None))
    contact = services.contact_update(actor=request.auth, contact=contact, version=version, **data)
    return _versioned(response, contact)


@router.delete("/contacts/{int:contact_id}", response={204: None})
def contact_delete(request: HttpRequest, contact_id: Whole) -> None:
    """Remove a contact; its history stays."""
    contact = selectors.contact_get(user=request.auth, pk=contact_id)
    services.contact_delete(actor=request.auth, contact=contact)


# --- addresses -----------------------------------------------------------------------------


@router.get("/{int:customer_id}/addresses", response=list[AddressOut])
def address_list(request: HttpRequest, customer_id: Whole) -> list[Address]:
    """The customer's delivery addresses, default first."""
    return list(selectors.customer_get(user=request.auth, pk=customer_id).addresses.all())


@router.post("/{int:customer_id}/addresses", response={201: AddressOut})
def address_create(
    request: HttpRequest, response: HttpResponse, customer_id: Whole, payload: AddressCreate
) -> Address:
    """Add a delivery address; a customer's first address becomes its default."""
    customer = selectors.customer_get(user=request.auth, pk=customer_id)
    address = services.address_create(
        actor=request.auth, customer=customer, **payload.dict(exclude_unset=True)
    )
    return _versioned(response, address)


@router.get("/addresses/{int:address_id}", response=AddressOut)
def address_get(request: HttpRequest, response: HttpResponse, address_id: Whole) -> Address:
    """One address; the ETag header carries its version."""
    return _versioned(response, selectors.address_get(user=request.auth, pk=address_id))


@router.patch("/addresses/{int:address_id}", response=AddressOut)
def address_update(
    request: HttpRequest, response: HttpResponse, address_id: Whole, payload: AddressPatch
) -> Address:
    """Change an address; needs the version read, like a customer."""
    address = selectors.address_get(user=request.auth, pk=address_id)
    data = payload.dict(exclude_unset=True)
    version = version_required(request, data.pop("version", None))
    address = services.address_update(actor=request.auth, address=address, version=version, **data)
    return _versioned(response, address)


@router.delete("/addresses/{int:address_id}", response={204: None})
def address_delete(request: HttpRequest, address_id: Whole) -> None:
    """Remove an address; another one becomes the default."""
    address = selectors.address_get(user=request.auth, pk=address_id)
    services.address_delete(actor=request.auth, address=address)


# --- duplicates and merge ------------------------------------------------------------------


@router.get("/duplicates", response=list[DuplicateOut])
@paginate(
    CappedPageNumberPagination, page_size=settings.CLIENTELA_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE
)
def duplicate_list(
    request: HttpRequest, filters: Query[DuplicateFilters]
) -> QuerySet[DuplicateCandidate]:
    """Open pairs of customers that look like the same one, best match first."""
    customer = (
        selectors.customer_get(user=request.auth, pk=filters.customer) if filters.customer else None
    )
    return selectors.duplicate_list(user=request.auth, customer=customer)


@router.post("/duplicates/{int:candidate_id}/dismiss", response={204: None})
def duplicate_dismiss(request: HttpRequest, candidate_id: Whole) -> None:
    """Mark a pair as not the same customer (owner only); it is not proposed again."""
    candidate = selectors.duplicate_list(user=request.auth).get(pk=candidate_id)
    services.duplicate_dismiss(actor=request.auth, candidate=candidate)


@router.post("/merge", response=CustomerDetail)
def customers_merge(request: HttpRequest, response: HttpResponse, payload: MergeIn) -> Customer:
    """Merge the duplicate into the survivor, keeping everything of both (owner only)."""
    survivor = selectors.customer_get(user=request.auth, pk=payload.survivor_id)
    duplicate = selectors.customer_get(user=request.auth, pk=payload.duplicate_id)
    with fields_renamed(API_FIELD_NAMES):
        services.customers_merge(
            actor=request.auth, survivor=survivor, duplicate=duplicate, reason=payload.reason
        )
    return _customer_detail(request, response, survivor.pk)
