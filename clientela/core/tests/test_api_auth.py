"""Who may call the REST API: bearer tokens, the browser session, and the docs page."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from clientela.core.models import ApiToken
from clientela.core.services import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/v1/customers"


def test_a_request_without_a_token_gets_401_with_a_bearer_challenge(client):
    response = client.get(CUSTOMERS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.json()["detail"]


@pytest.mark.parametrize(
    "authorization",
    ["Bearer clt_not-a-real-token", "Bearer ", "Token clt_whatever", "Basic b3duZXI6cHc="],
)
def test_an_unknown_token_or_scheme_gets_401(client, owner, authorization):
    response = client.get(CUSTOMERS, headers={"Authorization": authorization})

    assert response.status_code == 401


def test_a_valid_token_lets_its_user_in(client, readonly, api_headers):
    response = client.get(CUSTOMERS, headers=api_headers(readonly))

    assert response.status_code == 200
    assert response.json() == {"items": [], "count": 0, "count_is_exact": True, "next": None}


def test_a_revoked_token_gets_401_at_once(client, owner):
    token, raw = api_token_create(user=owner, name="laptop")
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get(CUSTOMERS, headers=headers).status_code == 200

    api_token_revoke(token=token)

    assert client.get(CUSTOMERS, headers=headers).status_code == 401


def test_the_token_of_a_deactivated_user_gets_401(client, sales, api_headers):
    headers = api_headers(sales)
    sales.is_active = False
    sales.save()

    response = client.get(CUSTOMERS, headers=headers)

    assert response.status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(client, owner):
    token, raw = api_token_create(user=owner, name="script")
    headers = {"Authorization": f"Bearer {raw}"}

    client.get(CUSTOMERS, headers=headers)
    token.refresh_from_db()
    first_use = token.last_used_at
    client.get(CUSTOMERS, headers=headers)
    token.refresh_from_db()
    assert first_use is not None
    assert token.last_used_at == first_use

    an_hour_ago = timezone.now() - timedelta(hours=1)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=an_hour_ago)
    client.get(CUSTOMERS, headers=headers)
    token.refresh_from_db()
    assert token.last_used_at > an_hour_ago


def test_the_signed_in_browser_can_read_the_api(client, support):
    client.force_login(support)

    response = client.get(CUSTOMERS)

    assert response.status_code == 200


def test_the_browser_session_must_send_the_csrf_token_to_write(owner):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    browser.get("/api/v1/docs")  # any page that hands out the CSRF cookie
    csrf_token = browser.cookies["csrftoken"].value

    refused = browser.post(CUSTOMERS, {"name": "Sin token"}, content_type="application/json")
    accepted = browser.post(
        CUSTOMERS,
        {"name": "Con token"},
        content_type="application/json",
        headers={"X-CSRFToken": csrf_token},
    )

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert accepted.status_code == 201


def test_an_anonymous_write_gets_401_not_a_csrf_error():
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(CUSTOMERS, {"name": "Nadie"}, content_type="application/json")

    assert response.status_code == 401


def test_a_bearer_token_needs_no_csrf_token(owner, api_headers):
    script = Client(enforce_csrf_checks=True)

    response = script.post(
        CUSTOMERS,
        {"name": "Desde un script"},
        content_type="application/json",
        headers=api_headers(owner),
    )

    assert response.status_code == 201


def test_the_docs_page_works_under_the_content_security_policy(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", policy).group(1).split()
    assert script_src == ["'self'"]
    html = response.content.decode()
    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert scripts, "the docs page loads Swagger UI"
    for attributes in scripts:
        source = re.search(r'src="([^"]*)"', attributes)
        if source is None:
            # Only data blocks may be inline; browsers never execute them.
            assert 'type="application/json"' in attributes
        else:
            assert source.group(1).startswith("/static/"), "served from our own origin"
            assert client.get(source.group(1)).status_code == 200
    assert not re.search(r"\son[a-z]+=", html), "no inline event handlers"


def test_the_openapi_document_describes_both_ways_to_authenticate(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Clientela"
    schemes = document["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"} in schemes.values()
    assert any(s["type"] == "apiKey" and s["in"] == "cookie" for s in schemes.values())
