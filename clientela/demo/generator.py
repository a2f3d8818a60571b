"""The demo business: a bakery in Mexico City, its staff and its customers.

``build_demo(customers=300, seed=2024)`` creates it through the same services users
go through, so the demo shows exactly what a real catalog looks like. Everything is
drawn from ``random.Random`` instances seeded from the seed and a purpose name, never
from the global random state: the same seed gives the same business, and a later step
(orders, events, tickets, campaigns) that draws from its own ``business.random("orders")``
leaves the customers of a seed unchanged.

To extend the demo, write ``def create_orders(business: DemoBusiness) -> None`` that
reads ``business.customers`` and ``business.users``, creates records through its app's
services, passes them to ``business.remember(...)`` so that ``demo --reset`` removes
them, and append it to ``DEMO_STEPS``. Services stamp records with the present
moment; ``story_time`` dates them on the days of the story instead (see
``demo/orders.py``).
"""

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.manager import HistoryManager

from clientela.analytics.models import AnalysisRun
from clientela.analytics.services import analysis_run
from clientela.core.models import Role, User
from clientela.core.parsing import fold
from clientela.core.services import user_create
from clientela.customers import matching
from clientela.customers.models import Customer, CustomerKind, Tag
from clientela.customers.selectors import duplicate_list
from clientela.customers.services import customers_bulk_create
from clientela.demo import campaigns as demo_campaigns
from clientela.demo import catalog
from clientela.demo import events as demo_events
from clientela.demo import orders as demo_orders
from clientela.demo import relations as demo_relations
from clientela.demo.identity import company_rfc, person_curp, person_rfc
from clientela.demo.models import DemoRecord
from clientela.orders.models import Product

DEFAULT_CUSTOMERS = 300
DEFAULT_SEED = 2024
# How far back the orders and events go: about three years up to today.
DEFAULT_HISTORY_DAYS = 3 * 365
REMOVE_BATCH = 500  # ids per DELETE, well under SQLite's limit of query parameters
REFERRAL_SHARE = 0.10
NEAR_DUPLICATE_SHARE = 0.03


@dataclass(frozen=True)
class DemoLogin:
    """A member of the demo staff and the password the demo gives them."""

    username: str
    password: str
    role: str
    first_name: str
    last_name: str


# The passwords are printed by `clientela demo` and are public: the demo is for trying
# Clientela on one's own computer.
DEMO_STAFF = (
    DemoLogin("lucia", "concha-de-vainilla", Role.OWNER, "Lucía", "Espinosa"),
    DemoLogin("diego", "bolillo-crujiente", Role.SALES, "Diego", "Ramírez"),
    DemoLogin("sofia", "cuerno-de-mantequilla", Role.SALES, "Sofía", "Castañeda"),
    DemoLogin("mateo", "oreja-de-hojaldre", Role.SUPPORT, "Mateo", "Herrera"),
    DemoLogin("carmen", "polvoron-de-nuez", Role.READONLY, "Carmen", "Ibarra"),
)
SALESPEOPLE = tuple(login.username for login in DEMO_STAFF if login.role == Role.SALES)
OWNER = next(login.username for login in DEMO_STAFF if login.role == Role.OWNER)


class DemoExistsError(Exception):
    """The database already holds demo data (or a user with a demo user's name)."""


# --- the plan: what to create, decided without touching the database ----------------


@dataclass
class CustomerPlan:
    """One customer to create: ``customer_create``'s arguments plus links to other plans."""

    segment: str
    fields: dict  # kind, name, legal_name, tax_id, source, consents, channel, language, notes
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    contacts: list[dict] = field(default_factory=list)
    addresses: list[dict] = field(default_factory=list)
    owner: str | None = None  # a username from DEMO_STAFF
    referred_by: int | None = None  # index of an earlier plan
    duplicate_of: int | None = None  # index of the plan this one is a near-duplicate of
    duplicate_reason: str = ""  # "name_address", "phone" or "email"
    person_name: tuple[str, str, str] = ()  # given name and surnames, for people

    @property
    def name(self) -> str:
        return self.fields["name"]

    @property
    def tax_id(self) -> str:
        return self.fields.get("tax_id", "")


@dataclass(frozen=True)
class _Person:
    given: str
    paternal: str
    maternal: str
    female: bool
    birth: date
    foreign: bool = False

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given, self.paternal, self.maternal) if p)


def _weighted(rng: random.Random, options: Sequence[tuple[str, int]]) -> str:
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights=weights)[0]


def _slug(text: str, skip: frozenset[str] = frozenset()) -> str:
    return "".join(w for w in fold(text).split() if w not in skip)


_ARTICLES = frozenset({"la", "el", "los", "las", "de", "del", "y", "don", "dona"})


class _Planner:
    """Draws customers one by one, keeping names, tax ids, phones and e-mails unique."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.names: set[str] = set()
        self.people: set[str] = set()
        self.tax_ids: set[str] = set()
        self.phones: set[str] = set()
        self.emails: set[str] = set()

    # people and identifiers

    def person(self, *, female: bool | None = None, foreign: bool = False) -> _Person:
        rng = self.rng
        for attempt in range(100):
            is_female = rng.random() < 0.5 if female is None else female
            birth = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 54))
            if foreign:
                pool = catalog.FOREIGN_PEOPLE + catalog.RUSSIAN_PEOPLE
                given, surname = rng.choice(pool)
                if attempt:  # few foreign names: tell namesakes apart by a middle initial
                    given += f" {rng.choice('ABCDEFGHJKLMNPRSTW')}."
                person = _Person(given, surname, "", is_female, birth, foreign=True)
            else:
                given = rng.choice(catalog.FEMALE_NAMES if is_female else catalog.MALE_NAMES)
                paternal, maternal = rng.sample(catalog.SURNAMES, 2)
                person = _Person(given, paternal, maternal, is_female, birth)
            key = fold(person.full_name)
            if key not in self.people:
                break
        self.people.add(key)
        return person

    def _unique_tax_id(self, make: Callable[[], str]) -> str:
        while (value := make()) in self.tax_ids:
            pass
        self.tax_ids.add(value)
        return value

    def person_rfc(self, person: _Person) -> str:
        return self._unique_tax_id(
            lambda: person_rfc(
                given=person.given,
                paternal=person.paternal,
                maternal=person.maternal,
                birth=person.birth,
                rng=self.rng,
            )
        )

    def person_curp(self, person: _Person) -> str:
        state = _weighted(self.rng, catalog.BIRTH_STATES)
        return self._unique_tax_id(
            lambda: person_curp(
                given=person.given,
                paternal=person.paternal,
                maternal=person.maternal,
                birth=person.birth,
                female=person.female,
                state=state,
                rng=self.rng,
            )
        )

    def company_rfc(self, legal_name: str) -> str:
        founded = date(1975, 1, 1) + timedelta(days=self.rng.randrange(365 * 48))
        return self._unique_tax_id(
            lambda: company_rfc(legal_name=legal_name, founded=founded, rng=self.rng)
        )

    # phones and e-mails

    def phone_digits(self, *, mobile: bool) -> str:
        """Ten digits of a Mexico City number: 55 5… for a shop's line, 55/56 for mobiles."""
        rng = self.rng
        while True:
            if mobile:
                prefix = rng.choice(("55", "56")) + rng.choice("1346789")
            else:
                prefix = "55" + rng.choice("25")
            digits = prefix + "".join(rng.choice("0123456789") for _ in range(7))
            if digits not in self.phones:
                self.phones.add(digits)
                return digits

    def typed_phone(self, digits: str) -> str:
        """The number as someone would type it; the services store it as E.164."""
        area, first, last = digits[:2], digits[2:6], digits[6:]
        return self.rng.choice(
            (
                f"{area} {first} {last}",
                f"({area}) {first}-{last}",
                f"+52 {area} {first} {last}",
                digits,
                f"{area}-{first}-{last}",
            )
        )

    def _unique_email(self, local: str, domain: str) -> str:
        email, number = f"{local}@{domain}", 1
        while email in self.emails:
            number += 1
            email = f"{local}{number}@{domain}"
        self.emails.add(email)
        return email

    def personal_email(self, person: _Person) -> str:
        given = _slug(person.given.split()[0])
        surname = _slug(person.paternal, _ARTICLES)
        local = self.rng.choice(
            (
                f"{given}.{surname}",
                f"{given}{surname}{person.birth:%y}",
                f"{given[0]}{surname}",
                f"{given}_{surname}{self.rng.randrange(1, 99)}",
            )
        )
        return self._unique_email(local, _weighted(self.rng, catalog.PERSONAL_MAIL_DOMAINS))

    def business_domain(self, name: str) -> str:
        return f"{_slug(name, _ARTICLES)[:40]}.example"

    # places

    def address(self, segment: catalog.Segment, label: str = "") -> dict:
        rng = self.rng
        colonia = catalog.COLONIAS[_weighted(rng, segment.places)]
        street = f"{rng.choice(colonia.streets)} {rng.randint(1, 350)}"
        if rng.random() < 0.2:
            street += f", {rng.choice(catalog.INTERIORS)}"
        return {
            "label": label or rng.choice(segment.address_labels),
            "street": street,
            "neighborhood": colonia.name,
            "city": colonia.city,
            "region": colonia.region,
            "postal_code": colonia.postal_code,
            "delivery_notes": rng.choice(catalog.DELIVERY_NOTES) if rng.random() < 0.4 else "",
        }

    # names

    def business_name(self, segment: catalog.Segment, founder: _Person) -> str:
        """A trade name; "Don …"/"Doña …" names carry the founder's name."""
        rng = self.rng
        for _attempt in range(200):
            pattern = rng.choice(segment.name_patterns)
            if founder.female:
                pattern = pattern.replace("Don {male}", "Doña {female}")
            else:
                pattern = pattern.replace("Doña {female}", "Don {male}")
            name = pattern.format(
                surname=rng.choice(catalog.SURNAMES).replace("de la ", "De la "),
                male=founder.given.split()[0],
                female=founder.given.split()[-1],
                fancy=rng.choice(catalog.FANCY),
                cafe=rng.choice(catalog.CAFE),
                dish=rng.choice(catalog.DISH),
                hotel=rng.choice(catalog.HOTEL),
                region=rng.choice(catalog.REGION),
                school=rng.choice(catalog.SCHOOL),
            )
            if matching.name_key(name) not in self.names:
                break
        else:
            # Every combination taken: a second branch of the same business.
            name = f"{name} {rng.choice(list(catalog.COLONIAS.values())).name}"
        self.names.add(matching.name_key(name))
        return name

    # customers

    def contact(self, domain: str, role: str, person: _Person | None = None) -> dict:
        """A contact person; a role written "Chef ejecutivo|Chef ejecutiva" fits their gender."""
        person = person or self.person()
        masculine, _bar, feminine = role.partition("|")
        role = (feminine or masculine) if person.female else masculine
        local = f"{_slug(person.given.split()[0])}.{_slug(person.paternal, _ARTICLES)}"
        return {
            "name": person.full_name,
            "role": role,
            "email": self._unique_email(local, domain) if self.rng.random() < 0.7 else "",
            "phone": self.typed_phone(self.phone_digits(mobile=True)),
        }

    def consents(self, plan: CustomerPlan, person: bool) -> None:
        rng = self.rng
        if rng.random() < 0.1:
            return  # never asked: no consent, no preferred channel
        has_phone, has_email = bool(plan.phones), bool(plan.emails)
        consent = {
            "consent_email": has_email and rng.random() < 0.6,
            "consent_phone": has_phone and rng.random() < 0.5,
            "consent_sms": has_phone and rng.random() < 0.6,
            "consent_mail": bool(plan.addresses) and rng.random() < (0.1 if person else 0.4),
        }
        weights = (
            (("whatsapp", 55), ("sms", 10), ("email", 15), ("in_person", 15), ("phone", 5))
            if person
            else (("whatsapp", 45), ("email", 25), ("phone", 25), ("in_person", 5))
        )
        channel = _weighted(rng, weights)
        needs = {"whatsapp": "consent_sms", "sms": "consent_sms", "email": "consent_email"}
        needs["phone"] = "consent_phone"
        if channel in needs:
            if (channel == "email" and not has_email) or (channel != "email" and not has_phone):
                channel = "in_person"
            else:
                consent[needs[channel]] = True
        plan.fields.update(consent, preferred_channel=channel)

    def customer(self, segment: catalog.Segment) -> CustomerPlan:
        return self._person(segment) if segment.kind == "person" else self._business(segment)

    def _common(self, plan: CustomerPlan, segment: catalog.Segment) -> None:
        rng = self.rng
        plan.tags = [
            *segment.tags,
            *(t for t, share in segment.optional_tags if rng.random() < share),
        ]
        plan.fields["source"] = _weighted(rng, segment.sources)
        if segment.notes and rng.random() < 0.25:
            plan.fields["notes"] = rng.choice(segment.notes)
        if segment.key in {"hotel", "distributor"} and rng.random() < 0.5:
            plan.owner = OWNER
        elif segment.kind == "person" and rng.random() < 0.5:
            plan.owner = None
        elif rng.random() < 0.95:
            plan.owner = rng.choice(SALESPEOPLE)

    def _person(self, segment: catalog.Segment) -> CustomerPlan:
        rng = self.rng
        language = _weighted(rng, (("es", 96), ("en", 3), ("ru", 1)))
        person = self.person(foreign=language != "es")
        if language != "es":
            ru = (person.given, person.paternal) in catalog.RUSSIAN_PEOPLE
            language = "ru" if ru else "en"
        plan = CustomerPlan(
            segment=segment.key,
            fields={"kind": CustomerKind.PERSON, "name": person.full_name, "language": language},
            person_name=(person.given, person.paternal, person.maternal),
        )
        if not person.foreign and rng.random() < segment.invoice_share:
            curp = rng.random() < 0.25
            plan.fields["tax_id"] = self.person_curp(person) if curp else self.person_rfc(person)
        plan.phones = [self.typed_phone(self.phone_digits(mobile=True))]
        if rng.random() < 0.65:
            plan.emails = [self.personal_email(person)]
        if rng.random() < 0.6:
            plan.addresses = [self.address(segment)]
        self._common(plan, segment)
        self.consents(plan, person=True)
        return plan

    def _business(self, segment: catalog.Segment) -> CustomerPlan:
        rng = self.rng
        founder = self.person()
        name = self.business_name(segment, founder)
        domain = self.business_domain(name)
        language = "en" if segment.key in {"hotel", "cafe"} and rng.random() < 0.08 else "es"
        plan = CustomerPlan(
            segment=segment.key,
            fields={"kind": CustomerKind.BUSINESS, "name": name, "language": language},
        )
        owner_person = None
        if rng.random() < segment.company_share:
            legal = _weighted(rng, catalog.COMPANY_LEGAL_FORMS).format(name=name)
            plan.fields.update(legal_name=legal, tax_id=self.company_rfc(legal))
        elif rng.random() < segment.invoice_share:
            # A "persona física con actividad empresarial": the owner invoices in their name.
            owner_person = founder
            plan.fields.update(
                legal_name=owner_person.full_name, tax_id=self.person_rfc(owner_person)
            )
        plan.phones = [self.typed_phone(self.phone_digits(mobile=False))]
        if rng.random() < 0.5:
            plan.phones.append(self.typed_phone(self.phone_digits(mobile=True)))
        if rng.random() < 0.8:
            plan.emails = [self._unique_email(rng.choice(catalog.BUSINESS_MAIL_BOXES), domain)]
        if rng.random() < segment.contact_share:
            if owner_person is not None:
                plan.contacts.append(self.contact(domain, "Dueño|Dueña", owner_person))
            else:
                plan.contacts.append(self.contact(domain, rng.choice(segment.contact_roles)))
            if segment.key in {"hotel", "distributor", "company"} and rng.random() < 0.4:
                plan.contacts.append(self.contact(domain, "Cuentas por pagar"))
            plan.contacts[0]["is_primary"] = True
        plan.addresses = [self.address(segment)]
        if segment.key in {"restaurant", "hotel", "distributor", "company"} and rng.random() < 0.15:
            branch = self.address(segment)
            branch["label"] = f"Sucursal {branch['neighborhood']}"
            plan.addresses.append(branch)
        self._common(plan, segment)
        self.consents(plan, person=False)
        return plan

    # near-duplicates: the same customer entered twice, as happens in real catalogs

    def retyped_name(self, name: str) -> str:
        rng = self.rng
        words = name.split()
        longest = max(range(len(words)), key=lambda i: len(words[i]))
        word = words[longest]
        at = rng.randrange(1, len(word) - 2) if len(word) > 4 else 1
        typo = [*words[:longest], word[:at] + word[at + 1] + word[at] + word[at + 2 :]]
        typo += words[longest + 1 :]
        variants = [
            fold(name).title(),  # accents and punctuation lost
            name.upper(),
            f"{name} S.A. de C.V.",
            " ".join(typo),
        ]
        rng.shuffle(variants)
        key = matching.name_key(name)
        for variant in variants:
            similar = matching.names_similar(key, matching.name_key(variant))
            if variant != name and similar >= matching.NAME_SIMILARITY:
                return variant
        return name.upper()

    def retyped_street(self, street: str) -> str:
        rng = self.rng
        street, comma, interior = street.partition(", ")
        head, _space, number = street.rpartition(" ")
        plain = fold(head).title()
        variants = [
            f"{head.replace('Av. ', 'Avenida ')} No. {number}",
            f"{plain} #{number}",
            f"{plain} {number}",
            f"Calle {head} {number}" if not head.startswith("Av.") else f"Av {plain} {number}",
        ]
        rng.shuffle(variants)
        key = matching.street_key(street)
        retyped = next(
            (v for v in variants if matching.streets_similar(key, matching.street_key(v))),
            street,
        )
        return f"{retyped}{comma}{interior.lower()}"

    def near_duplicate(self, base: CustomerPlan, reason: str) -> CustomerPlan:
        rng = self.rng
        other_owner = rng.choice([u for u in SALESPEOPLE if u != base.owner])
        plan = CustomerPlan(
            segment=base.segment,
            fields={"kind": base.fields["kind"], "name": base.name, "language": "es"},
            tags=base.tags[:1],
            owner=other_owner,
            duplicate_reason=reason,
        )
        if reason == "name_address":
            plan.fields["name"] = self.retyped_name(base.name)
            address = dict(base.addresses[0])
            address["street"] = self.retyped_street(address["street"])
            address["delivery_notes"] = ""
            plan.addresses = [address]
            plan.fields["source"] = "phone"
        elif reason == "phone":
            given, paternal, _maternal = base.person_name
            plan.fields["name"] = f"{catalog.NICKNAMES.get(given, given)} {paternal}"
            plan.phones = [self.typed_phone(_digits(base.phones[0]))]
            plan.fields["source"] = "walk_in"
        else:  # the same e-mail, registered under the legal name
            legal = base.fields.get("legal_name", "")
            plan.fields["name"] = legal or self.retyped_name(base.name)
            if legal and "S." not in legal:
                plan.fields["kind"] = CustomerKind.PERSON
            plan.emails = [_mixed_case(rng, base.emails[0])]
            plan.fields["source"] = "web"
        self.consents(plan, person=plan.fields["kind"] == CustomerKind.PERSON)
        return plan


def _digits(typed: str) -> str:
    digits = "".join(c for c in typed if c.isdigit())
    return digits[-10:]


def _mixed_case(rng: random.Random, email: str) -> str:
    local, _at, domain = email.partition("@")
    return f"{local.capitalize()}@{domain.upper() if rng.random() < 0.5 else domain}"


def plan_customers(*, count: int, seed: int) -> list[CustomerPlan]:
    """The demo's customers for ``seed``, decided without the database.

    About 10% are referred by an earlier customer and about 3% are near-duplicates of
    another one (retyped name at the same address, same phone, or same e-mail).
    """
    rng = random.Random(f"{seed}:customers")
    planner = _Planner(rng)
    duplicates = round(count * NEAR_DUPLICATE_SHARE) if count >= 10 else 0
    segments = [(segment, segment.weight) for segment in catalog.SEGMENTS]
    plans: list[CustomerPlan] = []
    for index in range(count - duplicates):
        segment = rng.choices([s for s, _ in segments], weights=[w for _, w in segments])[0]
        plan = planner.customer(segment)
        if index >= 3 and rng.random() < REFERRAL_SHARE:
            plan.referred_by = rng.randrange(index)
            plan.fields["source"] = "referral"
        plans.append(plan)
    base_count = len(plans)
    wanted = {
        "name_address": lambda p: p.addresses and p.fields["kind"] == CustomerKind.BUSINESS,
        "phone": lambda p: p.phones and p.fields["kind"] == CustomerKind.PERSON,
        "email": lambda p: p.emails and p.fields["kind"] == CustomerKind.BUSINESS,
    }
    reasons = list(wanted)
    taken: set[int] = set()
    for number in range(duplicates):
        for reason in reasons[number % 3 :] + reasons[: number % 3]:
            candidates = [
                i for i in range(base_count) if i not in taken and wanted[reason](plans[i])
            ]
            if reason == "phone":
                candidates = [i for i in candidates if plans[i].fields["language"] == "es"]
            if candidates:
                index = rng.choice(candidates)
                taken.add(index)
                duplicate = planner.near_duplicate(plans[index], reason)
                duplicate.duplicate_of = index
                plans.append(duplicate)
                break
    return plans


# --- building it in the database ----------------------------------------------------


@dataclass
class DemoBusiness:
    """What the demo created; each step reads what earlier steps left here."""

    seed: int
    customer_count: int
    history_days: int = DEFAULT_HISTORY_DAYS
    name: str = catalog.BAKERY_NAME
    users: dict[str, User] = field(default_factory=dict)  # by username
    customers: list[Customer] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)  # catalog segment key of each customer
    near_duplicates: list[tuple[Customer, Customer]] = field(default_factory=list)
    open_duplicates: int = 0
    products: dict[str, Product] = field(default_factory=dict)  # by SKU
    order_plans: list[demo_orders.OrderPlan] = field(default_factory=list)  # oldest first
    order_count: int = 0
    event_count: int = 0
    analysis: AnalysisRun | None = None  # the analysis run of the customers
    _records: list[models.Model] = field(default_factory=list, repr=False)

    def random(self, purpose: str) -> random.Random:
        """A random source of its own for one purpose ("customers", "orders"…)."""
        return random.Random(f"{self.seed}:{purpose}")

    def remember(self, *records: models.Model) -> None:
        """Mark records as demo data, so that ``demo --reset`` removes them."""
        self._records.extend(records)


def create_staff(business: DemoBusiness) -> None:
    """The owner, two salespeople, one support agent and a read-only accountant."""
    clashes = User.objects.filter(username__in=[login.username for login in DEMO_STAFF])
    if clashes.exists():
        raise DemoExistsError(
            _("Users named %(names)s already exist; the demo needs these names.")
            % {"names": ", ".join(clashes.values_list("username", flat=True))}
        )
    for login in DEMO_STAFF:
        user = user_create(
            username=login.username,
            password=login.password,
            role=login.role,
            email=f"{login.username}@{catalog.BAKERY_EMAIL_DOMAIN}",
            first_name=login.first_name,
            last_name=login.last_name,
        )
        business.users[login.username] = user
        business.remember(user)


def _customer_starts(business: DemoBusiness, plans: list[CustomerPlan]) -> list[date]:
    """The day each customer started with the bakery: the day of their first order; for
    one who never ordered (or a record entered twice), a day of the story on which they
    first got in touch. Plans the orders (``business.order_plans``) to know it."""
    today = timezone.localdate()
    if business.history_days > 0:
        business.order_plans = demo_orders.plan_orders(
            segments=[plan.segment for plan in plans],
            skip={index for index, plan in enumerate(plans) if plan.duplicate_of is not None},
            seed=business.seed,
            today=today,
            history_days=business.history_days,
        )
    first_orders: dict[int, date] = {}
    for order in business.order_plans:
        first_orders.setdefault(order.customer, order.order_date)
    rng = business.random("customer-since")
    days = max(business.history_days, 0) + 1
    return [
        first_orders.get(index) or today - timedelta(days=rng.randrange(days))
        for index in range(len(plans))
    ]


def create_customers(business: DemoBusiness) -> None:
    """The customer catalog, each customer with the day they started with the bakery
    (``customer_since``), created through ``customers_bulk_create`` a run of customers at
    a time: a run ends before a customer referred by one of the same run, so that each
    referrer exists when its referrals are created."""
    plans = plan_customers(count=business.customer_count, seed=business.seed)
    starts = _customer_starts(business, plans)
    tags_before = set(Tag.objects.values_list("pk", flat=True))
    reason = _("Created by the demo")
    rows: list[dict] = []

    def create_run() -> None:
        business.customers.extend(customers_bulk_create(actor=None, rows=rows, reason=reason))
        rows.clear()

    for index, (plan, since) in enumerate(zip(plans, starts, strict=True)):
        if plan.referred_by is not None and plan.referred_by >= index - len(rows):
            create_run()
        rows.append(
            {
                "customer_since": since,
                "owner": business.users.get(plan.owner) if plan.owner else None,
                "referred_by": (
                    business.customers[plan.referred_by] if plan.referred_by is not None else None
                ),
                "emails": plan.emails,
                "phones": plan.phones,
                "tags": plan.tags,
                "contacts": plan.contacts,
                "addresses": plan.addresses,
                **plan.fields,
            }
        )
    create_run()
    for plan, customer in zip(plans, business.customers, strict=True):
        business.segments.append(plan.segment)
        if plan.duplicate_of is not None:
            business.near_duplicates.append((business.customers[plan.duplicate_of], customer))
    business.remember(*business.customers)
    business.remember(*Tag.objects.exclude(pk__in=tags_before))


def count_duplicates(business: DemoBusiness) -> None:
    """How many possible duplicates the owner has to review: saving the customers
    recorded them already, as it does for any customer."""
    business.open_duplicates = duplicate_list(user=business.users[OWNER]).count()


def analyze_customers(business: DemoBusiness) -> None:
    """Score every customer once, as the daily analysis would, so that the analytics
    pages and the customer pages show their segments, classes and ladder stages."""
    run = analysis_run(actor=None)
    business.analysis = run
    business.remember(run)


@dataclass(frozen=True)
class DemoStep:
    """A step of the demo: what it makes (shown while it runs) and the function that does."""

    label: Promise
    run: Callable[[DemoBusiness], None]


# The steps of the demo, in order. Later areas append theirs (orders, events…); the
# analysis comes last, to score everything the others made (the past campaigns run the
# analyses of their own days before it).
DEMO_STEPS: list[DemoStep] = [
    DemoStep(gettext_lazy("Staff"), create_staff),
    DemoStep(gettext_lazy("Customers"), create_customers),
    DemoStep(gettext_lazy("Possible duplicates"), count_duplicates),
    DemoStep(gettext_lazy("Products and orders"), demo_orders.create_orders),
    DemoStep(gettext_lazy("Fairs and markets"), demo_events.create_events),
    DemoStep(gettext_lazy("Pipeline, activities and contacts"), demo_relations.create_relations),
    DemoStep(gettext_lazy("Past campaigns"), demo_campaigns.create_campaigns),
    DemoStep(gettext_lazy("Customer analysis"), analyze_customers),
]


def demo_exists() -> bool:
    """Whether the database holds demo data."""
    return DemoRecord.objects.exists()


@transaction.atomic
def build_demo(
    *,
    customers: int = DEFAULT_CUSTOMERS,
    seed: int = DEFAULT_SEED,
    history_days: int = DEFAULT_HISTORY_DAYS,
    progress: Callable[[str], None] | None = None,
) -> DemoBusiness:
    """Create the demo business: staff, ``customers`` customers and whatever later steps add.

    Orders and events go back ``history_days`` days from today (0: none at all; tests
    use a short history to stay quick). ``progress`` is told the label of each step as
    it starts. All or nothing: if a step fails, nothing is left behind. Raises
    DemoExistsError if the demo was already created.
    """
    if demo_exists():
        raise DemoExistsError(_("The demo business already exists."))
    business = DemoBusiness(seed=seed, customer_count=customers, history_days=history_days)
    for step in DEMO_STEPS:
        if progress is not None:
            progress(str(step.label))
        step.run(business)
    DemoRecord.objects.bulk_create(
        DemoRecord(model=record._meta.label, object_id=record.pk) for record in business._records
    )
    return business


@transaction.atomic
def demo_remove() -> int:
    """Delete every record the demo created, with its history: each kind in the reverse
    order of the first record of it the demo remembered, so a kind goes before the kinds
    it points to even when a later step adds more of those (the orders a won deal opens).

    Returns how many records were removed. Tags the demo created stay while a customer
    outside the demo still uses them.
    """
    order: list[str] = []
    ids: dict[str, list[int]] = {}
    for label, object_id in DemoRecord.objects.order_by("id").values_list("model", "object_id"):
        if label not in ids:
            order.append(label)
            ids[label] = []
        ids[label].append(object_id)
    order.reverse()
    removed = 0
    for label in order:
        model = apps.get_model(label)
        if model is Tag:
            continue
        if model is Customer:
            queryset = model._default_manager.filter(pk__in=ids[label])
            queryset.update(merged_into=None, referred_by=None)
            removed += queryset.count()
            queryset.delete()
            _erase_customer_history(ids[label])
            continue
        has_history = isinstance(getattr(model, "history", None), HistoryManager)
        for start in range(0, len(ids[label]), REMOVE_BATCH):
            batch = ids[label][start : start + REMOVE_BATCH]
            queryset = model._default_manager.filter(pk__in=batch)
            removed += queryset.count()
            queryset.delete()
            if has_history:
                model.history.filter(id__in=batch).delete()
    if Tag._meta.label in ids:
        unused = Tag.objects.filter(pk__in=ids[Tag._meta.label], customer_tags__isnull=True)
        removed += unused.count()
        unused.delete()
    DemoRecord.objects.all().delete()
    return removed


def _erase_customer_history(customer_ids: list[int]) -> None:
    """Drop the change history of removed demo customers and of their child records."""
    Customer.history.filter(id__in=customer_ids).delete()
    for model in apps.get_models():
        is_history = model._meta.model_name.startswith("historical")
        if is_history and model is not Customer.history.model:
            try:
                model._meta.get_field("customer")
            except FieldDoesNotExist:
                continue
            model._default_manager.filter(customer_id__in=customer_ids).delete()
