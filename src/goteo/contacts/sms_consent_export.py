"""SMS consent records as plain data, for ``goteo consent export --sms``: every grant and
withdrawal with its proof, oldest first."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from goteo.contacts.models import ChannelConsent

SMS_COLUMNS = ("email", "phone", "status", "source", "text", "ip", "proof", "at")
_VALUES = {"email": "contact__email", "phone": "contact__phone"}


def sms_consent_rows() -> Iterator[dict[str, Any]]:
    query = ChannelConsent.objects.filter(channel="sms").order_by("id")
    fields = [_VALUES.get(name, name) for name in SMS_COLUMNS]
    for row in query.values(*fields).iterator(chunk_size=2000):
        yield {name: row[_VALUES.get(name, name)] for name in SMS_COLUMNS}
