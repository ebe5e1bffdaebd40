import django.db.models.functions.text
from django.db import migrations, models


def normalise_stored_addresses(apps, schema_editor):
    """Lower-case and strip the addresses written before the constraint (e.g. by a bulk load).

    Two accounts whose addresses differ only by case cannot both be kept under one spelling:
    the migration stops and names them, so that someone decides which account survives.
    """
    User = apps.get_model("alliances", "User")
    seen = {}
    for pk, email in User.objects.order_by("pk").values_list("pk", "email"):
        seen.setdefault(email.strip().lower(), []).append(pk)
    clashes = {email: pks for email, pks in seen.items() if len(pks) > 1}
    if clashes:
        listed = "; ".join(f"{email}: users {pks}" for email, pks in sorted(clashes.items()))
        raise RuntimeError(f"Accounts whose addresses differ only by case must be merged first: {listed}")
    for pk, email in User.objects.order_by("pk").values_list("pk", "email"):
        if email != email.strip().lower():
            User.objects.filter(pk=pk).update(email=email.strip().lower())


class Migration(migrations.Migration):
    dependencies = [
        ("alliances", "0009_report_watchdog_periodic_task"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(normalise_stored_addresses, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("email", django.db.models.functions.text.Lower(django.db.models.functions.text.Trim("email")))
                ),
                name="user_email_normalised",
                violation_error_message="L'adresse e-mail doit être enregistrée en minuscules, sans espaces.",
            ),
        ),
    ]
