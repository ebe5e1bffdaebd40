"""The findings page of the committee area (mounted at /comite/enseignements/ by the top layer)."""

from django.urls import path

from evaluation import committee_views

app_name = "findings"

urlpatterns = [
    path("", committee_views.findings, name="index"),
]
