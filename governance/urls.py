"""The committee area (mounted at /comite/).

The findings page of an edition (/comite/enseignements/) is evaluation's, routed by
the top layer (``alliances/urls.py``): governance does not import evaluation.
"""

from django.urls import path

from governance import views

app_name = "committee"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.committee_detail, name="detail"),
    path("<int:pk>/decisions/", views.decision_log, name="decisions"),
    path("<int:pk>/documents/", views.documents, name="documents"),
    path("reunions/<int:pk>/", views.meeting_detail, name="meeting"),
]
