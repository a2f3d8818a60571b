"""View decorators that turn the role table into HTTP answers."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from clientela.core.access import AccessDenied, user_can


def capability_required(capability: str):
    """Require a signed-in user whose role grants ``capability``; otherwise 403.

    Anonymous users go to the login page. An AccessDenied raised by a service inside
    the view also becomes a 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not user_can(request.user, capability):
                raise PermissionDenied
            try:
                return view(request, *args, **kwargs)
            except AccessDenied as error:
                raise PermissionDenied from error

        return login_required(wrapped)

    return decorator
