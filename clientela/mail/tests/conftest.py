"""The SMTP server fixture on 127.0.0.1 (``clientela.mail.tests.smtp``)."""

from clientela.mail.tests.smtp import smtp  # noqa: F401 (a fixture)
