"""Database rules that Django's model layer cannot declare: a participant's edition is its enrolment's.

``Participant.programme`` copies ``Enrolment.programme`` so that a unique constraint can hold
« one participation per person and edition ». The copy itself must be held by the database,
whatever writes (save, bulk_create, queryset.update, raw SQL, a console):

* PostgreSQL: a composite foreign key ``(enrolment_id, programme_id)`` →
  ``networks_enrolment (id, programme_id)`` (the model's ``enrolment_unique_id_programme`` is
  its target). ``ON UPDATE CASCADE``: when an enrolment moves to another edition, its
  participants follow (and ``participant_unique_user_programme`` refuses the move if a person
  would then take part twice). Not deferrable, so a wrong row fails at its statement, where the
  writer can still turn the error into a message.
* SQLite (the embedded default): no ``ALTER TABLE … ADD CONSTRAINT``, so triggers do the same:
  refuse an insert or update whose edition is not the enrolment's, and copy an enrolment's new
  edition to its participants. Django rebuilds a SQLite table to alter it, which drops its
  triggers, and a trigger naming ``networks_enrolment`` makes the rebuild of that table fail
  (SQLite checks the triggers when it renames the new table into place). So on SQLite the
  triggers are dropped before every ``migrate`` and installed after it (``NetworksConfig.ready``:
  ``pre_migrate`` and ``post_migrate``): no migration runs with them, and none can remove them.

Django 5.2 has no composite foreign key (only composite primary keys), hence this module.
"""

FOREIGN_KEY = "participant_programme_is_enrolments"

POSTGRESQL_INSTALL = f"""
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '{FOREIGN_KEY}') THEN
        ALTER TABLE networks_participant ADD CONSTRAINT {FOREIGN_KEY}
            FOREIGN KEY (enrolment_id, programme_id) REFERENCES networks_enrolment (id, programme_id)
            ON UPDATE CASCADE ON DELETE NO ACTION NOT DEFERRABLE;
    END IF;
END $$;
"""
POSTGRESQL_UNINSTALL = f"ALTER TABLE networks_participant DROP CONSTRAINT IF EXISTS {FOREIGN_KEY};"

_MISMATCH = f"SELECT RAISE(ABORT, 'CHECK constraint failed: {FOREIGN_KEY}');"
SQLITE_TRIGGERS = {
    f"{FOREIGN_KEY}_insert": f"""
        CREATE TRIGGER IF NOT EXISTS {FOREIGN_KEY}_insert BEFORE INSERT ON networks_participant
        WHEN NEW.programme_id IS NOT (SELECT programme_id FROM networks_enrolment WHERE id = NEW.enrolment_id)
        BEGIN {_MISMATCH} END;
    """,
    f"{FOREIGN_KEY}_update": f"""
        CREATE TRIGGER IF NOT EXISTS {FOREIGN_KEY}_update
        BEFORE UPDATE OF programme_id, enrolment_id ON networks_participant
        WHEN NEW.programme_id IS NOT (SELECT programme_id FROM networks_enrolment WHERE id = NEW.enrolment_id)
        BEGIN {_MISMATCH} END;
    """,
    f"{FOREIGN_KEY}_cascade": f"""
        CREATE TRIGGER IF NOT EXISTS {FOREIGN_KEY}_cascade AFTER UPDATE OF programme_id ON networks_enrolment
        WHEN NEW.programme_id IS NOT OLD.programme_id
        BEGIN UPDATE networks_participant SET programme_id = NEW.programme_id WHERE enrolment_id = NEW.id; END;
    """,
}


def install(connection):
    """Add the rule to ``connection``'s database (nothing if already there). Other vendors: nothing."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRESQL_INSTALL)
        elif connection.vendor == "sqlite":
            for sql in SQLITE_TRIGGERS.values():
                cursor.execute(sql)


def uninstall(connection):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRESQL_UNINSTALL)
        elif connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def is_installed(connection):
    """Whether the rule is in ``connection``'s database (for the tests and the system check)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_constraint WHERE conname = %s", [FOREIGN_KEY])
            return cursor.fetchone()[0] == 1
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            return set(SQLITE_TRIGGERS) <= {name for (name,) in cursor.fetchall()}
    return False


def uninstall_before_migrate(sender, using, **kwargs):
    """pre_migrate receiver: on SQLite, no trigger while migrations rebuild the tables it names."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor == "sqlite":
        uninstall(connection)


def install_after_migrate(sender, using, **kwargs):
    """post_migrate receiver: put the triggers back if a table rebuild dropped them (SQLite)."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor == "sqlite" and _participant_table_exists(connection):
        install(connection)


def _participant_table_exists(connection):
    """Whether the tables have the columns the triggers name (not when migrated back before 0005)."""
    with connection.cursor() as cursor:
        if not {"networks_participant", "networks_enrolment"} <= set(connection.introspection.table_names(cursor)):
            return False
        columns = connection.introspection.get_table_description(cursor, "networks_participant")
    return any(column.name == "programme_id" for column in columns)
