"""The web app's pages, under /app/."""

from django.urls import path

from goteo.console import (
    audit_views,
    auth_views,
    campaign_views,
    contact_views,
    dashboard,
    editor_views,
    export_views,
    form_views,
    import_views,
    message_views,
    outbox_views,
    results_views,
    simulate_views,
    test_send_views,
    user_views,
    version_views,
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
    # The campaign editor, versions and simulation (before campaigns/<key>)
    path("editor", editor_views.new_campaign, name="editor-new"),
    path("editor/check", editor_views.check, name="editor-check"),
    path("editor/steps", editor_views.edit_steps, name="editor-steps"),
    path("editor/save", editor_views.save, name="editor-save"),
    path("campaigns/<str:key>/edit", editor_views.edit_campaign, name="editor"),
    path("campaigns/<str:key>/versions", version_views.versions, name="versions"),
    path("campaigns/<str:key>/simulate", simulate_views.simulate_contact, name="simulate"),
    path("campaigns/<str:key>", campaign_views.campaign, name="campaign"),
    path("campaigns/<str:key>/status", campaign_views.set_status, name="campaign-status"),
    path("campaigns/<str:key>/winner", campaign_views.pick_winner, name="campaign-winner"),
    path("campaigns/<str:key>/test-send", test_send_views.test_send, name="test-send"),
    path(
        "campaigns/<str:key>/test-send-draft",
        test_send_views.test_send_draft,
        name="test-send-draft",
    ),
    # Contacts: the list, a contact and its timeline, import, export, data rights.
    path("contacts", contact_views.contacts, name="contacts"),
    path("contacts.csv", export_views.contacts_csv, name="contacts-csv"),
    path("contacts/import", import_views.upload, name="contacts-import"),
    path("contacts/import/<int:job_id>", import_views.job, name="contacts-import-job"),
    path(
        "contacts/import/<int:job_id>/progress",
        import_views.progress,
        name="contacts-import-progress",
    ),
    path("contacts/<int:contact_id>", contact_views.contact, name="contact"),
    path("contacts/<int:contact_id>/timeline", contact_views.timeline, name="contact-timeline"),
    path("contacts/<int:contact_id>/export", export_views.contact_export, name="contact-export"),
    path("contacts/<int:contact_id>/erase", export_views.erase, name="contact-erase"),
    # Messages: each campaign's templates and their previews
    path("campaigns/<str:key>/messages", message_views.messages, name="messages"),
    path(
        "campaigns/<str:key>/messages/<str:template>",
        message_views.message_preview,
        name="message-preview",
    ),
    # Forms: list, new or changed from a document, preview and embed snippet
    path("forms", form_views.forms, name="forms"),
    path("form-document", form_views.new_form, name="form-new"),
    path("form-document/apply", form_views.apply_form, name="form-apply"),
    path("forms/<str:key>", form_views.form, name="form"),
    # Outbox: every delivery and every message the mail catcher caught
    path("outbox", outbox_views.outbox, name="outbox"),
    path("outbox/caught/<str:key>", outbox_views.caught_message, name="outbox-caught"),
    path("audit", audit_views.audit, name="audit"),
    path("audit.csv", audit_views.audit_csv, name="audit-csv"),
    path("users", user_views.users, name="users"),
    path("users/role", user_views.set_role, name="user-role"),
    # Results: charts over time, funnels, A/B significance, the "law of 29".
    path("results", results_views.results, name="results"),
]
