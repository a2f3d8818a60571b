"""Sign-in throttling beyond django-axes' lock of one user name from one address.

Axes locks a user name from an address after ``AXES_FAILURE_LIMIT`` failures. Two more
limits, over the same cool-off time and axes' own record of failures: an address that
failed ``CLIENTELA_LOGIN_ADDRESS_LIMIT`` times whatever the user names (a few passwords
tried on every account) signs in nobody, and a user name that failed
``CLIENTELA_LOGIN_USER_LIMIT`` times from any addresses (guessing spread over many) is
locked from all of them. Both end with the cool-off time; the owner lifts a user's
sooner with ``clientela user unlock NAME``.
"""

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

from clientela.core.network import client_address


def _failures(**where) -> int:
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    counted = AccessAttempt.objects.filter(attempt_time__gte=since, **where)
    return counted.aggregate(total=Sum("failures_since_start"))["total"] or 0


def sign_in_throttled(request: HttpRequest, username: str | None) -> str:
    """Why signing in is refused now beyond axes' own lock: ``"address"``, ``"user"``,
    or ``""`` when it is not."""
    if _failures(ip_address=client_address(request)) >= settings.CLIENTELA_LOGIN_ADDRESS_LIMIT:
        return "address"
    if username and _failures(username=username) >= settings.CLIENTELA_LOGIN_USER_LIMIT:
        return "user"
    return ""


class SignInBackend(AxesStandaloneBackend):
    """Axes' backend, refusing too what ``sign_in_throttled`` refuses; the lockout page
    says which (``request.sign_in_throttled``)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        """Raise ``AxesBackendPermissionDenied`` when throttled or locked out."""
        if request is not None:
            throttled = sign_in_throttled(request, username)
            if throttled:
                request.sign_in_throttled = throttled
                request.axes_locked_out = True
                raise AxesBackendPermissionDenied("sign-in throttled")
        return super().authenticate(request, username, password, **kwargs)


def sign_in_unlock(username: str) -> int:
    """Forget the failed sign-ins of ``username`` from every address; how many records."""
    return reset(username=username)
