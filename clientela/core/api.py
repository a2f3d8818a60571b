"""The REST API's plumbing: the one NinjaAPI, how callers authenticate, and the error
responses every router shares.

Domain apps add their routers from the composition root (``clientela/urls.py``) by
import path, so this module imports no domain app.
"""

import json
import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Annotated, Any

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import Swagger, _csrf_needed
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf
from pydantic import AfterValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from clientela.core.access import AccessDenied, Capability
from clientela.core.busy import unless_busy
from clientela.core.errors import ConflictError
from clientela.core.middleware import api_request
from clientela.core.models import ApiToken, User, token_digest
from clientela.core.parsing import unstorable_character
from clientela.core.validators import (
    FIRST_BUSINESS_YEAR,
    LARGEST_WHOLE_NUMBER,
    LAST_BUSINESS_YEAR,
    business_date_check,
)

# A token's last use is recorded at most this often, so reads stay reads.
LAST_USED_PRECISION = timedelta(minutes=1)


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``: a live token of an active user."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        """The token's user, or None (→ 401) for an unknown, revoked or inactive one."""
        token = token.strip()
        if not token:
            return None
        api_token = (
            ApiToken.objects.select_related("user")
            .filter(digest=token_digest(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if api_token is None:
            return None
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at >= LAST_USED_PRECISION:
            with unless_busy():
                ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = api_token.user
        return api_token.user


class BrowserSessionAuth(SessionAuth):
    """The signed-in browser's session; unsafe methods need the CSRF token.

    Without a signed-in user it declines (→ 401), rather than failing the CSRF check.
    """

    def __call__(self, request: HttpRequest) -> User | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(
                403,
                _("CSRF check failed: send the page's CSRF token in the X-CSRFToken header."),
            )
        return user


# Pydantic's messages by error type, in the user's language; ``%(name)s`` comes from the
# error's context. Types not listed keep pydantic's (English) message.
_PYDANTIC_MESSAGES = {
    "missing": gettext_lazy("This field is required."),
    "extra_forbidden": gettext_lazy("This field is not allowed."),
    "int_parsing": gettext_lazy("Enter a whole number."),
    "int_from_float": gettext_lazy("Enter a whole number."),
    "int_type": gettext_lazy("Enter a whole number."),
    "float_parsing": gettext_lazy("Enter a number."),
    "float_type": gettext_lazy("Enter a number."),
    "decimal_parsing": gettext_lazy("Enter a number."),
    "decimal_type": gettext_lazy("Enter a number."),
    "decimal_max_places": gettext_lazy("Use at most %(decimal_places)s decimal places."),
    "decimal_max_digits": gettext_lazy("Use at most %(max_digits)s digits."),
    "finite_number": gettext_lazy("Enter a number, not NaN or Infinity."),
    "bool_parsing": gettext_lazy("Enter true or false."),
    "bool_type": gettext_lazy("Enter true or false."),
    "date_parsing": gettext_lazy("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": gettext_lazy("Enter a date as YYYY-MM-DD."),
    "date_type": gettext_lazy("Enter a date as YYYY-MM-DD."),
    "date_range": gettext_lazy("Enter a date in the years %(first)s to %(last)s."),
    "datetime_parsing": gettext_lazy("Enter a date and time as YYYY-MM-DDTHH:MM."),
    "datetime_type": gettext_lazy("Enter a date and time as YYYY-MM-DDTHH:MM."),
    "string_type": gettext_lazy("Enter text."),
    "string_too_short": gettext_lazy("Use at least %(min_length)s characters."),
    "string_too_long": gettext_lazy("Use at most %(max_length)s characters."),
    "enum": gettext_lazy("Choose one of: %(expected)s."),
    "literal_error": gettext_lazy("Choose one of: %(expected)s."),
    "greater_than": gettext_lazy("Enter a number greater than %(gt)s."),
    "greater_than_equal": gettext_lazy("Enter a number of at least %(ge)s."),
    "less_than": gettext_lazy("Enter a number less than %(lt)s."),
    "less_than_equal": gettext_lazy("Enter a number of at most %(le)s."),
    "list_type": gettext_lazy("Enter a list."),
    "model_type": gettext_lazy("Enter an object."),
    "dict_type": gettext_lazy("Enter an object."),
}


def _pydantic_message(item: dict) -> str:
    """Pydantic's message for one error, in the user's language when its type is known."""
    template = _PYDANTIC_MESSAGES.get(item.get("type", ""))
    if template is None:
        return item.get("msg", "")
    context = {key: str(value) for key, value in (item.get("ctx") or {}).items()}
    if "expected" in context:  # "'a', 'b' or 'c'": the "or" would stay in English
        context["expected"] = context["expected"].replace("' or '", "', '")
    try:
        return str(template) % context
    except (KeyError, TypeError, ValueError):
        return item.get("msg", "")


# --- what the API reads ---------------------------------------------------------------

Whole = Annotated[int, Field(ge=-LARGEST_WHOLE_NUMBER, le=LARGEST_WHOLE_NUMBER)]
"""A whole number the API reads (an id, a version, a count): one a database holds."""


def _business_date(value: date) -> date:
    """``business_date_check`` as pydantic reports an error."""
    try:
        business_date_check(value)
    except ValidationError as error:
        raise PydanticCustomError(
            "date_range", "Enter a date in the years {first} to {last}.", error.params
        ) from error
    return value


Day = Annotated[date, AfterValidator(_business_date)]
"""A date the API reads: in the business years (``business_date_check``), in filters too."""

Year = Annotated[int, Field(ge=FIRST_BUSINESS_YEAR, le=LAST_BUSINESS_YEAR)]
"""A year the API reads, in the business years."""


def _text_errors(value: Any, loc: tuple) -> Iterator[dict[str, Any]]:
    """An error entry for each text in ``value`` (walked through lists and objects) that
    holds a character no record can keep."""
    if isinstance(value, str):
        character = unstorable_character(value)
        if character is not None:
            message = _("Remove the character %(character)s: no text can hold it.") % {
                "character": character
            }
            yield {"loc": list(loc), "msg": message, "type": "invalid_character"}
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _text_errors(key, (*loc, key)) if isinstance(key, str) else ()
            yield from _text_errors(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _text_errors(item, (*loc, index))


class TextCheckingParser(Parser):
    """Ninja's parser that refuses, naming the field, a NUL or a lone surrogate in any
    text of the body, the query or a form: no database keeps them, PostgreSQL refuses
    them, and no user means them."""

    def parse_body(self, request: HttpRequest) -> Any:
        """The JSON body, refused (422) if any of its texts holds such a character."""
        data = super().parse_body(request)
        _refuse(list(_text_errors(data, ("body",))))
        return data

    def parse_querydict(self, data: Any, list_fields: list[str], request: HttpRequest) -> Any:
        """The query or form fields, refused (422) likewise."""
        values = super().parse_querydict(data, list_fields, request)
        where = "query" if data is request.GET else "form"
        errors = []
        for key, value in values.items():
            errors.extend(_text_errors(key, (where, key)))
            errors.extend(_text_errors(value, (where, key)))
        _refuse(errors)
        return values


def _refuse(errors: list[dict[str, Any]]) -> None:
    if errors:
        raise NinjaValidationError(errors)


# The error answers every operation may give, documented in the OpenAPI document: (status,
# when, for reads too). Each has the body ``ErrorResponse``.
_ERROR_ANSWERS = [
    (400, "The request cannot be read: its body is not JSON, or a header holds a NUL.", True),
    (401, "No valid API token and no signed-in session.", True),
    (403, "The user's role does not allow it.", True),
    (404, "No such record, or one the user may not see.", True),
    (409, "Someone else changed the record since it was read.", False),
    (422, "A field is missing or wrong: each entry names it in `loc`.", True),
    (428, "The version read was not sent (`version` or an If-Match header).", False),
]

_ERROR_RESPONSE = {
    "title": "ErrorResponse",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "description": "What is wrong: a sentence, or one entry per wrong field.",
            "anyOf": [
                {"type": "string"},
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["loc", "msg", "type"],
                        "properties": {
                            "loc": {
                                "type": "array",
                                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                            },
                            "msg": {"type": "string"},
                            "type": {"type": "string"},
                        },
                    },
                },
            ],
        },
        "current_version": {"type": "integer", "description": "With 409: the version now."},
    },
}


class ClientelaAPI(NinjaAPI):
    """NinjaAPI whose own 422s locate body fields as ``["body", field]``, like ours, and
    say what is wrong in the user's language; its OpenAPI document lists the error
    answers of every operation."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """Ninja's document, each operation's error answers added (``_ERROR_ANSWERS``)."""
        schema = super().get_openapi_schema(**kwargs)
        schema["components"].setdefault("schemas", {})["ErrorResponse"] = _ERROR_RESPONSE
        body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                for status, when, on_reads in _ERROR_ANSWERS:
                    if on_reads or method != "get":
                        answer = {"description": when, "content": body}
                        operation["responses"].setdefault(status, answer)
        return schema

    def validation_error_from_error_contexts(self, error_contexts: list) -> NinjaValidationError:
        """Drop the handler's parameter name from body locations; translate messages."""
        error = super().validation_error_from_error_contexts(error_contexts)
        single = {getattr(c.model, "__read_from_single_attr__", None) for c in error_contexts}
        for item in error.errors:
            loc = tuple(item["loc"])
            if len(loc) > 1 and loc[0] == "body" and loc[1] in single:
                item["loc"] = ("body", *loc[2:])
            item["msg"] = _pydantic_message(item)
        return error


class LocalSwagger(Swagger):
    """The docs page with the Swagger UI ninja ships, served from here: ninja not being
    an installed app (see settings), its own page would load it from a CDN, which the
    content security policy refuses."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        """The page, rendered with ninja's template found in the settings' DIRS."""
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {
            "swagger_settings": json.dumps(self.settings, indent=1),
            "api": api,
            "add_csrf": _csrf_needed(api),
        }
        return render(request, self.template, context)


api = ClientelaAPI(
    title="Clientela",
    version="1",
    description=gettext_lazy(
        "The Clientela CRM. Authenticate with an API token in the header "
        "`Authorization: Bearer <token>`, or use the signed-in browser session."
    ),
    urls_namespace="api",
    docs_url="/docs",
    docs=LocalSwagger(),
    openapi_url="/openapi.json",
    auth=[ApiTokenAuth(), BrowserSessionAuth()],
    parser=TextCheckingParser(),
)


class WriteSchema(Schema):
    """A request body: unknown fields are refused, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


# --- optimistic concurrency -----------------------------------------------------------

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')


def etag(version: int) -> str:
    """The ETag header value for a record at ``version``."""
    return f'"{version}"'


def version_required(request: HttpRequest, body_version: int | None) -> int:
    """The version the client read: ``version`` in the body, else the If-Match header.

    Without either, raise HttpError 428: a change is never applied blind.
    """
    if body_version is not None:
        return body_version
    match = _ETAG.match(request.headers.get("If-Match", ""))
    if match:
        return int(match.group(1))
    raise HttpError(
        428,
        _(
            "Send the version of the record you read, as “version” in the body or as an "
            "If-Match header with its ETag, so that nobody else's change is overwritten."
        ),
    )


# --- error responses --------------------------------------------------------------------


def _detail(request: HttpRequest, message: Any, status: int, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"detail": str(message), **extra}, status=status)


def _entries(exc: ValidationError, in_path: Collection[str] = ()) -> list[dict[str, Any]]:
    """The 422 entries of a service's refusal: one per message, located in the body, or
    in the path for the fields ``in_path`` (a route's path parameters)."""
    entries = []
    by_field = exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.error_list}
    for field, errors in by_field.items():
        # "lines.2.quantity" is the quantity of the third line: ["body", "lines", 2, "quantity"].
        path = [int(part) if part.isdigit() else part for part in field.split(".")]
        where = "path" if field in in_path else "body"
        loc = ["body"] if field == NON_FIELD_ERRORS else [where, *path]
        for error in errors:
            message = error.message % error.params if error.params else error.message
            entries.append({"loc": loc, "msg": str(message), "type": error.code or "invalid"})
    return entries


@contextmanager
def path_fields(*fields: str) -> Iterator[None]:
    """A service's refusal of ``fields`` is about the route's path parameters of those
    names: its 422 locates them as ``["path", field]``."""
    try:
        yield
    except ValidationError as error:
        raise NinjaValidationError(_entries(error, fields)) from error


@api.exception_handler(ValidationError)
def validation_failed(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """A service refused the data: 422, one entry per message, naming the field."""
    return api.create_response(request, {"detail": _entries(exc)}, status=422)


@api.exception_handler(AccessDenied)
def access_denied(request: HttpRequest, exc: AccessDenied) -> HttpResponse:
    """The user's role does not allow it: 403 naming what was refused."""
    capability = exc.args[0] if exc.args else ""
    if capability in Capability.values:
        message = _("Your role does not allow you to %(action)s.") % {
            "action": Capability(capability).label
        }
    else:
        message = _("Your role does not allow this.")
    return _detail(request, message, 403)


@api.exception_handler(ConflictError)
def conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
    """A stale write: 409 naming the current version; nothing was written."""
    message = f"{exc} " + _("The current version is %(version)s.") % {
        "version": exc.current_version
    }
    return _detail(request, message, 409, current_version=exc.current_version)


@api.exception_handler(ObjectDoesNotExist)
@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Unknown id, or a record the user may not see: 404."""
    return _detail(request, _("Not found."), 404)


@api.exception_handler(AuthenticationError)
def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    """No valid token and no signed-in session: 401 with a Bearer challenge."""
    response = _detail(
        request,
        _(
            "Authentication required: send a valid API token as “Authorization: Bearer "
            "<token>”, or sign in."
        ),
        401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="Clientela"'
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Ninja's HTTP errors; a body that is not JSON gets a message saying so, and one
    with a text the parser refused the 422 naming it."""
    cause = exc.__cause__
    if isinstance(cause, NinjaValidationError):  # the parser refused a text of the body
        return api.create_response(request, {"detail": cause.errors}, status=422)
    if exc.status_code == 400 and isinstance(cause, json.JSONDecodeError):
        message = _(
            "The request body is not valid JSON (line %(line)s, column %(column)s: %(error)s)."
        ) % {"line": cause.lineno, "column": cause.colno, "error": cause.msg}
        return _detail(request, message, 400)
    if exc.status_code == 400 and isinstance(cause, ValueError):
        return _detail(request, _("The request body is not valid JSON."), 400)
    return _detail(request, exc.message, exc.status_code)


# --- Django's error answers: JSON under /api/, the pages' own elsewhere ----------------


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """An address nothing answers (``handler404``): the API's 404 under /api/."""
    if api_request(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A request Django cannot read (``handler400``): too many fields, a body too large."""
    if api_request(request):
        message = _("The request cannot be read: %(error)s") % {"error": exception}
        return JsonResponse({"detail": message}, status=400)
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """A fault of ours (``handler500``): the API still answers JSON."""
    if api_request(request):
        message = _("Something went wrong on the server. It has been logged; try again later.")
        return JsonResponse({"detail": message}, status=500)
    return defaults.server_error(request)


@contextmanager
def fields_renamed(names: dict[str, str]) -> Iterator[None]:
    """Re-key a service's ValidationError from model field names to the API's
    (``names``: model name → API name, e.g. ``owner`` → ``owner_id``)."""
    try:
        yield
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        raise ValidationError(
            {names.get(field, field): errors for field, errors in error.error_dict.items()}
        ) from error
