"""A database too busy to take a write in time: the embedded SQLite takes one writer at a
time, and a writer waits for the one before at most ``busy_timeout`` (settings,
``CLIENTELA_DB_BUSY_SECONDS``). Past that, the request is answered 503 "busy, try again"
with ``Retry-After``, never a server error: nothing of it was written (a request's writes
are one transaction, undone with it)."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from clientela.core.middleware import api_request

logger = logging.getLogger(__name__)

# Seconds a client is told to wait before trying again.
RETRY_AFTER = 5


def database_busy(error: BaseException) -> bool:
    """Whether ``error`` is the database refusing a write because another one holds it."""
    return isinstance(error, OperationalError) and any(
        text in str(error) for text in ("database is locked", "database table is locked")
    )


@contextmanager
def unless_busy() -> Iterator[None]:
    """Run a bookkeeping write (a token's last use) only if the database takes it at
    once: while another writer holds SQLite, it is skipped rather than waited for, so a
    read never waits or fails for it. Elsewhere it runs as usual."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 0")
        try:
            yield
        except OperationalError as error:
            if not database_busy(error):
                raise
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {settings.CLIENTELA_DB_BUSY_SECONDS * 1000}")


class BusyDatabaseMiddleware:
    """Answer a request that met a busy database 503 with ``Retry-After``: JSON in the
    API's error shape under /api/, a page elsewhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """The 503 answer when ``exception`` says the database is busy; else None."""
        if not database_busy(exception):
            return None
        logger.warning("busy database: %s %s answered 503", request.method, request.path)
        message = _(
            "Clientela is busy writing other changes (an import, perhaps); nothing of yours "
            "was saved. Try again in a few seconds."
        )
        if api_request(request):
            response: HttpResponse = JsonResponse({"detail": message}, status=503)
        else:
            page = render_to_string("503.html", {"message": message}, request=request)
            response = HttpResponse(page, status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        return response
