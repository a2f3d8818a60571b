"""The log's shape: one line per record, and no traceback for a request refused on purpose."""

import logging


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
