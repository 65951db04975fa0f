"""The web app's pages, under /app/."""

from django.urls import path

from goteo.console import (
    audit_views,
    auth_views,
    campaign_views,
    dashboard,
    form_views,
    message_views,
    outbox_views,
    section_views,
    user_views,
)

app_name = "console"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("login", auth_views.sign_in, name="login"),
    path("logout", auth_views.sign_out, name="logout"),
    path("language", auth_views.language, name="language"),
    path("password-reset", auth_views.password_reset, name="password-reset"),
    path("password-reset/<str:uid>/<str:token>", auth_views.password_set, name="password-set"),
    path("campaigns", campaign_views.campaigns, name="campaigns"),
    path("campaigns/<str:key>", campaign_views.campaign, name="campaign"),
    path("campaigns/<str:key>/status", campaign_views.set_status, name="campaign-status"),
    # Messages: each campaign's templates and their previews
    path("campaigns/<str:key>/messages", message_views.messages, name="messages"),
    path(
        "campaigns/<str:key>/messages/<str:template>",
        message_views.message_preview,
        name="message-preview",
    ),
    path("contacts", section_views.contacts, name="contacts"),
    # Forms: list, new or changed from a document, preview and embed snippet
    path("forms", form_views.forms, name="forms"),
    path("form-document", form_views.new_form, name="form-new"),
    path("form-document/apply", form_views.apply_form, name="form-apply"),
    path("forms/<str:key>", form_views.form, name="form"),
    path("results", section_views.results, name="results"),
    # Outbox: every delivery and every message the mail catcher caught
    path("outbox", outbox_views.outbox, name="outbox"),
    path("outbox/caught/<str:key>", outbox_views.caught_message, name="outbox-caught"),
    path("audit", audit_views.audit, name="audit"),
    path("audit.csv", audit_views.audit_csv, name="audit-csv"),
    path("users", user_views.users, name="users"),
    path("users/role", user_views.set_role, name="user-role"),
]
