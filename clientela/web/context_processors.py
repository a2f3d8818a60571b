"""Template context every page needs: the navigation and what the user may do."""

from clientela.core.access import ROLE_CAPABILITIES


def navigation(request):
    """The signed-in user's capabilities, for menus and buttons."""
    user = getattr(request, "user", None)
    capabilities = (
        ROLE_CAPABILITIES.get(user.role, frozenset())
        if user is not None and user.is_authenticated
        else frozenset()
    )
    return {"capabilities": capabilities}
