from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


class NetworksConfig(AppConfig):
    name = "networks"
    verbose_name = _("Réseaux")

    def ready(self):
        from networks import db_guards

        # SQLite: the triggers are set aside while migrations rebuild tables, then put back.
        pre_migrate.connect(db_guards.uninstall_before_migrate, sender=self, dispatch_uid="networks_db_guards_off")
        post_migrate.connect(db_guards.install_after_migrate, sender=self, dispatch_uid="networks_db_guards")
