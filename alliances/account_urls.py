"""Accounts: login by email, logout, password change and reset, invitations, profile."""

from django.urls import path

from alliances import accounts

app_name = "accounts"

urlpatterns = [
    path("connexion/", accounts.LoginView.as_view(), name="login"),
    path("deconnexion/", accounts.LogoutView.as_view(), name="logout"),
    path("profil/", accounts.profile, name="profile"),
    path("mot-de-passe/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("mot-de-passe/modifie/", accounts.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("mot-de-passe/oublie/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path("mot-de-passe/oublie/envoye/", accounts.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("mot-de-passe/nouveau/fait/", accounts.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("invitation/<uidb64>/<token>/", accounts.InvitationAcceptView.as_view(), name="invitation_accept"),
]
