from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = _("Évaluation")

    def ready(self):
        # The dashboard, the evaluation report and the committee pack join the core's document
        # registry; the pack's e-mails join the notification sources (governance.committee_packs, found with governance.reminders).
        from evaluation.documents import register_documents

        register_documents()
