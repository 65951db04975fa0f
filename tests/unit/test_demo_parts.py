"""The demo's parts that need no database: its calendar moved to the present, the phone
numbers the outbox masks, and the texts an SMS folder keeps."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from goteo.channels.sms.doubles import FolderSms
from goteo.channels.sms.message import OutgoingSms
from goteo.cli.demo_data import moved_calendar
from goteo.contacts.phones import masked_phone
from goteo.engine.social_model import occurrences
from goteo.engine.social_parser import parse_calendar


def test_the_demo_calendar_moves_to_the_present_keeping_its_rhythm() -> None:
    source = resources.files("goteo.demo").joinpath("social-calendar.yaml").read_text("utf-8")
    before = occurrences(parse_calendar(source))
    first = datetime(2031, 7, 14, 18, 5, tzinfo=UTC)
    after = occurrences(parse_calendar(moved_calendar(source, first)))
    assert len(after) == len(before) > 6
    assert after[0].due_at == first
    shift = first - before[0].due_at
    assert [o.due_at - shift for o in after] == [o.due_at for o in before]
    assert {o.account.locale for o in after} == {"en", "es", "it", "pl", "fr", "ru"}
    assert [o.text for o in after] == [o.text for o in before]


def test_a_masked_number_keeps_its_country_and_last_two_digits() -> None:
    assert masked_phone("+34612345105") == "+34 ••••••• 05"
    assert masked_phone("+12125550101") == "+1 •••••••• 01"
    assert masked_phone("not a number") == "••••••••••er"


def test_an_sms_folder_lists_its_texts_newest_first(tmp_path: Path) -> None:
    folder = FolderSms(tmp_path)
    for delivery in (9, 11, 10):
        folder.send(OutgoingSms(delivery, "+48512345113", f"text {delivery} <b>", 1))
    (tmp_path / "goteo-sms-12.json").write_text("{not json", "utf-8")  # not one of ours
    (tmp_path / "notes.json").write_text("{}", "utf-8")
    kept = folder.kept(2)
    assert [(s.delivery_id, s.body) for s in kept] == [(11, "text 11 <b>"), (10, "text 10 <b>")]
    assert FolderSms(tmp_path / "none").kept(5) == []
