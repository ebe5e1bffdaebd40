"""Issue 13, item 11: one participation per person and edition, two per binôme — held by the database.

These run on SQLite and PostgreSQL. Every writer is tried (save, bulk_create, queryset.update, a
raw UPDATE), plus the migration that fills the new columns of existing rows. The races themselves
(two coordinators at once) are in tests/test_concurrency_admin.py, on PostgreSQL only.
"""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.forms import CheckboxInput

from alliances.management.commands.generate_scale_data import generate_scale_data
from networks import db_guards
from networks.models import Binome, Enrolment, Participant
from tests import factories
from tests.alliances.test_admin import admin_url

pytestmark = pytest.mark.django_db


def refused(action):
    """Whether the database refuses ``action`` (in a savepoint, so that the test goes on)."""
    try:
        with transaction.atomic():
            action()
    except IntegrityError:
        return True
    return False


# --- The participant's edition is its enrolment's ---------------------------------------------------


def test_save_and_bulk_create_take_the_edition_of_the_enrolment():
    enrolment = factories.EnrolmentFactory()
    saved = factories.ParticipantFactory(enrolment=enrolment)
    (bulk,) = Participant.objects.bulk_create([Participant(user=factories.UserFactory(), enrolment_id=enrolment.pk)])
    assert saved.programme_id == bulk.programme_id == enrolment.programme_id
    assert Participant.objects.filter(programme=enrolment.programme).count() == 2

    other = factories.EnrolmentFactory()
    saved.enrolment = other
    saved.save(update_fields=["enrolment"])
    saved.refresh_from_db()
    assert saved.programme_id == other.programme_id


def test_the_guard_is_installed_by_the_migrations():
    assert db_guards.is_installed(connection)


def test_a_participant_cannot_hold_another_edition_than_its_enrolment():
    participant = factories.ParticipantFactory()
    elsewhere = factories.ProgrammeFactory()
    assert refused(lambda: Participant.objects.filter(pk=participant.pk).update(programme=elsewhere))
    assert refused(
        lambda: Participant.objects.bulk_create(
            [Participant(user=factories.UserFactory(), enrolment=participant.enrolment, programme=elsewhere)]
        )
    )
    with connection.cursor() as cursor:
        table = Participant._meta.db_table
        assert refused(
            lambda: cursor.execute(
                f"UPDATE {table} SET programme_id = %s WHERE id = %s", [elsewhere.pk, participant.pk]
            )
        )
    # Moving to an enrolment of another edition without the edition: refused as well.
    other_enrolment = factories.EnrolmentFactory(programme=elsewhere)
    assert refused(lambda: Participant.objects.filter(pk=participant.pk).update(enrolment=other_enrolment))
    participant.refresh_from_db()
    assert participant.programme_id == participant.enrolment.programme_id


def test_an_enrolment_moved_to_another_edition_takes_its_participants():
    participant = factories.ParticipantFactory()
    elsewhere = factories.ProgrammeFactory()
    enrolment = participant.enrolment
    enrolment.programme = elsewhere
    enrolment.save()
    participant.refresh_from_db()
    assert participant.programme == elsewhere


def test_deleting_an_edition_or_an_enrolment_deletes_its_participants():
    first, second = factories.ParticipantFactory(), factories.ParticipantFactory()
    first.enrolment.delete()
    second.enrolment.programme.delete()
    assert not Participant.objects.exists()


# --- One participation per person and edition ------------------------------------------------------


def test_a_second_participation_in_the_edition_is_refused_by_every_writer():
    first = factories.ParticipantFactory()
    other_network = factories.EnrolmentFactory(programme=first.enrolment.programme)

    second = Participant(user=first.user, enrolment=other_network)
    with pytest.raises(ValidationError) as error:
        second.full_clean()
    assert error.value.message_dict == {
        "user": ["Cette personne participe déjà à cette édition au titre d'un autre réseau."]
    }
    assert refused(second.save)
    assert refused(lambda: Participant.objects.bulk_create([Participant(user=first.user, enrolment=other_network)]))
    # In another edition the same person is welcome.
    factories.ParticipantFactory(user=first.user)
    assert Participant.objects.filter(user=first.user).count() == 2


# --- A binôme holds two slots -----------------------------------------------------------------------


def test_members_take_the_free_slot_and_leave_it():
    binome = factories.BinomeFactory()
    first, second = factories.ParticipantFactory.create_batch(2, enrolment=binome.enrolment, binome=binome)
    assert (first.binome_slot, second.binome_slot) == (1, 2)

    first.binome = None
    first.save(update_fields=["binome"])
    first.refresh_from_db()
    assert first.binome_slot is None
    newcomer = factories.ParticipantFactory(enrolment=binome.enrolment, binome=binome)
    assert newcomer.binome_slot == 1  # the one first left

    moved = factories.ParticipantFactory(
        enrolment=binome.enrolment, binome=factories.BinomeFactory(enrolment=binome.enrolment)
    )
    assert moved.binome_slot == 1


def test_deleting_a_binome_or_its_edition_frees_its_members():
    binome = factories.BinomeFactory()
    members = factories.ParticipantFactory.create_batch(2, enrolment=binome.enrolment, binome=binome)
    binome.delete()  # SET_NULL: the members stay, without a binôme
    assert [member.binome_id for member in Participant.objects.filter(pk__in=[m.pk for m in members])] == [None, None]
    again = factories.BinomeFactory(enrolment=binome.enrolment)
    for member in Participant.objects.filter(pk__in=[m.pk for m in members]):
        member.binome = again
        member.save()
    assert sorted(again.members.values_list("binome_slot", flat=True)) == [1, 2]

    paired = factories.BinomeFactory()
    factories.ParticipantFactory.create_batch(2, enrolment=paired.enrolment, binome=paired)
    paired.enrolment.programme.delete()  # the cascade nulls the binôme before deleting the members
    assert not Participant.objects.filter(enrolment=paired.enrolment_id).exists()


def test_a_third_member_is_refused_by_every_writer():
    binome = factories.BinomeFactory()
    factories.ParticipantFactory.create_batch(2, enrolment=binome.enrolment, binome=binome)
    third = factories.ParticipantFactory(enrolment=binome.enrolment)

    third.binome = binome
    with pytest.raises(ValidationError) as error, transaction.atomic():
        third.save()  # even without full_clean(): the slot is taken with the binôme locked
    assert error.value.message_dict == {"binome": ["Ce binôme compte déjà deux participants."]}

    assert refused(lambda: Participant.objects.filter(pk=third.pk).update(binome=binome))  # no slot
    assert refused(lambda: Participant.objects.filter(pk=third.pk).update(binome=binome, binome_slot=2))  # taken
    assert refused(lambda: Participant.objects.filter(pk=third.pk).update(binome=binome, binome_slot=3))
    assert refused(
        lambda: Participant.objects.bulk_create(
            [Participant(user=factories.UserFactory(), enrolment=binome.enrolment, binome=binome)]
        )
    )
    assert binome.members.count() == 2


def test_bulk_create_gives_the_free_slots_in_order():
    binome = factories.BinomeFactory()
    factories.ParticipantFactory(enrolment=binome.enrolment, binome=binome)
    (joined,) = Participant.objects.bulk_create(
        [Participant(user=factories.UserFactory(), enrolment=binome.enrolment, binome=binome)]
    )
    assert joined.binome_slot == 2
    assert sorted(binome.members.values_list("binome_slot", flat=True)) == [1, 2]


def test_the_scale_data_fill_both_columns():
    generate_scale_data(editions=1, seed=7)
    participants = Participant.objects.select_related("enrolment")
    assert participants.exists()
    assert all(p.programme_id == p.enrolment.programme_id for p in participants)
    for binome in Binome.objects.all():
        assert sorted(binome.members.values_list("binome_slot", flat=True)) in ([1], [1, 2])


# --- The migration fills the existing rows -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_edition_and_the_slots_of_existing_rows():
    before, after = (
        [("networks", "0004_enrolment_status_and_action_due_indexes")],
        [("networks", "0007_participant_constraints")],
    )
    # As the migrate command does (pre_migrate / post_migrate): no SQLite trigger during migrations.
    db_guards.uninstall_before_migrate(sender=None, using="default")
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        old_participant = apps.get_model("networks", "Participant")
        old_binome = apps.get_model("networks", "Binome")
        enrolment = factories.EnrolmentFactory()
        users = factories.UserFactory.create_batch(4)
        binome = old_binome.objects.create(enrolment_id=enrolment.pk)
        # Three members: what the race used to leave behind.
        ids = [
            old_participant.objects.create(user_id=user.pk, enrolment_id=enrolment.pk, binome_id=binome.pk).pk
            for user in users[:3]
        ] + [old_participant.objects.create(user_id=users[3].pk, enrolment_id=enrolment.pk).pk]

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        db_guards.install_after_migrate(sender=None, using="default")

    rows = {p.pk: p for p in Participant.objects.filter(pk__in=ids)}
    assert {p.programme_id for p in rows.values()} == {enrolment.programme_id}
    assert [(rows[pk].binome_id, rows[pk].binome_slot) for pk in ids] == [
        (binome.pk, 1),
        (binome.pk, 2),
        (None, None),  # the third member left the binôme
        (None, None),
    ]
    assert db_guards.is_installed(connection)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the triggers are SQLite's form of the guard")
def test_the_sqlite_triggers_come_back_after_a_migrate_that_dropped_them():
    """A migration that rebuilds networks_participant on SQLite drops its triggers; post_migrate restores them."""
    db_guards.uninstall(connection)
    assert not db_guards.is_installed(connection)
    db_guards.install_after_migrate(sender=None, using="default")
    assert db_guards.is_installed(connection)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the triggers are SQLite's form of the guard")
def test_a_migration_that_rebuilds_the_enrolments_table_runs_with_the_triggers_set_aside():
    """SQLite checks every trigger when a rebuilt table is renamed into place: one naming
    networks_enrolment made the rebuild of that table fail (« no such table »). The migrate
    command sets them aside before its migrations and puts them back after."""
    call_command("migrate", "networks", "0007", verbosity=0)  # back before a rebuild of networks_enrolment
    try:
        call_command("migrate", verbosity=0)  # 0008 rebuilds networks_enrolment (its length constraints)
    finally:
        call_command("migrate", verbosity=0)
    assert db_guards.is_installed(connection)


# --- The admin answers with the French errors -------------------------------------------------------


def change_page_data(client, url):
    """The POST data of an admin change page as it stands (main form, inlines, management forms)."""
    context = client.get(url).context
    forms = [context["adminform"].form]
    for inline in context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for bound in form:
            value = bound.value()
            if isinstance(bound.field.widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif value is not None:
                data[bound.html_name] = str(value)
    return data


def test_the_enrolment_page_refuses_two_newcomers_for_the_last_slot(client, coordinator, programme):
    client.force_login(coordinator)
    binome = factories.BinomeFactory(enrolment__programme=programme)
    enrolment = binome.enrolment
    factories.ParticipantFactory(enrolment=enrolment, binome=binome)
    newcomers = factories.ParticipantFactory.create_batch(2, enrolment=enrolment)
    url = admin_url(Enrolment, "change", enrolment.pk)
    data = change_page_data(client, url)
    rows = {data[f"participants-{i}-id"]: i for i in range(3)}
    first_row, second_row = sorted(rows[str(p.pk)] for p in newcomers)
    for index in (first_row, second_row):
        data[f"participants-{index}-binome"] = str(binome.pk)

    response = client.post(url, data)
    assert response.status_code == 200
    (formset,) = [
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "participants"
    ]
    errors = {index: form.errors.get("binome") for index, form in enumerate(formset.forms)}
    assert errors == {0: None, 1: None, 2: None} | {second_row: ["Ce binôme compte déjà deux participants."]}
    assert binome.members.count() == 1

    del data[f"participants-{second_row}-binome"]
    assert client.post(url, data).status_code == 302
    assert binome.members.count() == 2


def test_the_participant_page_refuses_a_full_binome_and_a_second_participation(client, coordinator, programme):
    client.force_login(coordinator)
    binome = factories.BinomeFactory(enrolment__programme=programme)
    factories.ParticipantFactory.create_batch(2, enrolment=binome.enrolment, binome=binome)
    third = factories.ParticipantFactory(enrolment=binome.enrolment)
    url = admin_url(Participant, "change", third.pk)
    data = change_page_data(client, url)
    data["binome"] = str(binome.pk)
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"binome": ["Ce binôme compte déjà deux participants."]}

    other_network = factories.EnrolmentFactory(programme=programme)
    response = client.post(
        admin_url(Participant, "add"),
        {"user": third.user.pk, "enrolment": other_network.pk, "job_title": "", "listed_in_directory": "on"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "user": ["Cette personne participe déjà à cette édition au titre d'un autre réseau."]
    }


def test_an_enrolment_cannot_move_to_an_edition_where_one_of_its_participants_already_is():
    participant = factories.ParticipantFactory()
    elsewhere = factories.ParticipantFactory(user=participant.user)
    enrolment = participant.enrolment
    enrolment.programme = elsewhere.programme
    with pytest.raises(ValidationError) as error:
        enrolment.full_clean()
    assert error.value.message_dict["programme"] == [
        "Un participant de ce réseau participe déjà à cette édition au titre d'un autre réseau."
    ]
    assert refused(enrolment.save)  # and the database refuses it without the form
