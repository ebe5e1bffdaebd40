"""The core's part of the 2018 pilot (DESIGN §5), and the idempotent writers every loader uses.

Each app has its own loader module (``sessions/pilot.py``, ``governance/pilot.py``…) that loads
its part given the Programme and registers it in :data:`alliances.loaders.pilot_loaders`; the
management commands ``load_pilot_programme`` and ``load_demo`` run them in their declared order
inside one transaction. The core's own loader, at the end of this module, comes first.

Idempotence: every row is found by its natural key and written only when a value differs, so a
second run creates no row and changes no value (``auto_now`` fields included). Two kinds of values:

- *facts* (``values``): what the note states — titles, texts, dates of the phases, committee
  composition. They are re-asserted on every run.
- *seeds* (``initial``): our own plausible choices — exact session dates, due dates, agendas.
  They are planning data the coordinators edit in the admin, so they are set on creation only
  and a re-run keeps the coordinators' edits.
"""

import datetime as dt

from django.contrib.auth.hashers import check_password, make_password
from django.db import models

from alliances.loaders import PilotLoader, PilotRun, pilot_loaders
from alliances.models import Phase, Programme, Step, Theme, User

PILOT_SLUG = "alliances-innovantes-2018"

# --- Idempotent writers ------------------------------------------------------------------


def _raw(value):
    """The value as stored in a column: a related object becomes its primary key."""
    return value.pk if isinstance(value, models.Model) else value


def _column(model, name):
    return model._meta.get_field(name).attname


def _differs(obj, name, value):
    return getattr(obj, _column(type(obj), name)) != _raw(value)


def upsert(model, lookup, values=None, initial=None):
    """Find ``model`` by ``lookup`` (its natural key) and make it hold ``values``.

    On creation ``initial`` is written too; on update only the fields of ``values`` that differ
    are saved, and nothing at all when none does. Returns ``(obj, created)``.
    """
    values = values or {}
    try:
        obj = model.objects.get(**lookup)
    except model.DoesNotExist:
        return model.objects.create(**lookup, **values, **(initial or {})), True
    update(obj, **values)
    return obj, False


def update(obj, **values):
    """Give ``obj`` these values, saving only the fields that differ (nothing if none does)."""
    changed = [name for name, value in values.items() if _differs(obj, name, value)]
    for name in changed:
        setattr(obj, name, values[name])
    if changed:
        obj.save(update_fields=changed)


def upsert_many(model, rows, *, key, initial=()):
    """The bulk form of :func:`upsert`: one query to read, one to create, one to update.

    ``rows`` are dicts of field values (related objects allowed), ``key`` the names of the fields
    forming the natural key — the first one should be the most selective, it scopes the read.
    Fields named in ``initial`` are written on creation only. Returns the objects in row order.
    """
    if not rows:
        return []
    keys = [tuple(_raw(row[name]) for name in key) for row in rows]
    if len(set(keys)) != len(keys):
        raise ValueError(f"Duplicate natural keys in the rows given for {model.__name__}.")
    columns = [_column(model, name) for name in key]
    scope = {f"{columns[0]}__in": {k[0] for k in keys}}
    existing = {tuple(getattr(obj, c) for c in columns): obj for obj in model.objects.filter(**scope)}

    result, to_create, to_update, changed_fields = [], [], [], set()
    for row_key, row in zip(keys, rows, strict=True):
        obj = existing.get(row_key)
        if obj is None:
            obj = model(**row)
            to_create.append(obj)
        else:
            changed = _refresh(obj, row, fixed={*key, *initial})
            if changed:
                to_update.append(obj)
                changed_fields.update(changed)
        result.append(obj)
    model.objects.bulk_create(to_create)
    if to_update:
        model.objects.bulk_update(to_update, sorted(changed_fields))
    return result


def _refresh(obj, row, *, fixed):
    """Give an existing ``obj`` the values of ``row`` but the ``fixed`` fields; return the names changed."""
    changed = [n for n, v in row.items() if n not in fixed and _differs(obj, n, v)]
    for name in changed:
        setattr(obj, name, row[name])
    for name, value in row.items():
        if isinstance(value, models.Model) and not _differs(obj, name, value):
            setattr(obj, name, value)  # the same row: fills the cache, sparing later lookups
    return changed


def demo_password_hash(password):
    """One hash for every demo account, computed once per run.

    The salt is fixed so that the hash is the same from one run to the next: a second run then
    changes no password. Demo accounts only — never for real people.
    """
    return make_password(password, salt="alliancesdemo2018")


def upsert_user(email, *, password, password_hash, **values):
    """A demo user by email, holding ``values``, whose password is ``password``.

    ``password_hash`` is :func:`demo_password_hash` of it. A password that still matches is left
    alone, even under another hash (another hasher), so a re-run writes nothing; a password
    changed by hand is reset, since ``load_demo`` prints it.
    """
    user, created = upsert(User, {"email": email.lower()}, values, initial={"password": password_hash})
    if not created and user.password != password_hash and not check_password(password, user.password):
        user.password = password_hash
        user.save(update_fields=["password"])
    return user


# --- The 2018 pilot: programme, phases, steps, themes --------------------------------------

PROGRAMME = {
    "name": "Parcours d'expérience Alliances innovantes",
    "description": (
        "Programme expérimental (juillet 2017 – décembre 2018) : un parcours d'expérience entre pairs "
        "sur 9 mois pour 12 réseaux associatifs au profil différent. Les dirigeants en charge des "
        "partenariats, en binômes, partagent leurs expériences et montent en compétences pour impulser "
        "des partenariats stratégiques, avec des pairs associatifs, des acteurs publics et des "
        "entreprises. Objectif : passer des tests réalisés depuis 3 ans à un parcours qui puisse être "
        "déployé à grande échelle."
    ),
    "sponsors": "Ministère en charge de la Vie Associative, Le RAMEAU",
    "starts_on": dt.date(2017, 7, 1),
    "ends_on": dt.date(2018, 12, 31),
    "target_networks": 12,
}

# (number, title, starts_on, ends_on, steps); a step is (letter, title, due_on, done_on).
# Phase dates are the note's; the steps' due and done dates are our plausible choices (the pilot
# is long past, so every step is done).
PHASES = [
    (
        1,
        "Validation de la conception et lancement du test",
        dt.date(2017, 7, 1),
        dt.date(2018, 3, 31),
        [
            (
                "a",
                "Constitution du Comité de pilotage et de suivi du programme",
                dt.date(2017, 9, 30),
                dt.date(2017, 9, 28),
            ),
            ("b", "Validation du programme et du contenu pédagogique", dt.date(2017, 12, 15), dt.date(2017, 12, 12)),
            (
                "c",
                "Choix des 12 réseaux associatifs pilotes et « bilatérales » de lancement",
                dt.date(2018, 3, 31),
                dt.date(2018, 3, 30),
            ),
        ],
    ),
    (
        2,
        "Réalisation du test",
        dt.date(2018, 4, 1),
        dt.date(2018, 11, 30),
        [
            (
                "a",
                "Réalisation des sessions collectives, du suivi individuel et des visites terrain",
                dt.date(2018, 11, 30),
                dt.date(2018, 11, 22),
            ),
            (
                "b",
                "Animation de la communauté des 12 réseaux associatifs",
                dt.date(2018, 11, 30),
                dt.date(2018, 11, 30),
            ),
            ("c", "Information et suivi auprès du Comité de pilotage", dt.date(2018, 11, 30), dt.date(2018, 11, 27)),
        ],
    ),
    (
        3,
        "Évaluation et réflexion sur le déploiement du parcours",
        dt.date(2018, 11, 1),
        dt.date(2018, 12, 31),
        [
            ("a", "Évaluation du programme", dt.date(2018, 12, 14), dt.date(2018, 12, 14)),
            ("b", "Réflexion sur le déploiement", dt.date(2018, 12, 31), dt.date(2018, 12, 18)),
        ],
    ),
]

# The note's six themes, in its order ("privées" in the note is read as "privés").
THEMES = [
    "État des lieux des partenariats en France et spécificités régionales",
    "Modèles socio-économiques associatifs",
    "Partenariats entre structures d'intérêt général",
    "Nouveaux modes relationnels avec les acteurs publics",
    "RSE & partenariats, l'évolution des partenariats associations / entreprises",
    "Innovations territoriales & sociétales, l'alliance entre acteurs publics et privés",
]


def load():
    """Create or update the pilot programme with its phases, steps and themes; return it."""
    programme, _ = upsert(Programme, {"slug": PILOT_SLUG}, PROGRAMME)
    for number, title, starts_on, ends_on, steps in PHASES:
        phase, _ = upsert(
            Phase,
            {"programme": programme, "number": number},
            {"title": title, "starts_on": starts_on, "ends_on": ends_on},
        )
        upsert_many(
            Step,
            [
                {
                    "phase": phase,
                    "letter": letter,
                    "title": step_title,
                    "status": Step.Status.DONE,
                    "due_on": due_on,
                    "done_on": done_on,
                }
                for letter, step_title, due_on, done_on in steps
            ],
            key=("phase", "letter"),
            initial=("status", "due_on", "done_on"),
        )
    upsert_many(
        Theme,
        [{"programme": programme, "title": title, "order": order} for order, title in enumerate(THEMES, start=1)],
        key=("programme", "title"),
    )
    return programme


def themes_by_order(programme):
    """The pilot's themes keyed by their order (1–6), for the other apps' loaders."""
    return {theme.order: theme for theme in programme.themes.all()}


@pilot_loaders.register
class CorePilot(PilotLoader):
    """The edition itself, its phases, steps and themes: first, every other app's part hangs on it."""

    key = "alliances"
    order = 0

    def load(self, run: PilotRun) -> None:
        run.programme = load()

    def summary(self, programme: Programme) -> list[str]:
        steps = sum(phase.steps.count() for phase in programme.phases.all())
        return [
            f"Édition « {programme.name} » ({programme.slug}), "
            f"du {programme.starts_on:%d/%m/%Y} au {programme.ends_on:%d/%m/%Y}, "
            f"{programme.target_networks} réseaux visés.",
            f"  {programme.phases.count()} phases, {steps} étapes, {programme.themes.count()} thématiques.",
        ]
