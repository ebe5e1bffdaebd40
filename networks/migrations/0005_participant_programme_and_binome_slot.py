"""Participant.programme (the enrolment's edition) and Participant.binome_slot, added empty.

0006 fills them for existing rows, 0007 makes the edition required and adds the constraints: three
migrations, because PostgreSQL refuses to alter a table (or index it) in the transaction that
updated its rows (« pending trigger events »).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("alliances", "0006_notification_claim_and_user_name_indexes"),
        ("networks", "0004_enrolment_status_and_action_due_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="participant",
            name="binome_slot",
            field=models.PositiveSmallIntegerField(
                blank=True, editable=False, null=True, verbose_name="place dans le binôme"
            ),
        ),
        migrations.AddField(
            model_name="participant",
            name="programme",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="participants",
                to="alliances.programme",
                verbose_name="édition",
            ),
        ),
    ]
