"""The three kinds are where every kind is: in the registry, the import and export
commands and the import API, for the roles that may write them."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from clientela.customers.tests.factories import CustomerFactory
from clientela.imports.tests.uploads import csv_upload
from clientela.relations.models import Interaction
from clientela.relations.services import interaction_record
from clientela.relations.tests.factories import consenting
from clientela.sheets.registry import sheet_kind, sheet_kind_keys

pytestmark = pytest.mark.django_db

DRY_RUN = "/api/v1/imports/interactions/dry-run"


def test_the_kinds_are_registered():
    for key in ("opportunities", "activities", "interactions"):
        assert key in sheet_kind_keys()
        assert sheet_kind(key).key == key


def test_the_commands_export_and_import_interactions(tmp_path, owner):
    customer = consenting(CustomerFactory(name="Café Luna"))
    interaction_record(
        actor=owner, customer=customer, channel="phone", direction="outbound",
        at=timezone.now() - timedelta(days=2), subject="Seguimiento", outcome="reached",
    )  # fmt: skip
    path = tmp_path / "contactos.xlsx"
    call_command("export", "interactions", str(path), stdout=StringIO())
    Interaction.objects.all().delete()

    out = StringIO()
    call_command("import", "interactions", str(path), "--user", "owner", stdout=out)

    assert "1 created" in out.getvalue()
    assert Interaction.objects.get().subject == "Seguimiento"


@pytest.mark.parametrize(
    ("role", "status"), [("readonly", 403), ("support", 403), ("sales", 200), ("owner", 200)]
)
def test_who_may_ask_for_a_dry_run_of_a_call_log(client, api_headers, user_with_role, role, status):
    consenting(CustomerFactory(name="Café Luna"))
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    upload = csv_upload([["Cliente", "Fecha", "Canal"], ["Café Luna", day, "Llamada"]])

    response = client.post(DRY_RUN, {"file": upload}, headers=api_headers(user_with_role(role)))

    assert response.status_code == status
    if status == 200:
        assert response.json()["counts"]["create"] == 1
        assert not Interaction.objects.exists()
