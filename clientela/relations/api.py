"""REST endpoints of relationship work: opportunities on the pipeline's stages, the
reasons a deal is lost, the limits on outbound contacts, activities, interactions and
notes about customers. Handlers parse, call a service or selector, and shape the answer.

Mounted by the composition root at ``/api/v1/opportunities``, ``/stages``,
``/lost-reasons``, ``/contact-limits``, ``/activities``, ``/interactions`` and
``/notes``.

Opportunities, activities and notes carry a ``version`` (their ETag): a change needs the
version read, as ``version`` in the body or an If-Match header; 428 without it, 409 if
someone changed the record since, and then nothing is written. An outbound contact the
customer has not agreed to is a 422 on ``channel``; one over a contact limit a 422 on
``override_reason``, which a reason in that field lets through.
"""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from clientela.core.access import Capability, require
from clientela.core.api import Day, Whole, WriteSchema, etag, fields_renamed, version_required
from clientela.core.models import User
from clientela.core.pagination import CappedPageNumberPagination
from clientela.core.validators import FIRST_BUSINESS_YEAR, LAST_BUSINESS_YEAR
from clientela.customers.models import Contact
from clientela.customers.selectors import customer_scope
from clientela.orders.models import Product
from clientela.orders.selectors import order_scope
from clientela.relations import selectors, services
from clientela.relations.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    ContactChannel,
    ContactLimit,
    CustomerNote,
    Direction,
    Interaction,
    LostReason,
    Opportunity,
    OpportunitySource,
    Outcome,
    Stage,
)

opportunities_router = Router(tags=["opportunities"])
stages_router = Router(tags=["pipeline"])
lost_reasons_router = Router(tags=["pipeline"])
contact_limits_router = Router(tags=["pipeline"])
activities_router = Router(tags=["activities"])
interactions_router = Router(tags=["interactions"])
notes_router = Router(tags=["notes"])

MAX_PAGE_SIZE = 100

# Choices a client may also leave blank, as the records show them: one "Choose one of"
# error each, where a union with a blank would give one per member.
ChannelOrAll = Literal[("", *ContactChannel.values)]  # type: ignore[valid-type]
OutcomeOrNone = Literal[("", *Outcome.values)]  # type: ignore[valid-type]
SourceOrNone = Literal[("", *OpportunitySource.values)]  # type: ignore[valid-type]

# Service errors name model fields; the API names them as its clients send them.
API_FIELD_NAMES = {
    "customer": "customer_id",
    "owner": "owner_id",
    "contact": "contact_id",
    "opportunity": "opportunity_id",
    "order": "order_id",
    "stage": "stage_id",
    "lost_reason": "lost_reason_id",
    "products": "product_ids",
}


def _business_moment(value: datetime) -> datetime:
    """A date and time in the business years, as written (no conversion that could
    leave Python's calendar); the services check the time zone and the local year."""
    if not FIRST_BUSINESS_YEAR <= value.year <= LAST_BUSINESS_YEAR:
        raise PydanticCustomError(
            "date_range",
            "Enter a date in the years {first} to {last}.",
            {"first": FIRST_BUSINESS_YEAR, "last": LAST_BUSINESS_YEAR},
        )
    return value


Moment = Annotated[datetime, AfterValidator(_business_moment)]
"""A date and time the API reads, with its time zone, in the business years."""


# --- schemas: the pipeline's settings -------------------------------------------------


class StageIn(WriteSchema):
    name: str
    name_es: str = ""
    name_ru: str = ""
    position: Whole | None = None
    probability: Whole = 0
    is_won: bool = False
    is_lost: bool = False
    is_active: bool = True


class StagePatch(WriteSchema):
    name: str | None = None
    name_es: str | None = None
    name_ru: str | None = None
    position: Whole | None = None
    probability: Whole | None = None
    is_won: bool | None = None
    is_lost: bool | None = None
    is_active: bool | None = None


class StageOut(Schema):
    id: int
    name: str
    name_es: str
    name_ru: str
    label: str
    position: int
    probability: int
    is_won: bool
    is_lost: bool
    is_active: bool

    @staticmethod
    def resolve_label(obj: Stage) -> str:
        return str(obj)


class LostReasonIn(WriteSchema):
    name: str
    name_es: str = ""
    name_ru: str = ""
    position: Whole | None = None
    asks_competitor: bool = False
    is_active: bool = True


class LostReasonPatch(WriteSchema):
    name: str | None = None
    name_es: str | None = None
    name_ru: str | None = None
    position: Whole | None = None
    asks_competitor: bool | None = None
    is_active: bool | None = None


class LostReasonOut(Schema):
    id: int
    name: str
    name_es: str
    name_ru: str
    label: str
    position: int
    asks_competitor: bool
    is_active: bool

    @staticmethod
    def resolve_label(obj: LostReason) -> str:
        return str(obj)


class InUseFilters(Schema):
    in_use: bool = True


class ContactLimitIn(WriteSchema):
    """At most ``max_contacts`` outbound contacts in ``days`` days, on ``channel`` or,
    blank, on all channels together; replaces the limit of that channel."""

    channel: ChannelOrAll = ""
    max_contacts: Whole
    days: Whole


class ContactLimitOut(Schema):
    id: int
    channel: str
    max_contacts: int
    days: int


# --- schemas: opportunities -----------------------------------------------------------


class OpportunityIn(WriteSchema):
    """A new opportunity, on ``stage_id`` (the first open stage when not given) with the
    stage's probability unless one is given; the owner defaults to the customer's."""

    customer_id: Whole
    title: str
    value: Decimal = Decimal(0)
    currency: str | None = None
    stage_id: Whole | None = None
    probability: Whole | None = None
    expected_close: Day | None = None
    owner_id: Whole | None = None
    source: SourceOrNone = ""
    product_ids: list[Whole] = []
    next_step: str = ""
    notes: str = ""
    lost_reason_id: Whole | None = None
    competitor: str = ""
    reason: str = ""


class OpportunityPatch(WriteSchema):
    """Only the fields sent change (not the stage: ``move``); ``product_ids`` replaces
    the products of interest."""

    customer_id: Whole | None = None
    title: str | None = None
    value: Decimal | None = None
    currency: str | None = None
    probability: Whole | None = None
    expected_close: Day | None = None
    owner_id: Whole | None = None
    source: SourceOrNone | None = None
    product_ids: list[Whole] | None = None
    next_step: str | None = None
    notes: str | None = None
    reason: str = ""
    version: Whole | None = None


class MoveIn(WriteSchema):
    """Another stage for an open opportunity: a lost one needs ``lost_reason_id`` (and
    ``competitor`` when the reason asks); a won one opens a draft order with its
    products unless ``open_order`` is false."""

    stage_id: Whole
    lost_reason_id: Whole | None = None
    competitor: str = ""
    open_order: bool = True
    reason: str = ""
    version: Whole | None = None


class ReopenIn(WriteSchema):
    """Reopen a won or lost opportunity on ``stage_id`` (by default the stage it left)."""

    stage_id: Whole | None = None
    reason: str = ""
    version: Whole | None = None


class OpportunityOut(Schema):
    id: int
    title: str
    customer_id: int
    customer: str
    stage_id: int
    stage: str
    status: Literal["open", "won", "lost"]
    value: Decimal
    currency: str
    probability: int
    expected_close: date | None
    owner_id: int | None
    source: str
    next_step: str
    notes: str
    lost_reason_id: int | None
    competitor: str
    closed_at: datetime | None
    stage_since: datetime | None
    order_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer(obj: Opportunity) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_stage(obj: Opportunity) -> str:
        return str(obj.stage)

    @staticmethod
    def resolve_status(obj: Opportunity) -> str:
        if obj.closed_at is None:
            return "open"
        return "won" if obj.stage.is_won else "lost"


class OpportunityDetail(OpportunityOut):
    lost_reason: str | None
    product_ids: list[int]

    @staticmethod
    def resolve_lost_reason(obj: Opportunity) -> str | None:
        return str(obj.lost_reason) if obj.lost_reason else None

    @staticmethod
    def resolve_product_ids(obj: Opportunity) -> list[int]:
        return [product.pk for product in obj.products.all()]


class OpportunityFilters(Schema):
    owner: Whole | None = None
    stage: Whole | None = None
    status: Literal["open", "won", "lost"] | None = None
    customer: Whole | None = None
    close_month: Day | None = None  # any day of the month of the expected close
    product: Whole | None = None
    search: str = ""


# --- schemas: activities --------------------------------------------------------------


class ActivityIn(WriteSchema):
    """A planned activity, assigned to the caller unless ``owner_id`` is given; its end
    by ``ends_at`` or ``duration_minutes``. A call, visit, meeting or e-mail needs a
    customer and passes the contact check (``override_reason`` lets it over a limit)."""

    kind: ActivityKind
    subject: str
    due_at: Moment
    ends_at: Moment | None = None
    duration_minutes: Whole | None = None
    notes: str = ""
    owner_id: Whole | None = None
    customer_id: Whole | None = None
    contact_id: Whole | None = None
    opportunity_id: Whole | None = None
    order_id: Whole | None = None
    override_reason: str = ""
    reason: str = ""


class ActivityPatch(WriteSchema):
    """Only the fields sent change; a new time reschedules it, checked again."""

    kind: ActivityKind | None = None
    subject: str | None = None
    due_at: Moment | None = None
    ends_at: Moment | None = None
    duration_minutes: Whole | None = None
    notes: str | None = None
    owner_id: Whole | None = None
    customer_id: Whole | None = None
    contact_id: Whole | None = None
    opportunity_id: Whole | None = None
    order_id: Whole | None = None
    override_reason: str = ""
    reason: str = ""
    version: Whole | None = None


class CompleteIn(WriteSchema):
    """How a planned activity went: the outcome (needed but for a task), notes, the
    customer's satisfaction (1–5), when it was done (now by default)."""

    outcome: OutcomeOrNone = ""
    notes: str = ""
    satisfaction: Whole | None = None
    done_at: Moment | None = None
    version: Whole | None = None


class CancelIn(WriteSchema):
    reason: str = ""
    version: Whole | None = None


class ActivityOut(Schema):
    id: int
    kind: str
    subject: str
    notes: str
    due_at: datetime
    ends_at: datetime
    duration_minutes: int
    owner_id: int | None
    customer_id: int | None
    customer: str | None
    contact_id: int | None
    opportunity_id: int | None
    order_id: int | None
    channel: str
    status: str
    done_at: datetime | None
    outcome: str
    override_reason: str
    override_by_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer(obj: Activity) -> str | None:
        return obj.customer.name if obj.customer else None


class ActivityFilters(Schema):
    owner: Whole | None = None
    customer: Whole | None = None
    status: ActivityStatus | None = None
    kind: ActivityKind | None = None
    due_from: Day | None = None
    due_to: Day | None = None


# --- schemas: interactions and notes --------------------------------------------------


class InteractionIn(WriteSchema):
    """A contact that happened (now by default), by the caller; an outbound one passes
    the contact check (``override_reason`` lets it over a limit)."""

    customer_id: Whole
    channel: ContactChannel
    direction: Direction
    at: Moment | None = None
    contact_id: Whole | None = None
    subject: str = ""
    outcome: OutcomeOrNone = ""
    satisfaction: Whole | None = None
    notes: str = ""
    override_reason: str = ""


class InteractionOut(Schema):
    id: int
    customer_id: int
    customer: str
    channel: str
    direction: str
    at: datetime
    contact_id: int | None
    staff_id: int | None
    subject: str
    outcome: str
    satisfaction: int | None
    notes: str
    override_reason: str
    override_by_id: int | None
    source_type: str | None
    source_id: int | None
    created_at: datetime

    @staticmethod
    def resolve_customer(obj: Interaction) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_source_type(obj: Interaction) -> str | None:
        if obj.source_type_id is None:
            return None
        return ContentType.objects.get_for_id(obj.source_type_id).model


class CompletedOut(Schema):
    activity: ActivityOut
    interaction: InteractionOut | None


class InteractionFilters(Schema):
    customer: Whole | None = None
    channel: ContactChannel | None = None
    direction: Direction | None = None
    staff: Whole | None = None
    since: Day | None = None
    until: Day | None = None
    overridden: bool = False


class NoteIn(WriteSchema):
    customer_id: Whole
    text: str
    pinned: bool = False


class NotePatch(WriteSchema):
    text: str | None = None
    pinned: bool | None = None
    version: Whole | None = None


class NoteOut(Schema):
    id: int
    customer_id: int
    text: str
    pinned: bool
    author_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class NoteFilters(Schema):
    customer: Whole | None = None
    pinned: bool | None = None


# --- helpers --------------------------------------------------------------------------


def _choices(user: User) -> dict[str, tuple[str, Callable[[], QuerySet]]]:
    """Each id the API reads: the service's field and the records it may name (those
    the user may see)."""
    return {
        "customer_id": ("customer", lambda: customer_scope(user=user)),
        "owner_id": ("owner", lambda: User.objects.filter(is_active=True)),
        "contact_id": ("contact", lambda: Contact.objects.all()),
        "opportunity_id": ("opportunity", lambda: selectors.opportunity_scope(user=user)),
        "order_id": ("order", lambda: order_scope(user=user)),
        "stage_id": ("stage", lambda: Stage.objects.all()),
        "lost_reason_id": ("lost_reason", lambda: LostReason.objects.all()),
    }


def _missing(field: str, pk: int) -> str:
    """The message for an id that names no record the user may see."""
    messages = {
        "customer": _("There is no customer #%(id)s."),
        "owner": _("There is no active user #%(id)s."),
        "contact": _("There is no contact person #%(id)s."),
        "opportunity": _("There is no opportunity #%(id)s."),
        "order": _("There is no order #%(id)s."),
        "stage": _("There is no stage #%(id)s."),
        "lost_reason": _("There is no lost reason #%(id)s."),
        "product": _("There is no product #%(id)s."),
    }
    return messages[field] % {"id": pk}


def _references(user: User, data: dict[str, Any]) -> dict[str, Any]:
    """Replace the ids of ``data`` by the records the services take; an id naming no
    record the user may see is a 422 on that field (null stays null: no record)."""
    errors: dict[str, str] = {}
    for api_field, (field, records) in _choices(user).items():
        if api_field not in data:
            continue
        pk = data.pop(api_field)
        data[field] = None if pk is None else records().filter(pk=pk).first()
        if pk is not None and data[field] is None:
            errors[api_field] = _missing(field, pk)
    if "product_ids" in data:
        ids = data.pop("product_ids") or []
        products = Product.objects.in_bulk(ids)
        unknown = [pk for pk in ids if pk not in products]
        if unknown:
            errors["product_ids"] = _missing("product", unknown[0])
        data["products"] = list(products.values())
    if errors:
        raise ValidationError(errors)
    return data


def _required(data: dict[str, Any], *fields: str) -> dict[str, Any]:
    """``data``, unless it empties one of ``fields`` (a change may leave them out, not
    blank them): a 422 naming each."""
    emptied = {
        field: _("This field is required.")
        for field in fields
        if field in data and data[field] is None
    }
    if emptied:
        raise ValidationError(emptied)
    return data


def _one_of(records: QuerySet, pk: int | None) -> Model | None:
    """The record ``pk`` of ``records`` for a filter, or None when not asked."""
    return None if pk is None else records.filter(pk=pk).first()


def _versioned(response: HttpResponse, record: Opportunity | Activity | CustomerNote) -> Any:
    response["ETag"] = etag(record.version)
    return record


def _opportunity(request: HttpRequest, response: HttpResponse, opportunity_id: int) -> Any:
    require(request.auth, Capability.CUSTOMER_VIEW)
    opportunity = selectors.opportunity_get(user=request.auth, pk=opportunity_id)
    return _versioned(response, opportunity)


def _activity(request: HttpRequest, response: HttpResponse, activity_id: int) -> Any:
    require(request.auth, Capability.CUSTOMER_VIEW)
    return _versioned(response, selectors.activity_get(user=request.auth, pk=activity_id))


def _note(request: HttpRequest, note_id: int) -> CustomerNote:
    require(request.auth, Capability.CUSTOMER_VIEW)
    return selectors.note_get(user=request.auth, pk=note_id)


def _paged(function: Callable) -> Callable:
    """The API's page of a list, as every list of the API pages."""
    return paginate(
        CappedPageNumberPagination,
        page_size=settings.CLIENTELA_PAGE_SIZE,
        max_page_size=MAX_PAGE_SIZE,
    )(function)


# --- stages, lost reasons, contact limits ---------------------------------------------


@stages_router.get("", response=list[StageOut])
def stage_list(request: HttpRequest, filters: Query[InUseFilters]) -> list[Stage]:
    """The pipeline's stages in order; ``in_use=false`` adds the retired ones."""
    require(request.auth, Capability.CUSTOMER_VIEW)
    return selectors.stage_list(in_use=filters.in_use)


@stages_router.post("", response={201: StageOut})
def stage_create(request: HttpRequest, payload: StageIn) -> Stage:
    """Add a stage to the pipeline, at the end unless ``position`` is given (owner)."""
    require(request.auth, Capability.PIPELINE_CONFIGURE)
    data = payload.dict(exclude_none=True)
    return services.stage_create(actor=request.auth, **data)


@stages_router.patch("/{int:stage_id}", response=StageOut)
def stage_update(request: HttpRequest, stage_id: Whole, payload: StagePatch) -> Stage:
    """Rename, reorder or retire a stage, or change its probability (owner); whether it
    is open, won or lost changes only while no opportunity is on it."""
    require(request.auth, Capability.PIPELINE_CONFIGURE)
    stage = Stage.objects.get(pk=stage_id)
    data = payload.dict(exclude_unset=True, exclude_none=True)
    return services.stage_update(actor=request.auth, stage=stage, **data)


@lost_reasons_router.get("", response=list[LostReasonOut])
def lost_reason_list(request: HttpRequest, filters: Query[InUseFilters]) -> list[LostReason]:
    """The reasons a deal may be lost for, in order; ``in_use=false`` adds retired ones."""
    require(request.auth, Capability.CUSTOMER_VIEW)
    return selectors.lost_reason_list(in_use=filters.in_use)


@lost_reasons_router.post("", response={201: LostReasonOut})
def lost_reason_create(request: HttpRequest, payload: LostReasonIn) -> LostReason:
    """Add a reason a deal may be lost for (owner)."""
    require(request.auth, Capability.PIPELINE_CONFIGURE)
    return services.lost_reason_create(actor=request.auth, **payload.dict(exclude_none=True))


@lost_reasons_router.patch("/{int:lost_reason_id}", response=LostReasonOut)
def lost_reason_update(
    request: HttpRequest, lost_reason_id: Whole, payload: LostReasonPatch
) -> LostReason:
    """Rename, reorder or retire a lost reason (owner); deals lost for it keep it."""
    require(request.auth, Capability.PIPELINE_CONFIGURE)
    lost_reason = LostReason.objects.get(pk=lost_reason_id)
    data = payload.dict(exclude_unset=True, exclude_none=True)
    return services.lost_reason_update(actor=request.auth, lost_reason=lost_reason, **data)


@contact_limits_router.get("", response=list[ContactLimitOut])
def contact_limit_list(request: HttpRequest) -> QuerySet[ContactLimit]:
    """The limits on outbound contacts per customer: overall (blank channel) and per
    channel."""
    require(request.auth, Capability.CUSTOMER_VIEW)
    return ContactLimit.objects.all()


@contact_limits_router.post("", response={200: ContactLimitOut, 201: ContactLimitOut})
def contact_limit_set(request: HttpRequest, payload: ContactLimitIn) -> Status[ContactLimit]:
    """Set the limit of a channel, or (blank) of all channels together (owner): 201 for
    a new one, 200 when it replaces the limit that channel had."""
    require(request.auth, Capability.PIPELINE_CONFIGURE)
    existed = ContactLimit.objects.filter(channel=payload.channel).exists()
    limit = services.contact_limit_set(actor=request.auth, **payload.dict())
    return Status(200 if existed else 201, limit)


@contact_limits_router.delete("/{int:limit_id}", response={204: None})
def contact_limit_remove(request: HttpRequest, limit_id: Whole) -> None:
    """Lift a limit on outbound contacts (owner)."""
    require(request.auth, Capability.PIPELINE_CONFIGURE)
    limit = ContactLimit.objects.get(pk=limit_id)
    services.contact_limit_remove(actor=request.auth, limit=limit)


# --- opportunities --------------------------------------------------------------------


@opportunities_router.get("", response=list[OpportunityOut])
@_paged
def opportunity_list(
    request: HttpRequest, filters: Query[OpportunityFilters]
) -> QuerySet[Opportunity]:
    """Opportunities, newest first, by owner, stage, status, customer, month of the
    expected close, product of interest, or words of the title or customer's name."""
    require(request.auth, Capability.CUSTOMER_VIEW)
    user = request.auth
    asked = filters.dict()
    found = {
        "owner": _one_of(User.objects.all(), asked["owner"]),
        "stage": _one_of(Stage.objects.all(), asked["stage"]),
        "customer": _one_of(customer_scope(user=user), asked["customer"]),
    }
    if any(asked[name] is not None and record is None for name, record in found.items()):
        return Opportunity.objects.none()
    return selectors.opportunity_list(
        user=user,
        close_month=asked["close_month"],
        product=asked["product"],
        status=asked["status"] or "",
        search=asked["search"],
        **found,
    )


@opportunities_router.post("", response={201: OpportunityDetail})
def opportunity_create(
    request: HttpRequest, response: HttpResponse, payload: OpportunityIn
) -> Opportunity:
    """Open an opportunity with a customer; the ETag header carries its version."""
    require(request.auth, Capability.OPPORTUNITY_EDIT)
    data = _references(request.auth, payload.dict(exclude_unset=True))
    if data.get("currency") is None:
        data.pop("currency", None)
    with fields_renamed(API_FIELD_NAMES):
        opportunity = services.opportunity_create(actor=request.auth, **data)
    return _opportunity(request, response, opportunity.pk)


@opportunities_router.get("/{int:opportunity_id}", response=OpportunityDetail)
def opportunity_get(
    request: HttpRequest, response: HttpResponse, opportunity_id: Whole
) -> Opportunity:
    """One opportunity with its products of interest; ETag = version."""
    return _opportunity(request, response, opportunity_id)


@opportunities_router.patch("/{int:opportunity_id}", response=OpportunityDetail)
def opportunity_update(
    request: HttpRequest, response: HttpResponse, opportunity_id: Whole, payload: OpportunityPatch
) -> Opportunity:
    """Change an opportunity's details; needs the version read: 428 without it, 409 if
    it changed since."""
    require(request.auth, Capability.OPPORTUNITY_EDIT)
    opportunity = _opportunity(request, response, opportunity_id)
    data = payload.dict(exclude_unset=True)
    version = version_required(request, data.pop("version", None))
    data = _references(request.auth, _required(data, "customer_id", "currency"))
    with fields_renamed(API_FIELD_NAMES):
        services.opportunity_update(
            actor=request.auth, opportunity=opportunity, version=version, **data
        )
    return _opportunity(request, response, opportunity_id)


@opportunities_router.post("/{int:opportunity_id}/move", response=OpportunityDetail)
def opportunity_move(
    request: HttpRequest, response: HttpResponse, opportunity_id: Whole, payload: MoveIn
) -> Opportunity:
    """Move an open opportunity to another stage: won opens a draft order with its
    products (unless ``open_order`` is false), lost needs a reason. A won or lost one
    must be reopened first. Needs the version read: 428 without it, 409 if it changed."""
    require(request.auth, Capability.OPPORTUNITY_EDIT)
    opportunity = _opportunity(request, response, opportunity_id)
    data = payload.dict()
    version = version_required(request, data.pop("version"))
    data = _references(request.auth, data)
    with fields_renamed(API_FIELD_NAMES):
        services.opportunity_move(
            actor=request.auth, opportunity=opportunity, version=version, **data
        )
    return _opportunity(request, response, opportunity_id)


@opportunities_router.post("/{int:opportunity_id}/reopen", response=OpportunityDetail)
def opportunity_reopen(
    request: HttpRequest,
    response: HttpResponse,
    opportunity_id: Whole,
    payload: ReopenIn | None = None,
) -> Opportunity:
    """Reopen a won or lost opportunity on an open stage (by default the one it left);
    needs the version read, 409 if it changed since."""
    require(request.auth, Capability.OPPORTUNITY_EDIT)
    opportunity = _opportunity(request, response, opportunity_id)
    data = payload.dict() if payload else {}
    version = version_required(request, data.pop("version", None))
    data = _references(request.auth, data)
    with fields_renamed(API_FIELD_NAMES):
        services.opportunity_reopen(
            actor=request.auth, opportunity=opportunity, version=version, **data
        )
    return _opportunity(request, response, opportunity_id)


# --- activities -----------------------------------------------------------------------


@activities_router.get("", response=list[ActivityOut])
@_paged
def activity_list(request: HttpRequest, filters: Query[ActivityFilters]) -> QuerySet[Activity]:
    """Activities by due time, by who they are assigned to, customer, status, kind and
    the days they are due from and to (both included)."""
    require(request.auth, Capability.CUSTOMER_VIEW)
    user = request.auth
    asked = filters.dict()
    found = {
        "owner": _one_of(User.objects.all(), asked["owner"]),
        "customer": _one_of(customer_scope(user=user), asked["customer"]),
    }
    if any(asked[name] is not None and record is None for name, record in found.items()):
        return Activity.objects.none()
    return selectors.activity_list(
        user=user,
        status=asked["status"] or "",
        kind=asked["kind"] or "",
        due_from=asked["due_from"],
        due_to=asked["due_to"],
        **found,
    )


@activities_router.post("", response={201: ActivityOut})
def activity_plan(request: HttpRequest, response: HttpResponse, payload: ActivityIn) -> Activity:
    """Plan an activity; a refused contact is a 422 on ``channel`` (no consent) or on
    ``override_reason`` (over a limit: give one to go ahead)."""
    require(request.auth, Capability.ACTIVITY_EDIT)
    data = _references(request.auth, payload.dict(exclude_none=True))
    with fields_renamed(API_FIELD_NAMES):
        activity = services.activity_plan(actor=request.auth, **data)
    return _activity(request, response, activity.pk)


@activities_router.get("/{int:activity_id}", response=ActivityOut)
def activity_get(request: HttpRequest, response: HttpResponse, activity_id: Whole) -> Activity:
    """One activity; ETag = version."""
    return _activity(request, response, activity_id)


@activities_router.patch("/{int:activity_id}", response=ActivityOut)
def activity_update(
    request: HttpRequest, response: HttpResponse, activity_id: Whole, payload: ActivityPatch
) -> Activity:
    """Reschedule or edit a planned activity; a new time is checked against the limits
    again. Needs the version read: 428 without it, 409 if it changed since."""
    require(request.auth, Capability.ACTIVITY_EDIT)
    activity = _activity(request, response, activity_id)
    data = payload.dict(exclude_unset=True)
    version = version_required(request, data.pop("version", None))
    data = _references(request.auth, data)
    with fields_renamed(API_FIELD_NAMES):
        services.activity_update(actor=request.auth, activity=activity, version=version, **data)
    return _activity(request, response, activity_id)


@activities_router.post("/{int:activity_id}/complete", response=CompletedOut)
def activity_complete(
    request: HttpRequest, response: HttpResponse, activity_id: Whole, payload: CompleteIn
) -> dict[str, Any]:
    """Mark a planned activity done; a call, visit, meeting or e-mail records its
    interaction, returned with it. Needs the version read, 409 if it changed since."""
    require(request.auth, Capability.ACTIVITY_EDIT)
    activity = _activity(request, response, activity_id)
    data = payload.dict()
    version = version_required(request, data.pop("version"))
    activity, interaction = services.activity_complete(
        actor=request.auth, activity=activity, version=version, **data
    )
    if interaction is not None:
        interaction = selectors.interaction_get(user=request.auth, pk=interaction.pk)
    return {
        "activity": _activity(request, response, activity.pk),
        "interaction": interaction,
    }


@activities_router.post("/{int:activity_id}/cancel", response=ActivityOut)
def activity_cancel(
    request: HttpRequest,
    response: HttpResponse,
    activity_id: Whole,
    payload: CancelIn | None = None,
) -> Activity:
    """Cancel a planned activity: it leaves the agenda and the limits' count. Needs the
    version read, 409 if it changed since."""
    require(request.auth, Capability.ACTIVITY_EDIT)
    activity = _activity(request, response, activity_id)
    version = version_required(request, payload.version if payload else None)
    services.activity_cancel(
        actor=request.auth,
        activity=activity,
        version=version,
        reason=payload.reason if payload else "",
    )
    return _activity(request, response, activity_id)


# --- interactions ---------------------------------------------------------------------


@interactions_router.get("", response=list[InteractionOut])
@_paged
def interaction_list(
    request: HttpRequest, filters: Query[InteractionFilters]
) -> QuerySet[Interaction]:
    """Contacts with customers, newest first, by customer, channel, direction, member
    of staff, the days from and to (both included), or only those let over a limit."""
    require(request.auth, Capability.CUSTOMER_VIEW)
    user = request.auth
    asked = filters.dict()
    found = {
        "staff": _one_of(User.objects.all(), asked["staff"]),
        "customer": _one_of(customer_scope(user=user), asked["customer"]),
    }
    if any(asked[name] is not None and record is None for name, record in found.items()):
        return Interaction.objects.none()
    return selectors.interaction_list(
        user=user,
        channel=asked["channel"] or "",
        direction=asked["direction"] or "",
        overridden=asked["overridden"],
        since=asked["since"],
        until=asked["until"],
        **found,
    )


@interactions_router.post("", response={201: InteractionOut})
def interaction_record(request: HttpRequest, payload: InteractionIn) -> Interaction:
    """Record a contact; an outbound one is refused with a 422 on ``channel`` (no
    consent) or on ``override_reason`` (over a limit: give one to go ahead)."""
    require(request.auth, Capability.INTERACTION_RECORD)
    data = _references(request.auth, payload.dict(exclude_none=True))
    with fields_renamed(API_FIELD_NAMES):
        interaction = services.interaction_record(actor=request.auth, **data)
    return selectors.interaction_get(user=request.auth, pk=interaction.pk)


@interactions_router.get("/{int:interaction_id}", response=InteractionOut)
def interaction_get(request: HttpRequest, interaction_id: Whole) -> Interaction:
    """One contact with a customer."""
    require(request.auth, Capability.CUSTOMER_VIEW)
    return selectors.interaction_get(user=request.auth, pk=interaction_id)


@interactions_router.delete("/{int:interaction_id}", response={204: None})
def interaction_delete(request: HttpRequest, interaction_id: Whole) -> None:
    """Remove a contact recorded by mistake; the customer's last contact is recomputed."""
    require(request.auth, Capability.INTERACTION_RECORD)
    interaction = selectors.interaction_get(user=request.auth, pk=interaction_id)
    services.interaction_delete(actor=request.auth, interaction=interaction)


# --- notes ----------------------------------------------------------------------------


@notes_router.get("", response=list[NoteOut])
@_paged
def note_list(request: HttpRequest, filters: Query[NoteFilters]) -> QuerySet[CustomerNote]:
    """Notes about customers, pinned first, then newest; of one customer, pinned or not."""
    require(request.auth, Capability.CUSTOMER_VIEW)
    customer = _one_of(customer_scope(user=request.auth), filters.customer)
    if filters.customer is not None and customer is None:
        return CustomerNote.objects.none()
    return selectors.note_list(user=request.auth, customer=customer, pinned=filters.pinned)


@notes_router.post("", response={201: NoteOut})
def note_add(request: HttpRequest, response: HttpResponse, payload: NoteIn) -> CustomerNote:
    """Write a note about a customer; a pinned one heads the customer's page."""
    require(request.auth, Capability.INTERACTION_RECORD)
    data = _references(request.auth, payload.dict())
    with fields_renamed(API_FIELD_NAMES):
        note = services.note_add(actor=request.auth, **data)
    return _versioned(response, note)


@notes_router.get("/{int:note_id}", response=NoteOut)
def note_get(request: HttpRequest, response: HttpResponse, note_id: Whole) -> CustomerNote:
    """One note; ETag = version."""
    return _versioned(response, _note(request, note_id))


@notes_router.patch("/{int:note_id}", response=NoteOut)
def note_update(
    request: HttpRequest, response: HttpResponse, note_id: Whole, payload: NotePatch
) -> CustomerNote:
    """Change a note's text, or pin or unpin it; needs the version read: 428 without
    it, 409 if it changed since."""
    require(request.auth, Capability.INTERACTION_RECORD)
    note = _note(request, note_id)
    data = payload.dict(exclude_unset=True)
    version = version_required(request, data.pop("version", None))
    note = services.note_update(actor=request.auth, note=note, version=version, **data)
    return _versioned(response, note)


@notes_router.delete("/{int:note_id}", response={204: None})
def note_delete(request: HttpRequest, note_id: Whole) -> None:
    """Remove a note; needs the version read as If-Match, 409 if it changed since."""
    require(request.auth, Capability.INTERACTION_RECORD)
    note = _note(request, note_id)
    version = version_required(request, None)
    services.note_delete(actor=request.auth, note=note, version=version)
