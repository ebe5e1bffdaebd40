"""``manage.py generate_scale_data --editions N [--seed S]``: N complete generated editions, in bulk.

Each edition (slug ``scale-<seed>-<i>``) is built in its own transaction by every app's part of it
(its ``scale.py``, registered in :data:`alliances.loaders.scale_builders`, run in their declared
order; the plan is in ``alliances/scale.py``): 15 networks (9/4/2), 50 participants in binômes,
4 sessions with registrations and attendance, inventories, obstacles, roadmaps, questionnaires
with answers, 3 committees with meetings and decisions. The data depend only on the seed; an
edition that already exists is skipped, so a second run creates nothing. Every generated account
has the password ``scale-data`` (hashed once). Prints the time taken and the rows created per model.
"""

import time
from collections import Counter

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from alliances.loaders import ScaleEdition, ScaleRun, scale_builders, scale_slug
from alliances.models import Programme

PASSWORD = "scale-data"


def generate_scale_data(editions, seed=0):
    """Create the missing editions ``scale-<seed>-1`` … ``scale-<seed>-<editions>``; return (created slugs, counts)."""
    builders = scale_builders.ordered()  # a builder missing its prerequisite is refused before anything is written
    wanted = [scale_slug(seed, i) for i in range(1, editions + 1)]
    existing = set(Programme.objects.filter(slug__in=wanted).values_list("slug", flat=True))
    missing = [i for i, slug in enumerate(wanted, start=1) if slug not in existing]
    counts = Counter()
    if not missing:
        return [], counts
    run = ScaleRun(seed=seed, password_hash=make_password(PASSWORD))
    with transaction.atomic():
        for builder in builders:
            builder.prepare(run)
    for i in missing:
        edition = ScaleEdition(run=run, index=i, slug=wanted[i - 1])
        with transaction.atomic():
            for builder in builders:
                builder.build(edition)
        counts += edition.counts
    return [wanted[i - 1] for i in missing], counts


class Command(BaseCommand):
    help = "Génère N éditions complètes (données d'échelle) en insertions groupées ; idempotent pour une graine."

    def add_arguments(self, parser):
        parser.add_argument("--editions", type=int, required=True, help="Nombre d'éditions (≥ 1).")
        parser.add_argument("--seed", type=int, default=0, help="Graine du générateur (0 par défaut).")

    def handle(self, *args, editions, seed, **options):
        if editions < 1:
            raise CommandError("--editions doit être au moins 1.")
        start = time.perf_counter()
        created, counts = generate_scale_data(editions, seed)
        elapsed = time.perf_counter() - start
        skipped = editions - len(created)
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(created)} édition(s) créée(s), {skipped} déjà présente(s), en {elapsed:.2f} s "
                f"(graine {seed}, {sum(counts.values())} lignes)."
            )
        )
        for label, count in sorted(counts.items()):
            self.stdout.write(f"  {label:<40} {count:>8}")
