"""RGPD pages (mounted at the site's root): privacy notice, data export, deletion request."""

from django.urls import path

from alliances import privacy

app_name = "privacy"

urlpatterns = [
    path("confidentialite/", privacy.privacy_policy, name="policy"),
    path("compte/mes-donnees/", privacy.my_data, name="my_data"),
    path("compte/suppression/", privacy.deletion_request, name="deletion_request"),
]
