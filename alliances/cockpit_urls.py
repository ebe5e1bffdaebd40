"""The coordinators' cockpit of an edition (mounted at /coordination/editions/)."""

from django.urls import path

from alliances import cockpit_views

app_name = "cockpit"

urlpatterns = [
    path("<slug:slug>/", cockpit_views.edition, name="edition"),
]
