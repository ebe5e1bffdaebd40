"""Fill Participant.programme and Participant.binome_slot of existing rows (data only, see 0005)."""

import logging

from django.db import migrations
from django.db.models import Count, OuterRef, Subquery

logger = logging.getLogger(__name__)


def fill_programme_and_slots(apps, schema_editor):
    Enrolment = apps.get_model("networks", "Enrolment")
    Participant = apps.get_model("networks", "Participant")
    Participant.objects.update(
        programme_id=Subquery(Enrolment.objects.filter(pk=OuterRef("enrolment_id")).values("programme_id")[:1])
    )

    # Two participations of one person in one edition cannot be resolved without losing what one
    # of them holds (registrations, answers, votes): stop, name them, let a coordinator choose.
    twice = list(
        Participant.objects.values("user_id", "programme_id").annotate(n=Count("pk")).filter(n__gt=1).order_by()
    )
    if twice:
        listed = "; ".join(
            f"user {row['user_id']} in programme {row['programme_id']}: participants "
            + ", ".join(
                str(pk)
                for pk in Participant.objects.filter(user_id=row["user_id"], programme_id=row["programme_id"])
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            for row in twice
        )
        raise RuntimeError(
            "Some people take part twice in one edition; delete one participation of each, then migrate again: "
            + listed
        )

    # Slots in the order members joined; a third member (the race this migration closes) leaves
    # the binôme, which a coordinator can see and settle: the membership is all that is lost.
    changed, previous, rank = [], None, 0
    members = Participant.objects.filter(binome__isnull=False).order_by("binome_id", "pk").only("pk", "binome_id")
    for participant in members.iterator(chunk_size=2000):
        rank = rank + 1 if participant.binome_id == previous else 1
        previous = participant.binome_id
        if rank <= 2:
            participant.binome_slot = rank
        else:
            logger.warning("Participant %s left binôme %s: it had more than two members.", participant.pk, previous)
            participant.binome_id = None
        changed.append(participant)
    Participant.objects.bulk_update(changed, ["binome_slot", "binome"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("networks", "0005_participant_programme_and_binome_slot")]

    operations = [migrations.RunPython(fill_programme_and_slots, migrations.RunPython.noop, elidable=False)]
