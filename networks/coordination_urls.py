"""Coordinator pages about networks: the recruitment funnel (mounted at /coordination/reseaux/)."""

from django.urls import path  # noqa: F401

app_name = "recruitment"

urlpatterns: list = []
