"""Signing in and out, the password, the home page, the language menu and the security headers."""

import html
import re
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from clientela.customers.tests.factories import PASSWORD, CustomerFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Concha-de-chocolate-77"


@pytest.fixture
def restore_language():
    """A request activates its language for the whole thread; put the default back after."""
    yield
    translation.deactivate()


def _page(response) -> str:
    return response.content.decode()


def _field_error(response, field: str) -> str:
    """The error text shown right beside a form field (``id="id_<field>_error"``), or ""."""
    match = re.search(rf'<div[^>]* id="id_{field}_error"[^>]*>(.*?)</div>', _page(response), re.S)
    return html.unescape(match.group(1)).strip() if match else ""


def _form_errors(response) -> str:
    """The errors of the whole form, shown above it."""
    match = re.search(r'<div [^>]*id="form-errors"[^>]*>(.*?)</div>', _page(response), re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split()) if match else ""


def _cards(response) -> dict[str, str]:
    """The home page's figures: card title → value."""
    found = re.findall(
        r'<h2 class="h6 card-title[^"]*">(?:<i [^>]*></i> )?(.*?)</h2>\s*'
        r'<p class="stat-value[^"]*">(.*?)</p>',
        _page(response),
        re.S,
    )
    return {html.unescape(label).strip(): value.strip() for label, value in found}


def _menu(response) -> list[str]:
    """The labels of the main menu."""
    match = re.search(r'<ul class="navbar-nav me-auto">(.*?)</ul>', _page(response), re.S)
    items = re.findall(r'<a class="nav-link[^"]*"[^>]*>(.*?)</a>', match.group(1), re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]


def _log_in(client, username: str, password: str, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def _signed_in(client) -> bool:
    """Whether the browser's session is signed in (the home page opens rather than redirects)."""
    return client.get(reverse("dashboard")).status_code == 200


# --- signing in ---------------------------------------------------------------------


def test_login_page_shows_the_form(client):
    # given someone who has not signed in
    # when they open the login page
    response = client.get(reverse("login"))

    # then they see a form with a user name and a password
    page = _page(response)
    assert response.status_code == 200
    assert 'name="username"' in page
    assert 'type="password"' in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_home_page_sends_anonymous_visitors_to_login(client):
    # given someone who has not signed in
    # when they open the home page
    response = client.get(reverse("dashboard"))

    # then they are sent to log in, and brought back afterwards
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_login_with_the_right_password(client, sales):
    # given a member of staff on the login page
    # when they sign in with their password
    response = _log_in(client, "sales", PASSWORD)

    # then they land on the home page, signed in
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    home = client.get(reverse("dashboard"))
    assert home.status_code == 200
    assert f"Hello, {sales.first_name}" in html.unescape(_page(home))


def test_login_returns_to_the_page_asked_for(client, sales):
    # given someone sent to log in from the customer list
    asked = reverse("customers:list")
    form = client.get(reverse("login"), {"next": asked})
    assert f'name="next" value="{asked}"' in _page(form)

    # when they sign in
    response = client.post(
        reverse("login"), {"username": "sales", "password": PASSWORD, "next": asked}
    )

    # then they are taken back there, but never to another site
    assert response["Location"] == asked
    client.post(reverse("logout"))
    elsewhere = client.post(
        reverse("login"),
        {"username": "sales", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert elsewhere["Location"] == reverse("dashboard")


def test_login_with_a_wrong_password_shows_an_error(client, sales):
    # given a member of staff on the login page
    # when they type a wrong password
    response = _log_in(client, "sales", "not-my-password")

    # then the page says so, keeps the user name, and they are not signed in
    assert response.status_code == 200
    assert "Please enter a correct username and password." in _form_errors(response)
    assert 'value="sales"' in _page(response)
    assert not _signed_in(client)


def test_login_locks_out_after_too_many_failures(client, sales):
    # given someone who typed a wrong password as many times as allowed
    failures = [_log_in(client, "sales", "guess") for _ in range(settings.AXES_FAILURE_LIMIT)]
    # (each failure but the last shows the form again; the last one locks)
    assert [r.status_code for r in failures] == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]

    # when they then type the right password
    response = _log_in(client, "sales", PASSWORD)

    # then they are told they are locked out, and are not signed in
    assert response.status_code == 429
    page = html.unescape(_page(response))
    assert "Too many failed sign-ins" in page
    assert f"failed {settings.AXES_FAILURE_LIMIT} times in a row" in page
    assert "Try again in 15 minutes." in page
    assert not _signed_in(client)


def test_lockout_is_per_user_name(client, sales, owner):
    # given a user name locked after too many failures
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, "sales", "guess")

    # when someone else signs in from the same address
    response = _log_in(client, "owner", PASSWORD)

    # then they are let in
    assert response.status_code == 302
    assert _signed_in(client)


def test_a_success_before_the_limit_resets_the_count(client, sales):
    # given a user who mistyped their password once fewer than the limit, then signed in
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        _log_in(client, "sales", "guess")
    assert _log_in(client, "sales", PASSWORD).status_code == 302
    client.post(reverse("logout"))

    # when they mistype it once more, then sign in
    _log_in(client, "sales", "guess")
    response = _log_in(client, "sales", PASSWORD)

    # then they are let in: the earlier failures were forgotten
    assert response.status_code == 302
    assert _signed_in(client)


def test_logout(client, sales):
    # given a signed-in member of staff
    client.force_login(sales)
    home = _page(client.get(reverse("dashboard")))
    assert f'action="{reverse("logout")}"' in home

    # when they log out from the user menu
    response = client.post(reverse("logout"))

    # then they are on the login page and signed out
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert not _signed_in(client)


# --- the password -------------------------------------------------------------------


def test_password_change(client, sales):
    # given a signed-in member of staff on the password page
    client.force_login(sales)
    form = client.get(reverse("password_change"))
    assert form.status_code == 200
    assert 'name="old_password"' in _page(form)

    # when they change their password
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    # then they are told it worked, and stay signed in
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    done = client.get(response["Location"])
    assert "Your password was changed." in _page(done)
    assert _signed_in(client)
    # and from now on only the new password opens the door
    client.post(reverse("logout"))
    assert _log_in(client, "sales", PASSWORD).status_code == 200
    assert _log_in(client, "sales", NEW_PASSWORD).status_code == 302
    assert _signed_in(client)


def test_password_change_refuses_wrong_input(client, sales):
    # given a signed-in member of staff on the password page
    client.force_login(sales)
    url = reverse("password_change")

    # when the old password is wrong, the new ones differ, or the new one is too common
    wrong_old = client.post(
        url,
        {"old_password": "guess", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    mismatch = client.post(
        url,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": "other-one"},
    )
    common = client.post(
        url, {"old_password": PASSWORD, "new_password1": "password", "new_password2": "password"}
    )

    # then each error is beside its field
    assert wrong_old.status_code == 200
    assert "Your old password was entered incorrectly." in _field_error(wrong_old, "old_password")
    assert "The two password fields didn’t match." in _field_error(mismatch, "new_password2")
    assert "This password is too common." in _field_error(common, "new_password2")
    # and the password is unchanged
    sales.refresh_from_db()
    assert sales.check_password(PASSWORD)


def test_password_change_needs_a_signed_in_user(client):
    # given someone who has not signed in
    # when they open the password page
    response = client.get(reverse("password_change"))

    # then they are sent to log in
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- the home page ------------------------------------------------------------------


def test_dashboard_counts(client, owner, readonly):
    # given three customers, two of them the same one
    CustomerFactory(actor=owner, name="Panadería La Espiga", emails=["ventas@espiga.mx"])
    CustomerFactory(actor=owner, name="La Espiga Insurgentes", emails=["ventas@espiga.mx"])
    CustomerFactory(actor=owner, name="Tortillería Doña Mary")
    client.force_login(readonly)

    # when a member of staff opens the home page
    response = client.get(reverse("dashboard"))

    # then it counts the customers, the new ones and the duplicates to review
    assert response.status_code == 200
    cards = _cards(response)
    assert {label: cards[label] for label in ("Customers", "New this month")} == {
        "Customers": "3",
        "New this month": "3",
    }
    assert cards["Possible duplicates"] == "1"
    page = _page(response)
    assert f'href="{reverse("customers:duplicates")}"' in page
    month_start = timezone.localdate().replace(day=1).isoformat()
    assert (
        f'href="{reverse("customers:list")}?new_since={month_start}&amp;ordering=-created"' in page
    )
    # and a read-only user is not offered to add a customer
    assert reverse("customers:create") not in page


def test_dashboard_counts_only_what_a_limited_salesperson_sees(
    client, settings, owner, user_with_role
):
    # given salespeople who see only their own customers
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    diego, sofia = user_with_role("sales"), user_with_role("sales")
    CustomerFactory(actor=owner, name="Panadería La Espiga", owner=diego)
    CustomerFactory(actor=owner, name="Tortillería Doña Mary", owner=sofia)
    CustomerFactory(actor=owner, name="Cafetería El Portal", owner=sofia)
    client.force_login(diego)

    # when Diego opens the home page
    response = client.get(reverse("dashboard"))

    # then it counts only his customers, and offers to add one
    assert _cards(response)["Customers"] == "1"
    assert reverse("customers:create") in _page(response)


def test_dashboard_with_no_customers(client, owner):
    # given an empty catalog
    client.force_login(owner)

    # when the owner opens the home page
    response = client.get(reverse("dashboard"))

    # then the figures are zero
    cards = _cards(response)
    assert [cards[label] for label in ("Customers", "New this month", "Possible duplicates")] == [
        "0",
        "0",
        "0",
    ]


# --- security headers ---------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True])
def test_pages_carry_a_content_security_policy(client, owner, signed_in):
    # given a visitor, signed in or not
    if signed_in:
        client.force_login(owner)
    url = reverse("dashboard") if signed_in else reverse("login")

    # when they open a page
    response = client.get(url)

    # then it is sent with a strict content security policy and no framing
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_what_a_signed_in_user_sees_is_not_kept_in_any_cache(client, owner, api_headers):
    # a page and a download for a signed-in user, and API answers, good or refused
    client.force_login(owner)
    signed_in = [client.get(reverse("dashboard")), client.get("/customers/export/?format=csv")]
    client.logout()
    api = [
        client.get("/api/v1/customers", headers=api_headers(owner)),
        client.get("/api/v1/customers"),
    ]

    for response in signed_in + api:
        assert response.status_code in (200, 401)
        assert "no-store" in response["Cache-Control"]


def test_session_cookie_is_not_readable_by_scripts(client, sales):
    # given a member of staff
    # when they sign in
    _log_in(client, "sales", PASSWORD)

    # then the session cookie is HTTP-only
    assert client.cookies[settings.SESSION_COOKIE_NAME]["httponly"]


# --- the language menu --------------------------------------------------------------


def test_language_menu_switches_to_spanish(client, sales, restore_language):
    # given a member of staff on the home page, in English
    client.force_login(sales)
    home = client.get(reverse("dashboard"))
    assert '<html lang="en">' in _page(home)
    assert "Customers" in _menu(home)

    # when they pick Español in the language menu
    response = client.post(
        reverse("set_language"), {"language": "es", "next": reverse("customers:list")}
    )

    # then they return to the page they were on, now in Spanish
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:list")
    page = client.get(reverse("dashboard"))
    assert '<html lang="es">' in _page(page)
    assert _menu(page)[:3] == ["Inicio", "Clientes", "Pedidos"]
    # and the choice is remembered on the following pages
    listing = client.get(reverse("customers:list"))
    assert '<html lang="es">' in _page(listing)
    assert "<h1" in _page(listing) and "Clientes</h1>" in _page(listing)


def test_language_menu_switches_back_to_english(client, sales, restore_language):
    # given a member of staff who chose Spanish
    client.force_login(sales)
    client.post(reverse("set_language"), {"language": "es", "next": "/"})

    # when they pick English again
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    # then the pages are in English
    page = client.get(reverse("dashboard"))
    assert '<html lang="en">' in _page(page)
    assert "Customers" in _menu(page)


def test_login_page_follows_the_browser_language(client, restore_language):
    # given a browser that asks for Russian
    # when it opens the login page
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="ru")

    # then the page is in Russian
    assert '<html lang="ru">' in _page(response)
    assert "Log in" not in _page(response)


PROXY = "10.0.0.7"


@pytest.mark.parametrize(
    ("remote", "forwarded", "seen"),
    [
        # from the proxy: the last address it forwards that is not a proxy
        (PROXY, "203.0.113.9", "203.0.113.9"),
        (PROXY, "198.51.100.1, 203.0.113.9", "203.0.113.9"),
        (PROXY, "203.0.113.9, 10.0.0.8", "203.0.113.9"),  # through a second proxy
        (PROXY, "not an address, 203.0.113.9", "203.0.113.9"),
        (PROXY, "203.0.113.9, not an address", PROXY),
        (PROXY, "", PROXY),
        # from anywhere else the header is ignored: anybody can send it
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),
    ],
)
def test_the_client_s_address_is_read_from_trusted_proxies_only(settings, remote, forwarded, seen):
    from django.test import RequestFactory

    from clientela.core.network import client_address

    settings.CLIENTELA_TRUSTED_PROXIES = ["10.0.0.0/29", "10.0.0.8"]
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    assert client_address(request) == seen


def test_behind_a_proxy_failures_from_one_address_do_not_lock_out_another(client, settings, owner):
    # given the owner's name guessed wrong, as often as allowed, from one address behind
    # the proxy
    settings.CLIENTELA_TRUSTED_PROXIES = [PROXY]
    attacker = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.66"}
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, "owner", "guess", **attacker)
    assert _log_in(client, "owner", PASSWORD, **attacker).status_code == 429

    # then the owner, from another address through the same proxy, still signs in
    response = _log_in(
        client, "owner", PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.20"
    )
    assert response.status_code == 302
    assert _signed_in(client)


def test_a_few_passwords_tried_on_every_account_from_one_address_are_stopped(
    client, settings, owner, sales
):
    # given an address that tried a few passwords on many user names, never five on one
    settings.CLIENTELA_LOGIN_ADDRESS_LIMIT = 6
    sprayer = {"REMOTE_ADDR": "203.0.113.66"}
    for name in ("ana", "beto", "carla"):
        for _attempt in range(2):
            assert _log_in(client, name, "guess", **sprayer).status_code == 200

    # then nobody signs in from it, not even with a right password, and the page says why
    refused = _log_in(client, "sales", PASSWORD, **sprayer)
    assert refused.status_code == 429
    assert "whatever the user name" in html.unescape(_page(refused))
    assert not _signed_in(client)
    # while another address is let in
    assert _log_in(client, "sales", PASSWORD, REMOTE_ADDR="198.51.100.20").status_code == 302


def test_guessing_spread_over_many_addresses_locks_the_name_until_the_owner_unlocks_it(
    client, settings, sales
):
    # given one user name guessed a few times from each of many addresses
    settings.CLIENTELA_LOGIN_USER_LIMIT = 6
    for last in range(3):
        for _attempt in range(2):
            _log_in(client, "sales", "guess", REMOTE_ADDR=f"203.0.113.{last}")

    # then it is locked from a new address too, the page saying why
    fresh = {"REMOTE_ADDR": "198.51.100.20"}
    refused = _log_in(client, "sales", PASSWORD, **fresh)
    assert refused.status_code == 429
    assert "from several addresses" in html.unescape(_page(refused))

    # and once the owner unlocks the user, they sign in
    out = StringIO()
    call_command("user", "unlock", "sales", stdout=out)
    # (three addresses guessed, and the refused try from the new one counted too)
    assert "sales may sign in again (4 records of failed sign-ins forgotten)." in out.getvalue()
    assert _log_in(client, "sales", PASSWORD, **fresh).status_code == 302
