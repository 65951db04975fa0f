"""The one error type actions raise: a message plus field-level details."""

from __future__ import annotations


class ActionError(Exception):
    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        self.message = message
        self.fields = fields or {}
        detail = "; ".join(f"{k}: {v}" for k, v in self.fields.items())
        super().__init__(f"{message}: {detail}" if detail else message)
