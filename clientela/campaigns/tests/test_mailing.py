"""Direct mail: a mail-merge spreadsheet of the contacted members' names and addresses,
address labels and personalised letters as PDF (accents and Cyrillic included), and
"Mark as posted", which records each letter as a contact after checking consent again.
The hold-out and those set aside are never in any of them."""

import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from clientela.campaigns.mailing import LABEL_SHEETS, LETTER, PAPERS, MailRow, labels_pdf
from clientela.campaigns.models import CampaignMember, MemberGroup, MemberState
from clientela.campaigns.services import (
    campaign_launch,
    campaign_message_delete,
    campaign_message_set,
)
from clientela.campaigns.services import mail as mail_service
from clientela.campaigns.services.mail import mail_letters, mail_posted
from clientela.campaigns.tests.factories import campaign_draft
from clientela.customers.tests.factories import CustomerFactory
from clientela.relations.models import Interaction
from clientela.relations.tests.factories import consenting

pytestmark = pytest.mark.django_db


def _customer(name, contact, street, city="Puebla", language="es", **fields):
    return consenting(
        CustomerFactory(
            name=name,
            language=language,
            contacts=[{"name": contact, "is_primary": True}] if contact else [],
            addresses=[
                {"street": street, "city": city, "postal_code": "72000", "region": "Puebla"}
            ],
            **fields,
        )
    )


def _mail_campaign(actor, **fields):
    campaign = campaign_draft(actor, channel="mail", holdout_percent=0, offer="Rosca 2×1", **fields)
    return campaign


def _launched(actor, campaign):
    return campaign_launch(actor=actor, campaign=campaign)


@pytest.fixture
def bakery(owner):
    """A launched mail campaign: Ana (es), Жанна (ru), one held out, one set aside."""
    _customer("Café Luna", "Ana Pérez", "5 de Mayo 3")
    _customer("Кафе Берёзка", "Жанна Петрова", "Тверская 7", city="Москва", language="ru")
    _customer("Panadería Apartada", "Luis Gómez", "Reforma 9")
    consenting(
        CustomerFactory(name="Sin permiso", addresses=[{"street": "Juárez 1", "city": "Puebla"}]),
        consent_mail=False,
    )
    campaign = _launched(owner, _mail_campaign(owner))
    held = CampaignMember.objects.get(campaign=campaign, customer__name="Panadería Apartada")
    held.group, held.state = MemberGroup.HOLDOUT, ""
    held.save()
    return campaign


def _download(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _pdf_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_the_mail_merge_spreadsheet_holds_the_contacted_members_addresses(client, owner, bakery):
    client.force_login(owner)

    response = client.get(reverse("campaigns:mail_merge", args=[bakery.pk]))

    sheet = openpyxl.load_workbook(io.BytesIO(_download(response))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "Name",
        "Contact",
        "Address line 1",
        "Address line 2",
        "Postal code",
        "City",
        "Region",
        "Country",
        "Language",
        "Member id",
    )
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"Café Luna", "Кафе Берёзка"}
    luna = CampaignMember.objects.get(campaign=bakery, customer__name="Café Luna")
    assert by_name["Café Luna"] == (
        "Café Luna",
        "Ana Pérez",
        "5 de Mayo 3",
        None,
        "72000",
        "Puebla",
        "Puebla",
        "Mexico",
        "es",
        luna.pk,
    )


def test_the_mail_merge_comes_as_csv_too(client, owner, bakery):
    client.force_login(owner)

    response = client.get(reverse("campaigns:mail_merge", args=[bakery.pk]), {"format": "csv"})

    text = _download(response).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Name,Contact,Address line 1")
    assert "Жанна Петрова" in text and "Panadería Apartada" not in text


@pytest.mark.parametrize(
    ("sheet", "pages"), [("a4_21", 2), ("l7160", 2), ("a4_14", 3), ("letter_30", 1)]
)
def test_labels_fill_as_many_sheets_as_the_members_need(sheet, pages):
    row = MailRow(1, 1, "Café Ñandú", "Жанна Петрова", "Тверская 7", "", "125009", "Москва",
                  "", "RU", "ru")  # fmt: skip

    content = labels_pdf([row.address_lines("MX")] * 30, sheet=LABEL_SHEETS[sheet], title="x")

    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == pages
    text = reader.pages[0].extract_text()
    assert "Café Ñandú" in text and "Жанна Петрова" in text and "RUSSIA" in text.upper()


def test_every_label_sheet_s_labels_lie_on_the_page():
    for key, sheet in LABEL_SHEETS.items():
        right = sheet.left + (sheet.columns - 1) * sheet.pitch_x + sheet.width
        bottom = sheet.top + (sheet.rows - 1) * sheet.pitch_y + sheet.height
        assert right <= sheet.page[0] + 0.01 and bottom <= sheet.page[1] + 0.01, key
        assert sheet.pitch_x >= sheet.width and sheet.pitch_y >= sheet.height, key


def test_a_long_address_is_wrapped_or_cut_never_beyond_its_label():
    street = (
        "Avenida de los Insurgentes Sur número 1602 interior 4, colonia Crédito Constructor " * 9
    )
    lines = ["Distribuidora de Pan y Repostería del Centro S.A. de C.V.", street, "72000 Puebla"]

    content = labels_pdf([lines], sheet=LABEL_SHEETS["letter_30"], title="x")

    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "Distribuidora" in text and "…" in text and "72000 Puebla" in text


def test_the_labels_page_gives_the_contacted_members_labels(client, readonly, bakery):
    client.force_login(readonly)

    response = client.get(
        reverse("campaigns:mail_labels", args=[bakery.pk]), {"sheet": "letter_30"}
    )

    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    assert [float(value) for value in reader.pages[0].mediabox[2:]] == pytest.approx(
        [LETTER[0] / 25.4 * 72, LETTER[1] / 25.4 * 72]
    )
    text = reader.pages[0].extract_text()
    assert "Café Luna" in text and "Кафе Берёзка" in text
    assert "Apartada" not in text and "Sin permiso" not in text


def test_letters_are_personalised_in_each_customer_s_language(owner, bakery):
    pages = _pdf_text(mail_letters(user=owner, campaign=bakery, paper="a4"))

    assert len(pages) == 2
    luna = next(page for page in pages if "Café Luna" in page)
    assert "Hola Ana:" in luna and "Rosca 2×1" in luna and "de 20" in luna
    moscow = next(page for page in pages if "Кафе Берёзка" in page)
    assert "Hola Жанна:" in moscow and "г." in moscow
    assert not any("Apartada" in page or "Sin permiso" in page for page in pages)


def test_a_version_per_language_is_used_when_there_is_one(owner):
    _customer("Кафе Берёзка", "Жанна Петрова", "Тверская 7", language="ru")
    campaign = _mail_campaign(owner)
    campaign_message_set(
        actor=owner, campaign=campaign, language="ru", body="Здравствуйте, {{ first_name }}!"
    )
    campaign = _launched(owner, campaign)

    pages = _pdf_text(mail_letters(user=owner, campaign=campaign, paper="letter"))

    assert "Здравствуйте, Жанна!" in pages[0]


def test_letters_are_refused_when_no_letter_is_written(client, owner):
    _customer("Café Luna", "Ana Pérez", "5 de Mayo 3")
    campaign = _mail_campaign(owner)
    campaign_message_delete(actor=owner, campaign=campaign, language="")
    campaign = _launched(owner, campaign)
    client.force_login(owner)

    with pytest.raises(ValidationError) as refused:
        mail_letters(user=owner, campaign=campaign, paper="a4")
    response = client.get(reverse("campaigns:mail_letters", args=[campaign.pk]), follow=True)

    assert "Write the letter first" in refused.value.message_dict["messages"][0]
    assert "Write the letter first" in response.content.decode()


def test_posting_marks_members_sent_and_records_a_mail_contact_each(owner, bakery):
    refusing = CampaignMember.objects.get(campaign=bakery, customer__name="Кафе Берёзка")
    consenting(refusing.customer, consent_mail=False)

    done = mail_posted(actor=owner, campaign=bakery)

    assert done == {"sent": 1, "refused": 1}
    luna = CampaignMember.objects.get(campaign=bakery, customer__name="Café Luna")
    assert luna.state == MemberState.SENT and luna.contacted_at is not None
    contact = Interaction.objects.get(customer=luna.customer)
    assert (contact.channel, contact.direction, contact.source) == ("mail", "outbound", luna)
    refusing.refresh_from_db()
    assert refusing.state == MemberState.REFUSED and refusing.error
    assert not Interaction.objects.filter(customer=refusing.customer).exists()
    held = CampaignMember.objects.get(campaign=bakery, group=MemberGroup.HOLDOUT)
    assert held.state == "" and not Interaction.objects.filter(customer=held.customer).exists()
    assert mail_posted(actor=owner, campaign=bakery) == {"sent": 0, "refused": 0}


def test_a_refused_member_is_left_out_of_the_next_prints(client, owner, bakery):
    refusing = CampaignMember.objects.get(campaign=bakery, customer__name="Кафе Берёзка")
    consenting(refusing.customer, consent_mail=False)
    mail_posted(actor=owner, campaign=bakery)
    client.force_login(owner)

    response = client.get(reverse("campaigns:mail_labels", args=[bakery.pk]))

    assert "Берёзка" not in _pdf_text(response.content)[0]


def test_the_mail_page_offers_the_prints_and_the_posting(client, owner, bakery):
    client.force_login(owner)

    page = client.get(reverse("campaigns:mail", args=[bakery.pk])).content.decode()
    posted = client.post(reverse("campaigns:mail_posted", args=[bakery.pk]), follow=True)

    assert reverse("campaigns:mail_labels", args=[bakery.pk]) in page
    assert "Mark as posted" in page
    assert "2 letters recorded as posted" in posted.content.decode()


@pytest.mark.parametrize(
    ("role", "downloads", "posts"),
    [("owner", 200, 302), ("sales", 200, 403), ("support", 200, 403), ("readonly", 200, 403)],
)
def test_who_prints_and_who_posts(client, owner, user_with_role, bakery, role, downloads, posts):
    client.force_login(owner if role == "owner" else user_with_role(role))

    merge = client.get(reverse("campaigns:mail_merge", args=[bakery.pk]))
    letters = client.get(reverse("campaigns:mail_letters", args=[bakery.pk]))
    posted = client.post(reverse("campaigns:mail_posted", args=[bakery.pk]))

    assert (merge.status_code, letters.status_code, posted.status_code) == (
        downloads,
        downloads,
        posts,
    )
    assert Interaction.objects.exists() == (role == "owner")


def test_a_campaign_of_another_channel_has_no_letters(client, owner):
    _customer("Café Luna", "Ana Pérez", "5 de Mayo 3", emails=["luna@cafe.mx"])
    campaign = _launched(owner, campaign_draft(owner, holdout_percent=0))
    client.force_login(owner)

    response = client.get(reverse("campaigns:mail_labels", args=[campaign.pk]))

    assert response.status_code == 404


def test_unknown_sheet_or_paper_is_refused_naming_it(owner, bakery):
    with pytest.raises(ValidationError) as refused:
        mail_letters(user=owner, campaign=bakery, paper="a5")

    assert "a4" in refused.value.message_dict["paper"][0]
    assert set(PAPERS) == {"a4", "letter"}


def test_a_large_campaign_prints_in_parts_that_go_together(client, owner, monkeypatch):
    for name in ("Ana", "Beto", "Carla"):
        _customer(f"Café {name}", f"{name} Ruiz", "5 de Mayo 3")
    campaign = _launched(owner, _mail_campaign(owner))
    monkeypatch.setattr(mail_service, "PRINT_PART", 2)
    client.force_login(owner)

    page = client.get(reverse("campaigns:mail", args=[campaign.pk])).content.decode()
    labels = client.get(reverse("campaigns:mail_labels", args=[campaign.pk]), {"part": "2"})
    letters = client.get(reverse("campaigns:mail_letters", args=[campaign.pk]), {"part": "2"})
    first = client.get(reverse("campaigns:mail_letters", args=[campaign.pk]), {"part": "1"})

    assert "come in 2 parts of up to 2 customers" in page
    assert '<option value="2">3–3</option>' in page
    assert f'filename="labels-{campaign.pk}-part-2-' in labels["Content-Disposition"]
    assert ["Café Carla" in text for text in _pdf_text(labels.content)] == [True]
    assert "Café Ana" not in _pdf_text(labels.content)[0]
    assert [("Café Carla" in text) for text in _pdf_text(letters.content)] == [True]
    assert ["Café Ana" in text for text in _pdf_text(first.content)] == [True, False]
    assert f'filename="letters-{campaign.pk}-part-1-' in first["Content-Disposition"]


@pytest.mark.parametrize("part", ["0", "3", "dos", "-1"])
def test_a_part_the_campaign_has_not_is_refused_naming_it(client, owner, bakery, part):
    client.force_login(owner)

    response = client.get(
        reverse("campaigns:mail_letters", args=[bakery.pk]), {"part": part}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("campaigns:mail", args=[bakery.pk])
    text = response.content.decode()
    assert "Choose a part from 1 to 1." in text or "Choose a part by its number." in text
