"""What each provider's tracking payload must look like before django-anymail reads it.

One JSON Schema per provider, covering exactly the fields anymail's parser (and
``bounce_labels``) reads, with the types it assumes: an event type it looks up must
be text, a Unix time it converts must be a number in range, a field it indexes into must be an
object. Everything else a provider sends is kept as it is. Payloads meant for an *inbound*
webhook are refused too: this URL only takes tracking events. No Django here.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

MAX_EPOCH = 32_503_680_000  # 3000-01-01 in Unix seconds: later is not a real time
TEXT: Schema = {"type": "string"}
ASCII: Schema = {"type": "string", "pattern": "^[\\x20-\\x7e]*$"}
OBJECT: Schema = {"type": "object"}
EPOCH: Schema = {"type": "number", "minimum": 0, "maximum": MAX_EPOCH}
EPOCH_MS: Schema = {"type": "number", "minimum": 0, "maximum": MAX_EPOCH * 1000}
EPOCH_TEXT: Schema = {"type": "string", "pattern": "^[0-9]{1,11}$"}
NOT_A_NUMBER_OR_TEXT: Schema = {"not": {"type": ["number", "string"]}}
DATETIME: Schema = {"type": "string", "format": "goteo-datetime"}  # as Django parses it
JSON_TEXT: Schema = {"format": "goteo-json"}  # text, if text, must hold JSON


def _object(properties: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def _not_inbound(key: str, value: Schema | None = None) -> Schema:
    """Refuse a payload that has ``key`` (with ``value``, if given): it is an inbound one."""
    if value is None:
        return {"not": {"required": [key]}}
    return {"not": {"required": [key], "properties": {key: value}}}


MAILGUN = _object(
    {
        "signature": _object({"timestamp": ASCII, "token": ASCII, "signature": ASCII}),
        "event-data": _object(
            {
                "event": TEXT,
                "severity": TEXT,
                "reason": TEXT,
                "timestamp": EPOCH,
                "message": _object({"headers": _object({"message-id": TEXT, "to": TEXT})}),
                "reject": OBJECT,
                "client-info": OBJECT,
            },
            required=("event",),
        ),
    },
    required=("signature", "event-data"),
)
MANDRILL_EVENT = _object(
    {
        "event": TEXT,
        "type": TEXT,
        "ts": EPOCH,
        "msg": _object({"email": TEXT, "diag": TEXT}),
        "reject": _object({"detail": TEXT, "reason": TEXT, "email": TEXT}),
    }
) | {
    "allOf": [
        _not_inbound("event", {"const": "inbound"}),
        _not_inbound("type", {"const": "inbound"}),
    ]
}
POSTAL_MESSAGE = _object({"to": TEXT})
POSTAL = _object(
    {
        "timestamp": {"anyOf": [EPOCH, EPOCH_TEXT, {"enum": [None, False, ""]}]},
        "payload": _object(
            {"status": TEXT, "message": POSTAL_MESSAGE, "original_message": POSTAL_MESSAGE}
        ),
    }
) | _not_inbound("rcpt_to")
MAILERSEND = _object(
    {
        "type": {"not": {"const": "inbound.message"}},
        "data": _object(
            {
                "type": TEXT,
                "created_at": DATETIME,
                "email": _object({"message": OBJECT, "recipient": OBJECT}),
                "morph": {"properties": {"object": TEXT}},  # when it is an object
            },
            required=("type",),
        ),
    },
    required=("data",),
)
MAILTRAP = _object(
    {
        "events": {
            "type": "array",
            "items": _object(
                {"event": {"type": "string", "not": {"pattern": "^inbound"}}, "timestamp": EPOCH},
                required=("event", "timestamp", "message_id"),
            ),
        }
    }
)
SENDGRID_EVENT = _object(
    {"event": TEXT, "timestamp": EPOCH, "type": TEXT, "reason": TEXT}, required=("event",)
)
RESEND = _object(
    {
        "type": TEXT,
        "created_at": TEXT,
        "data": _object(
            {
                "bounce": _object({"message": TEXT}),
                "headers": {"type": "array", "items": _object({"name": TEXT}, ("name", "value"))},
                "click": OBJECT,
            }
        ),
    },
    required=("type",),
)
POSTMARK_TIMES = ("DeliveredAt", "BouncedAt", "ReceivedAt", "ChangedAt")
POSTMARK = _object(
    {"RecordType": TEXT, "Type": TEXT, "SuppressionReason": TEXT, "Metadata": OBJECT}
    | {name: DATETIME for name in POSTMARK_TIMES},
    required=("RecordType",),
)
BREVO = _object({"event": TEXT, "ts_epoch": EPOCH_MS, "X-Mailin-custom": JSON_TEXT}) | _not_inbound(
    "items"
)
MAILJET_EVENT = _object(
    {"event": TEXT, "error": TEXT, "time": EPOCH, "Payload": TEXT}, required=("event",)
)
SPARKPOST_EVENT = _object(
    {
        "msys": {
            "type": "object",
            "maxProperties": 1,
            "not": {"required": ["relay_message"]},
            "additionalProperties": _object(
                {
                    "type": TEXT,
                    "timestamp": {"anyOf": [EPOCH, EPOCH_TEXT, NOT_A_NUMBER_OR_TEXT]},
                    "bounce_class": {"type": ["string", "integer"]},
                },
                required=("type",),
            ),
        }
    },
    required=("msys",),
)


def _list_of(item: Schema) -> Schema:
    return {"type": "array", "items": item}


SCHEMAS: dict[str, Schema] = {
    "mailgun": MAILGUN,
    "mandrill": _list_of(MANDRILL_EVENT),
    "postal": POSTAL,
    "mailersend": MAILERSEND,
    "mailtrap": MAILTRAP,
    "sendgrid": _list_of(SENDGRID_EVENT),
    "resend": RESEND,
    "postmark": POSTMARK,
    "brevo": BREVO,
    "mailjet": {"anyOf": [_list_of(MAILJET_EVENT), MAILJET_EVENT]},
    "sparkpost": _list_of(SPARKPOST_EVENT),
}
