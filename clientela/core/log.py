"""The log's shape: one line per record, no traceback for a request refused on purpose,
and no secret carried in an address (a calendar feed's) written out."""

import logging
import re
from collections.abc import Mapping

# What stands for a secret taken out of a logged address.
MASK = "…"

_secret_paths: list[re.Pattern[str]] = []


def secret_path_register(pattern: str) -> None:
    """Keep the part of a path matched by ``pattern``'s group ``secret`` out of the log;
    apps call this from ``AppConfig.ready()`` for addresses that open something alone."""
    compiled = re.compile(pattern)
    if compiled.pattern not in {p.pattern for p in _secret_paths}:
        _secret_paths.append(compiled)


def _mask_match(match: re.Match[str]) -> str:
    start, end = match.span("secret")
    offset = match.start()
    text = match.group(0)
    return text[: start - offset] + MASK + text[end - offset :]


def secrets_masked(text: str) -> str:
    """``text`` with every registered secret in an address replaced by ``…``."""
    for pattern in _secret_paths:
        text = pattern.sub(_mask_match, text)
    return text


def _masked_value(value: object) -> object:
    return secrets_masked(value) if isinstance(value, str) else value


class SecretsMasked(logging.Filter):
    """Write a record's message with the secrets in addresses masked (``…``): Django's
    "Not Found: /relations/calendar/….ics", runserver's request lines, any path a
    module logs. The message is formatted once here, then kept as plain text."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record; mask what its message would show."""
        if not _secret_paths:
            return True
        message = record.getMessage()
        masked = secrets_masked(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True


def access_atoms_masked(atoms: Mapping[str, object]) -> dict[str, object]:
    """A web server's access-log fields (gunicorn's atoms: the request line, the path,
    the referrer) with the secrets in addresses masked."""
    return {key: _masked_value(value) for key, value in atoms.items()}


class RefusalsOnOneLine(logging.Filter):
    """Drop the traceback of a request answered with a 4xx status (403, 404, 422…).

    Django logs a refused request with the exception that refused it (a ``PermissionDenied``
    prints its whole traceback); a refusal is the application working, and its one line
    (what was refused, and the path) says enough. Server errors (5xx) keep their traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record; strip the exception of a 4xx one."""
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
