"""The bakery's past campaigns: six of them over the last year, finished, with their
members, what happened to each contact and the orders that followed, so that the
campaigns' results show real figures against their hold-out groups.

``create_campaigns`` goes through the campaigns' services as the owner would, each
campaign on its own day of the story, oldest first:

- that morning the daily analysis scores the customers as of that day
  (``analysis_run``), so the segment finds the champions, the drifting-away and the
  lost customers *of then*;
- the owner saves the segment, drafts the campaign with its message
  (``segment_create``, ``campaign_create``, ``campaign_message_set``) and launches it
  (``campaign_launch``): members frozen, set aside (no consent, no address, a contact
  limit reached today) and a hold-out drawn;
- the contacts happen: e-mails sent (a few bounce, a few readers unsubscribe through
  the message's link, ``member_unsubscribe``), calls made by the salespeople with their
  outcome (``interaction_record``), letters posted; each message or call is an
  outbound interaction of the customer, its source the member;
- customers order: the book's own orders in the window count as they fall, and the
  campaign brings more orders from a share of the contacted members (``orders_add``,
  the order services), so that the contacted group converts more than the hold-out by
  the campaign's ``uplift``: a clear lift for most, none for the summer newsletter;
- the campaign is finished (``campaign_finish``).

The services stamp the present moment: the history records are dated on the story's
days (``story_time``) and the columns stamped with now (``launched_at``,
``finished_at``, the members' ``contacted_at`` and ``unsubscribed_at``, the analysis'
times) are set afterwards. All draws come from ``business.random("campaigns")``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from clientela.analytics.models import AnalysisRun
from clientela.analytics.services import analysis_run
from clientela.campaigns.models import (
    Campaign,
    CampaignChannel,
    CampaignMember,
    ConversionRule,
    MemberGroup,
    MemberState,
    Segment,
)
from clientela.campaigns.services import (
    campaign_create,
    campaign_finish,
    campaign_launch,
    campaign_message_set,
    segment_create,
)
from clientela.campaigns.services.unsubscribe import member_unsubscribe
from clientela.core.access import limited_to_own_customers
from clientela.core.models import Role, User
from clientela.customers.models import Contact, CustomerEmail
from clientela.customers.services import customers_contacted
from clientela.demo.orders import (
    DISCOUNTS,
    PREFERENCES,
    SPECS,
    OrderPlan,
    _payments,
    _quantity,
    orders_add,
)
from clientela.demo.story_time import (
    BATCH,
    at_hour,
    story_at,
    story_time,
    timestamps_from_history,
    timestamps_set,
)
from clientela.orders.models import BOUGHT, Order
from clientela.relations.models import ContactChannel, Direction, Interaction, Outcome
from clientela.relations.services import interaction_record

if TYPE_CHECKING:
    from clientela.demo.generator import DemoBusiness

# How long before a campaign the story must have orders for its analysis to say much.
HISTORY_BEFORE = 120
# A campaign's window closes at least this many days before today.
CLOSED_FOR = 7
# The most of its contacted members a campaign brings to order.
CONVERSION_MAX = 0.95
# The hold-out shares a small demo's campaign tries, past its own, for two held out.
HOLDOUT_SHARES = (30, 40, 50)
BOUNCE_SHARE = 0.04
UNSUBSCRIBE_SHARE = 0.04
BOUNCE_ERROR = "550 5.1.1 <{address}>: Recipient address rejected: User unknown"
ROSCAS = ("ROS-MED", "ROS-GDE")
CAKES = ("PAS-3LE", "PAS-CHO", "PAY-QUE", "NIN-ENV")

Conditions = Callable[[date], list[dict[str, Any]]]
# The records the campaigns made whose creation and change times the history gives.
Made = dict[type[Model], list[Any]]


def _everyone_who_bought_before(day: date) -> dict[str, Any]:
    return {"field": "first_purchase", "op": "between", "value": {"to": day.isoformat()}}


EMAIL_OK = {"field": "consent_email", "op": "is", "value": True}


@dataclass(frozen=True)
class CampaignSpec:
    """One past campaign of the bakery: whom, how, when (the day and month it was
    launched, the latest one whose window has closed), what counts, and how many
    points the contacted group's conversion rate rises over the hold-out's."""

    name: str
    objective: str
    segment: str
    conditions: Conditions
    channel: str
    launched: tuple[int, int]  # (month, day)
    days: int  # the attribution window, also the campaign's run
    holdout: int
    uplift: float
    rule: str = ConversionRule.ANY_ORDER
    products: tuple[str, ...] = ()
    amount: Decimal | None = None
    offer: str = ""
    subject: str = ""
    body: str = ""
    cost_fixed: Decimal = Decimal(0)
    cost_per_contact: Decimal = Decimal(0)
    send_rate: int = 600


SIGNATURE = "\n\nUn abrazo,\n{{ owner_name }} — {{ business_name }}\n"

CAMPAIGNS = (
    CampaignSpec(
        name="Navidad: correo a los campeones",
        objective="Que nuestros mejores clientes hagan su pedido de Navidad con nosotros.",
        segment="Campeones y leales",
        conditions=lambda day: [
            {"field": "rfm_segment", "op": "in", "value": ["champions", "loyal"]},
            EMAIL_OK,
        ],
        channel=CampaignChannel.EMAIL,
        launched=(12, 1),
        days=30,
        holdout=20,
        uplift=0.45,
        offer="10 % de descuento en pasteles y galletas para sus fiestas, pidiendo antes del 20.",
        subject="{{ first_name }}, su pedido de Navidad con 10 % de descuento",
        body=(
            "Hola {{ first_name }}:\n\nGracias por un año más con nosotros. {{ offer }}\n\n"
            "Responda este correo o llámenos y lo apartamos." + SIGNATURE
        ),
        cost_fixed=Decimal("800.00"),
        cost_per_contact=Decimal("0.50"),
    ),
    CampaignSpec(
        name="Rosca de Reyes: preventa por correo",
        objective="Apartar las roscas antes del 6 de enero.",
        segment="Clientes que aceptan correo",
        conditions=lambda day: [_everyone_who_bought_before(day), EMAIL_OK],
        channel=CampaignChannel.EMAIL,
        launched=(12, 15),
        days=22,
        holdout=20,
        uplift=0.40,
        rule=ConversionRule.PRODUCTS,
        products=ROSCAS,
        offer="Aparte su rosca de Reyes antes del 30 de diciembre y llévese un chocolate.",
        subject="Aparte su rosca de Reyes, {{ first_name }}",
        body="Hola {{ first_name }}:\n\n{{ offer }}" + SIGNATURE,
        cost_fixed=Decimal("600.00"),
        cost_per_contact=Decimal("0.50"),
    ),
    CampaignSpec(
        name="Día de las Madres: pastel con dedicatoria",
        objective="Pedidos de pastel para el 10 de mayo.",
        segment="Personas que aceptan correo",
        conditions=lambda day: [
            {"field": "kind", "op": "in", "value": ["person"]},
            _everyone_who_bought_before(day),
            EMAIL_OK,
        ],
        channel=CampaignChannel.EMAIL,
        launched=(4, 27),
        days=14,
        holdout=25,
        uplift=0.50,
        rule=ConversionRule.AMOUNT,
        amount=Decimal("400.00"),
        offer="Dedicatoria y vela gratis en pasteles de 1 kg para el 10 de mayo.",
        subject="Un pastel para mamá, {{ first_name }}",
        body="Hola {{ first_name }}:\n\n{{ offer }}" + SIGNATURE,
        cost_fixed=Decimal("500.00"),
        cost_per_contact=Decimal("0.50"),
    ),
    CampaignSpec(
        name="Boletín de verano",
        objective="Recordar el pan de la casa en vacaciones.",
        segment="Clientes habituales que aceptan correo",
        conditions=lambda day: [
            {
                "field": "rfm_segment",
                "op": "in",
                "value": ["loyal", "potential_loyalist", "need_attention", "about_to_sleep"],
            },
            EMAIL_OK,
        ],
        channel=CampaignChannel.EMAIL,
        launched=(7, 6),
        days=30,
        holdout=25,
        uplift=0.0,
        offer="Nuevo pan de masa madre los fines de semana.",
        subject="Lo nuevo de la panadería este verano",
        body="Hola {{ first_name }}:\n\n{{ offer }}" + SIGNATURE,
        cost_fixed=Decimal("300.00"),
        cost_per_contact=Decimal("0.50"),
    ),
    CampaignSpec(
        name="Llamadas: negocios que se alejan",
        objective="Saber por qué compran menos y recuperar su pedido semanal.",
        segment="Negocios que se alejan",
        conditions=lambda day: [
            {"field": "churn", "op": "in", "value": ["at_risk"]},
            {"field": "kind", "op": "in", "value": ["business"]},
        ],
        channel=CampaignChannel.CALL,
        launched=(9, 14),
        days=30,
        holdout=25,
        uplift=0.45,
        offer="Entrega sin costo en su próximo pedido semanal.",
        body=(
            "Saludar a {{ first_name }}, preguntar cómo les va con el pan y si algo no les "
            "gustó. Ofrecer: {{ offer }}"
        ),
        cost_per_contact=Decimal("25.00"),
    ),
    CampaignSpec(
        name="Carta a cafeterías y restaurantes perdidos",
        objective="Que vuelvan a probar nuestro pan.",
        segment="Cafeterías y restaurantes perdidos",
        conditions=lambda day: [
            {"field": "churn", "op": "in", "value": ["lost"]},
            {"field": "tag", "op": "in", "value": ["cafetería", "restaurante"]},
        ],
        channel=CampaignChannel.MAIL,
        launched=(10, 5),
        days=45,
        holdout=30,
        uplift=0.15,
        offer="Una caja de degustación sin costo con su primer pedido.",
        body=(
            "Estimado {{ contact_name }}:\n\nHace tiempo que no le llevamos pan a "
            "{{ name }}. {{ offer }}" + SIGNATURE
        ),
        cost_fixed=Decimal("400.00"),
        cost_per_contact=Decimal("18.00"),
    ),
)


def launch_day(spec: CampaignSpec, today: date) -> date:
    """The latest day of ``spec``'s month and day whose window closed a week ago."""
    month, day = spec.launched
    launched = date(today.year, month, day)
    while launched + timedelta(days=spec.days + CLOSED_FOR) > today:
        launched = launched.replace(year=launched.year - 1)
    return launched


@dataclass
class _Run:
    """One campaign as it happens: what was made, who is in which group, who converts."""

    spec: CampaignSpec
    day: date
    launched_at: datetime
    campaign: Campaign
    contacted: list[CampaignMember]
    held: list[CampaignMember]


def create_campaigns(business: DemoBusiness) -> None:
    """The six past campaigns (those whose day the story's history reaches), oldest
    first; each after the analysis of its morning."""
    if business.history_days <= 0 or not business.customers:
        return
    today = timezone.localdate()
    first = today - timedelta(days=business.history_days - HISTORY_BEFORE)
    specs = sorted(
        (spec for spec in CAMPAIGNS if launch_day(spec, today) >= first),
        key=lambda spec: launch_day(spec, today),
    )
    rng = business.random("campaigns")
    owner = next(u for u in business.users.values() if u.role == Role.OWNER)
    made: Made = {Segment: [], Campaign: [], Interaction: []}
    with story_time():
        for spec in specs:
            _analysis_of(business, launch_day(spec, today))
            run = _launched(business, owner, spec, launch_day(spec, today), rng, made)
            if run is not None:
                _happen(business, owner, run, rng, made)
        story_at(None)
    for model, records in made.items():
        timestamps_from_history(model, [record.pk for record in records])


def _analysis_of(business: DemoBusiness, day: date) -> None:
    """The analysis of the morning of ``day``, as the daily task would have run it."""
    started = at_hour(day, 5)
    story_at(started)
    run = analysis_run(actor=None, as_of=day)
    AnalysisRun.objects.filter(pk=run.pk).update(
        started_at=started, finished_at=started + timedelta(minutes=1)
    )
    business.remember(run)


class _TooSmall(Exception):
    """The segment is too small in this demo for a contacted and a hold-out group."""


def _launched(
    business: DemoBusiness,
    owner: User,
    spec: CampaignSpec,
    day: date,
    rng: random.Random,
    made: Made,
) -> _Run | None:
    """The segment, the draft and its launch on ``day``. A segment that leaves fewer
    than two members in either group is launched again with a larger hold-out (a small
    demo); None, and nothing kept, when even the largest leaves too few."""
    for share in sorted({spec.holdout, *(s for s in HOLDOUT_SHARES if s > spec.holdout)}):
        try:
            with transaction.atomic():
                return _launch(business, owner, spec, day, share, rng.randrange(2**31), made)
        except (_TooSmall, ValidationError):
            continue
    return None


def _launch(
    business: DemoBusiness,
    owner: User,
    spec: CampaignSpec,
    day: date,
    share: int,
    seed: int,
    made: Made,
) -> _Run:
    story_at(at_hour(day - timedelta(days=3), 11))
    segment = segment_create(
        actor=owner,
        name=spec.segment,
        description=spec.objective,
        conditions=spec.conditions(day),
    )
    campaign = campaign_create(
        actor=owner,
        segment=segment,
        name=spec.name,
        objective=spec.objective,
        channel=spec.channel,
        starts_on=day,
        ends_on=day + timedelta(days=spec.days),
        cost_fixed=spec.cost_fixed,
        cost_per_contact=spec.cost_per_contact,
        offer=spec.offer,
        conversion_rule=spec.rule,
        conversion_products=[business.products[sku] for sku in spec.products],
        conversion_amount=spec.amount,
        attribution_days=spec.days,
        holdout_percent=share,
        send_rate=spec.send_rate,
    )
    campaign.seed = seed  # the service draws one at random
    Campaign.objects.filter(pk=campaign.pk).update(seed=seed)
    if spec.channel != CampaignChannel.CALL:
        campaign_message_set(actor=owner, campaign=campaign, subject=spec.subject, body=spec.body)
    launched_at = at_hour(day, 7.5)
    story_at(launched_at)
    campaign = campaign_launch(actor=owner, campaign=campaign)
    members = list(campaign.members.select_related("customer").order_by("customer_id"))
    contacted = [m for m in members if m.group == MemberGroup.CONTACTED]
    held = [m for m in members if m.group == MemberGroup.HOLDOUT]
    if len(contacted) < 2 or len(held) < 2:
        raise _TooSmall
    Campaign.objects.filter(pk=campaign.pk).update(launched_at=launched_at)
    campaign.launched_at = launched_at
    business.remember(segment)
    business.remember(campaign)
    made[Segment].append(segment)
    made[Campaign].append(campaign)
    return _Run(spec, day, launched_at, campaign, contacted, held)


def _converted(run: _Run, customers: list[int]) -> set[int]:
    """Of ``customers``, those whose orders in the book already count for ``run``."""
    spec, campaign = run.spec, run.campaign
    orders = Order.objects.filter(
        BOUGHT,
        customer__in=customers,
        order_date__range=(run.day, run.day + timedelta(days=spec.days)),
    )
    if spec.rule == ConversionRule.PRODUCTS:
        orders = orders.filter(lines__product__in=campaign.conversion_products.all())
    elif spec.rule == ConversionRule.AMOUNT:
        orders = orders.filter(total__gte=spec.amount)
    return set(orders.values_list("customer_id", flat=True))


def _happen(business: DemoBusiness, owner: User, run: _Run, rng: random.Random, made: Made) -> None:
    """The contacts, the orders they bring and the end of the campaign."""
    spec = run.spec
    reached = _contacts(business, owner, run, rng, made)
    held_ids = [m.customer_id for m in run.held]
    contacted_ids = [m.customer_id for m in run.contacted]
    held_rate = len(_converted(run, held_ids)) / len(held_ids)
    already = _converted(run, contacted_ids)
    wanted = math.ceil(min(CONVERSION_MAX, held_rate + spec.uplift) * len(contacted_ids))
    open_members = [m for m in reached if m.customer_id not in already]
    extra = rng.sample(open_members, max(0, min(wanted - len(already), len(open_members))))
    _conversions(business, run, extra, rng)
    if spec.channel == CampaignChannel.CALL:
        _calls(business, owner, run, {m.pk for m in extra}, rng, made)
    finished_at = at_hour(run.campaign.ends_on, 19)
    story_at(finished_at)
    campaign = campaign_finish(actor=owner, campaign=run.campaign)
    Campaign.objects.filter(pk=campaign.pk).update(finished_at=finished_at)


def _contacts(
    business: DemoBusiness, owner: User, run: _Run, rng: random.Random, made: Made
) -> list[CampaignMember]:
    """Send the e-mails or post the letters (calls come with their outcomes, in
    ``_calls``); the members reached, who may convert."""
    spec = run.spec
    if spec.channel == CampaignChannel.CALL:
        return list(run.contacted)
    contacted = run.contacted
    reached: list[CampaignMember] = []
    emails = {}
    if spec.channel == CampaignChannel.EMAIL:
        for pk, address in (
            CustomerEmail.objects.filter(customer__in=[m.customer_id for m in contacted])
            .order_by("position", "id")
            .values_list("customer_id", "email")
        ):
            emails.setdefault(pk, address)
    seconds = 60 / spec.send_rate
    for number, member in enumerate(contacted):
        if spec.channel == CampaignChannel.EMAIL:
            member.contacted_at = run.launched_at + timedelta(seconds=round(number * seconds) + 5)
            if rng.random() < BOUNCE_SHARE:
                member.state = MemberState.BOUNCED
                member.error = BOUNCE_ERROR.format(address=emails.get(member.customer_id, ""))
                continue
        else:  # posted the next morning
            member.contacted_at = at_hour(run.day + timedelta(days=1), 9)
        member.state = MemberState.SENT
        reached.append(member)
    CampaignMember.objects.bulk_update(
        contacted, ["state", "error", "contacted_at"], batch_size=BATCH
    )
    channel = ContactChannel.EMAIL if spec.channel == CampaignChannel.EMAIL else ContactChannel.MAIL
    subject = spec.subject.replace("{{ first_name }}", "").strip(" ,") or spec.name
    made[Interaction] += _interactions_record(business, owner, reached, channel, subject)
    if spec.channel == CampaignChannel.EMAIL:
        _unsubscribes(business, run, reached, rng)
    return reached


def _interactions_record(
    business: DemoBusiness,
    owner: User,
    members: list[CampaignMember],
    channel: str,
    subject: str,
) -> list[Interaction]:
    """Each message is an outbound contact of its customer, its source the member:
    recorded many at a time, with their history, as the sending worker would."""
    kind = ContentType.objects.get_for_model(CampaignMember)
    rows = []
    for member in members:
        row = Interaction(
            customer_id=member.customer_id,
            channel=channel,
            direction=Direction.OUTBOUND,
            at=member.contacted_at,
            staff=owner,
            subject=subject[:200],
            source_type=kind,
            source_id=member.pk,
        )
        row._history_date = member.contacted_at  # read by simple-history's bulk_history_create
        row._history_user = owner
        rows.append(row)
    Interaction.objects.bulk_create(rows, batch_size=BATCH)
    Interaction.history.bulk_history_create(rows, batch_size=BATCH)  # type: ignore[attr-defined]
    customers_contacted({row.customer_id: row.at for row in rows})
    business.remember(*rows)
    return rows


def _unsubscribes(
    business: DemoBusiness, run: _Run, reached: list[CampaignMember], rng: random.Random
) -> None:
    """A few readers use the message's link: their consent to e-mail is withdrawn."""
    moments: dict[int, dict[str, datetime]] = {}
    for member in reached:
        if rng.random() >= UNSUBSCRIBE_SHARE:
            continue
        moment = member.contacted_at + timedelta(hours=rng.uniform(1, 72))  # type: ignore[operator]
        story_at(moment)
        member.customer.refresh_from_db()
        if member_unsubscribe(member):
            moments[member.pk] = {"unsubscribed_at": moment}
    timestamps_set(CampaignMember, moments)


# What a call that brought no order ended in: (outcome, weight).
CALL_OUTCOMES = (
    (Outcome.REACHED, 3),
    (Outcome.INTERESTED, 4),
    (Outcome.NOT_INTERESTED, 3),
    (Outcome.NO_ANSWER, 3),
    (Outcome.LEFT_MESSAGE, 2),
)
CALL_NOTES = {
    Outcome.ORDER_TAKEN: "Retoman su pedido semanal con la entrega sin costo.",
    Outcome.INTERESTED: "Lo van a pensar; pidieron la lista de precios.",
    Outcome.NOT_INTERESTED: "Ya tienen otro proveedor más cerca.",
    Outcome.REACHED: "Compran menos porque bajaron sus ventas.",
    Outcome.NO_ANSWER: "",
    Outcome.LEFT_MESSAGE: "Dejé recado con el encargado.",
}


def _calls(
    business: DemoBusiness,
    owner: User,
    run: _Run,
    ordering: set[int],
    rng: random.Random,
    made: Made,
) -> None:
    """The salespeople call the members in the first days (each their own customers;
    the others shared out), recording each call's outcome: an order taken for those who
    ordered."""
    sellers = [u for u in business.users.values() if u.role == Role.SALES]
    free = [u for u in sellers if not limited_to_own_customers(u)] or [owner]
    contacts: dict[int, Contact] = {}
    for contact in Contact.objects.filter(
        customer__in=[m.customer_id for m in run.contacted]
    ).order_by("customer_id", "-is_primary", "id"):
        contacts.setdefault(contact.customer_id, contact)
    by_pk = {u.pk: u for u in business.users.values()}
    for number, member in enumerate(run.contacted):
        own = by_pk.get(member.customer.owner_id or 0)
        caller = own if own is not None and own.role == Role.SALES else free[number % len(free)]
        day = run.day + timedelta(days=number % 4)
        at = at_hour(day, rng.uniform(9.5, 13.5))
        outcome = Outcome.ORDER_TAKEN if member.pk in ordering else _weighted(rng, CALL_OUTCOMES)
        story_at(at)
        interaction = interaction_record(
            actor=caller,
            customer=member.customer,
            channel=ContactChannel.PHONE,
            direction=Direction.OUTBOUND,
            at=at,
            contact=contacts.get(member.customer_id),
            staff=caller,
            subject=run.spec.name,
            outcome=outcome,
            notes=CALL_NOTES[outcome],
            source=member,
            checked=True,
        )
        member.caller, member.outcome = caller, outcome
        member.state, member.contacted_at = MemberState.DONE, at
        business.remember(interaction)
        made[Interaction].append(interaction)
    CampaignMember.objects.bulk_update(
        run.contacted, ["caller", "outcome", "state", "contacted_at"], batch_size=BATCH
    )


def _weighted(rng: random.Random, options) -> str:
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights=weights)[0]


def _conversions(
    business: DemoBusiness, run: _Run, members: list[CampaignMember], rng: random.Random
) -> None:
    """The orders the campaign brought: one per member in ``members``, in the window,
    holding what the campaign's rule asks, delivered and paid as the book's are."""
    if not members:
        return
    spec = run.spec
    today = timezone.localdate()
    index = {customer.pk: number for number, customer in enumerate(business.customers)}
    plans = []
    for member in members:
        position = index[member.customer_id]
        segment = business.segments[position]
        if spec.channel == CampaignChannel.CALL:  # ordered on the call
            ordered = run.day + timedelta(days=run.contacted.index(member) % 4)
        else:
            ordered = run.day + timedelta(days=min(spec.days - 1, int(rng.expovariate(1 / 5)) + 1))
        due = min(ordered + timedelta(days=rng.randint(1, 3)), today - timedelta(days=1))
        plan = OrderPlan(
            customer=position,
            segment=segment,
            order_date=ordered,
            due_date=due,
            lines=_lines(spec, segment, rng),
        )
        plan.delivered_on = due
        plan.finished_on = due - timedelta(days=1) if due > ordered else due
        _payments(rng, plan, today)
        plans.append(plan)
    plans.sort(key=lambda plan: (plan.order_date, plan.customer))
    orders_add(business, plans, rng)


def _lines(spec: CampaignSpec, segment: str, rng: random.Random) -> list[tuple[str, int, int]]:
    """What a converted member orders: the campaign's products, cakes enough to reach
    its amount, or what such a customer usually orders."""
    person = segment == "person"
    discount = DISCOUNTS.get(segment, 0)
    if spec.rule == ConversionRule.PRODUCTS:  # a business adds it to its usual order
        skus = [rng.choice(spec.products)]
        if not person:
            skus += rng.sample(PREFERENCES[segment][:4], rng.randint(1, 2))
    elif spec.rule == ConversionRule.AMOUNT:
        skus, total = [], Decimal(0)
        while spec.amount is not None and total < spec.amount * Decimal("1.2"):
            sku = rng.choice([s for s in CAKES if s not in skus] or CAKES)
            skus.append(sku)
            total += Decimal(SPECS[sku].price) * (100 - discount) / 100
        return [(sku, 1, discount) for sku in skus]
    else:
        preferences = PREFERENCES[segment]
        skus = rng.sample(preferences[:6], min(len(preferences), rng.randint(2, 3)))
    return [(sku, _quantity(rng, SPECS[sku], person), discount) for sku in skus]
