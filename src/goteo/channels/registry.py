"""Which channels this configuration offers, with what capabilities, and the providers.

Every channel is configured like email: one URL setting (``GOTEO_EMAIL_URL``,
``GOTEO_MAIL_URL``, ``GOTEO_SMS_URL``, ``GOTEO_WEBHOOK_URL``; social accounts in a document
named by ``GOTEO_SOCIAL_ACCOUNTS``), with ``memory:`` and ``folder:`` providers for tests and
trials. ``check_channel`` is what ``validate`` and ``apply`` ask about each send step; the
worker routes every outbox row on its ``channel`` to the provider named here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from goteo.channels.base import Channel


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    setting: str  # the environment variable that configures it
    provider: str  # what is missing when it is not configured ("print provider")


SPECS = {
    spec.name: spec
    for spec in (
        ChannelSpec("email", "GOTEO_EMAIL_URL", "email provider"),
        ChannelSpec("mail", "GOTEO_MAIL_URL", "print provider"),
        ChannelSpec("sms", "GOTEO_SMS_URL", "SMS provider"),
        ChannelSpec("social", "GOTEO_SOCIAL_ACCOUNTS", "social account"),
        ChannelSpec("webhook", "GOTEO_WEBHOOK_URL", "webhook provider"),
    )
}


def missing(name: str) -> str:
    """``no print provider configured (GOTEO_MAIL_URL)``."""
    spec = SPECS.get(name)
    if spec is None:
        return "not a channel"
    return f"no {spec.provider} configured ({spec.setting})"


class OfferedChannels:
    """``check(channel, capabilities)``: None when the configuration offers the channel with
    every capability asked for, else the problem."""

    def __init__(self, offered: Mapping[str, frozenset[str]]) -> None:
        self.offered = offered  # channel name -> its declared capabilities

    def __call__(self, channel: str, wanted: frozenset[str]) -> str | None:
        capabilities = self.offered.get(channel)
        if capabilities is None:
            return missing(channel)
        lacking = sorted(wanted - capabilities)
        if lacking:
            return f"the campaign needs {', '.join(lacking)}, which this {channel} provider lacks"
        return None


class Channels:
    """The providers a worker sends through, by channel name."""

    def __init__(self, *providers: Channel) -> None:
        self._by_name = {p.name: p for p in providers}

    def get(self, name: str) -> Channel | None:
        return self._by_name.get(name)

    def __getitem__(self, name: str) -> Channel:
        return self._by_name[name]

    def __iter__(self) -> Iterator[Channel]:
        return iter(self._by_name.values())

    def offered(self) -> dict[str, frozenset[str]]:
        return {p.name: p.capabilities for p in self}

    def close(self) -> None:
        for provider in self:
            provider.close()
