"""Sessions in the member portal (mounted at /portail/sessions/)."""

from django.urls import path

from sessions import views

app_name = "sessions"

urlpatterns = [
    path("", views.session_list, name="list"),
    path("<int:pk>/", views.session_detail, name="detail"),
    path("<int:pk>/reponse/", views.session_rsvp, name="rsvp"),
    path("<int:pk>/agenda.ics", views.session_ics, name="ics"),
    path("agenda/", views.calendar_settings, name="calendar"),
    path("agenda/renouveler/", views.calendar_regenerate, name="calendar_regenerate"),
    # Token-authenticated (no login): calendar applications subscribe to this URL.
    path("agenda/<slug:token>.ics", views.calendar_feed, name="feed"),
]
