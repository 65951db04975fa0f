"""The editor's step forms rewrite the document: steps added, moved and removed, everything
else (templates, the trigger, multi-line HTML) kept as it was, and the result still parses."""

from __future__ import annotations

import pytest
import yaml

from goteo.console.step_edits import EditRefused, add_step, move_step, remove_step
from goteo.engine.parser import parse_campaign

DOC = """\
# a comment, which the rewrite does not keep
key: edits
name: Edits
trigger: {subscribed: news}
steps:
  - id: hello
    send: email
    template: hello
templates:
  hello:
    en:
      subject: Hello
      html: |
        <p>Hello.</p>
        <p>Two lines.</p>
"""


def test_steps_are_added_moved_and_removed_and_the_rest_survives() -> None:
    doc = add_step(DOC, {"kind": "wait", "value": "2d", "id": "pause"})
    doc = add_step(doc, {"kind": "branch", "condition": "{attributes.plan: pro}", "then": "bye"})
    doc = add_step(doc, {"kind": "email", "value": "hello", "id": "again"})
    doc = add_step(doc, {"kind": "exit", "value": "done", "id": "bye"})
    doc = add_step(doc, {"kind": "wait_for", "event": "purchase", "value": "5d", "position": "1"})
    data = yaml.safe_load(doc)
    assert list(data) == ["key", "name", "trigger", "steps", "templates"]  # order kept
    assert data["steps"] == [
        {"id": "hello", "send": "email", "template": "hello"},
        {"wait_for": {"event": "purchase", "timeout": "5d"}},
        {"id": "pause", "wait": "2d"},
        {"branch": {"attributes.plan": "pro"}, "then": "bye"},
        {"id": "again", "send": "email", "template": "hello"},
        {"id": "bye", "exit": "done"},
    ]
    assert "html: |\n        <p>Hello.</p>\n        <p>Two lines.</p>\n" in doc  # still a block
    assert len(parse_campaign(doc).steps) == 6
    moved = yaml.safe_load(move_step(doc, "2", "up"))["steps"]
    assert [s.get("id") for s in moved[:3]] == ["hello", "pause", None]
    left = yaml.safe_load(remove_step(doc, "1"))["steps"]
    assert "wait_for" not in str(left) and len(left) == 5


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda: move_step(DOC, "0", "up"), "step: step 1 cannot move up"),
        (lambda: remove_step(DOC, "4"), "step: there is no step 5"),
        (lambda: remove_step(DOC, "x"), "step: 'x' is not a step number"),
        (lambda: add_step(DOC, {"kind": "teleport"}), "kind: 'teleport': use email, sms"),
        (lambda: add_step(DOC, {"kind": "branch"}), "condition: a branch needs a condition"),
        (lambda: add_step("key: [", {"kind": "wait"}), "line 1: not valid YAML"),
        (lambda: add_step("steps: 3", {"kind": "wait"}), "steps: must be a list"),
    ],
)
def test_an_edit_that_cannot_be_made_is_refused_naming_the_field(edit, message) -> None:
    with pytest.raises(EditRefused, match="^" + message.replace("[", r"\[")):
        edit()
