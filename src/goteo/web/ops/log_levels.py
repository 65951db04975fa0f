"""The client's mistakes are logged as one line at INFO, not as the server's errors.

Django logs every 4xx answer at WARNING ("Not Found: /u/…") and each request it refuses as
suspicious (a form with too many fields, a body over the upload limit) at ERROR with the whole
traceback. Both are about what a client sent, so anyone could flood the log with them: this
filter, on the log handler, turns them into one line at INFO (dropped unless INFO is on).
WARNING is left for what an operator must look at (``goteo.web.webhooks.refusals``).
"""

from __future__ import annotations

import logging


class ClientErrorsAtInfo(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", 0)
        suspicious = record.name.startswith("django.security.")
        refused = record.name == "django.request" and 400 <= int(status or 0) < 500
        if not (suspicious or refused):
            return True
        record.levelno, record.levelname = logging.INFO, "INFO"
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return logging.getLogger(record.name).isEnabledFor(logging.INFO)
