"""Coordinator pages about networks: the recruitment funnel (mounted at /coordination/reseaux/)."""

from django.urls import path

from networks import coordination_views

app_name = "recruitment"

urlpatterns = [
    path("<slug:slug>/recrutement/", coordination_views.funnel, name="funnel"),
]
