"""Fixtures shared by every test: one user per role and an API client per role."""

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import translation

from clientela.core.models import Role
from clientela.core.services import api_token_create
from clientela.customers.tests.factories import UserFactory


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Passwords are hashed in a blink: the real hasher spends half a second on each of
    the suite's thousands of users."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's language: a request answered in Spanish leaves its
    language active in the thread, and the next test would read its messages in it."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _own_data_dir(settings, tmp_path_factory):
    """Each test keeps its files (uploads, signs of life of runs, locks) in a folder of its
    own: tests running side by side number their runs alike."""
    settings.DATA_DIR = tmp_path_factory.mktemp("data")


@pytest.fixture
def owner(db):
    return UserFactory(username="owner", role=Role.OWNER)


@pytest.fixture
def sales(db):
    return UserFactory(username="sales", role=Role.SALES)


@pytest.fixture
def support(db):
    return UserFactory(username="support", role=Role.SUPPORT)


@pytest.fixture
def readonly(db):
    return UserFactory(username="readonly", role=Role.READONLY)


@pytest.fixture
def user_with_role(db):
    """``user_with_role("sales")`` → a new user of that role."""

    def make(role: str):
        return UserFactory(role=role)

    return make


@pytest.fixture
def api_headers(db):
    """``api_headers(user)`` → request headers that authenticate as ``user`` in the API."""

    def make(user) -> dict[str, str]:
        _token, raw = api_token_create(user=user, name="test")
        return {"Authorization": f"Bearer {raw}"}

    return make


@pytest.fixture
def call(client, api_headers, request):
    """``call("sales", "put", url, body)`` → the API's response to that request,
    authenticated as the user of that role's fixture (``None``: anonymous); ``headers``
    adds request headers (``{"If-Match": '"1"'}``)."""

    def make(role, method, url, body=None, headers=None):
        user = request.getfixturevalue(role) if role else None
        kwargs = {"headers": {**(api_headers(user) if user else {}), **(headers or {})}}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return getattr(client, method)(url, **kwargs)

    return make
