"""REST endpoints of campaigns: saved segments (their conditions, live count and
members) and campaigns (drafted, their messages per language, launched, paused, resumed
and finished, and their frozen members). Handlers parse, call a service or selector,
and shape the answer.

Mounted by the composition root at ``/api/v1/segments`` and ``/api/v1/campaigns``.

Segments and campaigns carry a ``version`` (their ETag): a change needs the version
read, as ``version`` in the body or an If-Match header; 428 without it, 409 if someone
changed the record since, and then nothing is written. Every role reads; owners and
salespeople build, and change or launch what they made (the owner anything).
"""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from clientela.campaigns import selectors, services
from clientela.campaigns.conditions import conditions_clean
from clientela.campaigns.lift import Lift
from clientela.campaigns.models import (
    BodyFormat,
    Campaign,
    CampaignChannel,
    CampaignMember,
    CampaignMessage,
    CampaignStatus,
    ConversionRule,
    MemberGroup,
    MemberState,
    Segment,
)
from clientela.campaigns.results import Results
from clientela.campaigns.results import campaign_results as campaign_results_read
from clientela.core.access import Capability, require
from clientela.core.api import (
    Day,
    Whole,
    WriteSchema,
    etag,
    fields_renamed,
    path_fields,
    version_required,
)
from clientela.core.pagination import CappedPageNumberPagination
from clientela.customers.models import Customer
from clientela.orders.models import Product

segments_router = Router(tags=["campaigns"])
campaigns_router = Router(tags=["campaigns"])

MAX_PAGE_SIZE = 100

# The path's name of the message for customers without a version in their language.
DEFAULT_LANGUAGE = "default"

# Service errors name model fields; the API names them as its clients send them.
API_FIELD_NAMES = {
    "segment": "segment_id",
    "conversion_products": "conversion_product_ids",
}


# --- schemas: segments ----------------------------------------------------------------


class SegmentIn(WriteSchema):
    """A segment: the conditions a customer must all meet (``{"field", "op",
    "value"}``), shared with the staff unless ``shared`` is false."""

    name: str
    description: str = ""
    conditions: list[dict[str, Any]] = []
    shared: bool = True


class SegmentPatch(WriteSchema):
    """Only the fields sent change; ``conditions`` replaces them all."""

    name: str | None = None
    description: str | None = None
    conditions: list[dict[str, Any]] | None = None
    shared: bool | None = None
    version: Whole | None = None


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    conditions: list[dict[str, Any]]
    shared: bool
    created_by_id: int
    version: int
    created_at: datetime
    updated_at: datetime


class SegmentDetail(SegmentOut):
    count: int


class ConditionsIn(WriteSchema):
    conditions: list[dict[str, Any]] = []


class SegmentCountOut(Schema):
    count: int


class SegmentMemberOut(Schema):
    id: int
    name: str
    email: str | None
    city: str | None
    owner_id: int | None
    owner: str | None

    @staticmethod
    def resolve_owner(obj: Customer) -> str | None:
        return (obj.owner.get_full_name() or obj.owner.username) if obj.owner else None


# --- schemas: campaigns ---------------------------------------------------------------


class CampaignIn(WriteSchema):
    """A draft campaign on a segment the caller may use: the conversion counts any
    order, one holding ``conversion_product_ids`` or one of ``conversion_amount``."""

    name: str
    segment_id: Whole
    channel: CampaignChannel
    starts_on: Day
    ends_on: Day
    objective: str = ""
    currency: str | None = None
    cost_fixed: Decimal = Decimal(0)
    cost_per_contact: Decimal = Decimal(0)
    offer: str = ""
    conversion_rule: ConversionRule = ConversionRule.ANY_ORDER
    conversion_product_ids: list[Whole] = []
    conversion_amount: Decimal | None = None
    attribution_days: Whole = 30
    holdout_percent: Whole = 10
    send_rate: Whole = 600


class CampaignPatch(WriteSchema):
    """Only the fields sent change, while the campaign is a draft;
    ``conversion_product_ids`` replaces the products."""

    name: str | None = None
    segment_id: Whole | None = None
    channel: CampaignChannel | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    objective: str | None = None
    currency: str | None = None
    cost_fixed: Decimal | None = None
    cost_per_contact: Decimal | None = None
    offer: str | None = None
    conversion_rule: ConversionRule | None = None
    conversion_product_ids: list[Whole] | None = None
    conversion_amount: Decimal | None = None
    attribution_days: Whole | None = None
    holdout_percent: Whole | None = None
    send_rate: Whole | None = None
    version: Whole | None = None


class CampaignOut(Schema):
    id: int
    name: str
    objective: str
    segment_id: int
    segment: str
    channel: str
    status: str
    starts_on: date
    ends_on: date
    currency: str
    cost_fixed: Decimal
    cost_per_contact: Decimal
    offer: str
    conversion_rule: str
    conversion_amount: Decimal | None
    attribution_days: int
    holdout_percent: int
    send_rate: int
    launched_at: datetime | None
    launched_by_id: int | None
    finished_at: datetime | None
    created_by_id: int
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_segment(obj: Campaign) -> str:
        return obj.segment.name


class MessageIn(WriteSchema):
    """What the campaign says: a template that may use the personalisation variables;
    an e-mail needs a subject."""

    subject: str = ""
    body: str
    body_format: BodyFormat = BodyFormat.MARKDOWN


class MessageOut(Schema):
    language: str
    subject: str
    body: str
    body_format: str

    @staticmethod
    def resolve_language(obj: CampaignMessage) -> str:
        return obj.language or DEFAULT_LANGUAGE


class MemberCountsOut(Schema):
    """Members by group (contacted, hold-out, set aside), the set-aside ones by reason
    and the contacted ones by the state of their contact."""

    total: int
    by_group: dict[str, int]
    by_reason: dict[str, int]
    by_state: dict[str, int]


class CampaignDetail(CampaignOut):
    conversion_product_ids: list[int]
    messages: list[MessageOut]
    members: MemberCountsOut

    @staticmethod
    def resolve_conversion_product_ids(obj: Campaign) -> list[int]:
        return [product.pk for product in obj.conversion_products.all()]

    @staticmethod
    def resolve_messages(obj: Campaign) -> list[CampaignMessage]:
        return list(obj.messages.all())

    @staticmethod
    def resolve_members(obj: Campaign) -> selectors.MemberCounts:
        return selectors.campaign_member_counts(campaign=obj)


class CampaignFilters(Schema):
    status: CampaignStatus | None = None
    channel: CampaignChannel | None = None


class CampaignMemberOut(Schema):
    customer_id: int
    customer: str
    group: str
    reason: str
    pareto_class: str
    state: str
    outcome: str
    contacted_at: datetime | None
    unsubscribed_at: datetime | None

    @staticmethod
    def resolve_customer(obj: CampaignMember) -> str:
        return obj.customer.name


class IntervalOut(Schema):
    estimate: float
    low: float
    high: float


class GroupOut(Schema):
    members: int
    converted: int
    revenue: Decimal
    conversion_rate: float | None
    revenue_per_member: Decimal | None


class LiftOut(Schema):
    rate: IntervalOut
    revenue_per_member: IntervalOut
    incremental_revenue: IntervalOut
    incremental_return: IntervalOut | None
    distinguishable: bool

    @staticmethod
    def resolve_distinguishable(obj: Lift) -> bool:
        return obj.rate.distinguishable


class DayOut(Schema):
    day: date
    contacted: float | None
    holdout: float | None


class ResultsOut(Schema):
    campaign_id: int
    currency: str
    window_start: date
    window_end: date
    members: int
    set_aside: int
    set_aside_by_reason: dict[str, int]
    delivered: int
    bounced: int
    refused: int
    unknown: int
    waiting: int
    unsubscribed: int
    responses: int
    response_rate: float | None
    contacted: GroupOut
    holdout: GroupOut
    revenue: Decimal
    cost: Decimal
    return_on_investment: float | None
    lift: LiftOut | None
    distinguishable: bool
    series: list[DayOut]

    @staticmethod
    def resolve_campaign_id(obj: Results) -> int:
        return obj.campaign.pk

    @staticmethod
    def resolve_currency(obj: Results) -> str:
        return obj.campaign.currency


class MemberFilters(Schema):
    group: MemberGroup | None = None
    state: MemberState | None = None


# --- helpers --------------------------------------------------------------------------


def _paged(function: Callable) -> Callable:
    """The API's page of a list, as every list of the API pages."""
    return paginate(
        CappedPageNumberPagination,
        page_size=settings.CLIENTELA_PAGE_SIZE,
        max_page_size=MAX_PAGE_SIZE,
    )(function)


def _versioned(response: HttpResponse, record: Segment | Campaign) -> Any:
    response["ETag"] = etag(record.version)
    return record


def _segment(request: HttpRequest, segment_id: int) -> Segment:
    require(request.auth, Capability.CAMPAIGN_VIEW)
    return selectors.segment_get(user=request.auth, pk=segment_id)


def _segment_detail(request: HttpRequest, response: HttpResponse, segment: Segment) -> Segment:
    """``segment`` with ``count``: how many customers it finds now, as the caller sees."""
    segment.count = selectors.segment_count(  # type: ignore[attr-defined]
        user=request.auth, conditions=segment.conditions
    )
    return _versioned(response, segment)


def _campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    require(request.auth, Capability.CAMPAIGN_VIEW)
    return selectors.campaign_get(pk=campaign_id)


def _campaign_detail(request: HttpRequest, response: HttpResponse, campaign_id: int) -> Campaign:
    return _versioned(response, _campaign(request, campaign_id))


def _references(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """Replace ``segment_id`` and ``conversion_product_ids`` of ``data`` by the records
    the services take; one naming no record (or a segment the caller may not use) is a
    422 on that field."""
    errors: dict[str, str] = {}
    if "segment_id" in data:
        pk = data.pop("segment_id")
        data["segment"] = selectors.segment_list(user=request.auth).filter(pk=pk).first()
        if data["segment"] is None:
            errors["segment_id"] = _("There is no segment #%(id)s you may use.") % {"id": pk}
    if "conversion_product_ids" in data:
        ids = data.pop("conversion_product_ids") or []
        products = Product.objects.in_bulk(ids)
        unknown = [pk for pk in ids if pk not in products]
        if unknown:
            errors["conversion_product_ids"] = _("There is no product #%(id)s.") % {
                "id": unknown[0]
            }
        data["conversion_products"] = list(products.values())
    if errors:
        raise ValidationError(errors)
    return data


def _language(language: str) -> str:
    """The service's language of a path's: ``default`` is the version for everyone."""
    return "" if language == DEFAULT_LANGUAGE else language


# --- segments -------------------------------------------------------------------------


@segments_router.get("", response=list[SegmentOut])
@_paged
def segment_list(request: HttpRequest) -> QuerySet[Segment]:
    """The segments the caller may use: the shared ones and their own, by name."""
    require(request.auth, Capability.CAMPAIGN_VIEW)
    return selectors.segment_list(user=request.auth)


@segments_router.post("", response={201: SegmentDetail})
def segment_create(request: HttpRequest, response: HttpResponse, payload: SegmentIn) -> Segment:
    """Save a segment; a wrong condition is a 422 on ``conditions`` naming it by number.
    The answer counts its customers; the ETag header carries its version."""
    require(request.auth, Capability.CAMPAIGN_EDIT)
    segment = services.segment_create(actor=request.auth, **payload.dict())
    return _segment_detail(request, response, segment)


@segments_router.post("/count", response=SegmentCountOut)
def segment_count(request: HttpRequest, payload: ConditionsIn) -> dict[str, int]:
    """How many customers the caller may see meet ``conditions``, without saving them:
    a segment builder's live count."""
    require(request.auth, Capability.CAMPAIGN_VIEW)
    conditions = conditions_clean(payload.conditions)
    return {"count": selectors.segment_count(user=request.auth, conditions=conditions)}


@segments_router.get("/{int:segment_id}", response=SegmentDetail)
def segment_get(request: HttpRequest, response: HttpResponse, segment_id: Whole) -> Segment:
    """One segment with how many customers it finds now (``count``); ETag = version."""
    return _segment_detail(request, response, _segment(request, segment_id))


@segments_router.patch("/{int:segment_id}", response=SegmentDetail)
def segment_update(
    request: HttpRequest, response: HttpResponse, segment_id: Whole, payload: SegmentPatch
) -> Segment:
    """Change a segment (its maker or the owner); needs the version read: 428 without
    it, 409 if it changed since. Campaigns launched on it keep their members."""
    require(request.auth, Capability.CAMPAIGN_EDIT)
    segment = _segment(request, segment_id)
    data = payload.dict(exclude_unset=True)
    version = version_required(request, data.pop("version", None))
    data = {field: value for field, value in data.items() if value is not None}
    segment = services.segment_update(actor=request.auth, segment=segment, version=version, **data)
    return _segment_detail(request, response, segment)


@segments_router.delete("/{int:segment_id}", response={204: None})
def segment_delete(request: HttpRequest, segment_id: Whole) -> None:
    """Delete a segment (its maker or the owner); one campaigns use is a 422 on
    ``segment`` naming them."""
    require(request.auth, Capability.CAMPAIGN_EDIT)
    segment = _segment(request, segment_id)
    services.segment_delete(actor=request.auth, segment=segment)


@segments_router.get("/{int:segment_id}/members", response=list[SegmentMemberOut])
@_paged
def segment_member_list(request: HttpRequest, segment_id: Whole) -> QuerySet[Customer]:
    """The customers the segment finds now, among those the caller may see, by name."""
    segment = _segment(request, segment_id)
    return selectors.segment_member_rows(user=request.auth, conditions=segment.conditions)


# --- campaigns ------------------------------------------------------------------------


@campaigns_router.get("", response=list[CampaignOut])
@_paged
def campaign_list(request: HttpRequest, filters: Query[CampaignFilters]) -> QuerySet[Campaign]:
    """Campaigns, latest start first, by status and channel."""
    require(request.auth, Capability.CAMPAIGN_VIEW)
    return selectors.campaign_list(status=filters.status or "", channel=filters.channel or "")


@campaigns_router.post("", response={201: CampaignDetail})
def campaign_create(request: HttpRequest, response: HttpResponse, payload: CampaignIn) -> Campaign:
    """Draft a campaign on a segment the caller may use; the ETag header carries its
    version. It says nothing until its message is written (``messages/{language}``)."""
    require(request.auth, Capability.CAMPAIGN_EDIT)
    data = _references(request, payload.dict())
    if data.get("currency") is None:
        data.pop("currency", None)
    with fields_renamed(API_FIELD_NAMES):
        campaign = services.campaign_create(actor=request.auth, **data)
    return _campaign_detail(request, response, campaign.pk)


@campaigns_router.get("/{int:campaign_id}", response=CampaignDetail)
def campaign_get(request: HttpRequest, response: HttpResponse, campaign_id: Whole) -> Campaign:
    """One campaign with its messages, conversion products and members counted by group,
    set-aside reason and state of their contact; ETag = version."""
    return _campaign_detail(request, response, campaign_id)


@campaigns_router.patch("/{int:campaign_id}", response=CampaignDetail)
def campaign_update(
    request: HttpRequest, response: HttpResponse, campaign_id: Whole, payload: CampaignPatch
) -> Campaign:
    """Change a draft campaign (its maker or the owner); a launched one is a 422 on
    ``status``. Needs the version read: 428 without it, 409 if it changed since."""
    require(request.auth, Capability.CAMPAIGN_EDIT)
    campaign = _campaign(request, campaign_id)
    data = payload.dict(exclude_unset=True)
    version = version_required(request, data.pop("version", None))
    emptied = [field for field, value in data.items() if value is None]
    emptied = [field for field in emptied if field != "conversion_amount"]
    if emptied:
        raise ValidationError({field: _("This field is required.") for field in emptied})
    data = _references(request, data)
    with fields_renamed(API_FIELD_NAMES):
        services.campaign_update(actor=request.auth, campaign=campaign, version=version, **data)
    return _campaign_detail(request, response, campaign_id)


@campaigns_router.put("/{int:campaign_id}/messages/{language}", response=MessageOut)
def campaign_message_set(
    request: HttpRequest, campaign_id: Whole, language: str, payload: MessageIn
) -> CampaignMessage:
    """Write a draft campaign's message in ``language`` (``default``: for everyone
    without a version in theirs); a template that does not render is a 422 naming the
    field and the line."""
    require(request.auth, Capability.CAMPAIGN_EDIT)
    campaign = _campaign(request, campaign_id)
    with path_fields("language"):
        return services.campaign_message_set(
            actor=request.auth, campaign=campaign, language=_language(language), **payload.dict()
        )


@campaigns_router.delete("/{int:campaign_id}/messages/{language}", response={204: None})
def campaign_message_delete(request: HttpRequest, campaign_id: Whole, language: str) -> None:
    """Drop a draft campaign's message in ``language`` (``default``: the one for
    everyone)."""
    require(request.auth, Capability.CAMPAIGN_EDIT)
    campaign = _campaign(request, campaign_id)
    services.campaign_message_delete(
        actor=request.auth, campaign=campaign, language=_language(language)
    )


@campaigns_router.post("/{int:campaign_id}/launch", response=CampaignDetail)
def campaign_launch(request: HttpRequest, response: HttpResponse, campaign_id: Whole) -> Campaign:
    """Launch a draft campaign: its segment's members are frozen, those who may not be
    contacted set aside, a share held out, and the contacts begin. A refusal is a 422
    naming why (``segment``: no one found, or over the e-mail limit of a salesperson;
    ``messages``: no e-mail written). Launching a launched campaign changes nothing."""
    require(request.auth, Capability.CAMPAIGN_EDIT)
    campaign = _campaign(request, campaign_id)
    services.campaign_launch(actor=request.auth, campaign=campaign)
    return _campaign_detail(request, response, campaign_id)


@campaigns_router.post("/{int:campaign_id}/pause", response=CampaignDetail)
def campaign_pause(request: HttpRequest, response: HttpResponse, campaign_id: Whole) -> Campaign:
    """Stop a running campaign's contacts after the one under way."""
    require(request.auth, Capability.CAMPAIGN_EDIT)
    services.campaign_pause(actor=request.auth, campaign=_campaign(request, campaign_id))
    return _campaign_detail(request, response, campaign_id)


@campaigns_router.post("/{int:campaign_id}/resume", response=CampaignDetail)
def campaign_resume(request: HttpRequest, response: HttpResponse, campaign_id: Whole) -> Campaign:
    """Go on with a paused campaign where it stopped."""
    require(request.auth, Capability.CAMPAIGN_EDIT)
    services.campaign_resume(actor=request.auth, campaign=_campaign(request, campaign_id))
    return _campaign_detail(request, response, campaign_id)


@campaigns_router.post("/{int:campaign_id}/finish", response=CampaignDetail)
def campaign_finish(request: HttpRequest, response: HttpResponse, campaign_id: Whole) -> Campaign:
    """End a running or paused campaign: no more contacts; conversions go on counting
    until the attribution window closes."""
    require(request.auth, Capability.CAMPAIGN_EDIT)
    services.campaign_finish(actor=request.auth, campaign=_campaign(request, campaign_id))
    return _campaign_detail(request, response, campaign_id)


@campaigns_router.get("/{int:campaign_id}/results", response=ResultsOut)
def campaign_results(request: HttpRequest, campaign_id: Whole) -> Results:
    """A launched campaign's results: contacted, set aside by reason, delivered and
    bounced, unsubscribed, responses, conversions and revenue in the attribution window
    for the contacted group and the hold-out, cost, return, and the lift over the
    hold-out with 95 % intervals (``distinguishable``: whether it leaves out zero). A
    draft has none: 422 on ``status``."""
    results = campaign_results_read(_campaign(request, campaign_id))
    if results is None:
        raise ValidationError(
            {
                "status": [
                    _("This campaign has not been launched: its results start with its launch.")
                ]
            }
        )
    return results


@campaigns_router.get("/{int:campaign_id}/members", response=list[CampaignMemberOut])
@_paged
def campaign_member_list(
    request: HttpRequest, campaign_id: Whole, filters: Query[MemberFilters]
) -> QuerySet[CampaignMember]:
    """The campaign's members frozen at its launch, by group and state: why one was set
    aside, how their contact went, when they were contacted or unsubscribed."""
    campaign = _campaign(request, campaign_id)
    return selectors.campaign_member_list(
        user=request.auth, campaign=campaign, group=filters.group or "", state=filters.state or ""
    )
