"""The web app's pages, under /app/."""

from django.urls import path

from goteo.console import (
    audit_views,
    auth_views,
    campaign_views,
    dashboard,
    results_views,
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
    path("contacts", section_views.contacts, name="contacts"),
    path("forms", section_views.forms, name="forms"),
    path("outbox", section_views.outbox, name="outbox"),
    path("audit", audit_views.audit, name="audit"),
    path("audit.csv", audit_views.audit_csv, name="audit-csv"),
    path("users", user_views.users, name="users"),
    path("users/role", user_views.set_role, name="user-role"),
    # Results: charts over time, funnels, A/B significance, the "law of 29".
    path("results", results_views.results, name="results"),
]
