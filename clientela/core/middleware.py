"""Middleware of Clientela's own."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from clientela.core.parsing import unstorable_character, visible


def api_request(request: HttpRequest) -> bool:
    """Whether ``request`` is to the API (whose every answer, errors too, is JSON)."""
    return request.path.startswith("/api/")


def no_store_when_private(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Send signed-in pages and every API answer with ``Cache-Control: no-store``: what a
    user saw (customers, figures, exports) is kept by neither the browser nor a proxy
    for whoever uses the machine next. Static files are served before this runs."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        user = getattr(request, "user", None)
        if api_request(request) or (user is not None and user.is_authenticated):
            patch_cache_control(response, no_store=True, private=True)
        return response

    return middleware


def _unstorable(request: HttpRequest, *, api: bool) -> str | None:
    """What is wrong with the first header (or, for a page, query parameter) holding a
    NUL or a lone surrogate; None when none does."""
    header = _("The header “%(name)s” holds the character %(character)s: remove it.")
    parameter = _("The parameter “%(name)s” holds the character %(character)s: remove it.")
    places = [(header, name, value) for name, value in request.headers.items()]
    if not api:
        places += [
            (parameter, key, value)
            for key, values in request.GET.lists()
            for value in (key, *values)
        ]
    for message, name, value in places:
        character = unstorable_character(value)
        if character is not None:
            return message % {"name": visible(name), "character": character}
    return None


def refuse_unstorable_characters(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Answer 400, naming the header or the address's parameter, a request whose headers
    or (for pages) query hold a NUL or a lone surrogate: no record can keep one, and a
    browser sends none. The API checks its query, body and forms as it reads them (a
    422 naming the field); the pages' forms refuse them in their fields."""

    def middleware(request: HttpRequest) -> HttpResponse:
        api = api_request(request)
        message = _unstorable(request, api=api)
        if message is None:
            return get_response(request)
        if api:
            return JsonResponse({"detail": message}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")

    return middleware
