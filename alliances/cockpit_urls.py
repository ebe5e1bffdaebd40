"""The coordinators' cockpit of an edition (mounted at /coordination/editions/)."""

from django.urls import path

from alliances import cockpit_views, relance_views

app_name = "cockpit"

urlpatterns = [
    path("<slug:slug>/", cockpit_views.edition, name="edition"),
    path("<slug:slug>/relances/<slug:target>/<int:pk>/", relance_views.relance, name="relance"),
]
