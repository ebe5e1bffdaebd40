"""The programme dashboard's data: what the steering committee follows, gathered in a fixed number of queries.

:func:`programme_dashboard` returns plain data and ready-made SVG charts for the PDF
documents (dashboard, committee meeting pack, evaluation report) and for the same dashboard
as a web page. Every figure is counted by the database (``COUNT``/``GROUP BY``, conditional
aggregates): about twenty queries whether the edition has 12 networks or 2 000, and no query
per row (the test ``test_dashboard_query_count_does_not_grow`` holds it to that).

Who counts: the networks of the edition in accord (« réseaux pilotes ») and their participants.
A network attended a session when at least one of its participants was marked present.
Sections whose data does not exist yet say so (``None`` or empty lists, read by the templates).
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, cast, overload

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliances import charts
from alliances.models import Phase, Programme, Step
from evaluation.dashboard_types import (
    BinomeTotals,
    Dashboard,
    DashboardFunnel,
    DashboardResults,
    KeyFigureRow,
    KeyFigures,
    NetworkAttendance,
    NetworkRef,
    ObstacleRow,
    ObstaclesSection,
    PartnershipForm,
    PartnershipsSection,
    PhaseRow,
    RoadmapsSection,
    SessionRow,
    SessionsSection,
    Snapshot,
    StepRow,
    VoteProposal,
    VoteSection,
)
from evaluation.models import MIN_RESPONDENTS_FOR_AGGREGATE
from governance.models import Decision
from networks.funnel import recruitment_funnel
from networks.models import Binome, Enrolment, Obstacle, Participant, Partnership, Roadmap, RoadmapAction
from networks.selectors import NATIONAL_AVERAGE_PARTNER_TYPES
from sessions.models import Registration, Session, TopicProposal

AGREED = Enrolment.Status.AGREED
PRESENT = Registration.Attendance.PRESENT
OPEN_DECISION_STATUSES = (Decision.Status.OPEN, Decision.Status.IN_PROGRESS)
OPEN_ACTION_STATUSES = (RoadmapAction.Status.TODO, RoadmapAction.Status.IN_PROGRESS)
PATRONAGE_FORMS = (
    Partnership.CompanyForm.FINANCIAL_PATRONAGE,
    Partnership.CompanyForm.IN_KIND_PATRONAGE,
    Partnership.CompanyForm.SKILLS_PATRONAGE,
)

# Forms used by associations partnering with companies (PHARE 2015, Le RAMEAU), in % of those associations.
# (key, label, our company forms that count as this form, national share)
PHARE_2015 = (
    ("patronage", gettext_lazy("mécénat"), PATRONAGE_FORMS, 67),
    ("responsible", gettext_lazy("pratiques responsables"), (Partnership.CompanyForm.RESPONSIBLE_PRACTICES,), 29),
    ("cooperation", gettext_lazy("coopération économique"), (Partnership.CompanyForm.ECONOMIC_COOPERATION,), 26),
    ("innovation", gettext_lazy("innovation sociétale"), (Partnership.CompanyForm.SOCIETAL_INNOVATION,), 25),
)
PARTNER_TYPES_BENCHMARK = float(NATIONAL_AVERAGE_PARTNER_TYPES)
# Up to this many networks, the partner types chart has a bar per network; beyond, a distribution.
PER_NETWORK_CHART_LIMIT = 30
TOP_OBSTACLES = 5

#: The key figures kept in each committee pack's snapshot (compared with the previous pack).
KEY_FIGURES = (
    ("networks_agreed", gettext_lazy("réseaux pilotes (accord)")),
    ("participants", gettext_lazy("participants")),
    ("sessions_recorded", gettext_lazy("sessions dont la présence est saisie")),
    ("attendance_rate", gettext_lazy("taux de présence moyen des participants (%)")),
    ("network_presence_rate", gettext_lazy("taux de présence moyen des réseaux (%)")),
    ("binomes_complete", gettext_lazy("binômes complets")),
    ("partnerships", gettext_lazy("partenariats inventoriés")),
    ("average_partner_types", gettext_lazy("types de partenaires par réseau (moyenne)")),
    ("networks_with_roadmap", gettext_lazy("réseaux ayant une feuille de route")),
    ("actions_done_share", gettext_lazy("actions de feuille de route réalisées (%)")),
    ("actions_overdue", gettext_lazy("actions en retard")),
    ("open_decisions", gettext_lazy("décisions ouvertes")),
)


@overload
def percent(part: float, whole: float) -> int | None: ...
@overload
def percent(part: float, whole: float, decimals: int) -> float | None: ...
def percent(part: float, whole: float, decimals: int = 0) -> float | None:
    """``part / whole`` in %, rounded; None when ``whole`` is 0 (nothing to measure yet)."""
    if not whole:
        return None
    value = round(100 * part / whole, decimals)
    return int(value) if decimals == 0 else value


def _mean(values: Iterable[float | None], decimals: int = 1) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), decimals) if known else None


# --- Sections -----------------------------------------------------------------------------------


def _phases(programme: Programme, today: date) -> list[PhaseRow]:
    steps = Step.objects.order_by("letter")
    phases = Phase.objects.filter(programme=programme).prefetch_related(Prefetch("steps", queryset=steps))
    result: list[PhaseRow] = []
    for phase in phases.order_by("number"):
        rows: list[StepRow] = []
        for step in phase.steps.all():
            late = step.status != Step.Status.DONE and step.due_on is not None and step.due_on < today
            done_late = step.status == Step.Status.DONE and step.due_on and step.done_on and step.done_on > step.due_on
            rows.append({"step": step, "late": late, "done_late": bool(done_late)})
        progress = phase.progress()
        result.append(
            {
                "phase": phase,
                "progress": progress,
                "late": sum(1 for row in rows if row["late"]),
                "steps": rows,
                "chart": charts.progress_bar(
                    progress, title=_("Avancement de la phase %(n)s") % {"n": phase.number}, height=16
                ),
                "current": phase.starts_on <= today <= phase.ends_on,
            }
        )
    return result


def _funnel(programme: Programme) -> DashboardFunnel:
    funnel = recruitment_funnel(programme)
    bars = [
        (_("sollicités"), funnel["solicited"]),
        (_("accord"), funnel["agreed"]),
        (_("en attente"), funnel["pending"]),
        (_("refus"), funnel["refused"]),
        (_("sans réponse"), funnel["awaiting_answer"]),
    ]
    chart = charts.horizontal_bar_chart(
        bars,
        title=_("Recrutement des réseaux"),
        benchmark=funnel["target"],
        benchmark_label=_("objectif : %(n)s réseaux") % {"n": funnel["target"]},
        decimals=0,
        label_width=140,
    )
    return {**funnel, "chart": chart}


def _attendance_counts(agreed: QuerySet[Registration]) -> dict[int, Mapping[str, Any]]:
    """Session id → its counts (present, absent, excused, confirmed, networks present). One query."""
    return {
        row["session_id"]: row
        for row in agreed.values("session_id")
        .annotate(
            present=Count("pk", filter=Q(attendance=PRESENT)),
            absent=Count("pk", filter=Q(attendance=Registration.Attendance.ABSENT)),
            excused=Count("pk", filter=Q(attendance=Registration.Attendance.EXCUSED)),
            confirmed=Count("pk", filter=Q(rsvp=Registration.Rsvp.CONFIRMED)),
            networks_present=Count("participant__enrolment_id", distinct=True, filter=Q(attendance=PRESENT)),
        )
        .order_by()
    }


def _network_presence(agreed: QuerySet[Registration]) -> dict[int, set[int]]:
    """Enrolment id → the sessions where the network was present. One query."""
    presence: dict[int, set[int]] = defaultdict(set)
    for enrolment_id, session_id in (
        agreed.filter(attendance=PRESENT).values_list("participant__enrolment_id", "session_id").distinct().order_by()
    ):
        presence[enrolment_id].add(session_id)
    return presence


def _session_row(session: Session, counts: Mapping[str, Any], *, participants_total: int, networks: int) -> SessionRow:
    present, absent, excused = counts.get("present", 0), counts.get("absent", 0), counts.get("excused", 0)
    recorded = bool(present or absent or excused)
    return {
        "session": session,
        "expected": participants_total,
        "confirmed": counts.get("confirmed", 0),
        "present": present,
        "absent": absent,
        "excused": excused,
        "recorded": recorded,
        "rate": percent(present, participants_total) if recorded else None,
        "networks_present": counts.get("networks_present", 0),
        "network_rate": percent(counts.get("networks_present", 0), networks) if recorded else None,
    }


def _network_attendance(
    network: NetworkRef, attended: set[int], rows: list[SessionRow], recorded_ids: list[int]
) -> NetworkAttendance:
    return {
        **network,
        "marks": [(row["session"].pk in attended) if row["recorded"] else None for row in rows],
        "attended": len(attended.intersection(recorded_ids)),
        "rate": percent(len(attended.intersection(recorded_ids)), len(recorded_ids)),
    }


def _attendance_chart(bars: list[tuple[str, int | None]], title: str) -> SafeString | None:
    """One bar per session (a rate, in %); None when the edition has no session."""
    if not bars:
        return None
    return charts.bar_chart(
        bars,
        title=title,
        max_value=100,
        unit="%",
        decimals=0,
        height=150,
    )


def _sessions(programme: Programme, networks: list[NetworkRef], participants_total: int) -> SessionsSection:
    """Attendance per session and per network: three queries (sessions, counts per session, presence pairs)."""
    sessions = list(Session.objects.filter(programme=programme).select_related("inspiring_meeting").order_by("number"))
    agreed = Registration.objects.filter(session__programme=programme, participant__enrolment__status=AGREED)
    counts = _attendance_counts(agreed)
    presence = _network_presence(agreed)
    rows = [
        _session_row(session, counts.get(session.pk, {}), participants_total=participants_total, networks=len(networks))
        for session in sessions
    ]
    recorded_rows = [row for row in rows if row["recorded"]]
    recorded_ids = [row["session"].pk for row in recorded_rows]
    return {
        "rows": rows,
        "per_network": [
            _network_attendance(network, presence.get(network["id"], set()), rows, recorded_ids) for network in networks
        ],
        "recorded": len(recorded_rows),
        "attendance_rate": _mean([row["rate"] for row in recorded_rows]),
        "network_presence_rate": _mean([row["network_rate"] for row in recorded_rows]),
        "chart": _attendance_chart(
            [(row["session"].code, row["rate"]) for row in rows], _("Taux de présence par session")
        ),
        "network_chart": _attendance_chart(
            [(row["session"].code, row["network_rate"]) for row in rows], _("Réseaux présents par session")
        ),
    }


def _binomes(programme: Programme) -> BinomeTotals:
    sized = Binome.objects.filter(enrolment__programme=programme, enrolment__status=AGREED).annotate(
        size=Count("members")
    )
    totals = sized.aggregate(
        total=Count("pk"),
        complete=Count("pk", filter=Q(size__gte=Binome.MAX_MEMBERS)),
        networks_with_complete=Count("enrolment_id", distinct=True, filter=Q(size__gte=Binome.MAX_MEMBERS)),
    )
    return {
        "total": totals["total"],
        "complete": totals["complete"],
        "networks_with_complete": totals["networks_with_complete"],
    }


def _partnerships(programme: Programme, networks: list[NetworkRef]) -> PartnershipsSection:
    """The inventory against the national benchmarks: two queries (per network, conditional totals)."""
    agreed = Partnership.objects.filter(enrolment__programme=programme, enrolment__status=AGREED)
    per_network = {
        row["enrolment_id"]: row
        for row in agreed.values("enrolment_id")
        .annotate(types=Count("partner_type", distinct=True), total=Count("pk"))
        .order_by()
    }
    form_counts = {
        key: Count("enrolment_id", distinct=True, filter=Q(family=Partnership.Family.PRIVATE, company_form__in=forms))
        for key, _label, forms, _share in PHARE_2015
    }
    family_counts = {f"family_{value}": Count("pk", filter=Q(family=value)) for value in Partnership.Family.values}
    totals = agreed.aggregate(
        total=Count("pk"),
        private_networks=Count("enrolment_id", distinct=True, filter=Q(family=Partnership.Family.PRIVATE)),
        private_without_form=Count("pk", filter=Q(family=Partnership.Family.PRIVATE, company_form="")),
        strategic=Count("pk", filter=Q(depth=Partnership.Depth.STRATEGIC_ALLIANCE)),
        evaluated=Count("pk", filter=Q(evaluated=True)),
        **form_counts,
        **family_counts,
    )
    types = [per_network[n["id"]]["types"] for n in networks if n["id"] in per_network]
    average_types = _mean(types, 2)
    forms: list[PartnershipForm] = [
        {
            "key": key,
            "label": label,
            "networks": totals[key],
            "share": percent(totals[key], totals["private_networks"]),
            "benchmark": share,
        }
        for key, label, _forms, share in PHARE_2015
    ]
    if len(networks) <= PER_NETWORK_CHART_LIMIT:
        types_chart = charts.horizontal_bar_chart(
            [
                (n["acronym"] or n["name"], per_network[n["id"]]["types"] if n["id"] in per_network else None)
                for n in networks
            ],
            title=_("Types de partenaires par réseau"),
            benchmark=PARTNER_TYPES_BENCHMARK,
            benchmark_label=_("moyenne nationale : %(n)s") % {"n": charts.format_number(PARTNER_TYPES_BENCHMARK)},
            max_value=len(Partnership.PartnerType.values),
            decimals=0,
            label_width=170,
        )
    else:
        distribution: dict[int, int] = defaultdict(int)
        for value in types:
            distribution[value] += 1
        types_chart = charts.bar_chart(
            [(str(k), distribution.get(k, 0)) for k in range(1, len(Partnership.PartnerType.values) + 1)],
            title=_("Nombre de réseaux selon leur nombre de types de partenaires"),
            decimals=0,
            height=180,
        )
    forms_chart = charts.horizontal_bar_chart(
        [charts.Bar(str(f["label"]), f["share"], f["benchmark"]) for f in forms],
        title=_("Formes des partenariats avec les entreprises, comparées à PHARE 2015"),
        max_value=100,
        unit="%",
        decimals=0,
        row_benchmark_label=_("repère national PHARE 2015"),
        label_width=190,
    )
    families = [(label, totals[f"family_{value}"]) for value, label in Partnership.Family.choices]
    return {
        "total": totals["total"],
        "networks_with_inventory": len(types),
        "networks": len(networks),
        "average_types": average_types,
        "benchmark_types": PARTNER_TYPES_BENCHMARK,
        "networks_at_or_above_benchmark": sum(1 for t in types if t >= PARTNER_TYPES_BENCHMARK),
        "private_networks": totals["private_networks"],
        "private_without_form": totals["private_without_form"],
        "strategic": totals["strategic"],
        "evaluated": totals["evaluated"],
        "families": families,
        "forms": forms,
        "types_chart": types_chart if types else None,
        "forms_chart": forms_chart if totals["private_networks"] else None,
        "per_network_chart": len(networks) <= PER_NETWORK_CHART_LIMIT,
    }


def _obstacles(programme: Programme) -> ObstaclesSection:
    rows = cast(
        list[ObstacleRow],  # "label" added below
        list(
            Obstacle.objects.filter(enrolment__programme=programme, enrolment__status=AGREED)
            .values("category")
            .annotate(
                citations=Count("pk"),
                networks=Count("enrolment_id", distinct=True),
                high=Count("pk", filter=Q(severity=Obstacle.Severity.HIGH)),
            )
            .order_by("-networks", "-citations", "category")
        ),
    )
    labels = dict(Obstacle.Category.choices)
    for row in rows:
        row["label"] = str(labels.get(row["category"], row["category"]))
    top = rows[:TOP_OBSTACLES]
    return {
        "total": sum(row["citations"] for row in rows),
        "top": top,
        "chart": charts.horizontal_bar_chart(
            [(row["label"], row["networks"]) for row in top],
            title=_("Freins les plus cités (nombre de réseaux)"),
            decimals=0,
            label_width=230,
        )
        if top
        else None,
    }


def _votes(programme: Programme, sessions: list[Session], participants_total: int) -> list[VoteSection]:
    proposals = (
        TopicProposal.objects.filter(session__programme=programme)
        .filter(Q(session__topic_vote_open=True) | Q(session__topic_vote_closed_at__isnull=False))
        .annotate(num_votes=Count("votes"))
        .order_by("session__number", "-num_votes", "created_at", "pk")
        .values("session_id", "title", "num_votes")
    )
    by_session: dict[int, list[VoteProposal]] = defaultdict(list)
    for proposal in proposals:
        by_session[proposal["session_id"]].append(proposal)
    votes: list[VoteSection] = []
    for session in sessions:
        if not (session.topic_vote_open or session.topic_vote_closed_at):
            continue
        items = by_session.get(session.pk, [])
        voters = sum(item["num_votes"] for item in items)
        votes.append(
            {
                "session": session,
                "closed": session.topic_vote_closed_at is not None,
                "topic": session.topic,
                "proposals": items,
                "voters": voters,
                "participation": percent(voters, participants_total),
                "chart": charts.horizontal_bar_chart(
                    [(item["title"], item["num_votes"]) for item in items],
                    title=_("Vote du sujet de %(code)s") % {"code": session.code},
                    decimals=0,
                    label_width=300,
                )
                if items
                else None,
            }
        )
    return votes


def _roadmaps(programme: Programme, networks_total: int, today: date) -> RoadmapsSection:
    roadmaps = Roadmap.objects.filter(enrolment__programme=programme, enrolment__status=AGREED).aggregate(
        total=Count("pk", distinct=True),
        with_actions=Count("pk", distinct=True, filter=Q(actions__isnull=False)),
    )
    per_status = {value: Count("pk", filter=Q(status=value)) for value in RoadmapAction.Status.values}
    actions = RoadmapAction.objects.filter(
        roadmap__enrolment__programme=programme, roadmap__enrolment__status=AGREED
    ).aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(status__in=OPEN_ACTION_STATUSES, due_on__lt=today)),
        **per_status,
    )
    countable = actions["total"] - actions[RoadmapAction.Status.DROPPED]
    done_share = percent(actions[RoadmapAction.Status.DONE], countable)
    return {
        "networks_with_roadmap": roadmaps["total"],
        "networks_with_actions": roadmaps["with_actions"],
        "networks": networks_total,
        "roadmap_share": percent(roadmaps["total"], networks_total),
        "actions_total": actions["total"],
        "actions_overdue": actions["overdue"],
        "statuses": [(label, actions[value]) for value, label in RoadmapAction.Status.choices],
        "done_share": done_share,
        "roadmap_chart": charts.progress_bar(
            roadmaps["total"],
            maximum=networks_total or 1,
            title=_("Réseaux ayant une feuille de route"),
            label=_("réseaux ayant une feuille de route"),
        ),
        "done_chart": charts.progress_bar(done_share, title=_("Actions réalisées"), label=_("actions réalisées")),
    }


def _results(programme: Programme, for_coordinator: bool) -> DashboardResults | None:
    """Satisfaction and competency progression from the questionnaires (evaluation.results)."""
    try:
        from evaluation.results import programme_results
    except ImportError:  # the questionnaires' results are not there yet: the section says so
        return None
    results = programme_results(programme, for_coordinator=for_coordinator)
    satisfaction = [s for s in results["satisfaction"] if s["respondents"]]
    progression = [p for p in results["progression"] if p["n"]]
    satisfaction_chart = (
        charts.bar_chart(
            [(s["session"]["code"], s["mean"]) for s in results["satisfaction"]],
            title=_("Satisfaction moyenne par session (sur 5)"),
            max_value=5,
            decimals=1,
            height=180,
        )
        if any(s["mean"] is not None for s in satisfaction)
        else None
    )
    progression_chart = (
        charts.horizontal_bar_chart(
            [charts.Bar(p["competency"]["name"], p["mean_post"], p["mean_pre"]) for p in progression],
            title=_("Compétences auto-évaluées : après le parcours, avec la mesure d'avant"),
            max_value=5,
            decimals=1,
            row_benchmark_label=_("moyenne avant le parcours (pré)"),
            label_width=300,
        )
        if any(p["mean_post"] is not None for p in progression)
        else None
    )
    return {
        **results,
        "satisfaction_chart": satisfaction_chart,
        "progression_chart": progression_chart,
        "has_satisfaction": bool(satisfaction),
        "has_progression": bool(progression),
    }


def _open_decisions(programme: Programme) -> list[Decision]:
    return list(
        Decision.objects.filter(meeting__committee__programme=programme, status__in=OPEN_DECISION_STATUSES)
        .select_related("meeting__committee")
        .order_by(F("due_on").asc(nulls_last=True), "meeting__held_on", "pk")
    )


# --- The whole dashboard ---------------------------------------------------------------------


def programme_dashboard(programme: Programme, *, for_coordinator: bool = False, today: date | None = None) -> Dashboard:
    """Everything the dashboard shows, for one edition (:class:`~evaluation.dashboard_types.Dashboard`);
    a fixed number of queries.

    ``for_coordinator`` only matters for the questionnaires' results: documents and pages
    that committee members see pass False (aggregates over fewer than 5 respondents withheld).
    """
    today = today or timezone.localdate()
    networks: list[NetworkRef] = [
        {"id": pk, "name": name, "acronym": acronym}
        for pk, name, acronym in Enrolment.objects.pilots()
        .filter(programme=programme)
        .order_by("network__name", "pk")
        .values_list("pk", "network__name", "network__acronym")
    ]
    participants_total = Participant.objects.filter(enrolment__programme=programme, enrolment__status=AGREED).count()
    sessions = _sessions(programme, networks, participants_total)
    partnerships = _partnerships(programme, networks)
    roadmaps = _roadmaps(programme, len(networks), today)
    binomes = _binomes(programme)
    decisions = _open_decisions(programme)
    key_figures: KeyFigures = {
        "networks_agreed": len(networks),
        "participants": participants_total,
        "sessions_recorded": sessions["recorded"],
        "attendance_rate": sessions["attendance_rate"],
        "network_presence_rate": sessions["network_presence_rate"],
        "binomes_complete": binomes["complete"],
        "partnerships": partnerships["total"],
        "average_partner_types": partnerships["average_types"],
        "networks_with_roadmap": roadmaps["networks_with_roadmap"],
        "actions_done_share": roadmaps["done_share"],
        "actions_overdue": roadmaps["actions_overdue"],
        "open_decisions": len(decisions),
    }
    return {
        "today": today,
        "networks": networks,
        "participants_total": participants_total,
        "funnel": _funnel(programme),
        "phases": _phases(programme, today),
        "sessions": sessions,
        "binomes": binomes,
        "partnerships": partnerships,
        "obstacles": _obstacles(programme),
        "votes": _votes(programme, [row["session"] for row in sessions["rows"]], participants_total),
        "roadmaps": roadmaps,
        "results": _results(programme, for_coordinator),
        "decisions": decisions,
        "min_respondents": MIN_RESPONDENTS_FOR_AGGREGATE,
        "key_figures": key_figures,
    }


def key_figure_rows(current: KeyFigures, previous: Mapping[str, float | None] | None = None) -> list[KeyFigureRow]:
    """Rows ``{"key", "label", "current", "previous", "delta"}`` of the key figures, in KEY_FIGURES order.

    ``previous`` is the ``figures`` of an earlier :func:`snapshot` (JSON: a key may be missing).
    """
    figures = cast(Mapping[str, float | None], current)
    rows: list[KeyFigureRow] = []
    for key, label in KEY_FIGURES:
        now_value = figures.get(key)
        before = previous.get(key) if previous else None
        delta = None
        if now_value is not None and before is not None:
            delta = round(now_value - before, 2)
        rows.append({"key": key, "label": str(label), "current": now_value, "previous": before, "delta": delta})
    return rows


def snapshot(data: Dashboard) -> Snapshot:
    """The key figures as JSON (stored in the Report's parameters), with the date they were taken."""
    key_figures = cast(Mapping[str, float | None], data["key_figures"])
    figures = {key: key_figures.get(key) for key, _label in KEY_FIGURES}
    return {"taken_on": data["today"].isoformat(), "figures": figures}
