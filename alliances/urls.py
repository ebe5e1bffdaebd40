"""The top of the project: URL routes of every app, named by dotted string (the core imports none)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from alliances import portal, views

# /documents/: the core's pipeline pages and the pages apps build on them, in one namespace.
documents = (
    [
        path("", include("alliances.document_urls")),  # status, download, produce again, launch
        path("", include("evaluation.document_urls")),  # the dashboard page
    ],
    "documents",
)

urlpatterns = [
    path("", portal.landing, name="landing"),
    path("healthz", views.healthz, name="healthz"),  # liveness
    path("readyz", views.readyz, name="readyz"),  # readiness (the broker too)
    path("admin/", admin.site.urls),
    path("", include("alliances.privacy_urls")),  # /confidentialite/, /compte/mes-donnees/, /compte/suppression/
    path("compte/", include("alliances.account_urls")),
    path("", include("networks.preview_urls")),  # /portail/apercu/…, /coordination/editions/<slug>/apercu/<pk>/
    path("portail/", include("networks.portal_urls")),  # the home and the edition switcher (portal:*)
    path("portail/reseau/", include("networks.urls")),
    path("portail/sessions/", include("sessions.urls")),
    path("portail/communaute/", include("sessions.community_urls")),
    path("portail/questionnaires/", include("evaluation.urls")),
    path("portail/suivi/", include("sessions.followup_urls")),
    path("coordination/evaluation/", include("evaluation.results_urls")),
    path("coordination/reseaux/", include("networks.coordination_urls")),
    path("coordination/editions/", include("alliances.cockpit_urls")),
    path("coordination/editions/", include("networks.invitation_urls")),  # inviter/, invitations/…/renvoyer/
    path("comite/enseignements/", include("evaluation.committee_urls")),
    path("comite/", include("governance.urls")),
    path("documents/", include(documents)),
    path("i18n/", include("django.conf.urls.i18n")),
]

if settings.DEBUG or settings.BENCH_MINIMAL_VIEW:
    # The baseline page of bench/web.py: never routed in production unless the benchmark sets BENCH_MINIMAL_VIEW.
    urlpatterns.append(path("bench-minimal/", views.bench_minimal, name="bench_minimal"))

if settings.DEBUG:
    # Uploaded media in DEBUG only (production serves none). Generated documents (media/reports/)
    # are excluded: they are served by documents:download, which checks who asks.
    import re

    from django.urls import re_path

    from alliances.document_views import debug_media

    urlpatterns += [re_path(rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$", debug_media)]
