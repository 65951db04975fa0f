"""An enrollment's state: where it is in its campaign version and when it wakes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

STATE_VERSION = 1

ACTIVE, COMPLETED, EXITED = "active", "completed", "exited"


@dataclass(frozen=True)
class EnrollmentState:
    status: str
    position: str | None  # the step to run next; None once ended
    wake_at: datetime | None = None  # the current step is waiting until then
    end_reason: str | None = None
    steps_run: tuple[str, ...] = ()

    @classmethod
    def start(cls, first_step: str | None) -> EnrollmentState:
        return cls(status=ACTIVE, position=first_step)

    def due_at(self, now: datetime) -> datetime | None:
        """When the worker should next look at this enrollment (None: never again)."""
        if self.status != ACTIVE:
            return None
        return self.wake_at or now

    def moved(self, position: str | None, ran: str) -> EnrollmentState:
        return replace(self, position=position, wake_at=None, steps_run=(*self.steps_run, ran))

    def ended(self, status: str, reason: str) -> EnrollmentState:
        return replace(self, status=status, position=None, wake_at=None, end_reason=reason)

    def to_json(self) -> dict[str, Any]:
        return {
            "v": STATE_VERSION,
            "status": self.status,
            "position": self.position,
            "wake_at": self.wake_at.isoformat() if self.wake_at else None,
            "end_reason": self.end_reason,
            "steps_run": list(self.steps_run),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EnrollmentState:
        version = data.get("v")
        if version != STATE_VERSION:
            raise ValueError(f"unknown enrollment state version {version!r}")
        wake = data.get("wake_at")
        return cls(
            status=data["status"],
            position=data.get("position"),
            wake_at=datetime.fromisoformat(wake) if wake else None,
            end_reason=data.get("end_reason"),
            steps_run=tuple(data.get("steps_run", ())),
        )
