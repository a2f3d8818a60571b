"""Contacts to and from vCard: out for phones and mail programs, in through the customer
import, and back unchanged."""

from io import StringIO

import pytest
import vobject
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from clientela.customers.models import Customer
from clientela.customers.sheet import CUSTOMER_FIELDS, CUSTOMERS
from clientela.customers.tests.factories import CustomerFactory, UserFactory
from clientela.customers.vcard import customer_vcards
from clientela.sheets.importing import sheet_import, sheet_plan
from clientela.sheets.mapping import match_columns
from clientela.sheets.reading import open_sheet, sheet_names
from clientela.sheets.table import SpreadsheetError

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(db):
    """A bakery with two contacts, a shop with none and a person."""
    return [
        CustomerFactory(
            name="Panadería Gómez",
            legal_name="Panadería Gómez S.A. de C.V.",
            external_id="C-0042",
            emails=["pedidos@gomez.mx", "facturas@gomez.mx"],
            phones=["222 555 0101", "222 555 0102"],
            tags=["Mayoreo", "Pan"],
            contacts=[
                {"name": "Rosa Gómez", "role": "Compras", "is_primary": True},
                {"name": "Luis Ortega", "email": "luis@gmail.com", "phone": "222 555 0199"},
            ],
            addresses=[
                {
                    "street": "Av. Reforma 222",
                    "neighborhood": "Centro",
                    "city": "Puebla",
                    "region": "Puebla",
                    "postal_code": "72000",
                }
            ],
            notes="Entregar antes de las 7\nPuerta trasera",
        ),
        CustomerFactory(name="Abarrotes La Esquina", phones=["55 1234 5678"]),
        CustomerFactory(name="María Ruiz", kind="person", emails=["maria@ruiz.mx"]),
    ]


def _cards(text: str) -> list:
    return list(vobject.readComponents(text))


def _vcf(tmp_path, text: str, name: str = "contactos.vcf", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return path


def _rows(path) -> list[dict]:
    sheet = open_sheet(path)
    return [
        {header: cell for header, cell in zip(sheet.headers, cells, strict=True) if cell}
        for _number, cells in sheet.rows
    ]


def _import(path, actor=None):
    sheet = open_sheet(path)
    columns = match_columns(sheet.headers, CUSTOMER_FIELDS)
    return sheet_import(kind=CUSTOMERS, actor=actor, sheet=sheet, columns=columns, source="x")


# --- out --------------------------------------------------------------------------------


def test_every_contact_is_a_card_of_its_customer(catalog):
    # when the catalog is written as vCards
    cards = _cards("".join(customer_vcards(Customer.objects.order_by("pk"))))

    # then each contact person has a card, and a customer without contacts one of its own
    assert [(card.fn.value, _org(card)) for card in cards] == [
        ("Rosa Gómez", "Panadería Gómez"),
        ("Luis Ortega", "Panadería Gómez"),
        ("Abarrotes La Esquina", "Abarrotes La Esquina"),
        ("María Ruiz", None),
    ]
    rosa, luis, shop, person = cards
    # the card of a contact: the person's name and role, the customer's ways to reach it
    assert (rosa.n.value.given, rosa.n.value.family, rosa.title.value) == (
        "Rosa",
        "Gómez",
        "Compras",
    )
    assert [e.value for e in rosa.contents["email"]] == ["pedidos@gomez.mx", "facturas@gomez.mx"]
    assert [t.value for t in rosa.contents["tel"]] == ["+522225550101", "+522225550102"]
    address = rosa.adr.value
    assert (address.street, address.extended, address.city, address.code, address.country) == (
        "Av. Reforma 222",
        "Centro",
        "Puebla",
        "72000",
        "MX",
    )
    assert rosa.note.value == "Entregar antes de las 7\nPuerta trasera"
    assert rosa.categories.value == ["Mayoreo", "Pan"]
    # Luis's own e-mail and phone are on his card too
    assert [e.value for e in luis.contents["email"]] == [
        "luis@gmail.com",
        "pedidos@gomez.mx",
        "facturas@gomez.mx",
    ]
    assert "+522225550199" in [t.value for t in luis.contents["tel"]]
    # a business without contacts is filed under its name; a person is a person
    assert shop.n.value.family == "" and shop.x_abshowas.value == "COMPANY"
    assert (person.n.value.family, person.n.value.given) == ("Ruiz", "María")
    # and every card has its own stable id
    customer_ids = [customer.pk for customer in catalog]
    contacts = list(catalog[0].contacts.order_by("-is_primary", "name"))
    assert [card.uid.value for card in cards] == [
        f"clientela-contact-{contacts[0].pk}",
        f"clientela-contact-{contacts[1].pk}",
        f"clientela-customer-{customer_ids[1]}",
        f"clientela-customer-{customer_ids[2]}",
    ]


def _org(card) -> str | None:
    return card.org.value[0] if "org" in card.contents else None


def test_writing_vcards_reads_a_fixed_number_of_queries_whatever_the_customers(db):
    CustomerFactory(emails=["a@b.mx"], contacts=[{"name": "Ana"}], tags=["VIP"])
    with CaptureQueriesContext(connection) as one:
        list(customer_vcards(Customer.objects.all()))
    for number in range(6):
        CustomerFactory(
            emails=[f"c{number}@b.mx"],
            contacts=[{"name": "Ana"}, {"name": "Eva"}],
            addresses=[{"street": "Reforma 1", "city": "Puebla"}],
        )

    with CaptureQueriesContext(connection) as seven:
        cards = "".join(customer_vcards(Customer.objects.all()))

    assert cards.count("BEGIN:VCARD") == 13
    assert len(seven) == len(one)


def test_the_export_command_writes_a_vcf_file(tmp_path, catalog):
    path = tmp_path / "contactos.vcf"
    out = StringIO()

    call_command("export", "customers", str(path), "--tag", "pan", stdout=out)

    assert "1 customer written to" in out.getvalue()
    cards = _cards(path.read_text(encoding="utf-8"))
    assert [card.fn.value for card in cards] == ["Rosa Gómez", "Luis Ortega"]


def test_the_customer_page_downloads_its_contacts(client, catalog, owner, readonly):
    # given a customer page, seen by someone who may only read
    client.force_login(readonly)
    url = reverse("customers:vcard", args=[catalog[0].pk])

    page = client.get(reverse("customers:detail", args=[catalog[0].pk])).content.decode()
    response = client.get(url)

    # then the page offers its vCard and it downloads the customer's contacts
    assert f'href="{url}"' in page
    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    assert "filename*=utf-8''panader%C3%ADa-g%C3%B3mez-" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    assert [card.fn.value for card in _cards(text)] == ["Rosa Gómez", "Luis Ortega"]


def test_a_salesperson_gets_no_vcard_of_another_ones_customer(client, settings, owner):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    diego, sofia = UserFactory(), UserFactory()
    theirs = CustomerFactory(actor=owner, name="Cafetería El Portal", owner=sofia)
    client.force_login(diego)

    assert client.get(reverse("customers:vcard", args=[theirs.pk])).status_code == 404


# --- in ---------------------------------------------------------------------------------

GOOGLE = """BEGIN:VCARD
VERSION:3.0
FN:Rosa Gómez
N:Gómez;Rosa;;;
ORG:Panadería Gómez;
TITLE:Compras
EMAIL;TYPE=INTERNET;TYPE=WORK:pedidos@gomez.mx
EMAIL;TYPE=INTERNET;TYPE=HOME:rosa.gomez@gmail.com
TEL;TYPE=CELL:222 555 0101
TEL;TYPE=WORK:(222) 555-0102
TEL;TYPE=HOME;TYPE=VOICE:+52 222 555 0103
ADR;TYPE=WORK:;;Av. Reforma 222;Puebla;Pue.;72000;México
NOTE:Entregar antes de las 7
CATEGORIES:Mayoreo,myContacts
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Abarrotes La Esquina
N:;;;;
ORG:Abarrotes La Esquina
item1.TEL;TYPE=pref:55 1234 5678
item1.X-ABLabel:Tienda
X-ABShowAs:COMPANY
END:VCARD
"""

OUTLOOK_21 = """BEGIN:VCARD
VERSION:2.1
N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=D0=98=D0=B2=D0=B0=D0=BD=D0=BE=D0=B2;=D0=98=D0=B2=D0=B0=D0=BD
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=D0=98=D0=B2=D0=B0=D0=BD =D0=98=D0=B2=D0=B0=D0=BD=D0=BE=
=D0=B2
TEL;CELL;PREF:+7 912 345-67-89
TEL;WORK;VOICE:+7 (343) 123-45-67
EMAIL;PREF;INTERNET:ivan@example.ru
ADR;WORK;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:;;=D1=83=D0=BB. =D0=9B=D0=B5=D0=BD=D0=B8=D0=BD=D0=B0, 5;=D0=95=D0=BA=D0=B0=D1=82=D0=B5=D1=80=D0=B8=D0=BD=D0=B1=D1=83=D1=80=D0=B3;;620014;=D0=A0=D0=BE=D1=81=D1=81=D0=B8=D1=8F
END:VCARD
"""

APPLE_40 = """BEGIN:VCARD
VERSION:4.0
FN:José Pérez
N:Pérez;José;;;
TEL;TYPE="cell,voice";VALUE=uri:tel:+52-55-8765-4321
TEL;TYPE=work;VALUE=uri:tel:+52-55-8765-4300;ext=12
EMAIL;TYPE=home:jose@perez.mx
UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1
END:VCARD
"""


def test_a_google_export_reads_as_customer_rows(tmp_path):
    path = _vcf(tmp_path, GOOGLE)

    assert sheet_names(path) == ["contactos"]
    assert _rows(path) == [
        {
            "Name": "Panadería Gómez",
            "Contact": "Rosa Gómez",
            "E-mail": "pedidos@gomez.mx, rosa.gomez@gmail.com",
            "Phone": "222 555 0101, (222) 555-0102, +52 222 555 0103",
            "Street and number": "Av. Reforma 222",
            "City": "Puebla",
            "State or region": "Pue.",
            "Postal code": "72000",
            "Country": "MX",
            "Tags": "Mayoreo, myContacts",
            "Notes": "Entregar antes de las 7",
        },
        # a card of a company alone: its name is no contact
        {"Name": "Abarrotes La Esquina", "Phone": "55 1234 5678"},
    ]


def test_quoted_printable_cyrillic_from_an_old_phone_and_vcard_4(tmp_path):
    ivan = _vcf(tmp_path, OUTLOOK_21, "ivan.vcf")
    jose = _vcf(tmp_path, APPLE_40, "jose.vcf")

    assert _rows(ivan) == [
        {
            "Name": "Иван Иванов",
            "E-mail": "ivan@example.ru",
            "Phone": "+7 912 345-67-89, +7 (343) 123-45-67",
            "Street and number": "ул. Ленина, 5",
            "City": "Екатеринбург",
            "Postal code": "620014",
            "Country": "RU",
        }
    ]
    assert _rows(jose) == [
        {
            "Name": "José Pérez",
            "E-mail": "jose@perez.mx",
            "Phone": "+52-55-8765-4321, +52-55-8765-4300",
        }
    ]


def test_a_windows_1252_vcard_of_any_name_is_read(tmp_path):
    path = _vcf(tmp_path, APPLE_40.replace("VERSION:4.0", "VERSION:3.0"), "x.txt", "cp1252")

    assert _rows(path)[0]["Name"] == "José Pérez"


def test_vcards_import_as_customers_matched_by_email_and_phone(tmp_path, owner):
    # given a customer the bakery's contact card matches by phone
    existing = CustomerFactory(name="Panadería Gómez", phones=["222 555 0102"])
    path = _vcf(tmp_path, GOOGLE + APPLE_40)

    # when the file is imported
    plan = _import(path, owner)

    # then the bakery is updated, the others created, with their e-mails and phones
    assert plan.counts == {"create": 2, "update": 1, "unchanged": 0, "refused": 0}
    existing.refresh_from_db()
    assert sorted(existing.emails.values_list("email", flat=True)) == [
        "pedidos@gomez.mx",
        "rosa.gomez@gmail.com",
    ]
    assert list(existing.contacts.values_list("name", flat=True)) == ["Rosa Gómez"]
    assert existing.addresses.get().postal_code == "72000"
    jose = Customer.objects.get(name="José Pérez")
    assert sorted(jose.phones.values_list("number", flat=True)) == [
        "+525587654300",
        "+525587654321",
    ]


def test_the_import_command_reads_a_vcf_file(tmp_path):
    path = _vcf(tmp_path, APPLE_40)
    out = StringIO()

    call_command("import", "customers", str(path), stdout=out)

    assert "1 created, 0 updated, 0 unchanged, 0 refused." in out.getvalue()
    assert Customer.objects.get().emails.get().email == "jose@perez.mx"


@pytest.mark.parametrize(
    "text",
    [
        "BEGIN:VCARD\nVERSION:3.0\nFN:Ana\nEND:VCARD\nBEGIN:VCARD\nVERSION:3.0\nFN:Eva\n",
        "BEGIN:VCARD\nVERSION:3.0\nFN:Ana\nthis line is no property\nEND:VCARD\n",
        "BEGIN:VCARD\nVERSION:3.0\nFN:Ana\nEND:VCALENDAR\n",
    ],
    ids=["cut short", "a line that is no property", "ends as something else"],
)
def test_a_broken_vcard_is_a_clear_error_and_writes_nothing(tmp_path, text):
    path = _vcf(tmp_path, text)

    with pytest.raises(SpreadsheetError, match=r"The vCard file cannot be read at line \d+"):
        sheet = open_sheet(path)
        sheet_plan(CUSTOMERS, sheet, match_columns(sheet.headers, CUSTOMER_FIELDS), user=None)

    assert not Customer.objects.exists()


# --- round trip ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "es", "ru"])
def test_exported_vcards_import_back_unchanged(tmp_path, catalog, owner, language):
    path = tmp_path / "contactos.vcf"
    with translation.override(language):
        call_command("export", "customers", str(path), stdout=StringIO())

        plan = _import(path, owner)

    assert plan.counts == {"create": 0, "update": 0, "unchanged": 3, "refused": 0}
    assert Customer.objects.count() == 3
    assert catalog[0].contacts.count() == 2
