"""Outgoing e-mail's services: ``mail_queue`` (``queue``) writes a message and enqueues
its sending; ``mail_attempt`` (``sending``) sends it once, for the worker."""

from clientela.mail.services.queue import mail_queue
from clientela.mail.services.sending import MAX_ATTEMPTS, RETRY_DELAYS, mail_attempt

__all__ = ["MAX_ATTEMPTS", "RETRY_DELAYS", "mail_attempt", "mail_queue"]
