"""Outgoing e-mail: queued with the caller's write, sent by the worker to a real SMTP
server on 127.0.0.1 (aiosmtpd), retried while the server fails for a while, given up on
when it refuses for good; without a server, an .eml file in the outbox folder."""

import email
import email.policy
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clientela.mail.models import MailStatus, OutgoingEmail
from clientela.mail.services import MAX_ATTEMPTS, RETRY_DELAYS, mail_attempt, mail_queue
from clientela.mail.tasks import mail_deliver
from clientela.mail.tests.smtp import free_port

pytestmark = pytest.mark.django_db


def test_a_message_is_sent_by_the_worker_after_the_callers_write_commits(
    smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queued = mail_queue(
            to=["Ana.Ruiz@Example.MX"],
            subject="Su agenda de hoy",
            text="Llamar a Café Olé a las 10:00.",
            html="<p>Llamar a <b>Café Olé</b> a las 10:00.</p>",
        )
    assert smtp.messages == [], "nothing is sent before the worker runs"
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("mail_deliver") and task.queue_name == "mail"

    mail_deliver.call(queued.pk)

    (message,) = smtp.messages
    assert message["To"] == "ana.ruiz@example.mx"  # as the catalog keeps addresses
    assert message["Subject"] == "Su agenda de hoy"
    assert message["From"] == "Panadería La Espiga <ventas@espiga.mx>"
    assert message.get_body(("plain",)).get_content().strip() == "Llamar a Café Olé a las 10:00."
    assert "<b>Café Olé</b>" in message.get_body(("html",)).get_content()
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.error) == (MailStatus.SENT, 1, "")
    assert queued.sent_at is not None


def test_a_server_failing_for_a_while_is_tried_again_later_then_given_up(smtp):
    smtp.refuse = "451 4.3.0 Try again later"
    queued = mail_queue(to=["ana@example.mx"], subject="Agenda", text="Hoy.")

    delays = [mail_attempt(queued) for _ in range(MAX_ATTEMPTS)]

    assert delays == [*RETRY_DELAYS, None]
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (MailStatus.FAILED, MAX_ATTEMPTS)
    assert "451" in queued.error and "Try again later" in queued.error
    assert smtp.messages == []


def test_the_worker_queues_the_next_attempt_and_a_later_success_is_logged(smtp):
    smtp.refuse = "451 4.3.0 Try again later"
    queued = mail_queue(to=["ana@example.mx"], subject="Agenda", text="Hoy.")

    mail_deliver.call(queued.pk)

    retry = DBTaskResult.objects.get()
    assert retry.run_after - timezone.now() > RETRY_DELAYS[0] - timedelta(seconds=5)
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (MailStatus.PENDING, 1)

    smtp.refuse = ""
    mail_deliver.call(queued.pk)
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.error) == (MailStatus.SENT, 2, "")
    assert len(smtp.messages) == 1
    mail_deliver.call(queued.pk)  # a stray second task sends nothing again
    assert len(smtp.messages) == 1


def test_a_recipient_refused_for_good_is_not_tried_again(smtp):
    smtp.refuse = "550 5.1.1 No such user"
    queued = mail_queue(to=["nadie@example.mx"], subject="Agenda", text="Hoy.")

    assert mail_attempt(queued) is None

    queued.refresh_from_db()
    assert queued.status == MailStatus.FAILED and queued.attempts == 1
    assert "550" in queued.error and "nadie@example.mx" in queued.error


def test_a_server_that_cannot_be_reached_is_tried_again(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    queued = mail_queue(to=["ana@example.mx"], subject="Agenda", text="Hoy.")

    assert mail_attempt(queued) == RETRY_DELAYS[0]

    queued.refresh_from_db()
    assert queued.status == MailStatus.PENDING and "mail server" in queued.error


def test_without_a_server_each_message_is_an_eml_file_in_the_outbox(settings, tmp_path):
    settings.EMAIL_BACKEND = "clientela.mail.backends.OutboxFolderBackend"
    settings.CLIENTELA_EMAIL_OUTBOX = tmp_path / "outbox"
    first = mail_queue(to=["ana@example.mx"], subject="Agenda del lunes", text="Lunes.")
    second = mail_queue(to=["ana@example.mx"], subject="Агенда", text="Вторник.")

    mail_attempt(first)
    mail_attempt(second)

    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 2
    subjects = {
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)["Subject"]
        for path in files
    }
    assert subjects == {"Agenda del lunes", "Агенда"}
    assert OutgoingEmail.objects.filter(status=MailStatus.SENT).count() == 2


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"to": []}, "to"),
        ({"to": ["ana@"]}, "to"),
        ({"subject": "  "}, "subject"),
        ({"subject": "x" * 256}, "subject"),
        ({"text": "\n"}, "text"),
    ],
)
def test_a_message_that_cannot_be_sent_is_refused_naming_the_field(fields, field):
    values = {"to": ["ana@example.mx"], "subject": "Agenda", "text": "Hoy.", **fields}
    with pytest.raises(ValidationError) as refusal:
        mail_queue(**values)
    assert field in refusal.value.message_dict
    assert not OutgoingEmail.objects.exists()
    assert not DBTaskResult.objects.exists()
