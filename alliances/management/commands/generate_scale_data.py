"""``manage.py generate_scale_data --editions N [--seed S]``: N complete generated editions, in bulk.

Each edition (slug ``scale-<seed>-<i>``) is built by :func:`evaluation.scale.build_edition` in its
own transaction: 15 networks (9/4/2), 50 participants in binômes, 4 sessions with registrations
and attendance, inventories, obstacles, roadmaps, questionnaires with answers, 3 committees with
meetings and decisions. The data depend only on the seed; an edition that already exists is
skipped, so a second run creates nothing. Every generated account has the password
``scale-data`` (hashed once). Prints the time taken and the rows created per model.
"""

import time
from collections import Counter

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from alliances.models import Programme
from evaluation import scale

PASSWORD = "scale-data"


def generate_scale_data(editions, seed=0):
    """Create the missing editions ``scale-<seed>-1`` … ``scale-<seed>-<editions>``; return (created slugs, counts)."""
    wanted = [scale.edition_slug(seed, i) for i in range(1, editions + 1)]
    existing = set(Programme.objects.filter(slug__in=wanted).values_list("slug", flat=True))
    missing = [i for i, slug in enumerate(wanted, start=1) if slug not in existing]
    counts = Counter()
    if not missing:
        return [], counts
    password_hash = make_password(PASSWORD)
    regions = scale.scale_regions()
    with transaction.atomic():
        organisations = scale.organisation_pool()
    for i in missing:
        with transaction.atomic():
            counts += scale.build_edition(
                seed, i, password_hash=password_hash, regions=regions, organisations=organisations
            )
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
