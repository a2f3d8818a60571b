"""The log a running Clientela writes: a refused request is one line, not a traceback."""

import logging
from io import StringIO

import pytest
from django.urls import reverse

from clientela.core.log import RefusalsOnOneLine


@pytest.fixture
def console():
    """What the configured console handler writes, while the test runs."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RefusalsOnOneLine) for f in h.filters)
    )
    stream = StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.mark.django_db
def test_refused_requests_are_one_log_line_each(client, readonly, owner, api_headers, console):
    client.force_login(readonly)

    responses = [
        client.get(reverse("customers:create")),
        client.get(reverse("customers:detail", args=[999_999])),
        client.post(
            "/api/v1/customers",
            data={"name": ""},
            content_type="application/json",
            headers=api_headers(owner),
        ),
        client.post(
            "/api/v1/customers",
            data={"name": "Café Roma"},
            content_type="application/json",
            headers=api_headers(readonly),
        ),
    ]

    assert [response.status_code for response in responses] == [403, 404, 422, 403]
    lines = console.getvalue().splitlines()
    assert "Traceback" not in console.getvalue()
    assert len(lines) == 4, lines
    assert lines[0].endswith(
        "WARNING django.request: Forbidden (Permission denied): /customers/new/"
    )
    assert "WARNING django.request: Unprocessable" in lines[2]
    assert lines[2].endswith(": /api/v1/customers")
