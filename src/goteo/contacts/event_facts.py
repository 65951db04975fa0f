"""What the reactions to new events need to know about each one, without the ORM row."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class EventFact:
    """One newly stored event (a duplicate is never one of these: it was not stored)."""

    id: int
    contact_id: int | None  # None for a visitor who has not been identified yet
    name: str
    occurred_at: datetime
    properties: Mapping[str, Any] = field(default_factory=dict)
    delivery_id: int | None = None  # opened/clicked: the message it happened to
