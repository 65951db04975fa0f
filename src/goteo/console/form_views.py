"""Forms: the list, a new or changed form from its document (the same document and action
as ``goteo form apply``, refused with the same messages), and one form's page: its public
page previewed in a sandboxed frame and the snippet to embed it elsewhere."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse

from goteo.actions.forms import do_apply_form
from goteo.console.access import edit, page
from goteo.console.page_policies import OWN_SCRIPTS, framed
from goteo.console.rendering import show
from goteo.contacts.models import Form
from goteo.forms.definition import FormInvalid, definition_of_source
from goteo.web.public.form_page import form_context, snippet_html

SOURCE_MAX = 100_000  # characters of a form document
STARTER = """\
key: newsletter
name: Our newsletter
locale: en
fields: [email, first_name]
topics: [newsletter]
double_opt_in: true
consent: >-
  I agree to receive the newsletter. I can unsubscribe at any time with the link in every
  message.
"""


@page
def forms(request: HttpRequest) -> HttpResponse:
    rows = Form.objects.order_by("key").values("key", "name", "locale", "double_opt_in")
    return show(request, "console/forms.html", {"rows": list(rows)}, section="forms")


def _editor(
    request: HttpRequest, source: str, problems: object = (), status: int = 200
) -> HttpResponse:
    context = {"source": source, "problems": problems, "source_max": SOURCE_MAX}
    return show(request, "console/form_new.html", context, section="forms", status=status)


@page
def new_form(request: HttpRequest) -> HttpResponse:
    key = request.GET.get("from", "")
    found = Form.objects.filter(key=key).values_list("source", flat=True).first() if key else None
    return _editor(request, found or STARTER)


@edit
def apply_form(request: HttpRequest) -> HttpResponse:
    source = request.POST.get("source", "").replace("\r\n", "\n")
    if len(source) > SOURCE_MAX:
        problem = f"source: the document has {len(source)} characters; at most {SOURCE_MAX}"
        return _editor(request, source[:SOURCE_MAX], [problem], status=400)
    try:
        applied = do_apply_form(source)
    except FormInvalid as exc:
        return _editor(request, source, exc.problems, status=400)
    url = reverse("console:form", args=[applied.form.key])
    return HttpResponseRedirect(f"{url}?outcome={applied.outcome}")


@page
def form(request: HttpRequest, key: str) -> HttpResponse:
    found = Form.objects.select_related("consent_text").filter(key=key).first()
    if found is None:
        raise Http404(key)
    public = render_to_string(
        "goteo/form.html", form_context(found, action=f"/f/{key}", with_csrf=False)
    )
    outcome = request.GET.get("outcome", "")
    context = {
        "form": found,
        "public": public,
        "snippet": snippet_html(found),
        "warnings": definition_of_source(found.source).warnings,
        "outcome": outcome if outcome in ("created", "updated", "unchanged") else "",
    }
    return framed(show(request, "console/form_detail.html", context, section="forms"), OWN_SCRIPTS)
