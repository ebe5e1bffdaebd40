"""The invitations of an edition, beside its cockpit (mounted at /coordination/editions/)."""

from django.urls import path

from networks import invitation_views

app_name = "invitations"

urlpatterns = [
    path("<slug:slug>/inviter/", invitation_views.invite, name="invite"),
    path("<slug:slug>/invitations/<int:participant_pk>/renvoyer/", invitation_views.resend, name="resend"),
]
