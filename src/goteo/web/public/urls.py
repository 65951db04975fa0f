"""The public pages: the start page, unsubscribe, forms, preferences and calendar feeds."""

from django.urls import path

from goteo.web.public import forms, preferences, social_feed, start, unsubscribe

urlpatterns = [
    path("", start.start, name="start"),
    path("u/<str:token>", unsubscribe.unsubscribe, name="unsubscribe"),
    path("f/<str:key>", forms.hosted_form, name="form"),
    path("f/<str:key>/submit", forms.embedded_submit, name="form-submit"),
    path("c/<str:token>", forms.confirm, name="confirm"),
    path("p/<str:token>", preferences.preferences, name="preferences"),
    path("feeds/<slug:key>.atom", social_feed.calendar_feed, name="social-feed"),
]
