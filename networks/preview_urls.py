"""The coordinators' read-only preview of the portal (networks/preview.py), mounted at the root."""

from django.urls import path

from networks import preview

app_name = "preview"

urlpatterns = [
    path("portail/apercu/", preview.choose, name="choose"),
    path("portail/apercu/quitter/", preview.leave, name="leave"),
    path(
        "coordination/editions/<slug:slug>/apercu/<int:participant_pk>/",
        preview.start,
        name="start",
    ),
]
