"""The admin's index, laid out for the work (issue 14, item 5): « Mes éditions », then the models by task.

Django lists the models per application (networks, sessions…), which is how the code is cut,
not how the programme team works. The index instead starts with the editions the user manages,
each with the pages they run it from, then groups the models by task: prepare an edition, run
it, follow the networks, evaluate, govern; the rarely used ones are folded under « Autres ».

Each app places its own models (the core imports no app), at the end of its ``admin.py``::

    admin_index.place(admin_index.PREPARE, Network, Enrolment, Participant)

A model nobody placed (the libraries' admins: groups, Celery beat, axes) falls under « Autres ».
"""

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliances.models import Programme

PREPARE, RUN, FOLLOW, EVALUATE, GOVERN, OTHER = "prepare", "run", "follow", "evaluate", "govern", "other"
TASKS = {
    PREPARE: _("Préparer"),
    RUN: _("Animer"),
    FOLLOW: _("Suivre"),
    EVALUATE: _("Évaluer"),
    GOVERN: _("Gouverner"),
    OTHER: _("Autres"),
}
#: How many editions « Mes éditions » lists before linking to the list of all editions.
EDITIONS_SHOWN = 6

_placement = {}  # model class -> (task, rank)


def place(task, *models):
    """Show ``models`` under ``task`` on the admin index, in this order."""
    if task not in TASKS:
        raise ValueError(f"Unknown admin task {task!r}: one of {sorted(TASKS)}.")
    for model in models:
        _placement[model] = (task, len(_placement))


def task_of(model):
    return _placement.get(model, (OTHER, len(_placement)))[0]


def group_by_task(app_list):
    """Django's ``app_list`` regrouped: ``[(task, label, models)]`` in the order of ``TASKS``, empty tasks left out.

    ``models`` are Django's own model entries (name, URLs, permissions), unchanged.
    """
    groups = {task: [] for task in TASKS}
    for app in app_list:
        for model in app["models"]:
            task, rank = _placement.get(model["model"], (OTHER, None))
            groups[task].append((rank if rank is not None else len(_placement), str(model["name"]), model))
    return [
        (task, TASKS[task], [entry[2] for entry in sorted(entries, key=lambda e: (e[0], e[1]))])
        for task, entries in groups.items()
        if entries
    ]


def my_editions(user, *, limit=EDITIONS_SHOWN):
    """The editions ``user`` manages, newest first, at most ``limit``, and whether there are more.

    One query: each edition carries the session whose attendance is to mark (the last one started,
    else the next one), through the reverse relation's model (the core imports no app).
    """
    session_model = Programme._meta.get_field("sessions").related_model
    now = timezone.now()
    started = session_model._default_manager.filter(programme=OuterRef("pk"), starts_at__lte=now).order_by("-starts_at")
    upcoming = session_model._default_manager.filter(programme=OuterRef("pk"), starts_at__gt=now).order_by("starts_at")
    editions = list(
        user.coordinated_programmes()
        .annotate(
            attendance_session_id=Subquery(started.values("pk")[:1]),
            next_session_id=Subquery(upcoming.values("pk")[:1]),
        )
        .order_by("-starts_on", "name")[: limit + 1]
    )
    for edition in editions:
        edition.attendance_session_id = edition.attendance_session_id or edition.next_session_id
    return editions[:limit], len(editions) > limit
