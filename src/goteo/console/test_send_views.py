"""Test send from the web app: the campaign page sends the active version's email messages,
the editor the unsaved text on screen, both through ``do_test_send`` (as ``goteo campaign
test-send``). Editors and admins only; each send is audited."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from goteo.actions.errors import ActionError
from goteo.actions.test_sends import do_test_send
from goteo.campaigns import journey_clock
from goteo.campaigns.models import Campaign
from goteo.campaigns.versions import campaign_for_version
from goteo.console.access import edit
from goteo.console.campaign_views import campaign_page
from goteo.console.editor_views import editor_page
from goteo.console.test_send_form import posted, test_form


def _campaign(key: str) -> Campaign:
    row = Campaign.objects.select_related("current_version").filter(key=key).first()
    if row is None or row.current_version is None:
        raise Http404(key)
    return row


@edit
def test_send(request: HttpRequest, key: str) -> HttpResponse:
    """The active version's messages; back to the campaign page, or the form with its
    errors (400)."""
    row = _campaign(key)
    values = posted(request)
    try:
        sent = do_test_send(key, values["seeds"], journey_clock.now(), **_options(values))
    except ActionError as exc:
        version = row.current_version
        assert version is not None
        definition = campaign_for_version(version.id, version.checksum)
        form = test_form(row, definition, values, exc.fields or {"seeds": exc.message})
        return campaign_page(request, key, {"test": form}, status=400)
    query = urlencode({"tested": len(sent.seeds) * len(sent.steps)})
    return HttpResponseRedirect(f"{reverse('console:campaign', args=[key])}?{query}#test-send")


@edit
def test_send_draft(request: HttpRequest, key: str) -> HttpResponse:
    """The editor's text as it is on screen, unsaved; the editor again, with the outcome."""
    _campaign(key)
    source = request.POST.get("source", "").replace("\r\n", "\n")
    values = posted(request)
    try:
        sent = do_test_send(
            key, values["seeds"], journey_clock.now(), source=source, **_options(values)
        )
    except ActionError as exc:
        errors = exc.fields or {"seeds": exc.message}
        return editor_page(request, key, source, status=400, values=values, errors=errors)
    tested = len(sent.seeds) * len(sent.steps)
    return editor_page(request, key, source, values=values, tested=tested)


def _options(values: dict[str, str]) -> dict[str, str]:
    return {"step": values["step"], "sample": values["sample"], "locale": values["locale"]}
