"""The customer catalog itself: a customer's fields cleaned as the catalog keeps them
(names on one line, country and tax id normalised, e-mails, phones and tags checked and
bounded), the tags named found or created, and ``customer_create`` and
``customer_update``, which write a customer with its e-mails, phones, tags, contacts and
addresses and keep its derived fields and duplicate candidates up to date."""

from collections.abc import Iterable, Sequence
from datetime import date
from functools import reduce
from operator import or_

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.core.access import Capability, limited_to_own_customers
from clientela.core.bulk import slices
from clientela.core.locale import business_language
from clientela.core.models import User
from clientela.core.parsing import one_line, text_block
from clientela.core.services import actor_check, full_clean_collecting, history_as, version_claim
from clientela.core.validators import (
    normalize_country,
    normalize_email,
    normalize_phone,
    normalize_tax_id,
)
from clientela.customers.models import (
    Customer,
    CustomerEmail,
    CustomerEvent,
    CustomerPhone,
    CustomerTag,
    Tag,
)
from clientela.customers.services._common import _unknown_fields
from clientela.customers.services.contacts import (
    MAX_ADDRESSES,
    MAX_CONTACTS,
    address_create,
    contact_create,
)
from clientela.customers.services.derived import customer_refresh_derived
from clientela.customers.services.duplicates import duplicates_refresh_for
from clientela.webhooks.services import event_emit

CUSTOMER_FIELDS = frozenset(
    {
        "kind",
        "name",
        "legal_name",
        "tax_id",
        "external_id",
        "customer_since",
        "country",
        "owner",
        "source",
        "referred_by",
        "consent_email",
        "consent_phone",
        "consent_sms",
        "consent_mail",
        "preferred_channel",
        "language",
        "notes",
    }
)

# The most e-mails, phones and tags one customer may have: more is refused before any is
# checked (a form or an API call with thousands would hold a server worker for seconds).
MAX_EMAILS = 20
MAX_PHONES = 20
MAX_TAGS = 50
# Names and ids are kept on one line without invisible characters (``core.parsing``);
# notes keep their line breaks.
_NAME_FIELDS = ("name", "legal_name", "tax_id", "external_id")


def _visible_fields(fields: dict) -> None:
    """Tidy the text ``fields`` hold, in place, as the catalog keeps it: names and ids on
    one line (``one_line``), notes as a block (``text_block``)."""
    for field in _NAME_FIELDS:
        if isinstance(fields.get(field), str):
            fields[field] = one_line(fields[field])
    if isinstance(fields.get("notes"), str):
        fields["notes"] = text_block(fields["notes"])


def _too_many(values: Sequence, most: int, field: str, errors: dict) -> bool:
    """Whether ``values`` holds more than ``most`` items (the error then on ``field``)."""
    if len(values) <= most:
        return False
    errors.setdefault(field, []).append(
        ValidationError(
            ngettext(
                "At most %(most)d value is allowed here, not %(count)d.",
                "At most %(most)d values are allowed here, not %(count)d.",
                most,
            )
            % {"most": most, "count": len(values)},
            code="too_many",
        )
    )
    return True


def _clean_emails(values: Sequence[str], errors: dict) -> list[str]:
    cleaned: list[str] = []
    if _too_many(values, MAX_EMAILS, "emails", errors):
        return cleaned
    for value in values:
        if not str(value).strip():
            continue
        try:
            email = normalize_email(str(value))
        except ValidationError as error:
            errors.setdefault("emails", []).extend(error.error_list)
            continue
        if email not in cleaned:
            cleaned.append(email)
    return cleaned


def _clean_phones(values: Sequence[str], region: str, errors: dict) -> list[str]:
    cleaned: list[str] = []
    if _too_many(values, MAX_PHONES, "phones", errors):
        return cleaned
    for value in values:
        if not str(value).strip():
            continue
        try:
            number = normalize_phone(str(value), region)
        except ValidationError as error:
            errors.setdefault("phones", []).extend(error.error_list)
            continue
        if number not in cleaned:
            cleaned.append(number)
    return cleaned


def _clean_tags(values: Sequence[str], errors: dict) -> list[str]:
    cleaned: list[str] = []
    if _too_many(values, MAX_TAGS, "tags", errors):
        return cleaned
    seen: set[str] = set()
    for value in values:
        name = one_line(str(value))
        if not name:
            continue
        if len(name) > 50:
            errors.setdefault("tags", []).append(
                _("Tag “%(tag)s” is longer than 50 characters.") % {"tag": name[:20]}
            )
        elif name.casefold() not in seen:
            seen.add(name.casefold())
            cleaned.append(name)
    return cleaned


def _apply_customer_fields(customer: Customer, fields: dict, errors: dict) -> None:
    """Set ``fields`` on ``customer``, normalising country and tax id."""
    _visible_fields(fields)
    for field, value in fields.items():
        if field in {"tax_id", "country", "customer_since"}:
            continue
        setattr(
            customer,
            field,
            "" if value is None and field not in {"owner", "referred_by"} else value,
        )
    if "country" in fields:
        try:
            customer.country = normalize_country(fields["country"] or "")
        except ValidationError as error:
            errors.setdefault("country", []).extend(error.error_list)
    if "tax_id" in fields or "country" in fields:
        raw = fields.get("tax_id", customer.tax_id) or ""
        if not raw.strip():
            customer.tax_id, customer.tax_id_type = "", ""
        elif "country" not in errors:
            try:
                customer.tax_id, customer.tax_id_type = normalize_tax_id(raw, customer.country)
            except ValidationError as error:
                errors.setdefault("tax_id", []).extend(error.error_list)
    if customer.referred_by is not None and (
        customer.referred_by.pk == customer.pk or customer.referred_by.merged_into_id
    ):
        errors.setdefault("referred_by", []).append(
            _("A customer cannot be referred by itself or by a merged record.")
        )
    if customer.owner is not None and not customer.owner.is_active:
        errors.setdefault("owner", []).append(_("This user is no longer active."))
    if "customer_since" in fields:
        _apply_customer_since(customer, fields["customer_since"], errors)


def _apply_customer_since(customer: Customer, value, errors: dict) -> None:
    try:
        customer.customer_since = customer_since_clean(value)
    except ValidationError as error:
        errors.setdefault("customer_since", []).extend(error.error_list)


def customer_since_clean(value: date | str | None) -> date | None:
    """The day a customer started (a date or ISO text; empty: none); not a future day."""
    since = Customer._meta.get_field("customer_since").to_python(value or None)
    if since is not None and since > timezone.localdate():
        raise ValidationError(_("The day the customer started cannot be in the future."))
    return since


def _set_values(customer, actor, reason, model, field: str, values: list) -> None:
    """Make ``customer``'s rows of ``model`` hold exactly ``values``, in order."""
    existing = {getattr(row, field): row for row in model.objects.filter(customer=customer)}
    for value, row in existing.items():
        if value not in values:
            history_as(row, actor, reason)
            row.delete()
    for position, value in enumerate(values):
        row = existing.get(value)
        if row is None:
            row = model(customer=customer, position=position, **{field: value})
        elif row.position == position:
            continue
        row.position = position
        history_as(row, actor, reason)
        row.save()


def _set_tags(customer: Customer, actor, reason, names: list[str]) -> None:
    tags = _tags_named(names)
    wanted = list(dict.fromkeys(tags[name.casefold()].pk for name in names))
    for link in CustomerTag.objects.filter(customer=customer).exclude(tag_id__in=wanted):
        history_as(link, actor, reason)
        link.delete()
    present = set(CustomerTag.objects.filter(customer=customer).values_list("tag_id", flat=True))
    for tag_id in wanted:
        if tag_id not in present:
            link = CustomerTag(customer=customer, tag_id=tag_id)
            history_as(link, actor, reason)
            link.save()


def new_customer_name(fields: dict) -> str:
    """The name a new customer takes: its name, else its legal name (a sheet or a form
    may have only the one)."""
    return fields.get("name") or fields.get("legal_name") or ""


def _customer_unsaved(fields: dict, errors: dict) -> Customer:
    """A new customer with ``fields`` set, not saved: named by ``new_customer_name`` (or an
    error), in the business's country and language unless ``fields`` say otherwise."""
    _visible_fields(fields)
    fields["name"] = new_customer_name(fields)
    if not fields["name"].strip():
        errors["name"] = [
            ValidationError(_("A new customer needs a name or a legal name."), code="blank")
        ]
    customer = Customer(language=business_language())
    _apply_customer_fields(customer, {"country": customer.country, **fields}, errors)
    return customer


@transaction.atomic
def customer_create(
    *,
    actor: User | None,
    emails: Sequence[str] = (),
    phones: Sequence[str] = (),
    tags: Sequence[str] = (),
    contacts: Sequence[dict] = (),
    addresses: Sequence[dict] = (),
    reason: str = "",
    **fields,
) -> Customer:
    """Create a customer with its e-mails, phones, tags, contacts and addresses."""
    actor_check(actor, Capability.CUSTOMER_EDIT)
    _unknown_fields(fields, CUSTOMER_FIELDS)
    if actor is not None and limited_to_own_customers(actor):
        fields["owner"] = actor
    errors: dict[str, list[ValidationError | str]] = {}
    customer = _customer_unsaved(fields, errors)
    clean_emails = _clean_emails(emails, errors)
    clean_phones = _clean_phones(phones, customer.country, errors)
    clean_tags = _clean_tags(tags, errors)
    _too_many(contacts, MAX_CONTACTS, "contacts", errors)
    _too_many(addresses, MAX_ADDRESSES, "addresses", errors)
    full_clean_collecting(customer, errors, exclude=["version"])
    history_as(customer, actor, reason)
    customer.save()
    _set_values(customer, actor, reason, CustomerEmail, "email", clean_emails)
    _set_values(customer, actor, reason, CustomerPhone, "number", clean_phones)
    _set_tags(customer, actor, reason, clean_tags)
    for key, create, children in (
        ("contacts", contact_create, contacts),
        ("addresses", address_create, addresses),
    ):
        for child in children:
            try:
                create(actor=actor, customer=customer, reason=reason, refresh=False, **child)
            except ValidationError as error:
                raise ValidationError({key: error.messages}) from error
    customer_refresh_derived(customer)
    duplicates_refresh_for(customer=customer)
    event_emit(
        event=CustomerEvent.CREATED,
        data=_created_data(customer, clean_emails, clean_phones),
    )
    return customer


def _created_data(customer: Customer, emails: list[str], phones: list[str]) -> dict:
    """The ``customer.created`` event's data."""
    return {
        "id": customer.pk,
        "kind": customer.kind,
        "name": customer.name,
        "tax_id": customer.tax_id,
        "country": customer.country,
        "emails": emails,
        "phones": phones,
        "owner_id": customer.owner_id,
        "source": customer.source,
        "created_at": customer.created_at.isoformat(),
    }


@transaction.atomic
def customer_update(
    *,
    actor: User | None,
    customer: Customer,
    version: int,
    emails: Sequence[str] | None = None,
    phones: Sequence[str] | None = None,
    tags: Sequence[str] | None = None,
    reason: str = "",
    **fields,
) -> Customer:
    """Change a customer's fields (and, when given, replace its e-mails, phones or tags).

    ``version`` is the version the caller read; if the customer changed since, the
    update raises ConflictError and writes nothing.
    """
    actor_check(actor, Capability.CUSTOMER_EDIT, customer)
    _unknown_fields(fields, CUSTOMER_FIELDS)
    if customer.merged_into_id or customer.anonymized_at:
        raise ValidationError(_("This customer was merged or anonymised and cannot be changed."))
    if actor is not None and limited_to_own_customers(actor) and "owner" in fields:
        fields.pop("owner")
    errors: dict[str, list[ValidationError | str]] = {}
    _apply_customer_fields(customer, fields, errors)
    clean_emails = _clean_emails(emails, errors) if emails is not None else None
    clean_phones = _clean_phones(phones, customer.country, errors) if phones is not None else None
    clean_tags = _clean_tags(tags, errors) if tags is not None else None
    full_clean_collecting(customer, errors, exclude=["version"])
    version_claim(instance=customer, version=version)
    history_as(customer, actor, reason)
    customer.save()
    if clean_emails is not None:
        _set_values(customer, actor, reason, CustomerEmail, "email", clean_emails)
    if clean_phones is not None:
        _set_values(customer, actor, reason, CustomerPhone, "number", clean_phones)
    if clean_tags is not None:
        _set_tags(customer, actor, reason, clean_tags)
    customer_refresh_derived(customer)
    duplicates_refresh_for(customer=customer)
    return customer


# Conditions OR-ed in one query (SQLite refuses expressions 1,000 deep).
_OR_TERMS = 200


def _tags_named(names: Iterable[str]) -> dict[str, Tag]:
    """The tag of each name (by its case-folded form), found or created in a few queries:
    an existing one of that name in any case, else a new one spelt as first given."""
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(name.casefold(), name)
    found: dict[str, Tag] = {}
    terms = [Q(name__iexact=name) for name in wanted.values()]
    for part in slices(terms, _OR_TERMS):
        for tag in Tag.objects.filter(reduce(or_, part)):
            found.setdefault(tag.name.casefold(), tag)
    missing = [Tag(name=name) for key, name in wanted.items() if key not in found]
    for tag in Tag.objects.bulk_create(missing):
        found[tag.name.casefold()] = tag
    return found
