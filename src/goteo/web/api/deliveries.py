"""``GET /api/v1/deliveries``: the newest outgoing messages first, perhaps of one status."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest, JsonResponse
from ninja import Field, Query, Schema
from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from goteo.campaigns.models import DeliveryStatus
from goteo.campaigns.summaries import recent_deliveries
from goteo.web.api.ninja_api import Closed, operation

MAX_LIMIT = 500


def _status(value: object) -> str | None:
    if value is None or value in DeliveryStatus.values:
        return None if value is None else str(value)
    raise PydanticCustomError("status", f"use one of {', '.join(DeliveryStatus.values)}")


def _limit(value: object) -> int:
    text = str(value).strip()
    if not text.lstrip("-").isascii() or not text.lstrip("-").isdigit():
        raise PydanticCustomError("limit", "must be a whole number")
    if int(text) < 1:
        raise PydanticCustomError("limit", "must be 1 or more")
    return min(int(text), MAX_LIMIT)


class DeliveriesQuery(Schema):
    status: Annotated[
        str | None,
        BeforeValidator(_status),
        WithJsonSchema({"type": "string", "enum": list(DeliveryStatus.values)}),
    ] = Field(None, description="Only this status")
    limit: Annotated[
        int, BeforeValidator(_limit), WithJsonSchema({"type": "integer", "minimum": 1})
    ] = Field(50, description=f"How many (default 50; more than {MAX_LIMIT} gives {MAX_LIMIT})")


class DeliveryRow(Closed):
    id: int
    status: DeliveryStatus
    kind: str = Field(description="marketing, transactional, notification or webhook")
    to_address: str
    contact__email: str
    campaign__key: str | None
    template: str
    step_id: str
    locale: str
    subject: str
    message_id: str
    attempts: int = Field(ge=0)
    sent_at: datetime | None
    last_error: str
    channel: str
    receipt: str = Field(description="What the provider reported later: delivered, failed…")
    provider_message_id: str = Field(description="The provider's id (a Twilio SID)")
    segments: int = Field(ge=0, description="The parts an SMS went as; 0 for other channels")
    source: str = Field(
        description="The campaign key, or what sent Goteo's own messages (confirmation, …)"
    )


class Deliveries(Closed):
    deliveries: list[DeliveryRow]


@operation(
    "get",
    "/deliveries",
    "deliveries:read",
    {200: Deliveries},
    "The newest outgoing messages first",
    "deliveries",
    errors=(400,),
)
def deliveries(request: HttpRequest, query: Query[DeliveriesQuery]) -> Any:
    return JsonResponse({"deliveries": recent_deliveries(query.limit, query.status)})
