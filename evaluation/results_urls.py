"""Questionnaire results and exports for coordinators (mounted at /coordination/evaluation/)."""

from django.urls import path  # noqa: F401

app_name = "evaluation_results"

urlpatterns: list = []
