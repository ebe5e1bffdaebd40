"""The documents built on the whole programme, registered with the core's pipeline (alliances.documents).

* « Tableau de bord du programme » (``dashboard``): every section of :mod:`evaluation.dashboard`;
* « Rapport d'évaluation » (``evaluation_report``, phase 3): results, findings, recommendations;
* « Dossier de séance du comité » (``committee_pack``): the meeting's agenda, the dashboard, the
  open decisions, and what changed since the previous pack of the same committee (the key
  figures of each pack are kept in its ``Report.parameters["snapshot"]``).

All three are committee-visible. The dashboard and the evaluation report are edition-wide: every
committee member of the edition may download them. A pack belongs to its committee (its
``committee`` parameter, the committee's kind): only that committee's members read it (its
agenda, members and open decisions are theirs), besides the coordinators: governance answers
who sits where (their ``readers``: :func:`governance.documents.committee_readers`). Their
questionnaire results are therefore the non-coordinator aggregates (fewer than 5 respondents:
withheld). Registered from ``EvaluationConfig.ready()``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliances.documents import DocumentError, DocumentKind, DocumentParameter, register
from alliances.models import Programme, Report
from evaluation.dashboard import key_figure_rows, programme_dashboard, snapshot
from evaluation.dashboard_types import Snapshot
from evaluation.models import Finding
from governance.documents import committee_readers
from governance.models import Committee, Meeting
from governance.selectors import committee_members

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DASHBOARD = "dashboard"
EVALUATION_REPORT = "evaluation_report"
COMMITTEE_PACK = "committee_pack"

# What « --committee » accepts besides the kind codes (steering, orientation, technical).
COMMITTEE_ALIASES = {"pilotage": "steering", "technique": "technical", "orientation": "orientation"}


# --- Parameters of the committee pack --------------------------------------------------------


def _clean_committee(programme: Programme, raw: Any) -> str:
    code = COMMITTEE_ALIASES.get(str(raw).strip().lower(), str(raw).strip().lower())
    if code not in Committee.Kind.values:
        raise ValidationError(
            _("Comité inconnu : « %(value)s » (pilotage, orientation ou technique).") % {"value": raw}, code="invalid"
        )
    if not Committee.objects.filter(programme=programme, kind=code).exists():
        raise ValidationError(_("Cette édition n'a pas de %(kind)s.") % {"kind": Committee.Kind(code).label})
    return code


def _describe_committee(programme: Programme, code: str) -> str:
    return str(Committee.Kind(code).label)


def _committee_choices(programme: Programme) -> list[tuple[str, str]]:
    return [(c.kind, c.name) for c in Committee.objects.filter(programme=programme).order_by("kind")]


def _clean_meeting(programme: Programme, raw: Any) -> int:
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        raise ValidationError(_("Réunion inconnue."), code="invalid") from None
    if not Meeting.objects.filter(pk=pk, committee__programme=programme).exists():
        raise ValidationError(_("Cette réunion n'est pas une réunion d'un comité de cette édition."), code="invalid")
    return pk


def _describe_meeting(programme: Programme, pk: int) -> str:
    meeting = Meeting.objects.filter(pk=pk).first()
    return _("réunion du %(date)s") % {"date": meeting.held_on.strftime("%d/%m/%Y")} if meeting else ""


def _meeting_choices(programme: Programme) -> list[tuple[str, str]]:
    meetings = Meeting.objects.filter(committee__programme=programme).select_related("committee")
    return [
        (str(m.pk), f"{m.committee.name} — {m.title} ({m.held_on:%d/%m/%Y})")
        for m in meetings.order_by("committee__kind", "held_on", "pk")
    ]


def _clean_send(programme: Programme, raw: Any) -> bool:
    return str(raw).strip().lower() in {"1", "true", "oui", "yes", "on"}


def _check_pack(programme: Programme, cleaned: dict[str, Any]) -> None:
    meeting_id = cleaned.get("meeting")
    if meeting_id and not Meeting.objects.filter(pk=meeting_id, committee__kind=cleaned.get("committee")).exists():
        raise ValidationError({"meeting": _("Cette réunion n'est pas une réunion du comité choisi.")})


COMMITTEE = DocumentParameter(
    name="committee",
    label=gettext_lazy("comité"),
    clean=_clean_committee,
    describe=_describe_committee,
    choices=_committee_choices,
    help_text=gettext_lazy("Le comité destinataire du dossier."),
)
MEETING = DocumentParameter(
    name="meeting",
    label=gettext_lazy("réunion"),
    clean=_clean_meeting,
    describe=_describe_meeting,
    choices=_meeting_choices,
    required=False,
    help_text=gettext_lazy("Par défaut, la prochaine réunion du comité (ou la dernière)."),
)
SEND = DocumentParameter(
    name="send",
    label=gettext_lazy("envoi aux membres"),
    clean=_clean_send,
    choices=lambda programme: [("", _("non, seulement le produire")), ("1", _("oui, l'envoyer par e-mail"))],
    required=False,
    help_text=gettext_lazy("Envoyer le dossier par e-mail aux membres du comité ayant un compte."),
)


# --- Builders ---------------------------------------------------------------------------------


def build_dashboard(programme: Programme, parameters: dict[str, Any], report: Report | None = None) -> dict[str, Any]:
    return {
        "document_title": _("Tableau de bord du programme"),
        "dashboard": programme_dashboard(programme, for_coordinator=False),
    }


def build_evaluation_report(
    programme: Programme, parameters: dict[str, Any], report: Report | None = None
) -> dict[str, Any]:
    dashboard = programme_dashboard(programme, for_coordinator=False)
    findings = list(
        Finding.objects.filter(programme=programme)
        .select_related("evidence_questionnaire", "evidence_session", "evidence_meeting__committee")
        .order_by("kind", "order", "pk")
    )
    headings: dict[str, StrOrPromise] = {
        Finding.Kind.OBSERVATION: _("Constats"),
        Finding.Kind.LESSON: _("Enseignements"),
        Finding.Kind.CONVICTION: _("Convictions"),
        Finding.Kind.RECOMMENDATION: _("Recommandations pour le déploiement"),
    }
    groups = [
        {"kind": kind, "label": headings.get(kind, label), "findings": [f for f in findings if f.kind == kind]}
        for kind, label in Finding.Kind.choices
    ]
    evaluation_phase = next((p for p in dashboard["phases"] if p["phase"].number == 3), None)
    return {
        "document_title": _("Rapport d'évaluation"),
        "dashboard": dashboard,
        "finding_groups": groups,
        "findings_total": len(findings),
        "evaluation_phase": evaluation_phase,
        "key_figures": key_figure_rows(dashboard["key_figures"]),
    }


def previous_pack(programme: Programme, committee_kind: str, *, before: Report | None = None) -> Report | None:
    """The latest READY pack of this committee before ``before`` (which has a snapshot), or None."""
    packs = Report.objects.filter(
        programme=programme, kind=COMMITTEE_PACK, status=Report.Status.READY, parameters__committee=committee_kind
    )
    if before is not None and before.pk:
        packs = packs.exclude(pk=before.pk).filter(created_at__lte=before.created_at)
    return packs.order_by("-created_at", "-pk").first()


def pack_meeting(committee: Committee, meeting_id: int | None = None, today: dt.date | None = None) -> Meeting | None:
    """The meeting a pack is for: the one asked, else the committee's next one, else its last one."""
    meetings = Meeting.objects.filter(committee=committee)
    if meeting_id:
        return meetings.filter(pk=meeting_id).first()
    today = today or timezone.localdate()
    upcoming = meetings.filter(held_on__gte=today).order_by("held_on", "starts_at", "pk").first()
    return upcoming or meetings.order_by("-held_on", "-pk").first()


def build_committee_pack(
    programme: Programme, parameters: dict[str, Any], report: Report | None = None
) -> dict[str, Any]:
    committee = Committee.objects.filter(programme=programme, kind=parameters.get("committee")).first()
    if committee is None:
        raise DocumentError(_("Le comité de ce dossier n'existe plus dans cette édition."))
    meeting = pack_meeting(committee, parameters.get("meeting"))
    if parameters.get("meeting") and meeting is None:
        raise DocumentError(_("La réunion de ce dossier n'existe plus."))
    dashboard = programme_dashboard(programme, for_coordinator=False)
    previous = previous_pack(programme, committee.kind, before=report)
    previous_figures = (previous.parameters.get("snapshot") or {}).get("figures") if previous else None
    return {
        "document_title": _("Dossier de séance — %(committee)s") % {"committee": committee.name},
        "committee": committee,
        "meeting": meeting,
        "members": list(committee_members(committee)),
        "dashboard": dashboard,
        "committee_decisions": [d for d in dashboard["decisions"] if d.meeting.committee_id == committee.pk],
        "other_decisions": [d for d in dashboard["decisions"] if d.meeting.committee_id != committee.pk],
        "previous": previous,
        "previous_taken_on": (previous.parameters.get("snapshot") or {}).get("taken_on") if previous else None,
        "changes": key_figure_rows(dashboard["key_figures"], previous_figures) if previous_figures else None,
    }


def dashboard_snapshot(context: Mapping[str, Any]) -> Snapshot:
    return snapshot(context["dashboard"])


def register_documents() -> None:
    register(
        DocumentKind(
            code=DASHBOARD,
            label=gettext_lazy("Tableau de bord du programme"),
            template_name="documents/dashboard.html",
            build_context=build_dashboard,
            committee_visible=True,
            readers=committee_readers,
            snapshot=dashboard_snapshot,
            description=gettext_lazy(
                "Recrutement, phases, sessions et présence, partenariats, freins, vote, "
                "feuilles de route, résultats des questionnaires, décisions ouvertes."
            ),
        )
    )
    register(
        DocumentKind(
            code=EVALUATION_REPORT,
            label=gettext_lazy("Rapport d'évaluation"),
            template_name="documents/evaluation_report.html",
            build_context=build_evaluation_report,
            committee_visible=True,
            readers=committee_readers,
            snapshot=dashboard_snapshot,
            description=gettext_lazy("Phase 3 : résultats, constats, enseignements et recommandations."),
        )
    )
    from governance import committee_packs  # the pack's e-mail hook lives with its automation

    register(
        DocumentKind(
            code=COMMITTEE_PACK,
            label=gettext_lazy("Dossier de séance du comité"),
            template_name="documents/committee_pack.html",
            build_context=build_committee_pack,
            committee_visible=True,
            readers=committee_readers,
            parameters=(COMMITTEE, MEETING, SEND),
            committee_parameter=COMMITTEE.name,
            snapshot=dashboard_snapshot,
            on_ready=committee_packs.pack_ready,
            check=_check_pack,
            description=gettext_lazy(
                "Ordre du jour, tableau de bord, décisions ouvertes, évolutions depuis le dossier précédent du comité."
            ),
        )
    )
