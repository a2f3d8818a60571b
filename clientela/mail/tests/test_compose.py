"""A bulk message written in one pass reads back as Django's own would: the same
subject, addresses, headers and both bodies, whatever the language, with every line
short enough for any mail server."""

import email
import email.policy

import pytest
from django.core.mail import EmailMultiAlternatives

from clientela.mail.compose import BulkEmail

CASES = [
    (
        "Feliz Navidad, Café Luna",
        "Hola:\n\nPan dulce ñ.\n",
        "Panadería “La Espiga” <hola@espiga.mx>",
    ),
    (
        "С Рождеством, Пекарня Волга! Скидка 15 % на все торты до конца недели " * 2,
        "Здравствуйте!\n" + "Очень длинная строка без переносов " * 40,
        "Пекарня <pekarnya@example.ru>",
    ),
    ("Plain subject", "Text, with a comma", '"O\'Brien, the Baker" <ob@example.com>'),
]


def _read(message) -> email.message.EmailMessage:
    data = message.message().as_bytes(linesep="\r\n")
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    return email.message_from_bytes(data, policy=email.policy.default)


@pytest.mark.parametrize(("subject", "text", "sender"), CASES)
def test_a_bulk_message_reads_back_as_djangos_own(subject, text, sender):
    fields = {
        "subject": subject,
        "body": text,
        "from_email": sender,
        "to": ["cliente@example.com"],
        "headers": {
            "List-Unsubscribe": "<https://crm.example.mx/campaigns/unsubscribe/" + "x" * 90 + "/>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    }
    html = "<p>" + text.replace("\n", "<br>") + "</p>"
    ours, theirs = BulkEmail(**fields), EmailMultiAlternatives(**fields)
    ours.attach_alternative(html, "text/html")
    theirs.attach_alternative(html, "text/html")

    mine, django = _read(ours), _read(theirs)

    for name in ("Subject", "From", "To", "List-Unsubscribe", "List-Unsubscribe-Post"):
        assert " ".join(str(mine[name]).split()) == " ".join(str(django[name]).split()), name
    assert mine.get_body(("plain",)).get_content() == django.get_body(("plain",)).get_content()
    assert mine.get_body(("html",)).get_content() == django.get_body(("html",)).get_content()
    assert mine["Message-ID"] and mine["Date"]
