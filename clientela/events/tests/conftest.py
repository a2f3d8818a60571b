"""Fixtures shared by the event tests."""

import pytest


@pytest.fixture
def call(client, api_headers, request):
    """``call("sales", "put", url, body)`` → the response, authenticated as that role."""

    def make(role, method, url, body=None, headers=None):
        user = request.getfixturevalue(role) if role else None
        kwargs = {"headers": {**(api_headers(user) if user else {}), **(headers or {})}}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return getattr(client, method)(url, **kwargs)

    return make
