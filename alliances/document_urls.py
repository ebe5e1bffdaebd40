"""Documents: launch, status, download, and the dashboard as a web page (mounted at /documents/)."""

from django.urls import path  # noqa: F401

app_name = "documents"

urlpatterns: list = []
