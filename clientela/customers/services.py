"""Writes to the customer catalog. Views, the API, imports and the demo all come here.

Every service is atomic, validates everything before it writes, raises
``ValidationError`` keyed by field, records the acting user in the history, and keeps
the derived search text and the duplicate candidates up to date.
``actor=None`` means the system itself (the demo generator, a command-line job).
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import reduce
from itertools import chain
from operator import attrgetter, itemgetter, or_

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models, router, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.core.access import Capability, limited_to_own_customers
from clientela.core.locale import business_language
from clientela.core.models import User
from clientela.core.parsing import one_line, text_block
from clientela.core.services import (
    actor_check,
    full_clean_collecting,
    history_as,
    version_claim,
)
from clientela.core.validators import (
    normalize_country,
    normalize_email,
    normalize_phone,
    normalize_tax_id,
    tax_id_tells_apart,
)
from clientela.customers import matching
from clientela.customers.models import (
    LIVE,
    Address,
    Contact,
    Customer,
    CustomerEmail,
    CustomerEvent,
    CustomerPhone,
    CustomerTag,
    DuplicateCandidate,
    DuplicateReason,
    DuplicateStatus,
    Tag,
)
from clientela.customers.personal import PersonalData, personal_data_registered, personal_data_rows
from clientela.customers.selectors import customers_alike
from clientela.webhooks.services import event_emit, event_emit_many

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


# --- access -------------------------------------------------------------------------


# --- customers ----------------------------------------------------------------------


def _unknown_fields(fields: Iterable[str], allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")


# The most e-mails, phones and tags one customer may have: more is refused before any is
# checked (a form or an API call with thousands would hold a server worker for seconds).
MAX_EMAILS = 20
MAX_PHONES = 20
MAX_TAGS = 50
# The most contact people and delivery addresses one customer may have.
MAX_CONTACTS = 50
MAX_ADDRESSES = 50
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


def customer_refresh_derived(customer: Customer) -> None:
    """Recompute the customer's search text and name key from its current records.

    A merged customer has no search text: searches find the survivor, which holds its
    records, and need no other condition to leave merged customers out.
    """
    contacts = list(customer.contacts.values_list("name", "email", "phone"))
    emails = list(customer.emails.values_list("email", flat=True))
    phones = list(customer.phones.values_list("number", flat=True))
    document = matching.search_document(
        names=[customer.name, customer.legal_name, *(c[0] for c in contacts)],
        tax_id=customer.tax_id,
        emails=[*emails, *(c[1] for c in contacts if c[1])],
        phones=[*phones, *(c[2] for c in contacts if c[2])],
    )
    if customer.merged_into_id is not None:
        document = ""
    key = matching.name_key(customer.name)
    Customer.objects.filter(pk=customer.pk).update(search_document=document, name_key=key)
    customer.search_document, customer.name_key = document, key


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


# --- many new customers at once (imports) -------------------------------------------

# Values a query looks up at once (SQLite takes up to 32,766 parameters), and conditions
# OR-ed in one query (SQLite refuses expressions 1,000 deep).
_LOOKUP_VALUES = 5000
_OR_TERMS = 200


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


def _slices(values: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _existing_references(owners: set, referrers: set) -> dict[str, set[int]]:
    """Of the owners' and referrers' ids named, those that exist (a query or so each), so
    that ``full_clean`` need not look each one up."""
    return {
        field: {
            pk
            for part in _slices(sorted(ids - {None}), _LOOKUP_VALUES)
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


def _tags_named(names: Iterable[str]) -> dict[str, Tag]:
    """The tag of each name (by its case-folded form), found or created in a few queries:
    an existing one of that name in any case, else a new one spelt as first given."""
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(name.casefold(), name)
    found: dict[str, Tag] = {}
    terms = [Q(name__iexact=name) for name in wanted.values()]
    for part in _slices(terms, _OR_TERMS):
        for tag in Tag.objects.filter(reduce(or_, part)):
            found.setdefault(tag.name.casefold(), tag)
    missing = [Tag(name=name) for key, name in wanted.items() if key not in found]
    for tag in Tag.objects.bulk_create(missing):
        found[tag.name.casefold()] = tag
    return found


# Field types whose Python value is what the database stores (after ``full_clean``).
_STORED_AS_IS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
)


_UNSET = object()


def _insert(
    model: type[models.Model], names: Sequence[str], rows: list[tuple], returning: bool
) -> list:
    """Insert ``rows`` (tuples of the fields whose attnames are ``names``: every concrete
    field but the primary key) into ``model``'s table with multi-row ``INSERT …
    RETURNING id`` statements; the new ids when ``returning``.

    What ``bulk_create`` sends, without its per-value work and model instances: a bulk
    import writes millions of values, and that work cost more than the database's.
    """
    connection = connections[router.db_for_write(model)]
    by_name = {field.attname: field for field in model._meta.concrete_fields}
    fields = [by_name[name] for name in names]
    prepared_columns = [n for n, field in enumerate(fields) if not isinstance(field, _STORED_AS_IS)]
    if prepared_columns:
        rows = [list(row) for row in rows]
    for n in prepared_columns:
        given, prepared = _UNSET, None  # rows share their timestamps: prepared once
        for row in rows:
            if row[n] is not given:
                given = row[n]
                prepared = fields[n].get_db_prep_save(given, connection)
            row[n] = prepared
    if connection.vendor == "postgresql":
        return _copy(connection, model, fields, rows, returning)
    # SQLite (the other database): straight to the driver in its own "?" style, for
    # Django's rewriting of "%s" costs more than the insert on statements this long.
    quote = connection.ops.quote_name
    size = max(1, (connection.features.max_query_params or 65535) // len(fields))
    placeholders = "(" + ", ".join(["?"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(field.column) for field in fields)}) VALUES "
    )
    returned = f" RETURNING {quote(model._meta.pk.column)}" if returning else ""
    connection.ensure_connection()
    ids = []
    for part in _slices(rows, size):
        statement = sql + ", ".join([placeholders] * len(part)) + returned
        result = connection.connection.execute(statement, list(chain.from_iterable(part)))
        if returning:
            ids += [pk for (pk,) in result.fetchall()]
    return ids


def _copy(connection, model: type[models.Model], fields: list, rows: list, returning: bool):
    """``_insert`` on PostgreSQL: ids taken from the table's sequence, rows sent with
    ``COPY`` (several times faster than ``INSERT`` for thousands of rows)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    ids = []
    with connection.cursor() as cursor:
        if returning:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, model._meta.pk.column, len(rows)],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
            fields = [model._meta.pk, *fields]
            rows = [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
        columns = ", ".join(quote(field.column) for field in fields)
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    return ids


def _stamped(field: models.Field) -> bool:
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def _create_with_history(
    model: type[models.Model],
    names: Sequence[str],
    rows: list[tuple],
    actor: User | None,
    reason: str,
) -> list[int]:
    """Insert ``rows`` of ``model`` (tuples of the fields named ``names``, checked
    already; see ``_insert``) and their history records as saving each would record
    them, made by ``actor`` for ``reason``; the new ids. A field left out takes its
    default; a timestamp, now."""
    if not rows:
        return []
    now = timezone.now()
    missing = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and field.attname not in names
    ]
    if missing:
        defaults = tuple(now if _stamped(field) else field.get_default() for field in missing)
        names = [*names, *(field.attname for field in missing)]
        rows = [row + defaults for row in rows]
    ids = _insert(model, names, rows, returning=True)
    if getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        history = model.history.model  # type: ignore[attr-defined]
        record = {
            "history_date": now,
            "history_change_reason": reason or None,
            "history_type": "+",
            "history_user_id": actor.pk if actor is not None else None,
        }
        # Each history column picked from the row followed by its new id and the record.
        extra = (*record.values(), None)
        position = {name: n for n, name in enumerate(names)}
        position |= {name: len(names) + 1 + n for n, name in enumerate(record)}
        position["id"] = len(names)
        absent = len(names) + 1 + len(record)
        columns = [f.attname for f in history._meta.concrete_fields if not f.primary_key]
        pick = itemgetter(*(position.get(name, absent) for name in columns))
        _insert(
            history,
            columns,
            [pick((*row, pk, *extra)) for row, pk in zip(rows, ids, strict=True)],
            returning=False,
        )
    return ids


def _save_new(objects: list[models.Model], actor: User | None, reason: str) -> None:
    """Save new model instances (checked already) with their history; sets their ids
    and timestamps."""
    if not objects:
        return
    model = type(objects[0])
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    now = timezone.now()
    for field in filter(_stamped, fields):
        for obj in objects:
            setattr(obj, field.attname, now)
    names = [field.attname for field in fields]
    values = attrgetter(*names)
    database = router.db_for_write(model)
    ids = _create_with_history(model, names, [values(obj) for obj in objects], actor, reason)
    for obj, pk in zip(objects, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = database


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
    reasons: dict[tuple[int, int], set[str]] = {}
    held = {
        DuplicateReason.TAX_ID: {
            item.customer.pk: [item.customer.tax_id]
            if tax_id_tells_apart(item.customer.tax_id)
            else []
            for item in new
        },
        DuplicateReason.EMAIL: {item.customer.pk: item.emails for item in new},
        DuplicateReason.PHONE: {item.customer.pk: item.phones for item in new},
    }
    live_children = Q(customer__merged_into__isnull=True)
    lookups = {
        DuplicateReason.TAX_ID: (Customer.objects.filter(LIVE), "tax_id", "pk"),
        DuplicateReason.EMAIL: (
            CustomerEmail.objects.filter(live_children),
            "email",
            "customer_id",
        ),
        DuplicateReason.PHONE: (
            CustomerPhone.objects.filter(live_children),
            "number",
            "customer_id",
        ),
    }
    for reason, (queryset, column, holder) in lookups.items():
        holders: dict[str, set[int]] = {}
        wanted = sorted({value for values in held[reason].values() for value in values})
        for part in _slices(wanted, _LOOKUP_VALUES):
            for value, pk in queryset.filter(**{f"{column}__in": part}).values_list(column, holder):
                holders.setdefault(value, set()).add(pk)
        for pk, values in held[reason].items():
            for other in {other for value in values for other in holders.get(value, ())}:
                if other != pk:
                    reasons.setdefault(_pair(pk, other), set()).add(reason)
    scores = _similar_names_at_addresses([item.customer for item in new])
    for pair in scores:
        reasons.setdefault(pair, set()).add(DuplicateReason.NAME_ADDRESS)
    DuplicateCandidate.objects.bulk_create(
        DuplicateCandidate(
            customer_id=low,
            other_id=high,
            reasons=sorted(why),
            score=1.0 if why - {DuplicateReason.NAME_ADDRESS} else scores[(low, high)] / 100,
        )
        for (low, high), why in reasons.items()
    )


def _similar_names_at_addresses(new: list[Customer]) -> dict[tuple[int, int], float]:
    """Pairs of a new customer and another with a similar name at a similar address, with
    the name score, as ``duplicates_refresh_for`` finds them."""
    keys = {customer.pk: customer.name_key for customer in new}
    addresses = Address.objects.filter(customer__in=keys).values_list(
        "customer_id", "street", "postal_code", "city"
    )
    places = [(pk, keys[pk], street, code, city) for pk, street, code, city in addresses]
    found: dict[tuple[int, int], float] = {}
    for pk, alike in customers_alike(places).items():
        for other, (_name, score) in alike.items():
            if other != pk:
                pair = _pair(pk, other)
                found[pair] = max(found.get(pair, 0), score)
    return found


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
    _save_new(customers, actor, reason)
    for item in new:
        for child in (*item.contacts, *item.addresses):
            child.customer = item.customer  # saved now: this sets ``customer_id``
    for model, field, key in (
        (CustomerEmail, "email", "emails"),
        (CustomerPhone, "number", "phones"),
    ):
        children = [
            (item.customer.pk, value, position)
            for item in new
            for position, value in enumerate(getattr(item, key))
        ]
        _create_with_history(model, ("customer_id", field, "position"), children, actor, reason)
    links = [
        (item.customer.pk, tag_id)
        for item in new
        for tag_id in dict.fromkeys(tags[name.casefold()].pk for name in item.tags)
    ]
    _create_with_history(CustomerTag, ("customer_id", "tag_id"), links, actor, reason)
    _save_new([contact for item in new for contact in item.contacts], actor, reason)
    _save_new([address for item in new for address in item.addresses], actor, reason)
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


# --- contacts and addresses ---------------------------------------------------------


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


def _single_flag(instance: models.Model, flag: str, actor, reason) -> None:
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


# --- duplicates and merge -----------------------------------------------------------


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _similar_name_and_address(customer: Customer) -> dict[int, float]:
    """Other customers with a similar name at a similar address, with the name score."""
    places = [
        (customer.pk, customer.name_key, street, code, city)
        for street, code, city in customer.addresses.values_list("street", "postal_code", "city")
    ]
    alike = customers_alike(places).get(customer.pk, {})
    return {other: score for other, (_name, score) in alike.items() if other != customer.pk}


def duplicates_refresh_for(*, customer: Customer) -> list[DuplicateCandidate]:
    """Find the customers that look like ``customer`` and record them as candidates.

    Same tax id, same e-mail, same phone, or a similar name at a similar address.
    Pairs someone dismissed stay dismissed.
    """
    if customer.merged_into_id or customer.anonymized_at:
        return []
    reasons: dict[int, set[str]] = {}
    scores: dict[int, float] = {}
    live = Customer.objects.filter(merged_into__isnull=True).exclude(pk=customer.pk)
    if tax_id_tells_apart(customer.tax_id):
        for other in live.filter(tax_id=customer.tax_id).values_list("pk", flat=True):
            reasons.setdefault(other, set()).add(DuplicateReason.TAX_ID)
    emails = list(customer.emails.values_list("email", flat=True))
    if emails:
        for other in live.filter(emails__email__in=emails).values_list("pk", flat=True):
            reasons.setdefault(other, set()).add(DuplicateReason.EMAIL)
    phones = list(customer.phones.values_list("number", flat=True))
    if phones:
        for other in live.filter(phones__number__in=phones).values_list("pk", flat=True):
            reasons.setdefault(other, set()).add(DuplicateReason.PHONE)
    for other, score in _similar_name_and_address(customer).items():
        reasons.setdefault(other, set()).add(DuplicateReason.NAME_ADDRESS)
        scores[other] = score / 100
    DuplicateCandidate.objects.filter(
        Q(customer=customer) | Q(other=customer), status=DuplicateStatus.OPEN
    ).exclude(Q(customer_id__in=reasons) | Q(other_id__in=reasons)).delete()
    candidates = []
    for other, why in reasons.items():
        low, high = _pair(customer.pk, other)
        score = 1.0 if why - {DuplicateReason.NAME_ADDRESS} else scores[other]
        candidate, created = DuplicateCandidate.objects.get_or_create(
            customer_id=low, other_id=high, defaults={"reasons": sorted(why), "score": score}
        )
        if not created and (candidate.reasons != sorted(why) or candidate.score != score):
            candidate.reasons, candidate.score = sorted(why), score
            candidate.save(update_fields=["reasons", "score"])
        candidates.append(candidate)
    return candidates


def duplicates_scan() -> int:
    """Look for duplicates among all customers; returns how many pairs are open."""
    for customer in Customer.objects.filter(
        merged_into__isnull=True, anonymized_at__isnull=True
    ).iterator():
        duplicates_refresh_for(customer=customer)
    return DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN).count()


@transaction.atomic
def duplicate_dismiss(*, actor: User | None, candidate: DuplicateCandidate) -> None:
    """Mark a pair as not the same customer; it is not proposed again."""
    actor_check(actor, Capability.CUSTOMER_MERGE)
    candidate.status = DuplicateStatus.DISMISSED
    candidate.save(update_fields=["status"])


def _relations_to_move() -> list[tuple[type[models.Model], str]]:
    """Every (model, field) that points at a customer and follows it in a merge."""
    relations = []
    for relation in Customer._meta.related_objects:
        model = relation.related_model
        if model is DuplicateCandidate or model._meta.label.split(".")[-1].startswith("Historical"):
            continue
        if relation.one_to_many or relation.one_to_one:
            relations.append((model, relation.field.name))
    return relations


def _unique_key(row: models.Model, fields: Sequence[str]) -> tuple:
    return tuple(getattr(row, row._meta.get_field(f).attname) for f in fields)


@transaction.atomic
def customers_merge(
    *, actor: User | None, survivor: Customer, duplicate: Customer, reason: str = ""
) -> Customer:
    """Merge ``duplicate`` into ``survivor``.

    Every record that points at the duplicate (e-mails, phones, tags, contacts,
    addresses, referrals, and whatever later apps add: orders, tickets…) moves to the
    survivor; blank fields of the survivor take the duplicate's values, and the earlier
    "customer since" day of the two is kept. The duplicate
    stays, marked as merged, so that both histories remain and show on the survivor.
    """
    actor_check(actor, Capability.CUSTOMER_MERGE)
    if survivor.pk == duplicate.pk:
        raise ValidationError({"duplicate": [_("A customer cannot be merged with itself.")]})
    for field, customer in (("survivor", survivor), ("duplicate", duplicate)):
        if customer.merged_into_id or customer.anonymized_at:
            raise ValidationError({field: [_("This customer was already merged or anonymised.")]})
    reason = reason or _("Merged “%(duplicate)s” (#%(id)s) into this customer.") % {
        "duplicate": duplicate.name,
        "id": duplicate.pk,
    }
    version_claim(instance=survivor, version=survivor.version)
    version_claim(instance=duplicate, version=duplicate.version)
    DuplicateCandidate.objects.filter(Q(customer=duplicate) | Q(other=duplicate)).delete()
    for model, field in _relations_to_move():
        unique_fields = getattr(model, "MERGE_UNIQUE_FIELDS", ())
        taken = (
            set(model.objects.filter(**{field: survivor}).values_list(*unique_fields))
            if unique_fields
            else set()
        )
        for row in model.objects.filter(**{field: duplicate}):
            history_as(row, actor, reason)
            if unique_fields and _unique_key(row, unique_fields) in taken:
                row.delete()
                continue
            setattr(row, field, survivor)
            if hasattr(row, "is_default"):
                row.is_default = (
                    row.is_default and not survivor.addresses.filter(is_default=True).exists()
                )
            if hasattr(row, "is_primary"):
                row.is_primary = (
                    row.is_primary and not survivor.contacts.filter(is_primary=True).exists()
                )
            row.save()
    for field in ("legal_name", "tax_id", "tax_id_type", "source", "preferred_channel", "notes"):
        if not getattr(survivor, field) and getattr(duplicate, field):
            setattr(survivor, field, getattr(duplicate, field))
    for field in ("owner", "referred_by"):
        if getattr(survivor, f"{field}_id") is None and getattr(duplicate, f"{field}_id"):
            setattr(survivor, f"{field}_id", getattr(duplicate, f"{field}_id"))
    if survivor.referred_by_id == survivor.pk:
        survivor.referred_by = None
    starts = [c.customer_since for c in (survivor, duplicate) if c.customer_since is not None]
    survivor.customer_since = min(starts, default=None)  # a customer since the earlier
    history_as(survivor, actor, reason)
    survivor.save()
    duplicate.merged_into = survivor
    history_as(duplicate, actor, reason)
    duplicate.save()
    customer_refresh_derived(survivor)
    customer_refresh_derived(duplicate)
    duplicates_refresh_for(customer=survivor)
    return survivor


# --- privacy ------------------------------------------------------------------------

# Personal fields erased on anonymisation, in the live records and in their history.
# The customer's own fields that anonymising erases (besides its name), and those that
# are not personal; what other records keep is registered in customers.personal.
CUSTOMER_ERASED = {"legal_name": "", "tax_id": "", "tax_id_type": "", "notes": ""}
CUSTOMER_KEPT = ("kind", "external_id", "country", "name_key", "search_document")


@transaction.atomic
def customer_anonymize(*, actor: User | None, customer: Customer, reason: str = "") -> Customer:
    """Erase a customer's personal data on request, keeping the customer's sales figures.

    The name becomes "Anonymised customer #id"; consents are withdrawn; what every app
    registered as personal (``customers.personal``) is erased or removed: e-mails, phones
    and contacts go, addresses keep only city, region and country, order and wallet notes
    are emptied. The same fields are erased from every version in the history, of the
    customers merged into this one too.
    """
    actor_check(actor, Capability.CUSTOMER_PRIVACY, customer)
    if customer.anonymized_at:
        raise ValidationError(_("This customer is already anonymised."))
    reason = reason or _("Personal data erased on request.")
    version_claim(instance=customer, version=customer.version)
    ids = [customer.pk, *customer.merged_customers.values_list("pk", flat=True)]
    for entry in personal_data_registered():
        _personal_data_erase(entry, ids, actor, reason)
    anonymous_name = _("Anonymised customer #%(id)s") % {"id": customer.pk}
    customer.name = anonymous_name
    for field, value in CUSTOMER_ERASED.items():
        setattr(customer, field, value)
    customer.consent_email = customer.consent_phone = customer.consent_sms = False
    customer.consent_mail = False
    customer.preferred_channel = ""
    customer.anonymized_at = timezone.now()
    history_as(customer, actor, reason)
    customer.save()
    Customer.objects.filter(merged_into=customer).update(name=anonymous_name, **CUSTOMER_ERASED)
    Customer.history.filter(id__in=ids).update(name=anonymous_name, **CUSTOMER_ERASED)
    DuplicateCandidate.objects.filter(Q(customer=customer) | Q(other=customer)).delete()
    customer_refresh_derived(customer)
    return customer


def _personal_data_erase(
    entry: PersonalData, customers: list[int], actor: User | None, reason: str
) -> None:
    """Erase what ``entry`` registered of ``customers``: in the rows (a version made for
    each changed row of a model with a history) and in every version before."""
    rows = personal_data_rows(entry, customers)
    history = getattr(entry.model, "history", None)
    if entry.delete:
        for row in rows:
            history_as(row, actor, reason)
            row.delete()
    elif entry.erase and history is None:
        rows.update(**entry.erase)
    elif entry.erase:
        for row in rows.exclude(**entry.erase):
            for name, value in entry.erase.items():
                setattr(row, name, value)
            if hasattr(row, "version"):
                row.version += 1
            history_as(row, actor, reason)
            row.save()
    if history is not None and entry.erase:
        history.filter(**{f"{entry.customer_field}_id__in": customers}).update(**entry.erase)
