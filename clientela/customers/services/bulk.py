"""Many new customers at once, for imports and the demo: ``customers_bulk_check`` checks
each row as ``customer_create`` would, with the same messages, and
``customers_bulk_write`` saves them with their records, history, search text, duplicate
candidates and webhooks in a number of queries that does not grow with the rows
(multi-row ``INSERT`` on SQLite, ``COPY`` on PostgreSQL); ``customers_bulk_create`` does
both."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connections, models, router, transaction
from django.utils.translation import gettext as _

from clientela.core.access import Capability, limited_to_own_customers
from clientela.core.bulk import records_create, rows_create, slices
from clientela.core.models import User
from clientela.core.services import actor_check, full_clean_collecting
from clientela.customers import matching
from clientela.customers.models import (
    Address,
    Contact,
    Customer,
    CustomerEmail,
    CustomerEvent,
    CustomerPhone,
    CustomerTag,
    DuplicateCandidate,
)
from clientela.customers.services._common import LOOKUP_VALUES, _unknown_fields
from clientela.customers.services.catalog import (
    CUSTOMER_FIELDS,
    _clean_emails,
    _clean_phones,
    _clean_tags,
    _created_data,
    _customer_unsaved,
    _tags_named,
    _too_many,
)
from clientela.customers.services.contacts import (
    ADDRESS_FIELDS,
    CONTACT_FIELDS,
    MAX_ADDRESSES,
    MAX_CONTACTS,
    _clean_address,
    _clean_contact,
)
from clientela.customers.services.derived import customer_refresh_derived
from clientela.customers.services.duplicates import Held, duplicates_found
from clientela.webhooks.services import event_emit_many


class CustomerRowInvalid(ValidationError):
    """Row ``index`` of ``customers_bulk_create``'s rows is refused, with the messages
    ``customer_create`` would give."""

    def __init__(self, index: int, error: ValidationError):
        super().__init__(error.error_dict if hasattr(error, "error_dict") else error.error_list)
        self.index = index


@dataclass
class CustomerChecked:
    """A new customer checked by ``customers_bulk_check`` with its records, not saved."""

    customer: Customer
    emails: list[str]
    phones: list[str]
    tags: list[str]
    contacts: list[Contact]
    addresses: list[Address]


_CHILDREN = frozenset({"emails", "phones", "tags", "contacts", "addresses"})


def _existing_references(owners: set, referrers: set) -> dict[str, set[int]]:
    """Of the owners' and referrers' ids named, those that exist (a query or so each), so
    that ``full_clean`` need not look each one up."""
    return {
        field: {
            pk
            for part in slices(sorted(ids - {None}), LOOKUP_VALUES)
            for pk in model._base_manager.filter(pk__in=part).values_list("pk", flat=True)
        }
        for field, model, ids in (("owner", User, owners), ("referred_by", Customer, referrers))
    }


def _new_customer(
    row: dict, actor: User | None, limited: bool, existing: dict[str, set[int]]
) -> CustomerChecked:
    """``row``'s customer and records, checked as ``customer_create`` checks them (with
    the same messages), not saved yet."""
    fields = {key: value for key, value in row.items() if key not in _CHILDREN}
    _unknown_fields(fields, CUSTOMER_FIELDS)
    if limited:
        fields["owner"] = actor
    errors: dict[str, list[ValidationError | str]] = {}
    customer = _customer_unsaved(fields, errors)
    emails = _clean_emails(row.get("emails", ()), errors)
    phones = _clean_phones(row.get("phones", ()), customer.country, errors)
    tags = _clean_tags(row.get("tags", ()), errors)
    _too_many(row.get("contacts", ()), MAX_CONTACTS, "contacts", errors)
    _too_many(row.get("addresses", ()), MAX_ADDRESSES, "addresses", errors)
    known = [f for f in ("owner", "referred_by") if getattr(customer, f"{f}_id") in existing[f]]
    full_clean_collecting(customer, errors, exclude=["version", *known])
    contacts = []
    for child in row.get("contacts", ()):
        _unknown_fields(child, CONTACT_FIELDS)
        contact = Contact(customer=customer)
        try:
            _clean_contact(contact, child, exclude=["customer"])
        except ValidationError as error:
            raise ValidationError({"contacts": error.messages}) from error
        contacts.append(contact)
    addresses = []
    for child in row.get("addresses", ()):
        _unknown_fields(child, ADDRESS_FIELDS)
        address = Address(customer=customer, country=customer.country)
        try:
            _clean_address(address, child, exclude=["customer"])
        except ValidationError as error:
            raise ValidationError({"addresses": error.messages}) from error
        addresses.append(address)
    # As address_create and contact_create leave them: the first address is the default
    # unless a later one is marked so; the last contact marked main is the main one.
    default = max((n for n, a in enumerate(addresses) if n == 0 or a.is_default), default=None)
    for n, address in enumerate(addresses):
        address.is_default = n == default
    primary = max((n for n, c in enumerate(contacts) if c.is_primary), default=None)
    for n, contact in enumerate(contacts):
        contact.is_primary = n == primary
    customer.name_key = matching.name_key(customer.name)
    customer.search_document = matching.search_document(
        names=[customer.name, customer.legal_name, *(c.name for c in contacts)],
        tax_id=customer.tax_id,
        emails=[*emails, *(c.email for c in contacts if c.email)],
        phones=[*phones, *(c.phone for c in contacts if c.phone)],
    )
    return CustomerChecked(customer, emails, phones, tags, contacts, addresses)


# Below this many customers, a catalog's statistics matter little to its look-ups.
_COUNTED_FLOOR = 5000


def _statistics_refresh() -> None:
    """Refresh PostgreSQL's statistics of the catalog's tables once the customers have
    doubled since last counted.

    Autovacuum cannot see the rows of a transaction still open, so without this the
    look-ups of a long import into a small catalog (by e-mail, phone, postal code) are
    planned as for the small one: a full scan per chunk, hours for a million rows.
    ``ANALYZE`` inside the transaction counts its own new rows.
    """
    connection = connections[router.db_for_write(Customer)]
    if connection.vendor != "postgresql":
        return
    highest = Customer.objects.aggregate(highest=models.Max("pk"))["highest"] or 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
            [Customer._meta.db_table],
        )
        (counted,) = cursor.fetchone()
        if highest > 2 * max(counted, _COUNTED_FLOOR):
            for model in (Customer, CustomerEmail, CustomerPhone, CustomerTag, Contact, Address):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _duplicates_record(new: list[CustomerChecked]) -> None:
    """What ``duplicates_refresh_for`` records for each of the ``new`` customers (saved,
    with their records), in a few queries for them all."""
    found = duplicates_found(
        {item.customer: Held(item.customer.tax_id, item.emails, item.phones) for item in new}
    )
    DuplicateCandidate.objects.bulk_create(
        DuplicateCandidate(customer_id=low, other_id=high, reasons=why, score=score)
        for (low, high), (why, score) in found.items()
    )


def customers_bulk_create(
    *, actor: User | None, rows: Sequence[dict], reason: str = ""
) -> list[Customer]:
    """Create a customer for each of ``rows`` (``customer_create``'s keyword arguments),
    as ``customer_create`` would one by one — the same checks and messages, records,
    history, search text, duplicate candidates and webhooks — in a number of queries that
    does not grow with the rows.

    A row ``customer_create`` would refuse raises ``CustomerRowInvalid`` naming its index,
    and nothing is written. Where ``customer_create`` would record a contact or an
    address twice in its history (created, then its main or default mark taken by a later
    one of the same row), the history holds it once, as it ends up.
    """
    checked = customers_bulk_check(actor=actor, rows=rows)
    return customers_bulk_write(actor=actor, checked=checked, reason=reason)


def customers_bulk_check(*, actor: User | None, rows: Sequence[dict]) -> list[CustomerChecked]:
    """``customers_bulk_create``'s checks alone: each row's customer and records, checked
    and built, for ``customers_bulk_write`` to save later (an import checks its rows
    before it takes the database's write lock). Writes nothing; raises
    ``CustomerRowInvalid``."""
    actor_check(actor, Capability.CUSTOMER_EDIT)
    limited = actor is not None and limited_to_own_customers(actor)
    existing = _existing_references(
        {getattr(row.get("owner"), "pk", None) for row in rows} | {getattr(actor, "pk", None)},
        {getattr(row.get("referred_by"), "pk", None) for row in rows},
    )
    new = []
    for index, row in enumerate(rows):
        try:
            new.append(_new_customer(row, actor, limited, existing))
        except ValidationError as error:
            raise CustomerRowInvalid(index, error) from error
    return new


def _references_check(new: Sequence[CustomerChecked]) -> None:
    """Refuse (``CustomerRowInvalid``) the first checked customer whose owner or
    referrer has been deleted since it was checked."""
    named = [(item.customer.owner_id, item.customer.referred_by_id) for item in new]
    existing = _existing_references({o for o, _r in named}, {r for _o, r in named})
    for index, references in enumerate(named):
        for field, pk in zip(("owner", "referred_by"), references, strict=True):
            if pk is not None and pk not in existing[field]:
                message = _("This record was deleted meanwhile.")
                raise CustomerRowInvalid(index, ValidationError({field: [message]}))


@transaction.atomic
def customers_bulk_write(
    *, actor: User | None, checked: Sequence[CustomerChecked], reason: str = ""
) -> list[Customer]:
    """Save the customers ``customers_bulk_check`` checked, as ``customers_bulk_create``
    does; one whose owner or referrer was deleted since raises ``CustomerRowInvalid``."""
    actor_check(actor, Capability.CUSTOMER_EDIT)
    new = list(checked)
    _references_check(new)
    customers = [item.customer for item in new]
    tags = _tags_named(name for item in new for name in item.tags)
    records_create(customers, actor, reason)
    for item in new:  # the customers are saved now: this sets the children's ``customer_id``
        for contact in item.contacts:
            contact.customer = item.customer
        for address in item.addresses:
            address.customer = item.customer
    for model, field, key in (
        (CustomerEmail, "email", "emails"),
        (CustomerPhone, "number", "phones"),
    ):
        children = [
            (item.customer.pk, value, position)
            for item in new
            for position, value in enumerate(getattr(item, key))
        ]
        rows_create(model, ("customer_id", field, "position"), children, actor, reason)
    links = [
        (item.customer.pk, tag_id)
        for item in new
        for tag_id in dict.fromkeys(tags[name.casefold()].pk for name in item.tags)
    ]
    rows_create(CustomerTag, ("customer_id", "tag_id"), links, actor, reason)
    records_create([contact for item in new for contact in item.contacts], actor, reason)
    records_create([address for item in new for address in item.addresses], actor, reason)
    _statistics_refresh()
    for item in new:
        if len(item.contacts) > 1:  # their order in the search text is the database's
            customer_refresh_derived(item.customer)
    _duplicates_record(new)
    event_emit_many(
        event=CustomerEvent.CREATED,
        data=[_created_data(item.customer, item.emails, item.phones) for item in new],
    )
    return customers
