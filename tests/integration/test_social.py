"""Content calendars end to end: apply, publish through each provider once, the Atom feed.

Mastodon and Bluesky run against loopback servers implementing the endpoints Goteo calls.
"""

from __future__ import annotations

import json
import os
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.conf import settings
from django.test import Client
from tests.integration.social_servers import DID, FakeAtproto, FakeMastodon

from goteo.actions.social_calendars import do_apply_calendar
from goteo.channels.social import memory
from goteo.channels.social.record_keys import tid
from goteo.cli import main
from goteo.engine.clock import ManualClock
from goteo.engine.problems import CampaignInvalid
from goteo.social.models import PostStatus, PublishedPost, ScheduledPost
from goteo.worker.loop import Worker
from goteo.worker.social import claim_posts, publish, publish_due_posts

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
DUE = datetime(2030, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Madrid
# The smallest valid PNG: one transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5f0000000049454e44ae426082"
)
CALENDAR = """\
key: spring
name: Spring launch
timezone: Europe/Madrid
accounts:
  mastodon-en: {{provider: mastodon, server: "{mastodon}", handle: "@goteo", locale: en,
                token_env: GOTEO_TEST_MASTODON_TOKEN}}
  bluesky-es: {{provider: bluesky, server: "{bluesky}", handle: goteo.test, locale: es,
               password_env: GOTEO_TEST_BLUESKY_PASSWORD}}
  memory-pl: {{provider: memory, locale: pl}}
  archive-uk: {{provider: folder, path: social-archive, locale: uk}}
posts:
  - id: launch
    accounts: [{accounts}]
    at: 2030-03-02 10:00
    text:
      en: We are live!
      es: ¡Ya estamos en marcha!
      pl: Startujemy! Zażółć gęślą jaźń.
      uk: Ми почали!
    link: https://goteo.example/launch
    media:
      - file: media/poster.png
        alt: {{en: The launch poster, es: El cartel, pl: Plakat, uk: Плакат}}
  - id: tip
    account: memory-pl
    every: 1w
    start: 2030-03-03 09:00
    count: 2
    text: Porada tygodnia
"""


@pytest.fixture
def mastodon() -> Iterator[FakeMastodon]:
    server = FakeMastodon()
    yield server
    server.stop()


@pytest.fixture
def bluesky() -> Iterator[FakeAtproto]:
    server = FakeAtproto()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOTEO_TEST_MASTODON_TOKEN", "mastodon-token")
    monkeypatch.setenv("GOTEO_TEST_BLUESKY_PASSWORD", "app-password")
    memory.clear()


def write_calendar(
    folder: Path,
    mastodon: FakeMastodon | None = None,
    bluesky: FakeAtproto | None = None,
    accounts: str = "memory-pl, archive-uk",
) -> Path:
    (folder / "media").mkdir(exist_ok=True)
    (folder / "media" / "poster.png").write_bytes(PNG)
    path = folder / "calendar.yaml"
    text = CALENDAR.format(
        mastodon=mastodon.url if mastodon else "https://m.example",
        bluesky=bluesky.url if bluesky else "https://b.example",
        accounts=accounts,
    )
    path.write_text(text, "utf-8")
    return path


def apply(path: Path, now: datetime = NOW) -> object:
    return do_apply_calendar(path.read_text("utf-8"), path.parent, now)


def test_applying_stores_versions_and_schedules_each_publication_once(tmp_path: Path) -> None:
    path = write_calendar(tmp_path)
    first = apply(path)
    assert (first.outcome, first.version.number, first.scheduled) == ("created", 1, 4)  # type: ignore[attr-defined]
    assert apply(path).outcome == "unchanged"  # type: ignore[attr-defined]
    path.write_text(path.read_text().replace("count: 2", "count: 1"), "utf-8")
    second = apply(path)
    assert (second.outcome, second.version.number, second.cancelled) == ("new version", 2, 1)  # type: ignore[attr-defined]
    keys = set(
        ScheduledPost.objects.filter(status=PostStatus.SCHEDULED).values_list("key", flat=True)
    )
    assert keys == {
        "spring:launch:memory-pl:20300302T0900Z",
        "spring:launch:archive-uk:20300302T0900Z",
        "spring:tip:memory-pl:20300303T0800Z",
    }
    # A new version rewrites what has not been published yet.
    path.write_text(path.read_text().replace("Startujemy!", "Już jesteśmy!"), "utf-8")
    assert apply(path).outcome == "new version"  # type: ignore[attr-defined]
    launch = ScheduledPost.objects.get(key="spring:launch:memory-pl:20300302T0900Z")
    assert launch.version is not None
    assert (launch.version.number, launch.payload["text"].split(" ")[:2]) == (
        3,
        ["Już", "jesteśmy!"],
    )
    # Applied after their time, posts are skipped, not published late.
    path.write_text(path.read_text().replace("Porada tygodnia", "Porada"), "utf-8")
    late = apply(path, now=datetime(2030, 3, 2, 12, tzinfo=UTC))
    assert (late.scheduled, late.skipped) == (1, 2)  # type: ignore[attr-defined]


def test_a_missing_media_file_refuses_the_calendar_with_its_line(tmp_path: Path) -> None:
    path = write_calendar(tmp_path)
    (tmp_path / "media" / "poster.png").unlink()
    with pytest.raises(CampaignInvalid) as info:
        apply(path)
    [problem] = info.value.problems
    assert (problem.line, problem.path) == (22, "posts[0].media[0].file")
    assert not ScheduledPost.objects.exists()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


def test_the_worker_publishes_due_posts_to_memory_and_folder_once(
    tmp_path: Path, worker: Worker, clock: ManualClock
) -> None:
    apply(write_calendar(tmp_path))
    worker.run_until_idle()
    assert not memory.posts  # not due yet
    clock.advance(DUE - NOW)
    worker.run_until_idle()
    worker.run_until_idle()
    assert [p.text for p in memory.posts.values()] == [
        "Startujemy! Zażółć gęślą jaźń.\n\nhttps://goteo.example/launch"
    ]
    assert [m.alt for m in next(iter(memory.posts.values())).media] == ["Plakat"]
    written = json.loads(
        (
            Path(settings.DATA_DIR)
            / "social-archive"
            / "spring_launch_archive-uk_20300302T0900Z.json"
        ).read_text("utf-8")
    )
    assert (written["text"].split("\n")[0], written["media"][0]["alt"]) == ("Ми почали!", "Плакат")
    assert PublishedPost.objects.count() == 2
    assert ScheduledPost.objects.filter(status=PostStatus.PUBLISHED).count() == 2


def published(key_part: str) -> PublishedPost:
    return PublishedPost.objects.select_related("scheduled").get(scheduled__key__contains=key_part)


def test_mastodon_gets_media_with_alt_text_and_a_status_with_an_idempotency_key(
    tmp_path: Path, mastodon: FakeMastodon
) -> None:
    apply(write_calendar(tmp_path, mastodon=mastodon, accounts="mastodon-en"))
    assert publish_due_posts("w1", DUE) == 1
    assert mastodon.problems == []
    assert [(m["description"], m["bytes"]) for m in mastodon.media] == [
        ("The launch poster", len(PNG))
    ]
    [status] = mastodon.statuses.values()
    assert status["content"] == "We are live!\n\nhttps://goteo.example/launch"
    assert status["language"] == "en"
    [key] = mastodon.statuses
    assert key == "goteo-spring:launch:mastodon-en:20300302T0900Z"
    post = published("mastodon-en")
    assert (post.provider_id, post.url) == (status["id"], status["url"])


def crash_after_publishing(owner: str) -> None:
    """Claim and publish, then die before recording: the lease runs out, nothing is recorded."""
    [post_id] = claim_posts(owner, DUE, 10, lease_seconds=0)
    row = ScheduledPost.objects.get(id=post_id)
    assert row.status == PostStatus.PUBLISHING  # the mark is committed before the call
    publish(row)
    time.sleep(0.01)


def test_mastodon_a_crash_between_publishing_and_recording_does_not_post_twice(
    tmp_path: Path, mastodon: FakeMastodon
) -> None:
    apply(write_calendar(tmp_path, mastodon=mastodon, accounts="mastodon-en"))
    crash_after_publishing("dead-worker")
    assert publish_due_posts("w2", DUE) == 1
    statuses = [r for r in mastodon.requests if r.path == "/api/v1/statuses"]
    assert len(statuses) == 2  # the second attempt reached the server with the same key
    assert {r.headers["Idempotency-Key"] for r in statuses} == {
        "goteo-spring:launch:mastodon-en:20300302T0900Z"
    }
    assert len(mastodon.statuses) == 1
    assert published("mastodon-en").provider_id == next(iter(mastodon.statuses.values()))["id"]


def test_bluesky_gets_a_post_record_with_a_deterministic_key_images_and_a_link(
    tmp_path: Path, bluesky: FakeAtproto
) -> None:
    apply(write_calendar(tmp_path, bluesky=bluesky, accounts="bluesky-es"))
    assert publish_due_posts("w1", DUE) == 1
    assert bluesky.problems == []
    key = "spring:launch:bluesky-es:20300302T0900Z"
    [(rkey, record)] = bluesky.records.items()
    assert rkey == tid(key, DUE)
    assert record["text"] == "¡Ya estamos en marcha!\n\nhttps://goteo.example/launch"
    assert record["langs"] == ["es"]
    assert [i["alt"] for i in record["embed"]["images"]] == ["El cartel"]
    [facet] = record["facets"]
    start = len("¡Ya estamos en marcha!\n\n".encode())
    assert facet["index"] | {"$type": ""} == {
        "$type": "",
        "byteStart": start,
        "byteEnd": start + len("https://goteo.example/launch"),
    }
    assert bluesky.blobs == [PNG]
    post = published("bluesky-es")
    assert post.provider_id == f"at://{DID}/app.bsky.feed.post/{rkey}"
    assert post.url == f"https://bsky.app/profile/goteo.test/post/{rkey}"


def test_bluesky_a_crash_between_publishing_and_recording_does_not_post_twice(
    tmp_path: Path, bluesky: FakeAtproto
) -> None:
    apply(write_calendar(tmp_path, bluesky=bluesky, accounts="bluesky-es"))
    crash_after_publishing("dead-worker")
    assert publish_due_posts("w2", DUE) == 1
    assert (bluesky.creates, len(bluesky.records)) == (1, 1)  # looked up, not created again
    assert any("getRecord" in r.path for r in bluesky.requests)
    assert published("bluesky-es").provider_id.endswith(
        tid("spring:launch:bluesky-es:20300302T0900Z", DUE)
    )


@pytest.mark.parametrize("malformed", ["status", "media"])
def test_a_provider_answer_goteo_cannot_read_is_retried_and_the_worker_goes_on(
    malformed: str, tmp_path: Path, mastodon: FakeMastodon
) -> None:
    mastodon.malformed = malformed
    apply(write_calendar(tmp_path, mastodon=mastodon, accounts="mastodon-en, memory-pl"))
    assert publish_due_posts("w1", DUE) == 2
    row = ScheduledPost.objects.get(account="mastodon-en")
    assert (row.status, row.attempts) == (PostStatus.PUBLISHING, 1)
    assert row.last_error and row.next_attempt_at > DUE
    assert ScheduledPost.objects.get(account="memory-pl", post_id="launch").status == "published"


@pytest.mark.parametrize("provider", ["mastodon", "bluesky"])
def test_a_refused_credential_is_retried_until_the_operator_fixes_it(
    provider: str,
    tmp_path: Path,
    mastodon: FakeMastodon,
    bluesky: FakeAtproto,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = {"mastodon": "mastodon-en", "bluesky": "bluesky-es"}[provider]
    variable = {"mastodon": "GOTEO_TEST_MASTODON_TOKEN", "bluesky": "GOTEO_TEST_BLUESKY_PASSWORD"}
    right = os.environ[variable[provider]]
    monkeypatch.setenv(variable[provider], "wrong")
    apply(write_calendar(tmp_path, mastodon=mastodon, bluesky=bluesky, accounts=account))
    publish_due_posts("w1", DUE)
    row = ScheduledPost.objects.get(account=account)
    assert (row.status, row.attempts) == (PostStatus.PUBLISHING, 1)
    assert "refused" in row.last_error and row.next_attempt_at > DUE
    assert (mastodon.statuses, bluesky.records) == ({}, {})
    monkeypatch.setenv(variable[provider], right)
    publish_due_posts("w1", row.next_attempt_at)
    assert ScheduledPost.objects.get(account=account).status == PostStatus.PUBLISHED
    assert len(mastodon.statuses) + len(bluesky.records) == 1


def test_the_atom_feed_lists_the_published_posts(tmp_path: Path, mastodon: FakeMastodon) -> None:
    apply(write_calendar(tmp_path, mastodon=mastodon, accounts="mastodon-en, memory-pl"))
    publish_due_posts("w1", DUE)
    publish_due_posts("w1", DUE + timedelta(days=1))
    response = Client().get("/feeds/spring.atom")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml"
    assert "Set-Cookie" not in response and not response.cookies
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.fromstring(response.content)
    entries = feed.findall("a:entry", ns)
    ids = [e.findtext("a:id", namespaces=ns) for e in entries]
    assert ids[0] == "memory:spring:tip:memory-pl:20300303T0800Z"  # newest first
    assert set(ids[1:]) == {mastodon.statuses[k]["url"] for k in mastodon.statuses} | {
        "memory:spring:launch:memory-pl:20300302T0900Z"
    }
    assert all(e.findtext("a:updated", namespaces=ns) for e in entries)
    assert feed.findtext("a:updated", namespaces=ns) == entries[0].findtext(
        "a:updated", namespaces=ns
    )
    assert Client().get("/feeds/nothing.atom").status_code == 404


def test_the_cli_validates_applies_and_lists_calendars(tmp_path: Path) -> None:
    path = write_calendar(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["social", "validate", str(path)])
    assert result.exit_code == 0 and "valid (spring, 2 posts, 4 publications)" in result.output
    result = runner.invoke(main, ["social", "apply", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["scheduled"] == 4
    result = runner.invoke(main, ["social", "list", "--json"])
    [row] = json.loads(result.output)
    assert (row["key"], row["version"], row["scheduled"]) == ("spring", 1, 4)
    path.write_text(path.read_text().replace("alt: {en", "alternative: {en"), "utf-8")
    result = runner.invoke(main, ["social", "validate", str(path)])
    assert result.exit_code == 1
    assert "line 22: posts[0].media[0].alt: is required" in result.output


def test_a_worker_back_after_a_stop_posts_a_recurring_post_once_not_each_missed_occurrence(
    tmp_path: Path,
) -> None:
    path = write_calendar(tmp_path, accounts="memory-pl")
    path.write_text(path.read_text().replace("count: 2", "count: 4"), "utf-8")
    apply(path)
    # Back after three weeks: the launch and the weekly tip's first three occurrences are due.
    back = datetime(2030, 3, 17, 10, tzinfo=UTC)
    assert publish_due_posts("w1", back) == 2
    assert sorted(p.text.split("\n")[0] for p in memory.posts.values()) == [
        "Porada tygodnia",
        "Startujemy! Zażółć gęślą jaźń.",
    ]
    tips = dict(
        ScheduledPost.objects.filter(post_id="tip").values_list("key", "status").order_by("key")
    )
    assert tips == {
        "spring:tip:memory-pl:20300303T0800Z": "missed",
        "spring:tip:memory-pl:20300310T0800Z": "missed",
        "spring:tip:memory-pl:20300317T0800Z": "published",
        "spring:tip:memory-pl:20300324T0800Z": "scheduled",
    }
    # An occurrence already attempted (it may be on the provider) is finished, never missed.
    ScheduledPost.objects.filter(key="spring:tip:memory-pl:20300324T0800Z").update(
        status=PostStatus.PUBLISHING, attempts=1
    )
    assert publish_due_posts("w1", datetime(2030, 4, 30, tzinfo=UTC)) == 1
    assert ScheduledPost.objects.filter(status=PostStatus.PUBLISHED).count() == 3
    rows = CliRunner().invoke(main, ["social", "list", "--json"]).output
    assert json.loads(rows)[0]["missed"] == 2
