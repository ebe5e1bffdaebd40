"""RGPD pages (mounted at the site's root): privacy notice, data export, deletion request."""

from django.urls import path

from alliances import privacy_views

app_name = "privacy"

urlpatterns = [
    path("confidentialite/", privacy_views.privacy_policy, name="policy"),
    path("compte/mes-donnees/", privacy_views.my_data, name="my_data"),
    path("compte/suppression/", privacy_views.deletion_request, name="deletion_request"),
]
