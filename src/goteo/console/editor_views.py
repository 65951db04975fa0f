"""The campaign editor: the document as YAML, forms that add, move and remove steps, live
validation (the parser ``goteo campaign validate`` runs, with its messages and lines), a test
send of the text on screen, and saving as a new version through the action ``goteo campaign
apply`` uses."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from goteo.actions.campaigns import do_apply_campaign
from goteo.campaigns.models import Campaign
from goteo.campaigns.version_changes import in_flight_against
from goteo.campaigns.versions import check_document
from goteo.console.access import edit, page
from goteo.console.rendering import show
from goteo.console.step_edits import (
    KINDS,
    EditRefused,
    add_step,
    move_step,
    remove_step,
    step_summaries,
)
from goteo.console.test_send_form import test_form
from goteo.engine.problems import CampaignInvalid, Problem

STARTER = """\
key: new-campaign
name: New campaign
trigger: {subscribed: newsletter}
steps:
  - id: hello
    send: email
    template: hello
templates:
  hello:
    en:
      subject: "Hello, {{ contact.first_name | default: 'there' }}"
      html: "<p>Hello.</p><p><a href='{{ unsubscribe_url }}'>Unsubscribe</a></p>"
"""
SOURCE_MAX = 1_000_000  # characters: far past any campaign, short of a denial of service


def checked(source: str, editing: str) -> dict[str, Any]:
    """What the parser says of the document (problems and warnings, each with its line), and
    whether its key fits the page: the campaign being edited, or a new one."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    definition = None
    if len(source) > SOURCE_MAX:
        problems = [Problem(None, "", f"the document is longer than {SOURCE_MAX} characters")]
    else:
        try:
            definition, warnings = check_document(source)
        except CampaignInvalid as exc:
            problems, warnings = exc.problems, exc.warnings
    if definition is not None:
        key = definition.key
        if editing and key != editing:
            message = f"this page edits {editing!r}: a new key makes a new campaign"
            problems = [Problem(None, "key", f"{key!r}: {message}")]
        elif not editing and Campaign.objects.filter(key=key).exists():
            problems = [Problem(None, "key", f"{key!r} already exists: edit it on its page")]
    result: dict[str, Any] = {"problems": problems, "warnings": warnings, "definition": definition}
    if editing and definition is not None and not problems:
        result["in_flight"] = in_flight_against(Campaign.objects.get(key=editing), definition)
    return result


def _editing(key: str | None) -> tuple[str, str]:
    """The key edited ("" for a new campaign) and its current document."""
    if key is None:
        return "", STARTER
    row = Campaign.objects.select_related("current_version").filter(key=key).first()
    if row is None or row.current_version is None:
        raise Http404(key)
    return key, row.current_version.source


def _context(editing: str, source: str) -> dict[str, Any]:
    return {
        "editing": editing,
        "source": source,
        "summaries": step_summaries(source),
        "kinds": KINDS,
        "check": checked(source, editing),
    }


def _editor(
    request: HttpRequest, editing: str, source: str, status: int = 200, **extra: Any
) -> HttpResponse:
    context = _context(editing, source) | extra
    return show(request, "console/editor.html", context, section="campaigns", status=status)


def editor_page(
    request: HttpRequest,
    key: str,
    source: str,
    status: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    tested: int = 0,
) -> HttpResponse:
    """The editor of ``key`` showing ``source`` (unsaved), with the test-send form's values,
    its errors, or how many test messages it queued."""
    context = _context(key, source)
    row = Campaign.objects.get(key=key)
    test = test_form(row, context["check"]["definition"], values, errors)
    return _editor(request, key, source, status, test=test, tested=tested)


@page
def new_campaign(request: HttpRequest) -> HttpResponse:
    return _editor(request, "", STARTER)


@page
def edit_campaign(request: HttpRequest, key: str) -> HttpResponse:
    editing, source = _editing(key)
    return editor_page(request, editing, source)


def _posted(request: HttpRequest) -> tuple[str, str]:
    editing = request.POST.get("campaign", "")
    if editing:
        _editing(editing)  # 404 for a campaign that does not exist
    return editing, request.POST.get("source", "").replace("\r\n", "\n")


@edit
def check(request: HttpRequest) -> HttpResponse:
    """The live validation panel (htmx, as the document is typed)."""
    editing, source = _posted(request)
    context = {"check": checked(source, editing), "editing": editing}
    return render(request, "console/editor_check.html", context)


@edit
def edit_steps(request: HttpRequest) -> HttpResponse:
    """Add, move or remove a step (htmx): the editor's document and step forms, rewritten."""
    editing, source = _posted(request)
    fields = {k: str(v) for k, v in request.POST.items()}
    operation = fields.get("op", "")
    try:
        if operation == "add":
            source = add_step(source, fields)
        elif operation in ("up", "down"):
            source = move_step(source, fields.get("step", ""), operation)
        elif operation == "remove":
            source = remove_step(source, fields.get("step", ""))
        else:
            raise EditRefused(f"op: {operation!r}: use add, up, down or remove")
    except EditRefused as exc:
        return _body(request, editing, source, str(exc))
    return _body(request, editing, source, "")


def _body(request: HttpRequest, editing: str, source: str, refused: str) -> HttpResponse:
    context = _context(editing, source) | {"refused": refused, "may_edit": True}  # @edit
    return render(request, "console/editor_body.html", context)


@edit
def save(request: HttpRequest) -> HttpResponse:
    """A new version through ``do_apply_campaign``; a document with any problem is refused
    whole, every problem named, and given back as it was."""
    editing, source = _posted(request)
    result = checked(source, editing)
    if result["problems"]:
        return _editor(request, editing, source, status=400, refused=True)
    applied = do_apply_campaign(source)
    return HttpResponseRedirect(reverse("console:campaign", args=[applied.campaign.key]))
