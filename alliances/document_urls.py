"""Documents: launch, status, download, produce again (mounted at /documents/, namespace ``documents``).

``alliances/urls.py`` gives the namespace and adds, in it, the pages the apps build on the documents
(evaluation's dashboard page, ``documents:dashboard``).
"""

from django.urls import path

from alliances import document_views

urlpatterns = [
    path("<int:pk>/", document_views.status, name="status"),
    path("<int:pk>/telecharger/", document_views.download, name="download"),
    path("<int:pk>/produire-a-nouveau/", document_views.render_again, name="render_again"),
    path("produire/", document_views.launch, name="launch"),
]
