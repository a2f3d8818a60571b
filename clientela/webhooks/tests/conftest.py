"""The outbox's tests see only the in-process subscribers they register."""

import pytest

from clientela.webhooks import registry


@pytest.fixture(autouse=True)
def _own_subscribers(monkeypatch):
    """An empty register of in-process subscribers for each test (the apps' are back
    after it), so that an app's subscriber adds no delivery to these tests."""
    monkeypatch.setattr(registry, "_subscribers", {})


@pytest.fixture
def subscribers():
    """``subscribers(event, handler, name=...)`` subscribes one for the test."""
    return registry.event_subscribe
