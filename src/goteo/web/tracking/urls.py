"""Tracking: the website snippet and its collector, email opens and clicks, mailers' URLs."""

from django.urls import path

from goteo.web.tracking import email, mailer_urls, snippet

urlpatterns = [
    path("t.js", snippet.snippet, name="tracking-snippet"),
    path("t/collect", snippet.collect, name="tracking-collect"),
    path("o/<str:token>", email.pixel, name="open-pixel"),
    path("l/<str:token>", email.link, name="tracked-link"),
    path("m/<str:token>", mailer_urls.personal_url, name="mail-url"),
]
