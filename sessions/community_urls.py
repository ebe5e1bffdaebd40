"""Community pages of the portal (/portail/communaute/): S3 topic vote, resources, news, attendance."""

from django.urls import path

from sessions import community_views as views

app_name = "community"

urlpatterns = [
    path("sujet-s3/", views.topic_vote, name="topic_vote"),
    path("sujet-s3/<int:session_pk>/proposer/", views.topic_propose, name="topic_propose"),
    path("sujet-s3/propositions/<int:proposal_pk>/voter/", views.topic_vote_cast, name="topic_vote_cast"),
    path("ressources/", views.resources, name="resources"),
    path("ressources/<int:pk>/telecharger/", views.resource_download, name="resource_download"),
    path("annonces/", views.announcements, name="announcements"),
    path("presences/<int:session_pk>/", views.attendance, name="attendance"),
]
