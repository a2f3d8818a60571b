"""The background task that sends queued e-mail, on the ``mail`` queue."""

from django.utils import timezone
from django_tasks import task

from clientela.mail.models import MailStatus, OutgoingEmail
from clientela.mail.services.sending import mail_attempt


@task(queue_name="mail")
def mail_deliver(email_id: int) -> None:
    """Attempt to send the message; when the server failed for a while, enqueue the next
    attempt."""
    email = OutgoingEmail.objects.filter(pk=email_id, status=MailStatus.PENDING).first()
    if email is None:  # sent or given up on meanwhile
        return
    retry = mail_attempt(email)
    if retry is not None:
        mail_deliver.using(run_after=timezone.now() + retry).enqueue(email_id)
