"""The scopes an API key can hold (no Django here: the command line lists them as choices;
the actions that create keys and the API that checks them both read them)."""

from __future__ import annotations

SCOPES = (
    "events:write",
    "contacts:read",
    "contacts:write",
    "campaigns:read",
    "deliveries:read",
    "reports:read",
    "leads:read",
    "conversions:read",
)
