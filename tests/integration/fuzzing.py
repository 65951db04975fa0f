"""What the fuzz tests share: how many examples, and the log of a run (as the server's log
handler writes it: every level, and no traceback)."""

from __future__ import annotations

import logging
import os

from hypothesis import HealthCheck, settings

from goteo.web.ops.log_levels import ClientErrorsAtInfo


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


EXAMPLES = int(os.environ.get("GOTEO_FUZZ_EXAMPLES", "0"))


def fuzz_settings(bounded: int) -> settings:
    """``bounded`` examples, derandomized, so the pass in ``make test`` is the same every run;
    with GOTEO_FUZZ_EXAMPLES set, that many, at random (docs/security.md)."""
    return settings(
        max_examples=EXAMPLES or bounded,
        derandomize=not EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
