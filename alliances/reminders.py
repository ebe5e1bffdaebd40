"""The core's notification source: the e-mails of the relances (see :mod:`alliances.relances`).

Found by :func:`alliances.notifications.sources` like every app's ``reminders`` module.
Its notifications are recorded by :func:`alliances.relances.relance_send`, one per
recipient, when the coordinator sends the relance: there is nothing for the periodic
job to find (:meth:`RelanceEmails.find_due` finds nothing), but it sends those still
pending should their queued batch have been lost.

Each message is the relance's stored subject and text, the recipient's first name and
a link to the target's portal page. At send time, someone who has answered since, whose
account was closed, or whose target no longer takes answers (the session has started,
the questionnaire has closed) gets nothing: the notification is cancelled.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models

from alliances import notifications, relances
from alliances.models import Notification, Relance


@notifications.register
class RelanceEmails(notifications.Source):
    kind = relances.KIND

    def find_due(self, *, now: dt.datetime) -> list[Notification]:
        return []

    def build(self, items: list[Notification], *, now: dt.datetime) -> dict[int, notifications.Outcome]:
        groups = notifications.group_by_object(items)
        found = Relance.objects.select_related("programme", "content_type").in_bulk(
            {object_id for _kind, object_id in groups}
        )
        targets = self._targets(found.values())
        messages: dict[int, notifications.Outcome] = {}
        for (_kind, relance_id), group in groups.items():
            relance = found.get(relance_id)
            target = relances.target_for(relance.target) if relance else None
            obj = targets.get((relance.content_type_id, relance.object_id)) if relance else None
            if relance is None or target is None or obj is None or not target.is_open(obj, now=now):
                continue  # deleted, or too late: cancelled
            waiting = set(
                target.recipients(obj)
                .filter(pk__in=[n.recipient_id for n in group], is_active=True)
                .values_list("pk", flat=True)
            )
            renderer = notifications.EmailRenderer(
                "relance",
                {
                    "relance": relance,
                    "target_url": f"{notifications.site_url()}{target.portal_url(obj)}",
                    "link_label": target.link_label(obj),
                },
                programme=relance.programme,
            )
            for notification in group:
                if notification.recipient_id in waiting:
                    messages[notification.pk] = renderer.email(notification)
        return messages

    @staticmethod
    def _targets(found: Iterable[Relance]) -> dict[tuple[int, int], models.Model]:
        """``{(content type id, object id): object}``: one query per model of the batch's relances."""
        by_type: defaultdict[int, set[int]] = defaultdict(set)
        types: dict[int, ContentType] = {}
        for relance in found:
            by_type[relance.content_type_id].add(relance.object_id)
            types[relance.content_type_id] = relance.content_type
        objects: dict[tuple[int, int], models.Model] = {}
        for type_id, ids in by_type.items():
            model = types[type_id].model_class()
            if model is None:
                continue
            for pk, obj in model._default_manager.in_bulk(ids).items():
                objects[(type_id, pk)] = obj
        return objects
