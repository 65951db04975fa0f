"""Judge the values a campaign's templates print without a default, once its steps are known.

A template that prints ``{{ contact.first_name }}`` with no ``default`` and outside an
``{% if %}`` on it prints nothing for a contact who has no first name: a **warning**, naming
the line and the default to add. A campaign with ``strict: true`` refuses it instead (and a
message that would print a missing value is not sent). Some values are **certainly** missing,
whatever the contact: ``coupon.*`` in a step without ``coupon:``, and ``event.*`` in a campaign
whose trigger is not an event. Those are refused in every campaign.

Pure: the template checker (``goteo.content.checks.printed_values``) finds the values; this
module knows what each step and trigger supplies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from goteo.engine.model import NotifyStep, SendStep, Step, TouchStep, Trigger

Found = list[tuple[str, int, str]]  # (document path, line of the template, message)


@dataclass(frozen=True)
class Printed:
    """A value a template prints bare: ``name`` (``contact.attributes.plan``), its line in the
    template, and the output as written (``contact.attributes.plan | upcase``)."""

    name: str
    line: int
    expression: str

    @property
    def root(self) -> str:
        return self.name.partition(".")[0]

    @property
    def where(self) -> str:
        return f"line {self.line} of the template"

    def with_default(self) -> str:
        """The output rewritten with a default right after the value."""
        rest = self.expression.strip()[len(self.name) :]
        return f'{{{{ {self.name} | default: "…"{rest.rstrip()} }}}}'


@dataclass(frozen=True)
class PrintedIn:
    """A bare value found in one field of one template variant."""

    template: str  # the template's name
    path: str  # templates.<name>.<locale>.<field>
    value: Printed


def judge_printed(
    found: Iterable[PrintedIn], steps: Sequence[Step], trigger: Trigger, *, strict: bool
) -> tuple[Found, Found]:
    """(problems, warnings) for every bare value the templates print."""
    problems: Found = []
    warnings: Found = []
    users = _users(steps)
    for item in found:
        value = item.value
        if value.root == "coupon":
            found_here = _coupon(value, users.get(item.template, ()))
            problems.extend((item.path, value.line, m) for m in found_here)
        elif value.root == "event" and trigger.kind != "event":
            problems.append((item.path, value.line, _no_event(value)))
        elif value.name != "event.name":
            entry = (item.path, value.line, _may_be_missing(value, strict))
            (problems if strict else warnings).append(entry)
    return problems, warnings


def _users(steps: Sequence[Step]) -> dict[str, list[Step]]:
    """Template name -> the steps that send it."""
    users: dict[str, list[Step]] = {}
    for step in steps:
        if isinstance(step, SendStep | NotifyStep):
            users.setdefault(step.template, []).append(step)
        elif isinstance(step, TouchStep):
            for name in {n for names in step.templates.values() for n in names}:
                users.setdefault(name, []).append(step)
    return users


def _coupon(value: Printed, users: Iterable[Step]) -> list[str]:
    return [
        f"{value.name} is printed ({value.where}), but step {step.id!r} "
        + (
            "has no coupon: add one to the step, like coupon: {percent_off: 10}, or print it "
            "inside {% if coupon %}"
            if isinstance(step, SendStep)
            else "is a notification, which has no coupon"
            if isinstance(step, NotifyStep)
            else "is a paced touch step, which has no coupon"
        )
        for step in users
        if not (isinstance(step, SendStep) and step.coupon is not None)
    ]


def _no_event(value: Printed) -> str:
    return (
        f"{value.name} is printed ({value.where}), but this campaign's trigger is not an "
        "event, so its journeys have none: only {event: <name>} triggers give templates the "
        "event (the event a wait_for waits for is not one of them)"
    )


def _may_be_missing(value: Printed, strict: bool) -> str:
    what = f"{value.name} is missing for some contacts"
    if value.root == "event":
        what = f"{value.name} is missing from some events"
    outcome = (
        "this campaign is strict, so their message would not be sent"
        if strict
        else "it prints as nothing for them"
    )
    return (
        f"{what}, and {outcome} ({value.where}): write {value.with_default()} "
        f"or put it inside {{% if {value.name} %}}"
    )
