"""The bakery's relationship work: its pipeline of deals, two years of contacts with its
customers, the salespeople's agenda and notes about customers.

``create_relations`` writes it all through the services of ``clientela.relations``, as
the salespeople would:

- **the pipeline**: about sixty opportunities with distributors, cafés, a hotel chain
  and other businesses (``opportunity_create``), moved along the stages over the past
  months (``opportunity_move``); lost ones with a reason from the owner's list (and the
  competitor when the reason asks), won ones with the draft order the win opens, its
  quantities then set as agreed (``order_update``);
- **contacts**: a few thousand interactions at the default size, on every channel and
  both ways, some of them calls, visits and e-mails planned first and then done
  (``activity_plan``, ``activity_complete``). They are planned with the rules of
  ``relations.pressure`` before they are written, so an outbound contact happens only
  on a channel the customer agreed to, or as a reply to their own contact on it, and
  never over the owner's limits; except a handful of contacts that go over the limit
  on purpose, with the reason a salesperson would give (``interaction_record``, which
  checks them again). The other contacts, checked already, are recorded many at a time,
  with their history, and the customers' last contact moves on through
  ``customers_contacted``, as ``interaction_record`` would do one by one: a few seconds
  instead of most of a minute;
- **the agenda**: for each salesperson and the owner, activities overdue, due today
  and in the coming days, a few of them for their open opportunities;
- **notes** about customers, a few pinned.

Everything is dated on the days of the story (``story_time``): the history records
carry the moment each thing happened, the rows take ``created_at`` from there, and the
columns the services stamp with the present moment (a stage change's ``at``, an
opportunity's ``stage_since`` and ``closed_at``, the draft order's ``order_date``) are
set to the story's moments afterwards.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.access import limited_to_own_customers
from clientela.core.models import Role, User
from clientela.customers.models import Contact, Customer
from clientela.customers.services import customers_contacted
from clientela.demo.orders import DISCOUNTS, SPECS
from clientela.demo.story_time import (
    BATCH,
    StoryClock,
    at_hour,
    story_at,
    story_time,
    timestamps_from_history,
    timestamps_set,
)
from clientela.events.models import Event
from clientela.orders.models import Order, OrderLine
from clientela.orders.services import order_update
from clientela.relations import pressure
from clientela.relations.models import (
    ACTIVITY_CHANNELS,
    Activity,
    ActivityKind,
    CustomerNote,
    Direction,
    Interaction,
    LostReason,
    Opportunity,
    OpportunitySource,
    OpportunityStageChange,
    Outcome,
    Stage,
)
from clientela.relations.models import ContactChannel as Ch
from clientela.relations.services import (
    activity_complete,
    activity_plan,
    contact_limits,
    interaction_record,
    note_add,
    opportunity_create,
    opportunity_move,
)

if TYPE_CHECKING:
    from clientela.demo.generator import DemoBusiness

# The default demo (300 customers, two years of contacts) holds about this much; a
# smaller or shorter demo holds proportionally less.
REFERENCE_CUSTOMERS = 300
CONTACT_DAYS = 2 * 365
INTERACTIONS = 3000
OPPORTUNITIES = 60
NOTES = 80
# Contacts that go over the limit on purpose, with a reason, at the default size.
OVERRIDE_BURSTS = 5
# The agenda of each seller: open activities overdue, due today and in the coming days.
AGENDA = {"overdue": 3, "today": 3, "coming": 7}


# --- what the story draws from --------------------------------------------------------


@dataclass(frozen=True)
class Deal:
    """A kind of deal with one kind of customer: its title, the products it is about and
    how many deliveries its value covers. A title with ``{n}`` supplies ``n`` places
    (drawn from ``sites``), each taking ``per_site`` of a usual delivery."""

    title: str
    skus: tuple[str, ...]
    deliveries: int
    sites: tuple[int, int] = (1, 1)
    per_site: float = 1.0

    @property
    def seasonal(self) -> bool:
        return any(SPECS[sku].season for sku in self.skus)


HOTEL_CHAIN = Deal("Pan dulce para {n} hoteles", ("CON-VAI", "CUE-01", "DON-01", "ROL-CAN"), 12, (12, 12), 0.8)  # fmt: skip
DEALS: dict[str, tuple[Deal, ...]] = {
    "distributor": (
        Deal("Galletas surtidas para {n} tiendas de abarrotes", ("GAL-MAN", "GAL-NUE", "GAL-AVE"), 12, (20, 60), 0.1),
        Deal("Pan de caja para su ruta de minisúpers", ("CAJ-BCO", "CAJ-INT"), 24),
        Deal("Polvorones y mantecadas a granel", ("POL-01", "MAN-01"), 12),
        Deal("Bolillo y telera para comedores industriales", ("BOL-01", "TEL-01"), 24),
        Deal("Conchas para {n} cafeterías de la zona", ("CON-VAI", "CON-CHO"), 12, (8, 20), 0.25),
    ),
    "cafe": (
        Deal("Surtido semanal para cafetería", ("CUE-01", "CON-VAI", "ROL-CAN"), 12),
        Deal("Cuernos y conchas para el desayuno", ("CUE-01", "CON-VAI", "CON-CHO"), 12),
        Deal("Pan para sándwiches: baguette y chapata", ("BAG-01", "CHA-01"), 12),
        Deal("Pasteles por rebanada para la vitrina", ("PAY-QUE", "PAN-NAT"), 8),
        Deal("Roles de canela y besos para la barra", ("ROL-CAN", "BES-01"), 12),
    ),
    "hotel": (
        HOTEL_CHAIN,
        Deal("Desayuno buffet: bollería diaria", ("CUE-01", "BIS-01", "CON-VAI"), 26),
        Deal("Pan de caja y bolillo para el room service", ("CAJ-BCO", "BOL-01"), 26),
        Deal("Pan para {n} hoteles del grupo", ("BOL-01", "BAG-01", "CHA-01"), 12, (3, 6), 0.8),
    ),
    "restaurant": (
        Deal("Bolillo y telera diarios para tortas", ("BOL-01", "TEL-01"), 24),
        Deal("Postres para la nueva carta", ("PAS-3LE", "PAY-QUE", "PAS-CHO"), 8),
        Deal("Baguette y chapata para la cocina", ("BAG-01", "CHA-01"), 12),
        Deal("Pan para {n} sucursales", ("BOL-01", "TEL-01", "BIS-01"), 12, (2, 5), 0.9),
    ),
    "shop": (
        Deal("Pan dulce en consignación", ("CON-VAI", "CON-CHO", "DON-01", "MAN-01"), 12),
        Deal("Exhibidor de galletas en el mostrador", ("GAL-MAN", "GAL-AVE"), 6),
        Deal("Pan de caja para reventa", ("CAJ-BCO", "CAJ-INT"), 12),
    ),
    "company": (
        Deal("Coffee break mensual para {n} personas", ("CON-VAI", "CUE-01", "GAL-MAN"), 12, (30, 80), 0.03),
        Deal("Pasteles de cumpleaños del mes", ("PAS-3LE", "PAS-CHO"), 12),
        Deal("Roscas de Reyes para la oficina", ("ROS-MED", "ROS-GDE"), 1),
        Deal("Posada de fin de año: pasteles y galletas", ("PAS-3LE", "NIN-ENV", "GAL-NUE"), 1),
    ),
}  # fmt: skip
# How likely each kind of business is to be in the pipeline.
PIPELINE_WEIGHTS = {
    "distributor": 5, "hotel": 5, "cafe": 4, "restaurant": 3, "company": 2, "shop": 1.5,
}  # fmt: skip
# The share of the pipeline on each stage (by its English name, from the default
# pipeline), open stages first; at least one opportunity each, however small the demo.
STAGE_SHARES = (
    ("Lead", 0.20), ("Qualified", 0.17), ("Proposal sent", 0.15), ("Negotiation", 0.12),
    ("Won", 0.20), ("Lost", 0.16),
)  # fmt: skip
LOST_REASON_WEIGHTS = {
    "Price": 30, "Went with a competitor": 25, "Timing": 15, "No budget": 10,
    "No answer": 15, "Other": 5,
}  # fmt: skip
COMPETITORS = (
    "Panificadora Santa Clara", "El Horno de Don Beto", "Pan Artesanal Trigal",
    "Distribuidora Harinas del Norte", "Pastelería La Imperial", "Masa Madre Roma",
)  # fmt: skip
NEXT_STEPS = (
    "Llevar muestras el jueves", "Llamar para confirmar precios", "Degustación con el chef",
    "Enviar propuesta con precio por volumen", "Esperar la orden de compra",
    "Visita para ver el espacio de entrega", "Revisar la propuesta con el dueño",
)  # fmt: skip
DEAL_NOTES = (
    "Nos conocieron en la Expo Pan y Café.", "Quieren empezar el próximo mes.",
    "Piden precio por volumen y entrega antes de las 7:00.",
    "Hoy les surte otra panadería; no están contentos con la puntualidad.",
    "Recomendados por otro cliente.", "Necesitan factura por cada entrega.",
)  # fmt: skip
SOURCES = {
    "event": OpportunitySource.EVENT, "web": OpportunitySource.WEB,
    "referral": OpportunitySource.REFERRAL, "phone": OpportunitySource.INBOUND,
    "walk_in": OpportunitySource.INBOUND, "social": OpportunitySource.WEB,
}  # fmt: skip

# How much each kind of customer is in touch with the bakery (contacts per year, against
# the others).
CONTACT_WEIGHTS = {
    "distributor": 5, "hotel": 5, "restaurant": 3, "cafe": 3, "shop": 2, "company": 1.5,
    "person": 0.6,
}  # fmt: skip
# The channels a customer uses to reach the bakery, and the bakery to reach them.
INBOUND_CHANNELS = (
    (Ch.WHATSAPP, 30), (Ch.PHONE, 25), (Ch.EMAIL, 18), (Ch.IN_PERSON, 10),
    (Ch.WEB_FORM, 5), (Ch.SOCIAL, 6), (Ch.SMS, 3), (Ch.MAIL, 1), (Ch.EVENT, 2),
)  # fmt: skip
OUTBOUND_CHANNELS = (
    (Ch.PHONE, 30), (Ch.WHATSAPP, 25), (Ch.EMAIL, 25), (Ch.IN_PERSON, 10), (Ch.SMS, 4),
    (Ch.MAIL, 3), (Ch.SOCIAL, 1), (Ch.EVENT, 2),
)  # fmt: skip
# When each channel is used: (first hour, last hour) of the day.
HOURS = {
    Ch.PHONE: (8, 19), Ch.WHATSAPP: (7, 21.5), Ch.EMAIL: (7, 22), Ch.IN_PERSON: (9, 18),
    Ch.WEB_FORM: (0, 23.9), Ch.SOCIAL: (8, 23), Ch.SMS: (9, 19), Ch.MAIL: (10, 14),
    Ch.EVENT: (10, 19),
}  # fmt: skip
INBOUND_TOPICS = (("order", 40), ("question", 35), ("complaint", 10), ("thanks", 15))
OUTBOUND_TOPICS = (
    ("follow_up", 30), ("offer", 20), ("confirm", 20), ("payment", 10), ("survey", 8),
    ("invitation", 7), ("winback", 5),
)  # fmt: skip
SUBJECTS: dict[str, tuple[str, ...]] = {
    "order": (
        "Pedido para mañana temprano", "Pide más bolillo para el fin de semana",
        "Pedido de pan dulce para el desayuno", "Encarga un pastel para el viernes",
        "Agrega conchas al pedido de la semana", "Pide galletas para reventa",
    ),
    "question": (
        "Pregunta por precios de mayoreo", "Pregunta si ya hay pan de temporada",
        "Consulta el horario de entrega", "Pide la factura del mes",
        "Pregunta por opciones sin gluten", "Pregunta si entregamos en domingo",
        "Pide cotización para un evento",
    ),
    "complaint": (
        "Reclamación: la entrega llegó tarde", "El pan llegó aplastado",
        "Faltaron piezas en el pedido", "Cobro duplicado en la factura",
        "Las conchas llegaron frías", "Pide cambiar el horario del repartidor",
    ),
    "thanks": (
        "Agradece la entrega a tiempo", "Felicita por las conchas de chocolate",
        "Le encantó el pastel de tres leches",
    ),
    "follow_up": (
        "Seguimiento del último pedido", "¿Cómo llegó la entrega de ayer?",
        "Seguimiento de la cotización",
    ),
    "offer": (
        "Ofrecer el pan de temporada", "Presentar los nuevos roles de canela",
        "Ofrecer pan de masa madre", "Promoción de galletas por volumen",
    ),
    "confirm": (
        "Confirmar la entrega del viernes", "Confirmar cantidades del pedido semanal",
        "Confirmar horario de recepción",
    ),
    "payment": (
        "Recordatorio de pago pendiente", "Enviar estado de cuenta",
        "Confirmar pago por transferencia",
    ),
    "survey": ("Encuesta de satisfacción", "¿Qué le pareció el servicio este mes?"),
    "invitation": (
        "Invitación a la degustación en la Condesa", "Invitación a la Feria del Pan de Muerto",
        "Invitación a conocer el obrador",
    ),
    "winback": (
        "Hace tiempo que no pide: ofrecer una muestra",
        "Reactivar: descuento en su próximo pedido",
    ),
    "reply_order": ("Confirma el pedido", "Confirma la hora de entrega"),
    "reply_question": (
        "Respuesta con la lista de precios", "Respuesta sobre el pan de temporada",
        "Respuesta con la factura solicitada", "Respuesta con la cotización",
    ),
    "reply_complaint": (
        "Disculpas y reposición del pedido", "Nota de crédito por las piezas faltantes",
        "Seguimiento de la reclamación",
    ),
    "reply_thanks": ("Agradece sus comentarios",),
    # The customer's answer to our contact, by how it went.
    "answer_interested": ("Responde: le interesa", "Responde: quiere probar una muestra"),
    "answer_reached": (
        "Responde: lo consultará con el dueño", "Responde: confirma la entrega",
        "Responde: pide que le marquen después",
    ),
    "answer_order_taken": ("Responde con un pedido", "Responde: quiere el doble esta semana"),
    "answer_not_interested": ("Responde: por ahora no le interesa",),
    # Channels that shape what is said on them.
    "web_form": (
        "Formulario web: solicitud de cotización", "Formulario web: quiere ser cliente mayorista",
        "Formulario web: pastel para evento", "Formulario web: pregunta por entregas a domicilio",
    ),
    "social_in": (
        "Mensaje por Instagram: pregunta por pasteles", "Comentario en Facebook sobre las roscas",
        "Mensaje por Instagram: quiere hacer un pedido", "Reseña en Facebook: felicita por el servicio",
    ),
    "mail_in": (
        "Carta con su orden de compra firmada", "Envió por mensajería su pedido de fin de año",
    ),
    "mail_out": (
        "Catálogo de temporada por correo postal", "Tarjeta navideña con cupón de descuento",
        "Lista de precios impresa",
    ),
    "event_in": (
        "Pasó al puesto en {event}", "Probó la degustación en {event}",
        "Pidió una tarjeta en {event}",
    ),
    "event_out": (
        "Le ofrecimos degustación en {event}", "Le presentamos los productos nuevos en {event}",
    ),
}  # fmt: skip
NOTES_BY_TOPIC: dict[str, tuple[str, ...]] = {
    "order": (
        "Pagará contra entrega.", "Entregar antes de las 7:00.",
        "Pidió que se facture a nombre de la empresa.",
    ),
    "question": (
        "Se le envió la lista de precios por correo.", "Quedó de confirmar la próxima semana.",
    ),
    "complaint": (
        "Se repuso el pedido sin costo.", "Se habló con el repartidor; no volverá a pasar.",
        "Se aplicará nota de crédito en la siguiente factura.",
    ),
    "sales": (
        "Le interesa para el próximo mes.", "Pidió muestras.", "Lo consultará con el dueño.",
        "Quiere precio por volumen.",
    ),
    "no_answer": ("Buzón lleno.", "Volver a llamar por la tarde."),
    "payment": (
        "Promete pagar el viernes.", "Ya había pagado; se aclaró la referencia.",
    ),
}  # fmt: skip
OVERRIDE_REASONS = (
    "El cliente pidió que le llamáramos de nuevo esta semana.",
    "Urgente: cambio en la entrega de mañana.",
    "Seguimiento de una reclamación abierta, acordado con el cliente.",
    "El gerente pidió la cotización hoy mismo.",
    "Confirmación de un pedido grande para su evento.",
)
ACTIVITY_KINDS = (
    (ActivityKind.CALL, 35), (ActivityKind.VISIT, 20), (ActivityKind.MEETING, 10),
    (ActivityKind.EMAIL, 20), (ActivityKind.TASK, 15),
)  # fmt: skip
ACTIVITY_SUBJECTS: dict[str, tuple[str, ...]] = {
    ActivityKind.CALL: (
        "Llamar para confirmar el pedido de la semana", "Llamar para ofrecer el pan de temporada",
        "Llamar por el pago pendiente", "Llamar para dar seguimiento a la cotización",
    ),
    ActivityKind.VISIT: (
        "Visita con muestras de pan de masa madre", "Visita de degustación",
        "Visitar la cocina para ver el espacio de entrega",
    ),
    ActivityKind.MEETING: (
        "Reunión con el chef para la carta de postres",
        "Reunión con compras para el contrato anual",
        "Reunión para revisar precios del próximo año",
    ),
    ActivityKind.EMAIL: (
        "Enviar lista de precios actualizada", "Enviar la cotización por correo",
        "Enviar fotos de los pasteles de temporada",
    ),
    ActivityKind.TASK: (
        "Preparar muestras para la visita", "Preparar la cotización",
        "Revisar el crédito del cliente", "Actualizar los datos de facturación",
    ),
}  # fmt: skip
DEAL_ACTIVITIES = {
    ActivityKind.CALL: "Llamar para negociar el precio", ActivityKind.VISIT: "Visita para cerrar",
    ActivityKind.MEETING: "Reunión para revisar la propuesta",
    ActivityKind.EMAIL: "Enviar la propuesta", ActivityKind.TASK: "Preparar la propuesta",
}  # fmt: skip
DURATIONS = {
    ActivityKind.CALL: 15, ActivityKind.VISIT: 60, ActivityKind.MEETING: 60,
    ActivityKind.EMAIL: 15, ActivityKind.TASK: 30,
}  # fmt: skip
CUSTOMER_NOTES: dict[str, tuple[str, ...]] = {
    "cafe": (
        "Abren a las 7:00; el pan debe llegar antes de las 6:45.",
        "La dueña prefiere que le escribamos por WhatsApp, no llamadas.",
        "Están probando proveedores de pan de masa madre; ofrecerles muestra.",
        "Pagan puntualmente por transferencia el día 5.",
    ),
    "restaurant": (
        "El chef cambia la carta cada temporada: avisarle de los panes nuevos.",
        "Cierran los lunes; no programar entregas ese día.",
        "Entrega por la puerta de servicio, en el callejón.",
    ),
    "hotel": (
        "Compras necesita orden de compra antes de cada factura.",
        "Es parte de un grupo con otros hoteles en la ciudad: posible cuenta grande.",
        "El gerente de alimentos y bebidas cambia seguido; cuidar la relación con el chef.",
    ),
    "distributor": (
        "Pedido mínimo de 50 paquetes; descuento del 10 % acordado.",
        "Crédito a 15 días autorizado por Lucía.",
        "Recogen en la panadería los martes temprano.",
    ),
    "shop": (
        "Devuelven el pan duro los lunes; acordado con el repartidor.",
        "Solo pagan en efectivo.",
        "El dueño piensa vender pasteles por rebanada.",
    ),
    "company": (
        "Coffee break el primer lunes de cada mes.",
        "Facturar a la razón social, no al nombre comercial.",
        "Posada anual en diciembre: cotizar desde octubre.",
    ),
    "person": (
        "Alérgico a la nuez.",
        "Cliente de toda la vida; le gusta el bolillo bien dorado.",
        "Encarga pastel cada año para el cumpleaños de su hija.",
    ),
}  # fmt: skip


def _weighted(rng: random.Random, options) -> str:
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights=weights)[0]


def _scaled(rng: random.Random, expected: float) -> int:
    """A whole number whose mean is ``expected``."""
    whole = int(expected)
    return whole + (rng.random() < expected - whole)


# --- who the story is about -----------------------------------------------------------


@dataclass
class _Who:
    """A customer as the relationship work sees them, and their contacts as planned."""

    index: int
    customer: Customer
    segment: str
    owner: User | None
    contact: Contact | None
    consents: dict[str, bool]
    since: date
    first_order: date | None
    last_order: date | None
    size: float  # how much more than usual they order
    inbound: list[tuple[str, datetime]] = field(default_factory=list)
    outbound: list[tuple[str, datetime]] = field(default_factory=list)

    @property
    def business(self) -> bool:
        return self.segment != "person"

    def refusal(
        self, channel: str, at: datetime, limits: list[pressure.Limit]
    ) -> pressure.Refusal | None:
        """What ``contact_check`` would say to an outbound contact on ``channel`` at
        ``at``, given the contacts planned so far (the rules of ``relations.pressure``)."""
        since = at - timedelta(days=settings.CLIENTELA_CONSENT_REPLY_DAYS)
        replying = any(ch == channel and since <= when <= at for ch, when in self.inbound)
        refusal = pressure.consent_refusal(
            consents=self.consents, channel=channel, replying=replying
        )
        if refusal is not None:
            return refusal
        covering = [limit for limit in limits if limit.covers(channel)]
        return pressure.limit_refusal(
            contacts=self.outbound, limits=covering, channel=channel, at=at
        )


@dataclass
class _Cast:
    """Everyone the relationship work involves, and what it draws on."""

    business: DemoBusiness
    today: date
    now: datetime
    owner: User
    sellers: list[User]  # the salespeople
    support: User
    people: list[_Who]
    limits: list[pressure.Limit]
    event_days: list[tuple[date, str]]  # (day, event name), oldest first

    def staff_for(self, rng: random.Random, who: _Who, topic: str) -> User:
        """Who handles a contact: support for most complaints, else the customer's
        owner, else whoever of the salespeople and support may act for them."""
        if topic in ("complaint", "reply_complaint") and rng.random() < 0.7:
            return self.support
        if who.owner is not None:
            return who.owner
        allowed = [u for u in (*self.sellers, self.support) if not limited_to_own_customers(u)]
        return rng.choice(allowed or [self.owner])


def _size(plans: list) -> float:
    """How much more (or less) than a usual business a customer orders, from their orders."""
    ratios = [
        quantity / (sum(SPECS[sku].business_quantity) / 2)
        for plan in plans
        for sku, quantity, _discount in plan.lines
    ]
    if not ratios:
        return 1.0
    return min(3.0, max(0.4, sum(ratios) / len(ratios)))


def _cast(business: DemoBusiness) -> _Cast:
    users = list(business.users.values())
    owner = next(u for u in users if u.role == Role.OWNER)
    sellers = [u for u in users if u.role == Role.SALES]
    support = next((u for u in users if u.role == Role.SUPPORT), owner)
    by_pk = {u.pk: u for u in users}
    duplicates = {duplicate.pk for _base, duplicate in business.near_duplicates}
    contacts: dict[int, Contact] = {}
    for contact in Contact.objects.filter(customer__in=business.customers).order_by(
        "customer_id", "-is_primary", "name", "id"
    ):
        contacts.setdefault(contact.customer_id, contact)
    consent_fields = sorted(set(pressure.CONSENTS.values()))
    consents = {
        row["pk"]: row
        for row in Customer.objects.filter(pk__in=[c.pk for c in business.customers]).values(
            "pk", *consent_fields
        )
    }
    orders_by_customer: dict[int, list] = defaultdict(list)
    for plan in business.order_plans:
        orders_by_customer[plan.customer].append(plan)
    people = []
    for index, (customer, segment) in enumerate(
        zip(business.customers, business.segments, strict=True)
    ):
        if customer.pk in duplicates:
            continue
        plans = orders_by_customer.get(index, [])
        people.append(
            _Who(
                index=index,
                customer=customer,
                segment=segment,
                owner=by_pk.get(customer.owner_id) if customer.owner_id else None,
                contact=contacts.get(customer.pk),
                consents={name: consents[customer.pk][name] for name in consent_fields},
                since=customer.customer_since,
                first_order=min((p.order_date for p in plans), default=None),
                last_order=max((p.order_date for p in plans), default=None),
                size=_size(plans),
            )
        )
    now = timezone.now()
    today = timezone.localdate()
    event_days = sorted(
        (day, event.name)
        for event in Event.objects.filter(start_date__lte=today)
        for day in event.days()
        if day <= today
    )
    return _Cast(
        business=business,
        today=today,
        now=now,
        owner=owner,
        sellers=sellers,
        support=support,
        people=people,
        limits=contact_limits(),
        event_days=event_days,
    )


def create_relations(business: DemoBusiness) -> None:
    """The pipeline, the contacts, the agenda and the notes of the story's customers."""
    if business.history_days <= 0 or not business.customers:
        return
    cast = _cast(business)
    with story_time():
        opportunities = _create_pipeline(cast)
        touches = _plan_contacts(cast)
        agenda = _plan_agenda(cast, opportunities)
        interactions, activities = _write_contacts(touches)
        activities += _write_agenda(agenda)
        notes = _create_notes(cast)
        story_at(None)
    timestamps_from_history(Interaction, [i.pk for i in interactions])
    timestamps_from_history(Activity, [a.pk for a in activities])
    timestamps_from_history(CustomerNote, [n.pk for n in notes])
    business.remember(*interactions)
    business.remember(*activities)
    business.remember(*notes)


# --- the pipeline ---------------------------------------------------------------------


@dataclass
class _DealPlan:
    """One opportunity: with whom, about what, and the stages it went through when."""

    who: _Who
    deal: Deal
    title: str
    quantities: dict[str, int]  # per delivery
    value: Decimal
    path: list[Stage]  # the stages it was on, the first where it was created
    days: list[date]  # the day it reached each
    expected_close: date | None
    lost_reason: LostReason | None = None
    competitor: str = ""
    moments: list[datetime] = field(default_factory=list)


def _stage_counts(total: int) -> dict[str, int]:
    counts = {name: max(1, round(total * share)) for name, share in STAGE_SHARES}
    counts["Lead"] += total - sum(counts.values())
    counts["Lead"] = max(1, counts["Lead"])
    return counts


def _pipeline_order(rng: random.Random, people: list[_Who]) -> list[_Who]:
    """Businesses with an owner, the likelier in the pipeline first (weighted shuffle)."""
    owned = [who for who in people if who.business and who.owner is not None]
    keyed = [(rng.random() ** (1 / PIPELINE_WEIGHTS[who.segment]), who.index, who) for who in owned]
    return [who for _key, _index, who in sorted(keyed, key=lambda k: (k[0], k[1]), reverse=True)]


def _quantities(rng: random.Random, who: _Who, deal: Deal, sites: int) -> dict[str, int]:
    quantities = {}
    for sku in deal.skus:
        low, high = SPECS[sku].business_quantity
        quantity = (low + high) / 2 * who.size * rng.uniform(0.8, 1.2)
        quantity = max(1, round(quantity * (sites * deal.per_site if deal.sites[1] > 1 else 1)))
        quantities[sku] = round(quantity / 5) * 5 if quantity >= 30 else quantity
    return quantities


def _deal_plan(
    cast: _Cast, rng: random.Random, who: _Who, deal: Deal, target: Stage, stages: list[Stage]
) -> _DealPlan | None:
    """When the opportunity was opened and moved, within the customer's story; None if
    the customer's story is too short for it."""
    today = cast.today
    earliest = who.first_order if target.is_won else who.since
    if earliest is None:
        return None
    room = (today - earliest).days
    open_stages = [s for s in stages if not s.is_closed]
    start = 1 if who.first_order and who.first_order < today and rng.random() < 0.5 else 0
    if target.is_closed:
        last_open = len(open_stages) - 1 if target.is_won else rng.randrange(len(open_stages))
        start = min(start, last_open)
        path = [*open_stages[start : last_open + 1], target]
        closed_ago = rng.randint(1, 60) if target.is_won else rng.randint(2, 150)
        age = closed_ago + rng.randint(7 * len(path), 100)
        if room < len(path):
            return None
        age = min(age, room)
        closed_ago = min(closed_ago, age - len(path) + 1)
        last_day = today - timedelta(days=closed_ago)
    else:
        last_open = open_stages.index(target)
        start = min(start, last_open)
        path = open_stages[start : last_open + 1]
        age = min(rng.randint(3, 120), room)
        last_day = today - timedelta(days=rng.randint(0, age // 3))
    first_day = today - timedelta(days=age)
    between = sorted(
        first_day + timedelta(days=rng.randint(0, (last_day - first_day).days))
        for _stage in path[1:-1]
    )
    days = [first_day, *between, last_day] if len(path) > 1 else [first_day]
    sites = rng.randint(*deal.sites)
    quantities = _quantities(rng, who, deal, sites)
    discount = Decimal(100 - DISCOUNTS.get(who.segment, 0)) / 100
    per_delivery = sum(Decimal(SPECS[sku].price) * quantity for sku, quantity in quantities.items())
    value = (per_delivery * deal.deliveries * discount / 100).quantize(Decimal(1)) * 100
    if target.is_won:
        expected_close: date | None = today + timedelta(days=rng.randint(1, 14))
    elif target.is_lost:
        expected_close = None
    else:
        expected_close = today + timedelta(days=rng.randint(0, 60))
    return _DealPlan(
        who=who,
        deal=deal,
        title=deal.title.format(n=sites),
        quantities=quantities,
        value=max(value, Decimal(100)),
        path=path,
        days=days,
        expected_close=expected_close,
    )


def _plan_pipeline(cast: _Cast, rng: random.Random) -> list[_DealPlan]:
    """Which businesses the pipeline holds, about what and on which stage: the shares of
    ``STAGE_SHARES``, the won ones with customers who had ordered before."""
    stages = list(Stage.objects.filter(is_active=True))
    by_name = {stage.name: stage for stage in stages}
    reasons = {reason.name: reason for reason in LostReason.objects.filter(is_active=True)}
    scale = len(cast.business.customers) / REFERENCE_CUSTOMERS
    total = max(len(STAGE_SHARES) * 2, round(OPPORTUNITIES * scale))
    counts = _stage_counts(total)
    targets = [
        by_name[name]
        for name, _share in STAGE_SHARES
        if name in by_name and (reasons or not by_name[name].is_lost)
        for _ in range(counts[name])
    ]
    rng.shuffle(targets)
    targets.sort(key=lambda stage: not stage.is_won)  # the won ones pick their customers first
    order = _pipeline_order(rng, cast.people)
    if not order or all(stage.is_closed for stage in stages):
        return []  # no one to sell to, or a pipeline the owner changed beyond the story
    used_titles: set[tuple[int, str]] = set()
    chain_used = False
    plans: list[_DealPlan] = []
    turn = 0
    for target in targets:
        for _attempt in range(len(order) * 2):
            who = order[turn % len(order)]
            turn += 1
            deals = [d for d in DEALS[who.segment] if not (target.is_won and d.seasonal)]
            deals = [d for d in deals if (who.index, d.title) not in used_titles]
            if chain_used:  # one hotel chain in the story
                deals = [d for d in deals if d is not HOTEL_CHAIN]
            if who.segment == "hotel" and not chain_used and HOTEL_CHAIN in deals:
                deal = HOTEL_CHAIN
            elif deals:
                deal = rng.choice(deals)
            else:
                continue
            plan = _deal_plan(cast, rng, who, deal, target, stages)
            if plan is None:
                continue
            chain_used = chain_used or deal is HOTEL_CHAIN
            used_titles.add((who.index, deal.title))
            if target.is_lost:
                name = _weighted(rng, list(LOST_REASON_WEIGHTS.items()))
                plan.lost_reason = reasons.get(name) or next(iter(reasons.values()))
                if plan.lost_reason.asks_competitor:
                    plan.competitor = rng.choice(COMPETITORS)
            plans.append(plan)
            break
    return plans


def _create_pipeline(cast: _Cast) -> list[Opportunity]:
    """The opportunities of the story, each created and moved on its days; the won ones
    open their draft order, whose quantities the salesperson then sets."""
    rng = cast.business.random("pipeline")
    clock = StoryClock(cast.business.random("pipeline-times"), cast.now)
    reason = _("Created by the demo")
    products = cast.business.products
    opportunities: list[Opportunity] = []
    moments: dict[int, list[datetime]] = {}  # opportunity id → when it reached each stage
    won_orders: dict[int, date] = {}  # order id → the day it was won
    for plan in _plan_pipeline(cast, rng):
        who = plan.who
        actor = who.owner
        clock.begin()
        plan.moments.append(clock.on(plan.days[0], (9, 18)))
        story_at(plan.moments[0])
        existing = who.first_order is not None and who.first_order <= plan.days[0]
        source = OpportunitySource.EXISTING if existing else SOURCES.get(who.customer.source)
        opportunity = opportunity_create(
            actor=actor,
            customer=who.customer,
            title=plan.title,
            stage=plan.path[0],
            value=plan.value,
            expected_close=plan.expected_close,
            source=source or OpportunitySource.OUTBOUND,
            products=[products[sku] for sku in plan.deal.skus],
            next_step="" if plan.path[-1].is_closed else rng.choice(NEXT_STEPS),
            notes=rng.choice(DEAL_NOTES) if rng.random() < 0.4 else "",
            reason=reason,
        )
        for stage, day in zip(plan.path[1:], plan.days[1:], strict=True):
            plan.moments.append(story_moment := clock.on(day, (9, 18)))
            story_at(story_moment)
            opportunity_move(
                actor=actor,
                opportunity=opportunity,
                version=opportunity.version,
                stage=stage,
                lost_reason=plan.lost_reason if stage.is_lost else None,
                competitor=plan.competitor if stage.is_lost else "",
                reason=reason,
            )
        order = opportunity.order
        if order is not None:
            story_at(clock.after((5, 45)))  # the quantities agreed, set on the draft
            discount = DISCOUNTS.get(who.segment, 0)
            order_update(
                actor=actor,
                order=order,
                version=order.version,
                lines=[
                    {
                        "product": products[sku],
                        "quantity": Decimal(quantity),
                        "discount_percent": discount,
                    }
                    for sku, quantity in plan.quantities.items()
                ],
                reason=reason,
            )
            won_orders[order.pk] = plan.days[-1]
        opportunities.append(opportunity)
        moments[opportunity.pk] = plan.moments
    story_at(None)
    _date_the_pipeline(cast, opportunities, moments, won_orders)
    return opportunities


def _date_the_pipeline(
    cast: _Cast,
    opportunities: list[Opportunity],
    moments: dict[int, list[datetime]],
    won_orders: dict[int, date],
) -> None:
    """Date what the services stamped with the present by the moments of the story:
    each stage change, the opportunity's days in stage and close, the won orders' day."""
    ids = [o.pk for o in opportunities]
    changes = OpportunityStageChange.objects.filter(opportunity__in=ids).order_by(
        "opportunity_id", "id"
    )
    at: dict[int, dict[str, datetime]] = {}
    position: dict[int, int] = defaultdict(int)
    for change in changes.only("pk", "opportunity_id"):
        number = position[change.opportunity_id]
        position[change.opportunity_id] += 1
        at[change.pk] = {"at": moments[change.opportunity_id][number]}
    timestamps_set(OpportunityStageChange, at)
    timestamps_from_history(Opportunity, ids)
    timestamps_set(Opportunity, {o.pk: {"stage_since": moments[o.pk][-1]} for o in opportunities})
    timestamps_set(
        Opportunity,
        {o.pk: {"closed_at": moments[o.pk][-1]} for o in opportunities if o.closed_at is not None},
    )
    history = Opportunity.history.filter(id__in=ids)  # type: ignore[attr-defined]
    history.update(stage_since=F("history_date"))
    history.filter(closed_at__isnull=False).update(closed_at=F("history_date"))
    business = cast.business
    business.remember(*opportunities)
    business.remember(*OpportunityStageChange.objects.filter(opportunity__in=ids).order_by("id"))
    if won_orders:
        Order.objects.bulk_update(
            [Order(pk=pk, order_date=day) for pk, day in won_orders.items()], ["order_date"]
        )
        for pk, day in won_orders.items():
            Order.history.filter(id=pk).update(order_date=day)  # type: ignore[attr-defined]
        lines = list(OrderLine.objects.filter(order_id__in=won_orders).order_by("id"))
        timestamps_from_history(Order, list(won_orders))
        timestamps_from_history(OrderLine, [line.pk for line in lines])
        business.remember(*Order.objects.filter(pk__in=won_orders).order_by("id"))
        business.remember(*lines)
        business.order_count += len(won_orders)


# --- contacts -------------------------------------------------------------------------


@dataclass
class _Touch:
    """One contact with a customer: an interaction to record, or a call, visit or e-mail
    planned first (``activity_kind``, at ``planned_at``) and then done."""

    who: _Who
    at: datetime
    channel: str
    direction: str
    topic: str
    staff: User
    parent: _Touch | None = None  # the contact it replies to or answers
    must: bool = False  # goes ahead over a limit, with ``override_reason``
    override_reason: str = ""
    subject: str = ""
    outcome: str = ""
    satisfaction: int | None = None
    notes: str = ""
    activity_kind: str = ""
    planned_at: datetime | None = None
    accepted: bool = False


PHONE_OUTCOMES = (
    (Outcome.REACHED, 45), (Outcome.NO_ANSWER, 20), (Outcome.LEFT_MESSAGE, 12),
    (Outcome.INTERESTED, 13), (Outcome.ORDER_TAKEN, 7), (Outcome.NOT_INTERESTED, 3),
)  # fmt: skip
WRITTEN_OUTCOMES = (
    (Outcome.REACHED, 55), (Outcome.INTERESTED, 15), (Outcome.NO_ANSWER, 15),
    (Outcome.ORDER_TAKEN, 8), (Outcome.NOT_INTERESTED, 5), (Outcome.OTHER, 2),
)  # fmt: skip
FACE_OUTCOMES = (
    (Outcome.REACHED, 40), (Outcome.INTERESTED, 25), (Outcome.ORDER_TAKEN, 28),
    (Outcome.NOT_INTERESTED, 7),
)  # fmt: skip
ANSWER_OUTCOMES = (
    (Outcome.INTERESTED, 35), (Outcome.REACHED, 35), (Outcome.ORDER_TAKEN, 20),
    (Outcome.NOT_INTERESTED, 10),
)  # fmt: skip
SILENT = (Outcome.NO_ANSWER, Outcome.LEFT_MESSAGE)
# What a reply to a contact on a channel we cannot answer on goes by.
REPLY_BY = {Ch.WEB_FORM: Ch.EMAIL, Ch.EVENT: Ch.PHONE, Ch.MAIL: Ch.EMAIL}


def _moment(rng: random.Random, day: date, channel: str) -> datetime:
    low, high = HOURS[channel]
    moment = at_hour(day, rng.uniform(low, high))
    return moment.replace(second=0, microsecond=0)


def _business_day(day: date, back: bool = True) -> date:
    """The day itself, or for a Sunday the Saturday before (or Monday after)."""
    if day.weekday() == 6:
        return day - timedelta(days=1) if back else day + timedelta(days=1)
    return day


def _event_near(cast: _Cast, day: date, first: date) -> tuple[date, str] | None:
    """The day of an event the bakery went to closest to ``day``, not before ``first``."""
    near = [(abs((d - day).days), d, name) for d, name in cast.event_days if d >= first]
    if not near:
        return None
    distance, event_day, name = min(near)
    return (event_day, name) if distance <= 60 else None


def _outcome(rng: random.Random, touch: _Touch) -> str:
    if touch.parent is not None:
        return (
            Outcome.REACHED
            if touch.direction == Direction.OUTBOUND
            else (_weighted(rng, ANSWER_OUTCOMES))
        )
    if touch.direction == Direction.INBOUND:
        return {
            "order": Outcome.ORDER_TAKEN,
            "complaint": Outcome.COMPLAINT,
            "question": rng.choice((Outcome.REACHED, Outcome.REACHED, Outcome.INTERESTED)),
        }.get(touch.topic, Outcome.REACHED)
    if touch.channel == Ch.PHONE:
        return _weighted(rng, PHONE_OUTCOMES)
    if touch.channel in (Ch.IN_PERSON, Ch.EVENT):
        return _weighted(rng, FACE_OUTCOMES)
    return _weighted(rng, WRITTEN_OUTCOMES)


def _subject(rng: random.Random, touch: _Touch, event: str) -> str:
    channel, inbound = touch.channel, touch.direction == Direction.INBOUND
    if channel == Ch.EVENT:
        return rng.choice(SUBJECTS["event_in" if inbound else "event_out"]).format(event=event)
    if touch.parent is not None:
        key = f"answer_{touch.outcome}" if inbound else f"reply_{touch.parent.topic}"
        return rng.choice(SUBJECTS.get(key, SUBJECTS["follow_up"]))
    if channel == Ch.WEB_FORM:
        return rng.choice(SUBJECTS["web_form"])
    if channel == Ch.SOCIAL and inbound:
        return rng.choice(SUBJECTS["social_in"])
    if channel == Ch.MAIL:
        return rng.choice(SUBJECTS["mail_in" if inbound else "mail_out"])
    return rng.choice(SUBJECTS[touch.topic])


def _details(rng: random.Random, touch: _Touch, event: str) -> None:
    """The subject, outcome, sometimes a satisfaction and sometimes notes."""
    touch.outcome = _outcome(rng, touch)
    touch.subject = _subject(rng, touch, event)
    topic = touch.parent.topic if touch.parent is not None else touch.topic
    if touch.outcome in SILENT:
        kind = "no_answer"
    elif topic in NOTES_BY_TOPIC:
        kind = topic
    else:
        kind = "sales"
    if rng.random() < 0.25:
        touch.notes = rng.choice(NOTES_BY_TOPIC[kind])
    if touch.outcome not in SILENT and touch.outcome != Outcome.OTHER and rng.random() < 0.3:
        if topic == "complaint":
            touch.satisfaction = rng.choice((1, 2, 2, 3, 3, 4) if touch.parent else (1, 1, 2, 2, 3))
        else:
            touch.satisfaction = rng.choice((3, 4, 4, 4, 5, 5, 5, 5))


def _episodes(cast: _Cast, rng: random.Random, who: _Who, count: int, first: date) -> list[_Touch]:
    """``count`` contacts begun by the customer or by the bakery between ``first`` and
    today, each perhaps with its reply or answer."""
    touches: list[_Touch] = []
    days = (cast.today - first).days
    for _number in range(count):
        day = first + timedelta(days=rng.randint(0, days))
        if rng.random() < 0.55:
            direction, channel = Direction.INBOUND, _weighted(rng, INBOUND_CHANNELS)
            topic = _weighted(rng, INBOUND_TOPICS)
        else:
            direction, channel = Direction.OUTBOUND, _weighted(rng, OUTBOUND_CHANNELS)
            topic = _weighted(rng, OUTBOUND_TOPICS)
            if topic == "winback" and (who.last_order is None or (day - who.last_order).days < 60):
                topic = "offer"
            day = _business_day(day)
        event = ""
        if channel == Ch.EVENT:
            near = _event_near(cast, day, first)
            if near is None:
                channel = Ch.IN_PERSON
            else:
                day, event = near
        if channel == Ch.IN_PERSON and direction == Direction.OUTBOUND and not who.business:
            channel = Ch.PHONE  # salespeople visit businesses, not people at home
        touch = _Touch(
            who=who,
            at=_moment(rng, day, channel),
            channel=channel,
            direction=direction,
            topic=topic,
            staff=cast.staff_for(rng, who, topic),
        )
        _details(rng, touch, event)
        touches.append(touch)
        follow = touch.outcome not in SILENT and channel != Ch.EVENT
        if direction == Direction.INBOUND and follow and rng.random() < 0.55:
            reply = _Touch(
                who=who,
                at=touch.at + timedelta(minutes=rng.uniform(5, 26 * 60)),
                channel=REPLY_BY.get(channel, channel),
                direction=Direction.OUTBOUND,
                topic=f"reply_{topic}",
                staff=cast.staff_for(rng, who, f"reply_{topic}"),
                parent=touch,
            )
            _details(rng, reply, event)
            touches.append(reply)
        elif direction == Direction.OUTBOUND and follow and rng.random() < 0.35:
            answer = _Touch(
                who=who,
                at=touch.at + timedelta(minutes=rng.uniform(10, 48 * 60)),
                channel=Ch.PHONE if channel == Ch.MAIL else channel,
                direction=Direction.INBOUND,
                topic="answer",
                staff=touch.staff,
                parent=touch,
            )
            _details(rng, answer, event)
            touches.append(answer)
    return touches


def _burst(cast: _Cast, rng: random.Random, who: _Who, first: date) -> list[_Touch]:
    """Five calls in under two weeks, the customer having asked for them: those over the
    limit go ahead with the reason a salesperson gives."""
    latest = (cast.today - first).days - 12
    start = cast.today - timedelta(days=rng.randint(14, max(14, min(latest, 330))))
    reason = rng.choice(OVERRIDE_REASONS)
    staff = cast.staff_for(rng, who, "confirm")
    touches = []
    for offset in sorted(rng.sample(range(12), 5)):
        day = _business_day(start + timedelta(days=offset), back=False)
        touch = _Touch(
            who=who,
            at=_moment(rng, min(day, cast.today), Ch.PHONE),
            channel=Ch.PHONE,
            direction=Direction.OUTBOUND,
            topic=rng.choice(("confirm", "follow_up")),
            staff=staff,
            must=True,
            override_reason=reason,
        )
        _details(rng, touch, "")
        touches.append(touch)
    return touches


def _accept(cast: _Cast, rng: random.Random, touch: _Touch) -> bool:
    """Whether the contact happens as ``contact_check`` would allow it: on its channel,
    else on another one the check allows (the customer agreed to it, no limit on it is
    reached); a contact that must happen goes over a limit with its reason."""
    who = touch.who
    if touch.direction == Direction.INBOUND:
        who.inbound.append((touch.channel, touch.at))
        return True
    if touch.parent is not None and not touch.parent.accepted:
        return False
    options = [touch.channel]
    others = [(ch, w) for ch, w in OUTBOUND_CHANNELS if ch not in (Ch.EVENT, Ch.MAIL)]
    while others:
        channel = _weighted(rng, others)
        others = [(ch, w) for ch, w in others if ch != channel]
        options.append(channel)
    for channel in options:
        if channel == Ch.IN_PERSON and not who.business:
            continue
        refusal = who.refusal(channel, touch.at, cast.limits)
        if refusal is None or (refusal.overridable and touch.must):
            touch.channel = channel
            if refusal is None:
                touch.override_reason = ""
            who.outbound.append((channel, touch.at))
            return True
    return False


def _as_activity(rng: random.Random, touch: _Touch) -> None:
    """Make a proactive call, visit or e-mail by a seller one planned days before."""
    kinds = {Ch.PHONE: ActivityKind.CALL, Ch.EMAIL: ActivityKind.EMAIL}
    kinds[Ch.IN_PERSON] = ActivityKind.VISIT if rng.random() < 0.75 else ActivityKind.MEETING
    seller = touch.staff.role in (Role.SALES, Role.OWNER)
    proactive = touch.parent is None and not touch.must and touch.direction == Direction.OUTBOUND
    if seller and proactive and touch.channel in kinds and rng.random() < 0.25:
        touch.activity_kind = kinds[touch.channel]
        earliest = at_hour(touch.who.since, 8)
        planned = touch.at - timedelta(days=rng.uniform(1, 6))
        touch.planned_at = min(touch.at, max(planned, earliest)).replace(microsecond=0)


def _plan_contacts(cast: _Cast) -> list[_Touch]:
    """Two years of contacts (less in a shorter story), as ``contact_check`` allows them."""
    rng = cast.business.random("contacts")
    span = min(cast.business.history_days, CONTACT_DAYS)
    story_start = cast.today - timedelta(days=span)
    customers = len(cast.business.customers) / REFERENCE_CUSTOMERS
    target = INTERACTIONS * customers * span / CONTACT_DAYS
    firsts = {who.index: max(story_start, who.since) for who in cast.people}
    weights = {
        who.index: CONTACT_WEIGHTS[who.segment]
        * ((cast.today - firsts[who.index]).days + 1)
        / (span + 1)
        * (1.5 if who.first_order else 0.4)
        for who in cast.people
    }
    total = sum(weights.values()) or 1.0
    bursts = max(2, round(OVERRIDE_BURSTS * customers))
    eligible = [
        who
        for who in cast.people
        if who.consents["consent_phone"] and (cast.today - firsts[who.index]).days >= 30
    ]
    bursting = {who.index for who in rng.sample(eligible, min(bursts, len(eligible)))}
    planned: list[_Touch] = []
    limit_now = cast.now - timedelta(minutes=2)
    for who in cast.people:
        first = firsts[who.index]
        episodes = _scaled(rng, target * weights[who.index] / total / 1.4)
        touches = _episodes(cast, rng, who, episodes, first)
        if who.index in bursting:
            touches += _burst(cast, rng, who, first)
        touches = [t for t in touches if t.at <= limit_now and t.at >= at_hour(first, 0)]
        touches.sort(key=lambda t: t.at)
        for touch in touches:
            touch.accepted = _accept(cast, rng, touch)
            if touch.accepted:
                _as_activity(rng, touch)
                planned.append(touch)
    _cover(cast, rng, planned, firsts)
    planned.sort(key=lambda t: (t.at, t.who.index))
    return planned


# What the bakery may contact anyone about (not winning back those who stopped ordering).
PROACTIVE_TOPICS = tuple(topic for topic in OUTBOUND_TOPICS if topic[0] != "winback")
# Every channel both ways, but a web form, which only customers fill in.
EVERY_WAY = tuple(
    (channel, direction)
    for channel in Ch.values
    for direction in Direction.values
    if (channel, direction) != (Ch.WEB_FORM, Direction.OUTBOUND)
)


def _cover(cast: _Cast, rng: random.Random, planned: list[_Touch], firsts: dict[int, date]) -> None:
    """Even a small demo shows every channel both ways: a way no contact took yet is
    given to a customer it fits, on a day ``contact_check`` would allow it."""
    have = {(touch.channel, touch.direction) for touch in planned}
    limit_now = cast.now - timedelta(minutes=2)
    for channel, direction in EVERY_WAY:
        if (channel, direction) in have:
            continue
        candidates = sorted(cast.people, key=lambda who: (not who.business, rng.random()))
        for who in candidates:
            first = firsts[who.index]
            day, event = first + timedelta(days=rng.randint(0, (cast.today - first).days)), ""
            if channel == Ch.EVENT:
                near = _event_near(cast, day, first)
                if near is None:
                    continue
                day, event = near
            inbound = direction == Direction.INBOUND
            touch = _Touch(
                who=who,
                at=_moment(rng, day, channel),
                channel=channel,
                direction=direction,
                topic=_weighted(rng, INBOUND_TOPICS if inbound else PROACTIVE_TOPICS),
                staff=cast.owner,
            )
            if touch.at > limit_now or (
                channel == Ch.IN_PERSON and not inbound and not who.business
            ):
                continue
            if not inbound and who.refusal(channel, touch.at, cast.limits) is not None:
                continue
            (who.inbound if inbound else who.outbound).append((channel, touch.at))
            touch.staff = cast.staff_for(rng, who, touch.topic)
            _details(rng, touch, event)
            touch.accepted = True
            planned.append(touch)
            break


def _write_contacts(touches: list[_Touch]) -> tuple[list[Interaction], list[Activity]]:
    """Record the contacts, oldest first. The calls, visits and e-mails a seller planned
    first and the contacts over a limit go through the services, which check them again;
    the others, checked by ``_accept`` with the same rules, are recorded many at a time
    in between (``_record_checked``), so each service call sees the customer's earlier
    contacts."""
    interactions: list[Interaction] = []
    activities: list[Activity] = []
    checked: list[_Touch] = []
    for touch in touches:
        if not touch.activity_kind and not touch.override_reason:
            checked.append(touch)
            continue
        interactions += _record_checked(checked)
        checked = []
        who = touch.who
        if touch.activity_kind and touch.planned_at is not None:
            story_at(touch.planned_at)
            activity = activity_plan(
                actor=touch.staff,
                kind=touch.activity_kind,
                subject=touch.subject,
                due_at=touch.at,
                duration_minutes=DURATIONS[touch.activity_kind],
                owner=touch.staff,
                customer=who.customer,
                contact=who.contact,
            )
            story_at(touch.at)
            activity, interaction = activity_complete(
                actor=touch.staff,
                activity=activity,
                version=activity.version,
                outcome=touch.outcome,
                notes=touch.notes,
                satisfaction=touch.satisfaction,
                done_at=touch.at,
            )
            activities.append(activity)
        else:
            story_at(touch.at)
            interaction = interaction_record(
                actor=touch.staff,
                customer=who.customer,
                channel=touch.channel,
                direction=touch.direction,
                at=touch.at,
                contact=who.contact,
                staff=touch.staff,
                subject=touch.subject,
                outcome=touch.outcome,
                satisfaction=touch.satisfaction,
                notes=touch.notes,
                override_reason=touch.override_reason,
            )
        if interaction is not None:
            interactions.append(interaction)
    interactions += _record_checked(checked)
    latest: dict[int, datetime] = {}
    for interaction in interactions:
        customer = interaction.customer_id
        latest[customer] = max(interaction.at, latest.get(customer, interaction.at))
    customers_contacted(latest)
    return interactions, activities


# The links ``clean_fields`` would look up one query at a time; the demo made them.
LINKS = ("customer", "contact", "staff", "override_by", "source_type")


def _record_checked(touches: list[_Touch]) -> list[Interaction]:
    """Record contacts ``_accept`` allowed by the rules of ``relations.pressure`` (no
    outbound contact without consent unless a reply, none over a limit) many at once,
    as ``interaction_record`` would one by one: each row checked field by field, its
    history dated when it happened and written by its staff member. The caller moves
    the customers' last contact on (``customers_contacted``)."""
    if not touches:
        return []
    rows = []
    for touch in touches:
        row = Interaction(
            customer=touch.who.customer,
            channel=touch.channel,
            direction=touch.direction,
            at=touch.at,
            contact=touch.who.contact,
            staff=touch.staff,
            subject=touch.subject,
            outcome=touch.outcome,
            satisfaction=touch.satisfaction,
            notes=touch.notes,
        )
        row.clean_fields(exclude=LINKS)
        row._history_date = touch.at  # read by simple-history's bulk_history_create
        row._history_user = touch.staff
        rows.append(row)
    Interaction.objects.bulk_create(rows, batch_size=BATCH)
    Interaction.history.bulk_history_create(rows, batch_size=BATCH)  # type: ignore[attr-defined]
    return rows


# --- the agenda -----------------------------------------------------------------------


@dataclass
class _Planned:
    """An open activity on a seller's agenda."""

    owner: User
    kind: str
    due_at: datetime
    planned_at: datetime
    who: _Who | None = None
    opportunity: Opportunity | None = None
    subject: str = ""
    notes: str = ""


# Tasks of a seller's own, for no customer.
OWN_TASKS = (
    "Preparar muestras para la feria", "Actualizar la lista de precios del próximo año",
    "Revisar las cotizaciones pendientes", "Pasar en limpio las tarjetas de la última feria",
    "Pedir cajas nuevas para las entregas",
)  # fmt: skip
AGENDA_NOTES = (
    "Llevar la lista de precios impresa.", "Preguntar por la persona de compras.",
    "Confirmar antes por WhatsApp.", "Llevar muestras de conchas y cuernos.",
)  # fmt: skip


def _agenda_day(rng: random.Random, today: date, bucket: str) -> date:
    if bucket == "overdue":
        return _business_day(today - timedelta(days=rng.randint(1, 6)))
    if bucket == "today":
        return today
    return _business_day(today + timedelta(days=rng.randint(1, 10)), back=False)


def _plan_agenda(cast: _Cast, opportunities: list[Opportunity]) -> list[_Planned]:
    """Each seller's open activities: a few overdue, a few today, more in the coming
    days, some of them for their open opportunities; a contact the limits or the
    customer's consents would refuse goes to another customer, or becomes a task."""
    rng = cast.business.random("agenda")
    people = {who.customer.pk: who for who in cast.people}
    agenda: list[_Planned] = []
    used: set[tuple[int | None, str]] = set()  # (customer, subject) already on an agenda
    for user in (*cast.sellers, cast.owner):
        owned = [who for who in cast.people if who.owner is not None and who.owner.pk == user.pk]
        deals = [o for o in opportunities if o.owner_id == user.pk and o.closed_at is None]
        for bucket, count in AGENDA.items():
            for _number in range(count):
                day = _agenda_day(rng, cast.today, bucket)
                due_at = at_hour(day, rng.randrange(9 * 4, 18 * 4) / 4)
                planned_on = day - timedelta(days=rng.randint(1, 7))
                latest = cast.now - timedelta(minutes=rng.randint(5, 300))
                planned = _Planned(
                    owner=user,
                    kind=_weighted(rng, ACTIVITY_KINDS),
                    due_at=due_at,
                    planned_at=min(at_hour(planned_on, rng.uniform(8, 19)), latest),
                )
                planned.planned_at = planned.planned_at.replace(microsecond=0)
                if deals and rng.random() < 0.35:
                    planned.opportunity = rng.choice(deals)
                    planned.who = people.get(planned.opportunity.customer_id)
                elif owned:
                    planned.who = rng.choice(owned)
                _agenda_fit(cast, rng, planned, owned)
                _agenda_subject(rng, planned, used)
                if rng.random() < 0.2:
                    planned.notes = rng.choice(AGENDA_NOTES)
                agenda.append(planned)
    return agenda


def _agenda_fit(cast: _Cast, rng: random.Random, planned: _Planned, owned: list[_Who]) -> None:
    """Find the activity a customer it may contact; else make it a task."""
    channel = ACTIVITY_CHANNELS.get(planned.kind, "")
    if channel and planned.who is not None:
        candidates = [planned.who, *rng.sample(owned, min(5, len(owned)))]
        for who in candidates:
            if channel == Ch.IN_PERSON and not who.business:
                continue
            if who.refusal(channel, planned.due_at, cast.limits) is None:
                if who is not planned.who:
                    planned.opportunity = None
                planned.who = who
                who.outbound.append((channel, planned.due_at))
                break
        else:
            planned.kind = ActivityKind.TASK
    elif channel:
        planned.kind = ActivityKind.TASK


def _agenda_subject(
    rng: random.Random, planned: _Planned, used: set[tuple[int | None, str]]
) -> None:
    """A subject no other activity for the customer has; a task left without one is
    the seller's own, for no customer."""
    customer = planned.who.customer.pk if planned.who is not None else None
    if planned.opportunity is not None:
        subject = f"{DEAL_ACTIVITIES[planned.kind]}: {planned.opportunity.title}"
        if (customer, subject) not in used:
            planned.subject = subject
            used.add((customer, subject))
            return
        planned.opportunity = None
    options = [s for s in ACTIVITY_SUBJECTS[planned.kind] if (customer, s) not in used]
    if not options and planned.kind == ActivityKind.TASK:
        planned.who, customer = None, None
        options = [s for s in OWN_TASKS if (None, s) not in used]
    planned.subject = rng.choice(options or ACTIVITY_SUBJECTS[planned.kind])
    used.add((customer, planned.subject))


def _write_agenda(agenda: list[_Planned]) -> list[Activity]:
    """Plan the sellers' open activities, each on the day it was planned."""
    activities = []
    for planned in sorted(agenda, key=lambda p: p.planned_at):
        who = planned.who
        story_at(planned.planned_at)
        activities.append(
            activity_plan(
                actor=planned.owner,
                kind=planned.kind,
                subject=planned.subject,
                due_at=planned.due_at,
                duration_minutes=DURATIONS[planned.kind],
                owner=planned.owner,
                customer=who.customer if who is not None else None,
                contact=who.contact if who is not None else None,
                opportunity=planned.opportunity,
                notes=planned.notes,
            )
        )
    return activities


# --- notes ----------------------------------------------------------------------------


def _create_notes(cast: _Cast) -> list[CustomerNote]:
    """Notes about customers that record no contact, written on days of their story;
    one in six is pinned to the top of the customer's page."""
    rng = cast.business.random("customer-notes")
    span = min(cast.business.history_days, CONTACT_DAYS)
    story_start = cast.today - timedelta(days=span)
    count = max(6, round(NOTES * len(cast.business.customers) / REFERENCE_CUSTOMERS))
    weights = [3 if who.business else 1 for who in cast.people]
    written: set[tuple[int, str]] = set()
    moments = []
    for number in range(count):
        who = rng.choices(cast.people, weights=weights)[0]
        texts = [t for t in CUSTOMER_NOTES[who.segment] if (who.index, t) not in written]
        if not texts:
            continue
        text = rng.choice(texts)
        written.add((who.index, text))
        first = max(story_start, who.since)
        day = first + timedelta(days=rng.randint(0, (cast.today - first).days))
        moment = min(_moment(rng, day, Ch.IN_PERSON), cast.now - timedelta(minutes=1))
        moments.append((moment, who, text, number % 6 == 0))
    notes = []
    for moment, who, text, pinned in sorted(moments, key=lambda m: (m[0], m[1].index)):
        story_at(moment)
        author = who.owner or cast.support
        notes.append(note_add(actor=author, customer=who.customer, text=text, pinned=pinned))
    return notes
