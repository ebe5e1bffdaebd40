from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class NetworksConfig(AppConfig):
    name = "networks"
    verbose_name = _("Réseaux")

    def ready(self):
        from networks import db_guards

        # SQLite drops a table's triggers when a migration rebuilds it: put them back.
        post_migrate.connect(db_guards.install_after_migrate, sender=self, dispatch_uid="networks_db_guards")
