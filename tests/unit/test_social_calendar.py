"""The content calendar format: parsing, schedules and refusals by path and line."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta

import pytest

from goteo.campaigns.delivery_kinds import AUDIENCE
from goteo.channels.registry import OfferedChannels, missing
from goteo.channels.social import MAX_LENGTH
from goteo.channels.social.record_keys import tid
from goteo.engine.pacing import Cap, Pacing
from goteo.engine.parser import parse_campaign
from goteo.engine.problems import CampaignInvalid
from goteo.engine.social_model import occurrences
from goteo.engine.social_parser import parse_calendar
from goteo.worker.gate import Facts, Hold, Send, decide

CALENDAR = textwrap.dedent(
    """\
    key: spring
    name: Spring launch
    timezone: Europe/Madrid
    accounts:
      mastodon-en: {provider: mastodon, server: "https://m.example", handle: "@goteo",
                    locale: en, token_env: GOTEO_MASTODON_EN}
      bluesky-es: {provider: bluesky, server: "https://b.example", handle: goteo.example,
                   locale: es, password_env: GOTEO_BLUESKY_ES}
      archive-pl: {provider: folder, path: posts, locale: pl}
    posts:
      - id: launch
        accounts: [mastodon-en, bluesky-es, archive-pl]
        at: 2026-03-02 10:00
        text:
          en: We are live!
          es: ¡Ya estamos en marcha!
          pl: Startujemy!
        link: https://goteo.example/launch
        media:
          - file: launch.png
            alt: {en: The launch poster, es: El cartel, pl: Plakat}
      - id: tip
        account: mastodon-en
        every: 1w
        start: 2026-03-20 09:00
        count: 3
        text: Tip of the week
    """
)


def problems(text: str) -> set[tuple[int | None, str]]:
    with pytest.raises(CampaignInvalid) as info:
        parse_calendar(text, MAX_LENGTH)
    return {(p.line, p.path) for p in info.value.problems}


def test_a_calendar_in_three_languages_expands_to_one_publication_per_account_and_time() -> None:
    calendar = parse_calendar(CALENDAR, MAX_LENGTH)
    found = occurrences(calendar)
    assert [(o.account.name, o.text) for o in found[:3]] == [
        ("archive-pl", "Startujemy!"),
        ("bluesky-es", "¡Ya estamos en marcha!"),
        ("mastodon-en", "We are live!"),
    ]
    assert found[0].due_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert found[0].alt(found[0].post.media[0]) == "Plakat"
    assert found[0].key == "spring:launch:archive-pl:20260302T0900Z"
    # Weekly at 09:00 Madrid time, across the change to summer time on 29 March.
    assert [o.due_at.hour for o in found[3:]] == [8, 8, 7]
    assert len({o.key for o in found}) == len(found) == 6


def test_until_ends_a_recurring_post() -> None:
    text = CALENDAR.replace("count: 3", "until: 2026-04-01 00:00")
    assert len(occurrences(parse_calendar(text, MAX_LENGTH))) == 3 + 2


def test_media_without_alt_text_is_refused_with_its_line() -> None:
    text = CALENDAR.replace("        alt: {en: The launch poster, es: El cartel, pl: Plakat}\n", "")
    assert problems(text) == {(20, "posts[0].media[0].alt")}


def test_alt_text_and_text_are_needed_for_every_account_locale() -> None:
    text = CALENDAR.replace(", pl: Plakat", "").replace("      pl: Startujemy!\n", "")
    assert problems(text) == {(14, "posts[0].text"), (20, "posts[0].media[0].alt")}


def test_credentials_are_named_never_written_and_accounts_must_be_declared() -> None:
    text = CALENDAR.replace("token_env: GOTEO_MASTODON_EN", "token_env: s3cr3t-token").replace(
        "account: mastodon-en", "account: nobody"
    )
    assert problems(text) == {(6, "accounts.mastodon-en.token_env"), (23, "posts[1].account")}


def test_schedule_problems_are_named() -> None:
    text = CALENDAR.replace("count: 3", "").replace("at: 2026-03-02 10:00", "at: next monday")
    assert problems(text) == {(13, "posts[0].at"), (22, "posts[1]")}


def test_a_post_longer_than_the_provider_allows_is_refused() -> None:
    text = CALENDAR.replace("¡Ya estamos en marcha!", "x" * 290)
    assert problems(text) == {(16, "posts[0].text.es")}  # 290 + the link > Bluesky's 300


def test_record_keys_are_stable_tids_and_differ_between_posts() -> None:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert tid("a", at) == tid("a", at)
    assert tid("a", at) != tid("b", at)
    assert len(tid("a", at)) == 13 and tid("a", at)[0] in "234567abcdefghij"


SOCIAL_STEP = textwrap.dedent(
    """\
    key: milestones
    trigger: {event: purchase}
    steps:
      - send: social
        account: mastodon-en
        template: milestone
    templates:
      milestone:
        en: {text: "Another happy customer this week!"}
    """
)
BOTH = OfferedChannels({"email": frozenset(), "social": frozenset()})
EMAIL_ONLY = OfferedChannels({"email": frozenset()})


def test_a_campaign_step_can_post_from_an_account_with_a_text_template() -> None:
    campaign = parse_campaign(SOCIAL_STEP, check_channel=BOTH)
    step = campaign.steps[0]
    assert (step.channel, step.account, step.template) == ("social", "mastodon-en", "milestone")  # type: ignore[union-attr]


def test_a_social_template_cannot_use_contact_fields() -> None:
    text = SOCIAL_STEP.replace("this week!", "{{ contact.first_name }}!")
    with pytest.raises(CampaignInvalid) as info:
        parse_campaign(text, check_channel=BOTH)
    [problem] = info.value.problems
    assert (problem.line, problem.path) == (9, "templates.milestone.en.text")
    assert "contact.first_name" in problem.message


def test_social_steps_are_refused_where_the_configuration_has_no_social_channel() -> None:
    with pytest.raises(CampaignInvalid) as info:
        parse_campaign(SOCIAL_STEP, check_channel=EMAIL_ONLY)
    assert [(p.line, p.path, p.message) for p in info.value.problems] == [
        (4, "steps[0].send", "social: " + missing("social"))
    ]


def test_a_social_step_needs_an_account_and_an_email_step_a_full_template() -> None:
    text = SOCIAL_STEP.replace("    account: mastodon-en\n", "").replace(
        "  - send: social\n", "  - send: email\n    template: milestone\n  - send: social\n"
    )
    with pytest.raises(CampaignInvalid) as info:
        parse_campaign(text, check_channel=BOTH)
    assert {(p.line, p.path) for p in info.value.problems} == {
        (10, "templates.milestone.en"),  # a text-only template, sent as an email
        (6, "steps[1].account"),
    }


def test_a_step_naming_an_account_no_calendar_declares_is_refused_at_its_line() -> None:
    declared = OfferedChannels(
        {"email": frozenset(), "social": frozenset()}, {"social": frozenset({"bluesky-es"})}
    )
    with pytest.raises(CampaignInvalid) as info:
        parse_campaign(SOCIAL_STEP, check_channel=declared)
    [problem] = info.value.problems
    assert (problem.line, problem.path, problem.message) == (
        5,
        "steps[0].account",
        "social: no account 'mastodon-en' is declared (declared: bluesky-es)",
    )
    # Accounts not known (validate without a database): the step is accepted.
    assert parse_campaign(SOCIAL_STEP, check_channel=BOTH).steps[0].id == "step-1"


def test_a_post_is_an_audience_message_no_personal_consent_but_a_pause_holds_it() -> None:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    unsubscribed = Facts("unsubscribed", now + timedelta(days=1), "active", "unsubscribed")
    assert decide(AUDIENCE, unsubscribed, now, Pacing(cap=Cap(1, timedelta(days=1)))) == Send()
    assert decide("marketing", unsubscribed, now) != Send()
    assert decide(AUDIENCE, Facts("active", None, "paused", None), now) == Hold()
