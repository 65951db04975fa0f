"""Bluesky (and any AT Protocol server), through the atproto library.

Bluesky takes no idempotency key, so the post's record key is made from the scheduled post
(``record_keys.tid``) and written with ``com.atproto.repo.createRecord``: a second create with
the same key cannot make a second post. After an attempt that may have reached the server (the
scheduled post was marked "publishing" and never recorded), the record is looked up with
``com.atproto.repo.getRecord`` first, and found, it is recorded instead of posted again.
"""

from __future__ import annotations

import os
from typing import Any

from atproto import Client, models
from atproto_client.exceptions import (
    AtProtocolError,
    BadRequestError,
    NetworkError,
    RateLimitExceededError,
    RequestException,
    UnauthorizedError,
)
from atproto_client.request import Request

from goteo.channels.base import Permanent, Result, Retryable
from goteo.channels.social.base import Published, SocialPost, credential
from goteo.channels.social.limits import MAX_LENGTH
from goteo.channels.social.record_keys import tid

COLLECTION = "app.bsky.feed.post"
WEB = "https://bsky.app"
TIMEOUT = 30.0


class _Request(Request):  # type: ignore[misc]
    """The library's HTTP client, sending raw bytes (an uploaded image) as httpx asks to."""

    def _send_request(self, method: str, url: str, **kwargs: Any) -> Any:
        if isinstance(kwargs.get("data"), bytes):
            kwargs["content"] = kwargs.pop("data")
        return super()._send_request(method, url, **kwargs)


class BlueskyProvider:
    name = "bluesky"
    capabilities = frozenset({"media", "alt_text", "record_key", "links"})
    max_length: int | None = MAX_LENGTH["bluesky"]

    def deliver(self, post: SocialPost) -> Result:
        account = post.account
        password = credential(account, dict(os.environ))
        if password is None:
            return Retryable(post.delivery_id, f"{account.credential_env} is not set")
        rkey = tid(post.key, post.scheduled_for)
        request = _Request(timeout=TIMEOUT)
        try:
            return self._publish(post, rkey, Client(account.server, request=request), password)
        finally:
            request.close()

    def _publish(self, post: SocialPost, rkey: str, client: Client, password: str) -> Result:
        account = post.account
        try:
            did = _login(client, account.handle, password)
            if post.attempt > 1 and (found := _existing(client, did, rkey)) is not None:
                return _published(post, found, rkey, "found from an earlier attempt")
            try:
                created = client.com.atproto.repo.create_record(
                    models.ComAtprotoRepoCreateRecord.Data(
                        repo=did, collection=COLLECTION, rkey=rkey, record=_record(client, post)
                    )
                )
            except BadRequestError:
                # The key is taken: our own earlier attempt made it.
                if (found := _existing(client, did, rkey)) is None:
                    raise
                return _published(post, found, rkey, "found from an earlier attempt")
        except (NetworkError, RateLimitExceededError) as exc:
            return Retryable(post.delivery_id, f"{account.server}: {exc}")
        except UnauthorizedError as exc:
            return Retryable(post.delivery_id, f"{account.server} refused the login: {exc}")
        except RequestException as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if status >= 500 or status == 0:
                return Retryable(post.delivery_id, f"{account.server}: {exc}")
            return Permanent(post.delivery_id, f"{account.server} refused the post: {exc}")
        except AtProtocolError as exc:
            return Permanent(post.delivery_id, f"{account.server} refused the post: {exc}")
        return _published(post, created.uri, rkey, "posted")


def _login(client: Client, handle: str, password: str) -> str:
    """Log in (com.atproto.server.createSession); the account's DID."""
    seen: list[str] = []
    client.on_session_change(lambda _event, session: seen.append(session.did))
    client.login(handle, password, fetch_bsky_profile=False)
    return seen[-1]


def _existing(client: Client, did: str, rkey: str) -> str | None:
    """The record's at:// address if the repository has it, else None."""
    try:
        found = client.com.atproto.repo.get_record(
            models.ComAtprotoRepoGetRecord.Params(repo=did, collection=COLLECTION, rkey=rkey)
        )
    except BadRequestError:
        return None  # RecordNotFound
    return str(found.uri)


def _record(client: Client, post: SocialPost) -> models.AppBskyFeedPost.Record:
    embed: Any = None
    if post.media:
        images = [
            models.AppBskyEmbedImages.Image(
                alt=item.alt, image=client.com.atproto.repo.upload_blob(item.content).blob
            )
            for item in post.media
        ]
        embed = models.AppBskyEmbedImages.Main(images=images)
    return models.AppBskyFeedPost.Record(
        text=post.text,
        created_at=client.get_current_time_iso(),
        langs=[post.locale],
        facets=_link_facets(post.text, post.link) or None,
        embed=embed,
    )


def _link_facets(text: str, link: str) -> list[models.AppBskyRichtextFacet.Main]:
    """Make the link clickable: Bluesky wants its position in UTF-8 bytes."""
    at = text.rfind(link) if link else -1
    if at < 0:
        return []
    start = len(text[:at].encode())
    return [
        models.AppBskyRichtextFacet.Main(
            index=models.AppBskyRichtextFacet.ByteSlice(
                byte_start=start, byte_end=start + len(link.encode())
            ),
            features=[models.AppBskyRichtextFacet.Link(uri=link)],
        )
    ]


def _published(post: SocialPost, uri: str, rkey: str, detail: str) -> Published:
    url = f"{WEB}/profile/{post.account.handle}/post/{rkey}"
    return Published(post.delivery_id, detail, provider_id=uri, url=url)
