"""Importing opportunities: on their stage by its name in any language, with one stage
change at the import; lost ones with their reason; exported as the import reads them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from clientela.customers.tests.factories import CustomerFactory, UserFactory
from clientela.relations.models import Opportunity, OpportunityStageChange
from clientela.relations.services import opportunity_create
from clientela.relations.sheet.opportunities import OPPORTUNITIES, OPPORTUNITY_FIELDS
from clientela.relations.tests.factories import stage
from clientela.sheets.exporting import export_write
from clientela.sheets.importing import ImportRefused, sheet_import
from clientela.sheets.mapping import match_columns
from clientela.sheets.reading import open_sheet

pytestmark = pytest.mark.django_db


def _file(tmp_path, headers, rows, name="oportunidades.csv"):
    path = tmp_path / name
    path.write_text("\n".join(";".join(r) for r in [headers, *rows]) + "\n", encoding="utf-8")
    return path


def _import(path, actor):
    sheet = open_sheet(path)
    columns = match_columns(sheet.headers, OPPORTUNITY_FIELDS)
    return sheet_import(
        kind=OPPORTUNITIES, actor=actor, sheet=sheet, columns=columns, source=path.name
    )


def _problems(plan):
    return [(p.row, p.column, p.message) for p in plan.problems]


def _later(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).strftime("%d/%m/%Y")


@pytest.fixture
def luna(sales):
    return CustomerFactory(name="Café Luna", external_id="C-7", owner=sales)


@pytest.mark.parametrize(
    "headers",
    [
        ["Cliente", "Oportunidad", "Valor", "Etapa", "Cierre esperado", "Responsable", "Origen"],
        ["Клиент", "Сделка", "Сумма", "Этап", "Дата закрытия", "Ответственный", "Источник"],
        ["Customer", "Opportunity", "Value", "Stage", "Expected close", "Owner", "Source"],
    ],
)
def test_headers_are_read_in_spanish_russian_and_english(headers):
    assert list(match_columns(headers, OPPORTUNITY_FIELDS).values()) == [
        "customer", "title", "value", "stage", "expected_close", "owner", "source",
    ]  # fmt: skip


def test_opportunities_open_on_their_stage_with_one_change_at_the_import(
    tmp_path, owner, sales, luna
):
    path = _file(
        tmp_path,
        ["Código de cliente", "Oportunidad", "Valor", "Moneda", "Etapa", "Probabilidad",
         "Cierre esperado", "Responsable", "Origen", "Motivo de pérdida", "Competidor"],
        [
            ["C-7", "Pan para 3 sucursales", "45.000,50", "MXN", "Propuesta enviada", "",
             _later(30), "owner", "Recomendación", "", ""],
            ["C-7", "Pasteles de boda", "12000", "", "Проиграна", "", "", "", "выставка",
             "Eligió a la competencia", "Pastelería Rival"],
        ],
    )  # fmt: skip

    plan = _import(path, owner)

    assert plan.counts == {"create": 2, "update": 0, "unchanged": 0, "refused": 0}
    bread = Opportunity.objects.get(title="Pan para 3 sucursales")
    assert (bread.value, bread.stage, bread.probability, bread.owner, bread.source) == (
        Decimal("45000.50"), stage("Proposal sent"), 50, owner, "referral",
    )  # fmt: skip
    cakes = Opportunity.objects.get(title="Pasteles de boda")
    assert (cakes.stage, cakes.lost_reason.name, cakes.competitor, cakes.owner) == (
        stage("Lost"), "Went with a competitor", "Pastelería Rival", sales,
    )  # fmt: skip
    assert cakes.closed_at is not None
    changes = OpportunityStageChange.objects.filter(opportunity=cakes)
    assert list(changes.values_list("from_stage", "to_stage", "by")) == [
        (None, stage("Lost").pk, owner.pk)
    ]
    assert _import(path, owner).counts["unchanged"] == 2


def test_bad_rows_are_refused_naming_the_column_and_nothing_is_written(tmp_path, owner, luna):
    path = _file(
        tmp_path,
        ["Cliente", "Oportunidad", "Valor", "Etapa", "Cierre esperado", "Motivo de pérdida"],
        [
            ["Café Luna", "Bien", "100", "Prospecto", _later(5), ""],
            ["Café Luna", "Etapa rara", "100", "Soñando", "", ""],
            ["Café Luna", "Perdida sin motivo", "100", "Perdida", "", ""],
            ["Café Luna", "Negativa", "-5", "", "", ""],
            ["Café Luna", "Cerró ayer", "100", "", _later(-1), ""],
            ["Café Nadie", "Sin cliente", "100", "", "", ""],
            ["Café Luna", "", "100", "", "", ""],
        ],
    )

    with pytest.raises(ImportRefused) as refused:
        _import(path, owner)

    assert [(row, column) for row, column, _m in _problems(refused.value.plan)] == [
        (3, "Etapa"), (4, "Motivo de pérdida"), (5, "Valor"), (6, "Cierre esperado"),
        (7, "Cliente"), (8, "Oportunidad"),
    ]  # fmt: skip
    assert not Opportunity.objects.exists()


def test_a_salesperson_limited_to_their_customers_cannot_open_deals_with_anothers(
    tmp_path, settings, sales, luna
):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    CustomerFactory(name="Café Sol", owner=UserFactory())
    path = _file(
        tmp_path, ["Cliente", "Oportunidad"], [["Café Luna", "Mía"], ["Café Sol", "Ajena"]]
    )

    with pytest.raises(ImportRefused) as refused:
        _import(path, sales)

    assert _problems(refused.value.plan) == [
        (3, "Cliente", "This row matches a customer you may not change.")
    ]
    assert not Opportunity.objects.exists()


def test_the_export_reads_back_as_it_was(tmp_path, owner, sales, luna):
    opportunity_create(
        actor=owner, customer=luna, title="Pan de muerto", value=Decimal("8000"),
        stage=stage("Negotiation"), expected_close=timezone.localdate() + timedelta(days=20),
        source="event", next_step="Enviar muestras", notes="Temporada",
    )  # fmt: skip
    fields = ("customer", "title", "value", "currency", "stage", "probability",
              "expected_close", "owner", "source", "next_step", "notes")  # fmt: skip
    before = list(Opportunity.objects.values_list(*fields))
    path = tmp_path / "oportunidades.xlsx"
    with translation.override("es"):
        export_write(OPPORTUNITIES.export(), path)
        assert _import(path, owner).counts["unchanged"] == 1
        Opportunity.objects.all().delete()
        assert _import(path, owner).counts["create"] == 1
    assert list(Opportunity.objects.values_list(*fields)) == before
