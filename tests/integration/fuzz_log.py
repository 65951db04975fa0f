"""The log of a fuzz run, as the server's log handler writes it: every level, and no traceback."""

from __future__ import annotations

import logging

from goteo.web.log_levels import ClientErrorsAtInfo


class Records(logging.Handler):
    """Every log record of the run, at every level."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(ClientErrorsAtInfo())  # as the server's log handler has it
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def tracebacks(self) -> list[str]:
        return [
            f"{r.name}: {r.getMessage()}"
            for r in self.records
            if r.exc_info or r.stack_info or "Traceback" in self.format(r)
        ]


def assert_no_traceback(log: Records) -> None:
    assert log.records, "every refusal is logged"
    assert log.tracebacks() == []
