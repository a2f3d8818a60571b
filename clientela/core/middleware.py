"""Middleware of Clientela's own."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


def no_store_when_private(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Send signed-in pages and every API answer with ``Cache-Control: no-store``: what a
    user saw (customers, figures, exports) is kept by neither the browser nor a proxy
    for whoever uses the machine next. Static files are served before this runs."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            patch_cache_control(response, no_store=True, private=True)
        return response

    return middleware
