"""The top of the project: URL routes of every app (the core's top layer)."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from alliances import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
