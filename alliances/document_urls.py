"""Documents: launch, status, download, produce again, and the dashboard as a web page (mounted at /documents/)."""

from django.urls import path

from alliances import document_views

app_name = "documents"

urlpatterns = [
    path("<int:pk>/", document_views.status, name="status"),
    path("<int:pk>/telecharger/", document_views.download, name="download"),
    path("<int:pk>/produire-a-nouveau/", document_views.render_again, name="render_again"),
    path("produire/", document_views.launch, name="launch"),
    path("tableau-de-bord/<slug:slug>/", document_views.dashboard, name="dashboard"),
]
