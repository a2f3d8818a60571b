"""Reads of the customer catalog, scoped to what the user may see."""

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, models
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.access import limited_to_own_customers
from clientela.core.models import User
from clientela.core.pagination import RowsByIds
from clientela.core.validators import country_name
from clientela.customers import matching
from clientela.customers.models import (
    Address,
    Contact,
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerTag,
    DuplicateCandidate,
    DuplicateReason,
    DuplicateStatus,
    Tag,
)
from clientela.customers.personal import personal_data_registered, personal_data_rows

ORDERINGS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}


def customer_scope(*, user: User) -> QuerySet[Customer]:
    """The live (not merged) customers ``user`` may see."""
    queryset = Customer.objects.filter(merged_into__isnull=True)
    if limited_to_own_customers(user):
        queryset = queryset.filter(owner=user)
    return queryset


def customer_find(*, user: User, pk: int) -> Customer | None:
    """The live customer ``pk`` if the user may see it, else None."""
    return customer_scope(user=user).filter(pk=pk).first()


def customer_since_between(start: date | None, end: date | None) -> Q:
    """The customers who started from ``start`` to ``end`` (either left open): by their
    "customer since" date, else by the day they were added (the business's local time)."""
    since = Q(customer_since__isnull=False)
    added = Q(customer_since__isnull=True)
    if start is not None:
        since &= Q(customer_since__gte=start)
        added &= Q(created_at__gte=timezone.make_aware(datetime.combine(start, time.min)))
    if end is not None:
        since &= Q(customer_since__lte=end)
        following = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
        added &= Q(created_at__lt=following)
    return since | added


def customer_new_since(day: date) -> Q:
    """The customers who started from ``day`` on (``customer_since_between``)."""
    return customer_since_between(day, None)


def customer_list(
    *,
    user: User,
    search: str = "",
    tag: str = "",
    owner: int | None = None,
    source: str = "",
    city: str = "",
    new_since: date | None = None,
    not_contacted_days: int | None = None,
    ordering: str = "name",
    all_matches: bool = False,
) -> QuerySet[Customer] | RowsByIds[Customer]:
    """Customers matching the search and filters, with what a list row shows prefetched.

    The search matches every word against the name, legal name, tax id, e-mails,
    phones and contact names, accents and case ignored. It keeps the first
    ``CLIENTELA_COUNT_LIMIT + 1`` customers the search index finds, sorted, and reads
    their rows a page at a time: a word that matches much of a big catalog costs no
    more than a rare one, and the list says there are more, to narrow the search.
    With ``all_matches`` (an export) a search gives every match, as a queryset.
    ``not_contacted_days`` keeps the customers with no contact, either way, in that many
    days (never contacted included), by their last contact (``last_contacted_at``).
    """
    order = ORDERINGS.get(ordering, ORDERINGS["name"])
    terms = matching.search_terms(search)
    if terms:
        # Merged customers have no search text: the words alone leave them out.
        queryset = Customer.objects.all()
        if limited_to_own_customers(user):
            queryset = queryset.filter(owner=user)
        for term in terms:
            queryset = queryset.filter(search_document__contains=term)
    else:
        queryset = customer_scope(user=user)
    if tag:
        queryset = queryset.filter(
            Exists(CustomerTag.objects.filter(customer=OuterRef("pk"), tag__name__iexact=tag))
        )
    if owner:
        queryset = queryset.filter(owner_id=owner)
    if source:
        queryset = queryset.filter(source=source)
    if city:
        queryset = queryset.filter(
            Exists(Address.objects.filter(customer=OuterRef("pk"), city__iexact=city))
        )
    if new_since:
        queryset = queryset.filter(customer_new_since(new_since))
    if not_contacted_days:
        since = timezone.now() - timedelta(days=not_contacted_days)
        queryset = queryset.filter(
            Q(last_contacted_at__isnull=True) | Q(last_contacted_at__lt=since)
        )
    if not terms or all_matches:
        return _with_row_data(queryset).order_by(*order)
    first_found = queryset.order_by().values("pk")[: settings.CLIENTELA_COUNT_LIMIT + 1]
    ids = Customer.objects.filter(pk__in=first_found).order_by(*order).values_list("pk", flat=True)
    return RowsByIds(list(ids), _with_row_data(Customer.objects.all()))


def _with_row_data(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    """What a row of the customer list shows, read in a fixed number of queries."""
    # Read into plain lists (to_attr): a related manager and a queryset made for each
    # row and relation cost more than the four queries (a fifth of the list page).
    return queryset.select_related("owner").prefetch_related(
        Prefetch(
            "emails",
            queryset=CustomerEmail.objects.order_by("position", "id"),
            to_attr="listed_emails",
        ),
        Prefetch(
            "phones",
            queryset=CustomerPhone.objects.order_by("position", "id"),
            to_attr="listed_phones",
        ),
        Prefetch(
            "addresses",
            queryset=Address.objects.filter(is_default=True),
            to_attr="default_addresses",
        ),
        Prefetch(
            "customer_tags",
            queryset=CustomerTag.objects.select_related("tag"),
            to_attr="listed_customer_tags",
        ),
    )


def customer_children(customer: Customer, relation: str) -> list:
    """The customer's ``emails``, ``phones`` or ``customer_tags`` in order: as read with
    its list row (``customer_list``), else as prefetched (``customer_get``) or read now."""
    listed = getattr(customer, f"listed_{relation}", None)
    return listed if listed is not None else list(getattr(customer, relation).all())


def customer_visible(*, user: User) -> QuerySet[Customer]:
    """Every customer ``user`` may see, merged ones included (for their history)."""
    queryset = Customer.objects.all()
    if limited_to_own_customers(user):
        queryset = queryset.filter(owner=user)
    return queryset


def customer_get(*, user: User, pk: int) -> Customer:
    """One customer the user may see, merged ones included; raises Customer.DoesNotExist."""
    return (
        customer_visible(user=user)
        .select_related("owner", "referred_by", "merged_into")
        .prefetch_related(
            "emails",
            "phones",
            "contacts",
            "addresses",
            Prefetch("customer_tags", queryset=CustomerTag.objects.select_related("tag")),
        )
        .get(pk=pk)
    )


def contact_get(*, user: User, pk: int) -> Contact:
    """One contact of a customer the user may see; raises Contact.DoesNotExist."""
    queryset = Contact.objects.select_related("customer")
    if limited_to_own_customers(user):
        queryset = queryset.filter(customer__owner=user)
    return queryset.get(pk=pk)


def address_get(*, user: User, pk: int) -> Address:
    """One address of a customer the user may see; raises Address.DoesNotExist."""
    queryset = Address.objects.select_related("customer")
    if limited_to_own_customers(user):
        queryset = queryset.filter(customer__owner=user)
    return queryset.get(pk=pk)


CITY_CHOICES_LIMIT = 500


def customer_cities(*, user: User) -> list[str]:
    """The distinct cities of the customers' addresses, A to Z, for the list's filter.

    Over the whole catalog it hops from one city to the next along the city index (a
    loose index scan), so a million addresses cost no more than their few hundred cities.
    """
    if limited_to_own_customers(user):
        return list(
            Address.objects.filter(customer__in=customer_scope(user=user))
            .order_by("city")
            .values_list("city", flat=True)
            .distinct()[:CITY_CHOICES_LIMIT]
        )
    table = connection.ops.quote_name(Address._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE cities(city) AS (
                SELECT (SELECT city FROM {table} ORDER BY city LIMIT 1)
                UNION ALL
                SELECT (SELECT city FROM {table} WHERE city > cities.city ORDER BY city LIMIT 1)
                FROM cities WHERE cities.city IS NOT NULL
            )
            SELECT city FROM cities WHERE city IS NOT NULL LIMIT %s
            """,
            [CITY_CHOICES_LIMIT],
        )
        return [city for (city,) in cursor.fetchall()]


def customer_tags(*, customer: Customer) -> list[str]:
    """The names of the customer's tags, as the list row or the page read them."""
    return [link.tag.name for link in customer_children(customer, "customer_tags")]


# --- history ------------------------------------------------------------------------

HIDDEN_HISTORY_FIELDS = frozenset(
    {"id", "created_at", "updated_at", "version", "customer", "position", "tax_id_type"}
)


@dataclass
class FieldChange:
    field: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: datetime
    who: str
    action: str  # "created", "changed" or "deleted"
    subject: str  # what the record is: "Customer", "Contact Ana López"
    reason: str
    changes: list[FieldChange] = field(default_factory=list)


def _display(model_field: models.Field, value: Any, names: dict[tuple[str, Any], str]) -> str:
    if value in (None, ""):
        return "—"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.BooleanField):
        return _("yes") if value else _("no")
    if isinstance(model_field, models.ForeignKey):
        related = model_field.related_model
        assert not isinstance(related, str)  # "self" is the model itself once apps load
        return names.get((related._meta.label, value), f"#{value}")
    if model_field.name == "country":
        return country_name(value)
    return str(value)


def _subject(model: type[models.Model], row: Any, customer: Customer) -> str:
    label = str(model._meta.verbose_name).capitalize()
    if model is Customer:
        return label if row.id == customer.pk else f"{label} #{row.id}: {row.name}"
    return f"{label}: {model.__str__(row)}"


def customer_history(*, customer: Customer) -> list[HistoryEntry]:
    """Every change to the customer and its child records, newest first.

    Includes the history of customers merged into this one, so nothing is lost in a
    merge.
    """
    ids = [customer.pk, *Customer.objects.filter(merged_into=customer).values_list("pk", flat=True)]
    sources: list[tuple[type[models.Model], QuerySet]] = [
        (Customer, Customer.history.filter(id__in=ids)),
        (CustomerEmail, CustomerEmail.history.filter(customer_id__in=ids)),
        (CustomerPhone, CustomerPhone.history.filter(customer_id__in=ids)),
        (CustomerTag, CustomerTag.history.filter(customer_id__in=ids)),
        (Contact, Contact.history.filter(customer_id__in=ids)),
        (Address, Address.history.filter(customer_id__in=ids)),
    ]
    rows_by_model = {
        model: list(queryset.order_by("id", "history_date", "history_id"))
        for model, queryset in sources
    }
    names = _referenced_names(rows_by_model)
    entries: list[HistoryEntry] = []
    for model, rows in rows_by_model.items():
        fields = [
            f for f in model._meta.fields if f.name not in HIDDEN_HISTORY_FIELDS and f.editable
        ]
        previous = None
        for row in rows:
            if previous is not None and previous.id != row.id:
                previous = None
            action = {"+": "created", "~": "changed", "-": "deleted"}[row.history_type]
            changes = []
            if action == "changed" and previous is not None:
                for f in fields:
                    old, new = getattr(previous, f.attname), getattr(row, f.attname)
                    if old != new:
                        changes.append(
                            FieldChange(
                                str(f.verbose_name),
                                _display(f, old, names),
                                _display(f, new, names),
                            )
                        )
                if not changes:
                    previous = row
                    continue
            elif action == "created" and model is not CustomerTag:
                changes = [
                    FieldChange(
                        str(f.verbose_name), "", _display(f, getattr(row, f.attname), names)
                    )
                    for f in fields
                    if getattr(row, f.attname) not in (None, "", False)
                ]
            if model is CustomerTag:
                subject = f"{_('Tag')}: {names.get(('customers.Tag', row.tag_id), row.tag_id)}"
            else:
                subject = _subject(model, row, customer)
            entries.append(
                HistoryEntry(
                    when=row.history_date,
                    who=names.get((User._meta.label, row.history_user_id), _("system")),
                    action=action,
                    subject=subject,
                    reason=row.history_change_reason or "",
                    changes=changes,
                )
            )
            previous = row
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries


def _referenced_names(rows_by_model: dict) -> dict[tuple[str, Any], str]:
    """Display names of the users, customers and tags the history rows point at, and of
    who made each change, in bulk."""
    wanted: dict[type[models.Model], set] = {User: set()}
    for model, rows in rows_by_model.items():
        wanted[User].update(row.history_user_id for row in rows)
        for f in model._meta.fields:
            if isinstance(f, models.ForeignKey) and f.name != "customer":
                assert not isinstance(f.related_model, str)  # "self" resolved once apps load
                wanted.setdefault(f.related_model, set()).update(
                    getattr(r, f.attname) for r in rows
                )
    names: dict[tuple[str, Any], str] = {}
    for related, pks in wanted.items():
        pks.discard(None)
        if not pks:
            continue
        for obj in related._default_manager.filter(pk__in=pks):
            names[(related._meta.label, obj.pk)] = str(obj)
    return names


# --- duplicates and privacy ---------------------------------------------------------


def duplicate_list(*, user: User, customer: Customer | None = None) -> QuerySet[DuplicateCandidate]:
    """Open duplicate pairs the user may see (both customers in scope), best match first."""
    scope = customer_scope(user=user)
    queryset = DuplicateCandidate.objects.filter(
        status=DuplicateStatus.OPEN, customer__in=scope, other__in=scope
    )
    if customer is not None:
        queryset = queryset.filter(Q(customer=customer) | Q(other=customer))
    return queryset.select_related("customer", "other").order_by("-score", "id")


def customers_alike_recorded(*, customers: Iterable[int]) -> list[tuple[int, int, str]]:
    """The look-alikes recorded for these new customers (a similar name at a similar
    address; the other is older, or was created before it): (new id, other id, other's
    name) of each pair."""
    pairs = DuplicateCandidate.objects.filter(other__in=customers).values_list(
        "other_id", "customer_id", "customer__name", "reasons"
    )
    return [
        (pk, other, name)
        for pk, other, name, reasons in pairs
        if DuplicateReason.NAME_ADDRESS in reasons
    ]


def customer_personal_data(*, customer: Customer) -> dict[str, Any]:
    """Everything personal Clientela keeps about a customer, as JSON-ready data: its own
    fields and what every app registered (``customers.personal``), of the customers
    merged into it too."""
    ids = [customer.pk, *customer.merged_customers.values_list("pk", flat=True)]
    data: dict[str, Any] = {
        "id": customer.pk,
        "kind": customer.kind,
        "name": customer.name,
        "legal_name": customer.legal_name,
        "tax_id": customer.tax_id,
        "country": customer.country,
        "language": customer.language,
        "consent": {
            "email": customer.consent_email,
            "phone": customer.consent_phone,
            "sms": customer.consent_sms,
            "mail": customer.consent_mail,
            "preferred_channel": customer.preferred_channel,
        },
        "source": customer.source,
        "referred_by": customer.referred_by_id,
        "notes": customer.notes,
        "created_at": customer.created_at.isoformat(),
        "updated_at": customer.updated_at.isoformat(),
    }
    for entry in personal_data_registered():
        if entry.export_as:
            rows = personal_data_rows(entry, ids)
            data[entry.export_as] = list(
                rows.values_list(entry.export[0], flat=True)
                if len(entry.export) == 1
                else rows.values(*entry.export)
            )
    return data


# --- web interface ------------------------------------------------------------------


@dataclass
class CustomerSummary:
    total: int
    new_this_month: int
    open_duplicates: int


def customer_summary(*, user: User) -> CustomerSummary:
    """The counts the home page shows: customers, new this month (those who started this
    month: by their "customer since" date, else by when they were added), duplicates to
    review."""
    month_start = timezone.localdate().replace(day=1)
    counts = customer_scope(user=user).aggregate(
        total=models.Count("pk"),
        new_this_month=models.Count("pk", filter=customer_new_since(month_start)),
    )
    return CustomerSummary(
        total=counts["total"],
        new_this_month=counts["new_this_month"],
        open_duplicates=duplicate_list(user=user).count(),
    )


def customer_owner_choices(*, current: Customer | None = None) -> QuerySet[User]:
    """The users a customer can be assigned to: the active ones, and its present owner."""
    condition = Q(is_active=True)
    if current is not None and current.owner_id:
        condition |= Q(pk=current.owner_id)
    return User.objects.filter(condition).order_by("first_name", "username")


def tag_list() -> list[str]:
    """Every tag name, for the list's filter."""
    return list(Tag.objects.order_by("name").values_list("name", flat=True))


def customer_lookup(
    *, user: User, search: str, limit: int = 10, pk: int | None = None
) -> list[Customer]:
    """A few live customers matching ``search`` (only ``pk``, if given), for
    pick-a-customer suggestions."""
    queryset = customer_scope(user=user)
    if pk is not None:
        queryset = queryset.filter(pk=pk)
    terms = matching.search_terms(search)
    if not terms:
        return []
    for term in terms:
        queryset = queryset.filter(search_document__contains=term)
    return list(queryset.only("pk", "name", "kind").order_by("name", "id")[:limit])


def customer_pick(
    *, user: User, text: str, picked: int | None = None, limit: int = 10
) -> tuple[Customer | None, list[Customer]]:
    """The customer a typed text names, for a pick-a-customer field, and the matches.

    ``picked`` (a customer chosen among suggestions) is the one while the text still
    finds it. A number ("42", "#42") is that customer's number. Words are searched as
    the customer list searches them: the only customer found, or the one found whose
    name is the text itself (case and spaces aside), is the one; otherwise there is
    none and the matches (up to ``limit``, by name) are for the user to choose from.
    """
    text = " ".join(text.split())
    number = text.removeprefix("#")
    if number.isdigit():
        customer = customer_find(user=user, pk=int(number))
        return customer, [customer] if customer else []
    if picked is not None:
        chosen = customer_lookup(user=user, search=text, limit=1, pk=picked)
        if chosen:
            return chosen[0], chosen
    matches = customer_lookup(user=user, search=text, limit=limit)
    exact = [customer for customer in matches if customer.name.casefold() == text.casefold()]
    if len(exact) == 1:
        return exact[0], matches
    return (matches[0] if len(matches) == 1 else None), matches


# Postal codes in one ``IN``; cities in one query (SQLite refuses expressions 1,000 deep).
_CODES_PER_TERM = 5000
_CITIES_PER_QUERY = 200


# The key a caller gives each place it asks ``customers_alike`` about.
PlaceKey = TypeVar("PlaceKey", bound=Hashable)


def customers_alike(
    places: Iterable[tuple[PlaceKey, str, str, str, str]],
) -> dict[PlaceKey, dict[int, tuple[str, float]]]:
    """For each place ``(key, name key, street, postal code, city)``, the live customers
    with a similar name at a similar street in the same postal code (or, for a place
    without one, the same city, case aside), as the duplicates list judges: by customer
    id, the customer's name and the best name score. One query for a few hundred cities.
    """
    places = list(places)
    codes = sorted({code for *_rest, code, _city in places if code})
    cities = sorted({city.casefold() for *_rest, code, city in places if not code and city})
    terms = [
        Q(postal_code__in=codes[start : start + _CODES_PER_TERM])
        for start in range(0, len(codes), _CODES_PER_TERM)
    ]
    terms += [Q(postal_code="", city__iexact=city) for city in cities]
    blocks: dict[tuple[str, str], list[tuple[int, str, str, str]]] = {}
    for start in range(0, len(terms), _CITIES_PER_QUERY):
        near = Address.objects.filter(
            reduce(or_, terms[start : start + _CITIES_PER_QUERY]),
            customer__merged_into__isnull=True,
        )
        for pk, name, name_key, street, code, city in near.values_list(
            "customer_id", "customer__name", "customer__name_key", "street", "postal_code", "city"
        ):
            block = (code, "" if code else city.casefold())
            blocks.setdefault(block, []).append((pk, name, name_key, matching.street_key(street)))
    found: dict[PlaceKey, dict[int, tuple[str, float]]] = {}
    for key, name_key, street, code, city in places:
        street = matching.street_key(street)
        for pk, name, other_key, other_street in blocks.get(
            (code, "" if code else city.casefold()), []
        ):
            score = matching.names_similar(name_key, other_key)
            if score < matching.NAME_SIMILARITY or not matching.streets_similar(
                street, other_street
            ):
                continue
            alike = found.setdefault(key, {})
            if score > alike.get(pk, ("", 0))[1]:
                alike[pk] = (name, score)
    return found


# The records whose history says which customer holds which key (see below).
_KEYED = (Customer, CustomerEmail, CustomerPhone)


def customer_history_mark() -> tuple[int, ...]:
    """Where the history of customers, their e-mails and phones stands now: the latest
    record of each (0 for none)."""
    return tuple(
        model.history.model.objects.aggregate(last=models.Max("history_id"))["last"] or 0
        for model in _KEYED
    )


def customer_keys_changed_since(mark: tuple[int, ...]) -> set[tuple[str, str]]:
    """The keys an import matches customers by — ("number", id), ("tax_id", …),
    ("external_id", …), ("email", …), ("phone", …) — of what changed after ``mark``
    (``customer_history_mark``): each customer created, changed, merged or deleted, each
    e-mail and phone added or removed."""
    customers_mark, emails_mark, phones_mark = mark
    keys: set[tuple[str, str]] = set()
    changed = Customer.history.model.objects.filter(history_id__gt=customers_mark)
    for pk, tax_id, external_id in changed.values_list("id", "tax_id", "external_id"):
        keys |= {("number", str(pk)), ("tax_id", tax_id), ("external_id", external_id)}
    for model, column, kind, since in (
        (CustomerEmail, "email", "email", emails_mark),
        (CustomerPhone, "number", "phone", phones_mark),
    ):
        rows = model.history.model.objects.filter(history_id__gt=since)
        for customer_id, value in rows.values_list("customer_id", column):
            keys |= {("number", str(customer_id)), (kind, value)}
    return keys


def customers_hidden(user: User | None, customers: Iterable[int]) -> set[int]:
    """Of the customer ids ``customers``, those ``user`` may not see (none for the system,
    ``None``, or a user who sees every customer); one query."""
    wanted = set(customers)
    if user is None or not wanted or not limited_to_own_customers(user):
        return set()
    seen = customer_visible(user=user).filter(pk__in=wanted).values_list("pk", flat=True)
    return wanted - set(seen)
