"""The member portal's home and edition switcher (networks/portal_views.py), mounted at /portail/."""

from django.urls import path

from networks import portal_views

app_name = "portal"

urlpatterns = [
    path("", portal_views.home, name="home"),
    path("edition/", portal_views.switch_edition, name="switch_edition"),
]
