"""Campaigns' pages: the unsubscribe page a customer reaches from a campaign's e-mail
(no sign-in; its link is its key), which also takes RFC 8058's one-click POST."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from clientela.campaigns.services.unsubscribe import member_unsubscribe, unsubscribe_member


@csrf_exempt  # a mail client's one-click POST (RFC 8058) carries no cookie: the link is the key
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Ask (GET) and stop (POST) e-mail to the customer a campaign's message went to, in
    the customer's language. A link that was not made here is a plain 404."""
    member = unsubscribe_member(token)
    if member is None:
        raise Http404
    done = request.method == "POST"
    if done:
        member_unsubscribe(member)
    with translation.override(member.customer.language or translation.get_language()):
        response = render(
            request,
            "campaigns/unsubscribe.html",
            {
                "business": settings.CLIENTELA_BUSINESS_NAME,
                "done": done or member.unsubscribed_at is not None,
                "token": token,
            },
        )
    response["X-Robots-Tag"] = "noindex"
    return response
