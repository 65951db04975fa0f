"""The social channel: a campaign step's post (``send: social``) through the channel seam.

``prepare`` renders the step's text-only template (it uses no contact fields: the parser
refuses them) for the account the step names; ``deliver`` publishes it through that account's
provider (Mastodon, Bluesky, folder, memory). The post's key is the delivery's, so a second
attempt after a crash between publishing and recording finds or reuses the first post (an
idempotency key on Mastodon, the record key on Bluesky). The gate treats the row as an
audience message: no personal consent or suppression applies, a paused campaign holds it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from goteo.channels.base import Delivered, Draft, Prepared, PrepareError, Result, Retryable
from goteo.channels.social import MAX_LENGTH, provider_for
from goteo.channels.social.base import Published, SocialPost
from goteo.content.render import Renderer, RenderError
from goteo.engine.channel_needs import IDEMPOTENCY_KEY
from goteo.engine.model import Campaign
from goteo.engine.social_model import Account
from goteo.social.models import SocialAccount

log = logging.getLogger(__name__)

CAPABILITIES = frozenset({IDEMPOTENCY_KEY})


def account_of(row: SocialAccount) -> Account:
    return Account(row.name, row.provider, row.locale, **row.settings)


def post_text(renderer: Renderer, campaign: Campaign, template: str, locale: str) -> str:
    """The step's post as published: its text-only template rendered with the campaign's key
    and name (a post uses no contact fields). Raises ``RenderError``."""
    context = {"campaign": {"key": campaign.key, "name": campaign.name}}
    return renderer.render(campaign, template, locale, context).text.strip()


def post_key(delivery_id: int) -> str:
    """The same on every attempt of a delivery."""
    return f"delivery-{delivery_id}"


class SocialChannel:
    name = "social"
    capabilities = CAPABILITIES

    def __init__(self, data_dir: Path, renderer: Renderer | None = None) -> None:
        self.data_dir = data_dir
        self.renderer = renderer or Renderer()

    def prepare(self, draft: Draft) -> Prepared:
        name = str(draft.context.get("account") or "")
        row = SocialAccount.objects.filter(name=name).first()
        if row is None:
            raise PrepareError(f"social account {name!r} is not declared by any calendar")
        account = account_of(row)
        try:
            text = post_text(self.renderer, draft.campaign, draft.template, draft.locale)
        except RenderError as exc:
            raise PrepareError(str(exc)) from exc
        limit = MAX_LENGTH.get(account.provider)
        if not text:
            raise PrepareError(f"template {draft.template!r} renders no text to post")
        if limit is not None and len(text) > limit:
            raise PrepareError(
                f"the post has {len(text)} characters; {account.provider} takes {limit}"
            )
        at = draft.context.get("at")
        post = SocialPost(
            delivery_id=draft.delivery_id,
            key=post_key(draft.delivery_id),
            account=account,
            text=text,
            locale=draft.locale,
            scheduled_for=datetime.fromisoformat(at) if at else datetime(2000, 1, 1, tzinfo=UTC),
            attempt=draft.attempt,
        )
        return Prepared(draft.delivery_id, post, f"{account.provider}:{account.name}", subject=text)

    def deliver(self, message: Prepared) -> Result:
        post = message.payload
        assert isinstance(post, SocialPost)
        try:
            result = provider_for(post.account.provider, self.data_dir).deliver(post)
        except Exception as exc:  # a provider library failing oddly must not stop the worker
            log.exception("social post %s: the provider failed unexpectedly", post.key)
            return Retryable(post.delivery_id, f"{type(exc).__name__}: {exc}")
        if isinstance(result, Published):
            reference = result.url or result.provider_id
            return Delivered(result.delivery_id, result.detail, reference=reference)
        return result

    def close(self) -> None:
        pass
