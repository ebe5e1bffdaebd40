"""Networks' part of « dupliquer l'édition » (see alliances/duplication.py): nothing is copied.

Every row of this app that belongs to an edition belongs to its cohort: enrolments (a network's
candidacy to *that* edition), participants and binômes, partnership inventories, obstacles and
roadmaps. A new edition recruits its networks again; the networks themselves are not per edition
and need no copy. The contribution exists to say so on the confirmation page.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from alliances.duplication import DuplicationContext, DuplicationContribution, duplications


@duplications.register
class NetworksDuplication(DuplicationContribution):
    key = "networks"
    order = 10
    left_out = (
        gettext_lazy("candidatures et réseaux"),
        gettext_lazy("participants et binômes"),
        gettext_lazy("inventaires, freins et feuilles de route"),
    )

    def copy(self, context: DuplicationContext) -> None:
        """Nothing to copy: see the module's docstring."""
