"""What ``advance`` asks the shell to do. Each names its step, so executing twice is caught."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from goteo.engine.coupon_spec import CouponSpec


@dataclass(frozen=True)
class Send:
    """Deliver ``template`` on ``channel`` in ``locale`` (with a fresh coupon, if any)."""

    step_id: str
    channel: str
    template: str
    locale: str
    coupon: CouponSpec | None = None
    account: str | None = None  # social: the organisation's account that posts
    touch: int = 0  # a paced touch's number in its journey (engine/exposure_pacing.py); 0: none


@dataclass(frozen=True)
class Update:
    """Set contact attributes, add and remove tags."""

    step_id: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class AddScore:
    step_id: str
    points: float


@dataclass(frozen=True)
class Notify:
    """Email ``to`` ("owner" or an address) about the contact, with a campaign template."""

    step_id: str
    to: str
    template: str
    locale: str


@dataclass(frozen=True)
class CallWebhook:
    step_id: str
    url: str


Command = Send | Update | AddScore | Notify | CallWebhook


def updated_fields(fields: Mapping[str, Any], command: Command) -> dict[str, Any]:
    """A contact's fields once ``command`` ran (updates and points; others change nothing),
    so a later decision in the same journey sees them as the database will."""
    result = dict(fields)
    if isinstance(command, Update):
        result["attributes"] = {**dict(fields.get("attributes") or {}), **command.attributes}
        tags = [t for t in fields.get("tags") or [] if t not in command.remove_tags]
        result["tags"] = tags + [t for t in command.add_tags if t not in tags]
    elif isinstance(command, AddScore):
        result["score"] = float(fields.get("score") or 0) + command.points
    return result
