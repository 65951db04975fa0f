"""Mastodon, through Mastodon.py.

Media go to ``/api/v2/media`` with their alt text as the description; the status to
``/api/v1/statuses`` with an ``Idempotency-Key`` header made from the post's key. Mastodon
remembers that key (for an hour), so an attempt repeated after a crash between publishing and
recording returns the first status instead of posting a second one.
"""

from __future__ import annotations

import io
import os

from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from goteo.channels.base import Permanent, Result, Retryable
from goteo.channels.social.base import Published, SocialPost, credential
from goteo.channels.social.limits import MAX_LENGTH

TIMEOUT = 30.0
# The API level the library checks our calls against (v2 media, idempotency keys, the newest
# status_post); stating it saves a version lookup before every post.
API_VERSION = "4.6.0"


def idempotency_key(post: SocialPost) -> str:
    return f"goteo-{post.key}"


class MastodonProvider:
    name = "mastodon"
    capabilities = frozenset({"media", "alt_text", "idempotency_key", "links"})
    max_length: int | None = MAX_LENGTH["mastodon"]

    def deliver(self, post: SocialPost) -> Result:
        account = post.account
        token = credential(account, dict(os.environ))
        if token is None:
            return Retryable(post.delivery_id, f"{account.credential_env} is not set")
        client = Mastodon(
            access_token=token,
            api_base_url=account.server,
            request_timeout=TIMEOUT,
            ratelimit_method="throw",
            mastodon_version=API_VERSION,
            version_check_mode="changed",
            user_agent="Goteo",
        )
        try:
            media_ids = [
                client.media_post(
                    io.BytesIO(item.content),
                    mime_type=item.mime_type,
                    description=item.alt,
                    file_name=item.filename,
                )["id"]
                for item in post.media
            ]
            status = client.status_post(
                post.text,
                media_ids=media_ids or None,
                language=post.locale.split("-")[0],
                idempotency_key=idempotency_key(post),
            )
        except (MastodonNetworkError, MastodonServerError, MastodonRatelimitError) as exc:
            return Retryable(post.delivery_id, f"{account.server}: {exc}")
        except MastodonUnauthorizedError as exc:
            # Retried: a token the operator replaces takes effect without losing the post.
            return Retryable(post.delivery_id, f"{account.server} refused the token: {exc}")
        except MastodonAPIError as exc:
            return Permanent(post.delivery_id, f"{account.server} refused the post: {exc}")
        except MastodonError as exc:
            return Retryable(post.delivery_id, f"{account.server}: {exc}")
        status_id, url = status.get("id"), status.get("url")
        if not status_id:
            # Retried under the same idempotency key: a post it did make is returned then.
            return Retryable(post.delivery_id, f"{account.server} answered without a status id")
        return Published(post.delivery_id, "posted", provider_id=str(status_id), url=str(url or ""))
