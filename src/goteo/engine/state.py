"""An enrollment's state: where it is in its campaign version and when it wakes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

STATE_VERSION = 2  # version 1 (no start time, seed, variants or event) is still read

ACTIVE, COMPLETED, EXITED, CONVERTED = "active", "completed", "exited", "converted"


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class EnrollmentState:
    status: str
    position: str | None  # the step to run next; None once ended
    wake_at: datetime | None = None  # the current step is waiting until then
    end_reason: str | None = None
    steps_run: tuple[str, ...] = ()
    started_at: datetime | None = None  # when the journey began (goal windows count from it)
    since: datetime | None = None  # when the current wait_for began: earlier events don't count
    seed: int = 0  # makes split choices random across contacts yet stable for one journey
    variants: Mapping[str, str] = field(default_factory=dict)  # split step id -> variant
    event: Mapping[str, Any] | None = None  # the trigger event {name, properties}, if any
    # A paced touch step's messages so far, by channel (engine/exposure_pacing.py).
    touches: Mapping[str, int] = field(default_factory=dict)
    touches_began: datetime | None = None  # when the journey reached its touch step

    @classmethod
    def start(
        cls,
        first_step: str | None,
        started_at: datetime | None = None,
        seed: int = 0,
        event: Mapping[str, Any] | None = None,
    ) -> EnrollmentState:
        return cls(
            status=ACTIVE, position=first_step, started_at=started_at, seed=seed, event=event
        )

    def due_at(self, now: datetime) -> datetime | None:
        """When the worker should next look at this enrollment (None: never again)."""
        if self.status != ACTIVE:
            return None
        return self.wake_at or now

    def moved(self, position: str | None, ran: str) -> EnrollmentState:
        return replace(
            self, position=position, wake_at=None, since=None, steps_run=(*self.steps_run, ran)
        )

    def ended(self, status: str, reason: str) -> EnrollmentState:
        return replace(
            self, status=status, position=None, wake_at=None, since=None, end_reason=reason
        )

    def touched(self, channel: str) -> EnrollmentState:
        return replace(self, touches={**self.touches, channel: self.touches.get(channel, 0) + 1})

    def chose(self, step_id: str, variant: str) -> EnrollmentState:
        return replace(self, variants={**self.variants, step_id: variant})

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "v": STATE_VERSION,
            "status": self.status,
            "position": self.position,
            "wake_at": self.wake_at.isoformat() if self.wake_at else None,
            "end_reason": self.end_reason,
            "steps_run": list(self.steps_run),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "since": self.since.isoformat() if self.since else None,
            "seed": self.seed,
            "variants": dict(self.variants),
        }
        if self.event is not None:
            data["event"] = dict(self.event)
        if self.touches_began is not None:
            data["touches"] = dict(self.touches)
            data["touches_began"] = self.touches_began.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EnrollmentState:
        version = data.get("v")
        if version not in (1, STATE_VERSION):
            raise ValueError(f"unknown enrollment state version {version!r}")
        return cls(
            status=data["status"],
            position=data.get("position"),
            wake_at=_time(data.get("wake_at")),
            end_reason=data.get("end_reason"),
            steps_run=tuple(data.get("steps_run", ())),
            started_at=_time(data.get("started_at")),
            since=_time(data.get("since")),
            seed=int(data.get("seed", 0)),
            variants=dict(data.get("variants", {})),
            event=data.get("event"),
            touches={str(k): int(v) for k, v in (data.get("touches") or {}).items()},
            touches_began=_time(data.get("touches_began")),
        )
