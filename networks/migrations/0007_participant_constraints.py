"""One participation per person and edition, at most two per binôme, and the edition held to the enrolment's.

The last operation adds what Django cannot declare (see networks/db_guards.py): a composite
foreign key on PostgreSQL, triggers on SQLite.
"""

import django.db.models.deletion
from django.db import migrations, models


def install_guards(apps, schema_editor):
    from networks import db_guards

    if schema_editor.connection.vendor == "sqlite":
        return  # installed by post_migrate, once every migration of the run has rebuilt its tables
    db_guards.install(schema_editor.connection)


def uninstall_guards(apps, schema_editor):
    from networks import db_guards

    db_guards.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("alliances", "0006_notification_claim_and_user_name_indexes"),
        ("networks", "0006_fill_participant_programme_and_binome_slot"),
    ]

    operations = [
        migrations.AlterField(
            model_name="participant",
            name="programme",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="participants",
                to="alliances.programme",
                verbose_name="édition",
            ),
        ),
        migrations.AddConstraint(
            model_name="enrolment",
            constraint=models.UniqueConstraint(fields=("id", "programme"), name="enrolment_unique_id_programme"),
        ),
        migrations.AddConstraint(
            model_name="participant",
            constraint=models.UniqueConstraint(
                fields=("user", "programme"),
                name="participant_unique_user_programme",
                violation_error_message="Cette personne participe déjà à cette édition.",
            ),
        ),
        migrations.AddConstraint(
            model_name="participant",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("binome__isnull", True),
                    models.Q(("binome__isnull", False), ("binome_slot__in", (1, 2)), ("binome_slot__isnull", False)),
                    _connector="OR",
                ),
                name="participant_binome_slot_1_or_2",
                violation_error_message="Ce binôme compte déjà deux participants.",
            ),
        ),
        migrations.AddConstraint(
            model_name="participant",
            constraint=models.UniqueConstraint(
                fields=("binome", "binome_slot"),
                name="participant_unique_binome_slot",
                violation_error_message="Ce binôme compte déjà deux participants.",
            ),
        ),
        migrations.RunPython(install_guards, uninstall_guards, elidable=False),
    ]
