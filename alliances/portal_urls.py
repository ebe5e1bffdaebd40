"""The member portal's home and edition switcher (mounted at /portail/)."""

from django.urls import path

from alliances import portal

app_name = "portal"

urlpatterns = [
    path("", portal.home, name="home"),
    path("edition/", portal.switch_edition, name="switch_edition"),
]
