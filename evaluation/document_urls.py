"""evaluation's page among the documents: the dashboard as a web page, ``documents:dashboard``.

Included by ``alliances/urls.py`` with the core's ``alliances.document_urls`` under /documents/, in
the one ``documents`` namespace (so no app_name here).
"""

from django.urls import path

from evaluation import dashboard_views

urlpatterns = [
    path("tableau-de-bord/<slug:slug>/", dashboard_views.dashboard, name="dashboard"),
]
