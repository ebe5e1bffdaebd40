"""The networks' part of a person's data (RGPD): their participations, binôme and roadmap actions."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q, QuerySet

from alliances.models import User
from alliances.privacy import (
    Anonymisation,
    PrivacyContributor,
    export_choice,
    export_day,
    export_time,
    privacy_registry,
)
from networks.models import Binome, Participant, RoadmapAction


@privacy_registry.register
class NetworksPrivacy(PrivacyContributor):
    key = "networks"
    order = 10
    models = ("networks.Participant", "networks.Binome", "networks.RoadmapAction")
    person_models = ("networks.Participant",)
    exempt = {
        "networks.Network": "the network's contact details are the network's own; a participant's name or address "
        "written there is replaced with every table's",
    }
    positions = {"participations": 20, "roadmap_actions": 120}

    def export(self, user: User) -> dict[str, Any]:
        participations = Participant.objects.filter(user=user).select_related(
            "enrolment__network", "enrolment__programme", "binome__enrolment__network"
        )
        actions = RoadmapAction.objects.filter(owner__user=user).select_related(
            "roadmap__enrolment__network", "roadmap__enrolment__programme"
        )
        return {
            "participations": [
                {
                    "edition": p.enrolment.programme.name,
                    "network": p.enrolment.network.name,
                    "job_title": p.job_title,
                    "binome": str(p.binome) if p.binome_id else None,
                    "listed_in_directory": p.listed_in_directory,
                    "joined_at": export_time(p.joined_at),
                }
                for p in participations
            ],
            "roadmap_actions": [
                {
                    "edition": a.roadmap.enrolment.programme.name,
                    "network": a.roadmap.enrolment.network.name,
                    "roadmap": str(a.roadmap),
                    "title": a.title,
                    "description": a.description,
                    "due_on": export_day(a.due_on),
                    **export_choice(a, "status"),
                    "done_on": export_day(a.done_on),
                }
                for a in actions
            ],
        }

    def anonymise(self, anonymisation: Anonymisation) -> list[Model | QuerySet[Any]]:
        participant_ids = list(Participant.objects.filter(user=anonymisation.user).values_list("pk", flat=True))
        # Participations stay (they count in the edition's figures), without a job title, out of the directory.
        Participant.objects.filter(pk__in=participant_ids).update(job_title="", listed_in_directory=False)
        # A binôme's name may be made of its members' first names.
        binomes = list(Binome.objects.filter(members__in=participant_ids).distinct())
        for binome in binomes:
            Binome.objects.filter(pk=binome.pk).update(name=anonymisation.identity.scrub(binome.name, weak=True))
        return [
            Participant.objects.filter(pk__in=participant_ids).select_related("user"),
            Binome.objects.filter(pk__in=[b.pk for b in binomes]).select_related("enrolment__network"),
        ]

    def editions(self, user: User) -> Q | None:
        return Q(enrolments__participants__user=user)
