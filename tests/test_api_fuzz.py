"""The API answers any input, however hostile, with a documented answer: never a server
error, always a body of its response schema. Schemathesis generates the requests from
``/api/v1/openapi.json`` (valid and invalid ones), with a fixed seed and a bounded number
of examples per operation."""

from datetime import date
from typing import get_args

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from pydantic import BaseModel
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from clientela.core.api import api
from clientela.core.models import Role
from clientela.core.services import api_token_create
from clientela.customers.tests.factories import CustomerFactory, UserFactory
from clientela.events.tests.factories import EventFactory
from clientela.orders.tests.factories import OrderFactory
from clientela.wsgi import application

EXAMPLES_PER_OPERATION = 40


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def owner_headers(db):
    """An owner's token, with a small book to read: a customer, an order and an event."""
    owner = UserFactory(username="fuzz-owner", role=Role.OWNER)
    customer = CustomerFactory(name="Panadería La Espiga", emails=["espiga@example.com"])
    OrderFactory(customer=customer, order_date=date(2024, 3, 1))
    EventFactory(name="Feria de Otoño")
    _token, raw = api_token_create(user=owner, name="fuzz")
    # As Django's test client does: the test's database connection, in its transaction,
    # stays open across requests sent straight to the WSGI application.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"Authorization": f"Bearer {raw}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_reaches_a_server_error(case, owner_headers):
    case.call_and_validate(
        headers=owner_headers,
        checks=[not_a_server_error, response_schema_conformance, status_code_conformance],
    )


def _models_within(annotation, found: set) -> None:
    """Every pydantic model ``annotation`` names, through lists, unions and fields."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in found:
            return
        found.add(annotation)
        for field in annotation.model_fields.values():
            _models_within(field.annotation, found)
        return
    for argument in get_args(annotation):
        _models_within(argument, found)


def test_every_schema_name_in_the_document_is_one_schema():
    models: set = set()
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in [*operation.models, *operation.response_models.values()]:
                    _models_within(model, models)
    names = api.get_openapi_schema()["components"]["schemas"]

    shared = {
        name: sorted(f"{m.__module__}.{m.__qualname__}" for m in models if m.__name__ == name)
        for name in names
    }

    assert {name: where for name, where in shared.items() if len(where) > 1} == {}
    assert shared["AnalysisRunOut"] == ["clientela.analytics.api.AnalysisRunOut"]
