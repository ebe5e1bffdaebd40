"""The core's part of a generated edition (``manage.py generate_scale_data``), and its plan.

One edition: 3 phases with their steps, 15 networks (9 accord, 4 en attente, 2 refus with a
reason), 50 participants of the 9 agreed networks in binômes, 4 sessions (S1–S4) with their
inspiring meeting, registrations (RSVP) and attendance, partnership inventories, obstacles,
roadmaps with actions, themes and resources, S3's topic vote (proposals and votes), announcements,
follow-ups and field visits, six competencies, a feedback questionnaire per session and the pré/post
self-assessments with their answers, and 3 committees with members, meetings, attendance and
decisions, and findings for deployment.

Each app builds its own part in its ``scale.py`` (registered in
:data:`alliances.loaders.scale_builders`, in their declared order): this module the edition, its
coordinator, phases, steps and themes, first; then networks, sessions, governance, evaluation.
Everything is inserted with ``bulk_create`` in batches: the number of queries per edition is a
constant (about 50), whatever the number of editions. The data depend only on the seed, the
edition's number and the builder (``random.Random``), every date is fixed, and the users share one
precomputed password hash.

``bulk_create`` records no history (django-simple-history) and sends no signal: these are
generated data, not edits.
"""

import datetime as dt

from django.contrib.auth import get_user_model

from alliances.loaders import ScaleBuilder, ScaleEdition, scale_builders, scale_slug
from alliances.models import Phase, Programme, Step, Theme

PHASES = [
    ("Préparation", ["Mobilisation des réseaux", "Bilatérales de lancement", "Constitution des binômes"]),
    ("Expérimentation", ["Sessions collectives", "Suivi individuel", "Feuilles de route"]),
    ("Capitalisation", ["Évaluation", "Enseignements", "Restitution"]),
]
THEMES = ["Alliances avec les collectivités", "Mécénat de compétences"]


def edition_slug(seed, index):
    """The slug of the ``index``-th generated edition of ``seed``: ``scale-<seed>-<index>``."""
    return scale_slug(seed, index)


def build_programme(edition: ScaleEdition) -> None:
    """The edition and its coordinator."""
    seed, index, slug = edition.run.seed, edition.index, edition.slug
    edition.programme = Programme.objects.create(
        name=f"Édition d'échelle {seed}-{index}",
        slug=slug,
        description="Édition générée pour les tests de montée en charge.",
        sponsors="Données générées",
        starts_on=dt.date(2026, 1, 5),
        ends_on=dt.date(2026, 12, 18),
        target_networks=9,
    )
    edition.counts[Programme._meta.label] += 1
    User = get_user_model()
    edition.coordinator = edition.add(
        User,
        [
            User(
                email=edition.email("coordination"),
                password=edition.run.password_hash,
                first_name="Coordination",
                last_name=slug,
                is_staff=True,
            )
        ],
    )[0]
    through = Programme.coordinators.through
    edition.add(through, [through(programme=edition.programme, user=edition.coordinator)])


def build_phases(edition: ScaleEdition) -> None:
    """Three phases of three steps: the first phase done, the second under way."""
    phases = edition.add(
        Phase,
        [
            Phase(
                programme=edition.programme,
                number=number,
                title=title,
                starts_on=dt.date(2026, 1 + 4 * (number - 1), 5),
                ends_on=dt.date(2026, 4 + 4 * (number - 1), 28),
            )
            for number, (title, _) in enumerate(PHASES, start=1)
        ],
    )
    steps = []
    for phase, (_, step_titles) in zip(phases, PHASES, strict=True):
        for k, title in enumerate(step_titles):
            done = phase.number == 1 or (phase.number == 2 and k < 2)
            steps.append(
                Step(
                    phase=phase,
                    letter="abc"[k],
                    title=title,
                    status=Step.Status.DONE if done else Step.Status.IN_PROGRESS,
                    due_on=phase.ends_on,
                    done_on=phase.ends_on - dt.timedelta(days=3) if done else None,
                )
            )
    edition.add(Step, steps)


@scale_builders.register
class CoreScale(ScaleBuilder):
    """The edition, its coordinator, phases, steps and themes: first, every other part hangs on them."""

    key = "alliances"
    order = 0

    def build(self, edition: ScaleEdition) -> None:
        build_programme(edition)
        build_phases(edition)
        edition.themes = edition.add(
            Theme,
            [Theme(programme=edition.programme, order=k, title=title) for k, title in enumerate(THEMES, start=1)],
        )
