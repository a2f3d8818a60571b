"""The home page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from clientela.web.dashboard import dashboard_cards


@login_required
def dashboard(request):
    """The figures a user acts on now, each linking to the page where they can."""
    return render(request, "web/dashboard.html", {"cards": dashboard_cards(user=request.user)})
