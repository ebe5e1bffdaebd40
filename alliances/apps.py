from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "alliances"
    label = "alliances"
    verbose_name = _("Programme")

    def ready(self):
        # django.contrib.admin, first of INSTALLED_APPS, has discovered every admin.py by now.
        from django.contrib import admin

        from alliances.admin_scoping import harden_library_admins, label_autocomplete_results

        harden_library_admins(admin.site)
        label_autocomplete_results(admin.site)

        from django.core import checks

        from alliances.privacy_checks import check_privacy_coverage, check_privacy_declarations

        checks.register(check_privacy_coverage, checks.Tags.models)
        checks.register(check_privacy_declarations, checks.Tags.models)

        from alliances.embedded import ensure_broker_folders

        ensure_broker_folders()

        from alliances import checks  # noqa: F401 — registers the core's system checks
