"""Template context every page needs: the navigation and what the user may do."""

from clientela.core.access import ROLE_CAPABILITIES, Capability
from clientela.web.navigation import navigation_for


def navigation(request):
    """The signed-in user's capabilities and menu.

    ``capabilities`` is the set of Capability values; ``can`` names each one for
    templates (``{% if can.customer_edit %}``); ``nav_items`` is the main menu.
    """
    user = getattr(request, "user", None)
    capabilities = (
        ROLE_CAPABILITIES.get(user.role, frozenset())
        if user is not None and user.is_authenticated and user.is_active
        else frozenset()
    )
    return {
        "capabilities": capabilities,
        "can": {
            capability.name.lower(): capability.value in capabilities for capability in Capability
        },
        "nav_items": navigation_for(path=request.path, capabilities=capabilities, user=user)
        if capabilities
        else [],
    }
