"""The evaluation's part of the 2018 pilot (DESIGN §5): the six competencies the parcours builds,
self-assessed from 1 to 5 before and after."""

from alliances.pilot import upsert_many
from evaluation.models import Competency

COMPETENCIES = [
    "Comprendre le paysage des partenariats",
    "Identifier les enjeux",
    "Se positionner et piloter une alliance",
    "Évaluer un partenariat",
    "Pérenniser l'ingénierie partenariale dans le réseau",
    "Co-construire sur un territoire",
]


def load(programme):
    """Create or update the pilot's competencies, in the note's order."""
    upsert_many(
        Competency,
        [{"programme": programme, "name": name, "order": order} for order, name in enumerate(COMPETENCIES, start=1)],
        key=("programme", "name"),
    )
