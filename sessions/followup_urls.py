"""Follow-ups and field visits as the network sees them (mounted at /portail/suivi/)."""

from django.urls import path  # noqa: F401

app_name = "followups"

urlpatterns: list = []
