"""Follow-ups and field visits as the network sees them (mounted at /portail/suivi/)."""

from django.urls import path

from sessions import followup_views

app_name = "followups"

urlpatterns = [
    path("", followup_views.followup_list, name="list"),
    path("entretiens/<int:pk>/", followup_views.followup_detail, name="followup"),
    path("visites/<int:pk>/", followup_views.field_visit_detail, name="visit"),
]
