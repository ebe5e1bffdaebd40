"""Import an edition's participants from a CSV file (used by the admin).

The file: one header line, then one participant per line.

* Columns (headers are matched liberally: case, accents, spaces, dashes and a
  trailing ``*`` or ``:`` do not matter; French or English):
  ``nom`` (with ``prénom``: the last name; alone: the full name, « Camille Martin »
  or « MARTIN Camille »), ``prénom`` (optional), ``email`` / ``e-mail``,
  ``réseau`` (the network's name or acronym), ``fonction`` (optional),
  ``téléphone`` (optional). English: ``name``, ``first_name``, ``last_name``,
  ``email``, ``network``, ``job_title``, ``phone``. Other columns are ignored,
  and the report says so.
* Comma or semicolon delimited (the one the header line uses), UTF-8 with or
  without BOM (what spreadsheets save as « CSV UTF-8 »), at most 1 MB.

Rows are checked strictly, and every bad row is reported with its line number
and a French reason. If any row is bad, nothing is imported: the import is all
or nothing. Otherwise each person is found by email (case-insensitive) or
created with an unusable password, added as a participant of the network's
enrolment in the edition (any enrolment status), and — once the transaction is
committed — sent an invitation. People already participating for that network
are left as they are; when every row is such a person (the same file sent again,
or twice at once: imports into one edition run one after the other, the edition's
row locked), the report says the file was already imported.
"""

import csv
import io
import logging
import unicodedata
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alliances.invitations import users_invite
from alliances.models import Programme, normalise_email
from networks.models import Enrolment, Participant
from networks.services import account_get_or_create, participant_create

logger = logging.getLogger(__name__)

MAX_BYTES = 1024 * 1024

# Normalised header (see _normalise) → field of the import.
HEADER_ALIASES = {
    "nom": "name",
    "name": "name",
    "nom complet": "full_name",
    "full name": "full_name",
    "prenom nom": "full_name",
    "nom prenom": "full_name",
    "nom de famille": "last_name",
    "last name": "last_name",
    "lastname": "last_name",
    "surname": "last_name",
    "family name": "last_name",
    "prenom": "first_name",
    "first name": "first_name",
    "firstname": "first_name",
    "given name": "first_name",
    "email": "email",
    "e mail": "email",
    "mail": "email",
    "courriel": "email",
    "adresse e mail": "email",
    "adresse email": "email",
    "adresse mail": "email",
    "email address": "email",
    "reseau": "network",
    "nom du reseau": "network",
    "sigle": "network",
    "network": "network",
    "fonction": "job_title",
    "poste": "job_title",
    "job title": "job_title",
    "jobtitle": "job_title",
    "telephone": "phone",
    "tel": "phone",
    "phone": "phone",
}
FIELD_LABELS = {
    "name": "nom",
    "full_name": "nom",
    "last_name": "nom",
    "first_name": "prénom",
    "email": "email",
    "network": "réseau",
    "job_title": "fonction",
    "phone": "téléphone",
}


@dataclass(frozen=True)
class RowError:
    line: int | None  # None: the whole file
    message: str

    def __str__(self):
        if self.line is None:
            return self.message
        return _("Ligne %(line)d : %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rows: int = 0
    created_users: int = 0
    created_participants: int = 0
    already_participants: int = 0
    invitations: int = 0  # sent after the commit

    @property
    def ok(self):
        return not self.errors

    @property
    def already_applied(self):
        """Every row was already a participant: the same file sent again (or a double click)."""
        return self.ok and self.rows > 0 and self.created_participants == 0 and self.already_participants == self.rows


@dataclass
class _Row:
    line: int
    email: str
    first_name: str
    last_name: str
    job_title: str
    phone: str
    enrolment: Enrolment


class _Aborted(Exception):
    """Rolls the whole import back."""


def _normalise(text):
    text = unicodedata.normalize("NFKD", text.strip().lstrip("\ufeff")).casefold()
    text = "".join(char for char in text if not unicodedata.combining(char))
    for char in "-_.'’":
        text = text.replace(char, " ")
    return " ".join(text.rstrip("*: ").split())


def _max_length(model, name):
    return model._meta.get_field(name).max_length


def _split_full_name(name):
    """« Camille Martin » → (Camille, Martin); « MARTIN Camille » → (Camille, MARTIN); « Martin » → ("", Martin); blank → ("", "")."""
    words = name.split()
    if not words:
        return "", ""  # reported as « nom manquant » by the caller
    if len(words) == 1:
        return "", name
    upper = 0
    while upper < len(words) and words[upper].isupper() and len(words[upper]) > 1:
        upper += 1
    if 0 < upper < len(words):
        return " ".join(words[upper:]), " ".join(words[:upper])
    return words[0], " ".join(words[1:])


def _read_text(file, report):
    size = getattr(file, "size", None)
    if size is not None and size > MAX_BYTES:
        report.errors.append(RowError(None, _("Le fichier dépasse 1 Mo : découpez-le en plusieurs fichiers.")))
        return None
    if hasattr(file, "seek"):
        file.seek(0)
    raw = file.read(MAX_BYTES + 1)
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if len(raw) > MAX_BYTES:
        report.errors.append(RowError(None, _("Le fichier dépasse 1 Mo : découpez-le en plusieurs fichiers.")))
        return None
    not_text = _(
        "Le fichier n'est pas un fichier texte CSV en UTF-8 : dans le tableur, enregistrez-le au format « CSV UTF-8 »."
    )
    if b"\x00" in raw:
        report.errors.append(RowError(None, not_text))
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append(RowError(None, not_text))
        return None
    if not text.strip():
        report.errors.append(RowError(None, _("Le fichier est vide.")))
        return None
    return text


def _delimiter(text):
    first_line = next(line for line in text.splitlines() if line.strip())
    return ";" if first_line.count(";") > first_line.count(",") else ","


def _read_header(header, line, report):
    """Map column index → import field, or None when the header is unusable (errors reported)."""
    columns, ignored, seen = {}, [], {}
    for index, title in enumerate(header):
        key = HEADER_ALIASES.get(_normalise(title))
        if key is None:
            if title.strip():
                ignored.append(title.strip())
            continue
        if key in seen:
            report.errors.append(
                RowError(line, _("La colonne « %(column)s » apparaît deux fois.") % {"column": title.strip()})
            )
            continue
        seen[key] = index
        columns[index] = key
    names = {"name", "full_name", "last_name"} & set(seen)
    if len(names) > 1 or {"full_name", "first_name"} <= set(seen):
        report.errors.append(
            RowError(line, _("Donnez le nom dans une seule colonne « nom » (avec « prénom » au besoin)."))
        )
    missing = [label for key, label in (("email", "email"), ("network", "réseau")) if key not in seen]
    if not names:
        missing.insert(0, "nom")
    if missing:
        report.errors.append(
            RowError(
                line,
                ngettext(
                    "En-tête incorrect : colonne obligatoire absente : %(missing)s. "
                    "La première ligne doit nommer les colonnes, par exemple : nom;prénom;email;réseau;fonction",
                    "En-tête incorrect : colonnes obligatoires absentes : %(missing)s. "
                    "La première ligne doit nommer les colonnes, par exemple : nom;prénom;email;réseau;fonction",
                    len(missing),
                )
                % {"missing": ", ".join(f"« {label} »" for label in missing)},
            )
        )
    if ignored:
        report.warnings.append(
            _("Colonnes ignorées : %(columns)s.") % {"columns": ", ".join(f"« {title} »" for title in ignored)}
        )
    if report.errors:
        return None
    # "nom" is the last name next to a "prénom" column, else the full name.
    name_kind = "last_name" if "first_name" in seen else "full_name"
    return {index: (name_kind if key == "name" else key) for index, key in columns.items()}


def _enrolment_index(programme):
    """Normalised network name, acronym or label → enrolments of the edition it may designate."""
    index = {}
    for enrolment in Enrolment.objects.filter(programme=programme).select_related("network"):
        network = enrolment.network
        for key in {network.name, network.acronym, str(network)}:
            if key.strip():
                index.setdefault(_normalise(key), set()).add(enrolment)
    return index


def _row_values(line_cells, columns, width, problems):
    """The row's values by column key, the full name split; too many cells or no name are problems."""
    if len(line_cells) > width and any(cell.strip() for cell in line_cells[width:]):
        problems.append(
            _("%(found)d valeurs pour %(expected)d colonnes (un séparateur en trop ?).")
            % {"found": len(line_cells), "expected": width}
        )
    values = {key: (line_cells[index].strip() if index < len(line_cells) else "") for index, key in columns.items()}
    if "full_name" in values:
        values["first_name"], values["last_name"] = _split_full_name(values.pop("full_name"))
    if not values.get("last_name"):
        problems.append(_("nom manquant."))
    return values


def _check_email(values, line, first_line_of_email, problems):
    """The row's normalised address; missing, invalid or already on an earlier line are problems."""
    email = normalise_email(values.get("email", ""))
    if not email:
        problems.append(_("adresse e-mail manquante."))
        return email
    try:
        validate_email(email)
    except ValidationError:
        problems.append(_("adresse e-mail invalide : « %(email)s ».") % {"email": values["email"]})
        return email
    if email in first_line_of_email:
        problems.append(
            _("adresse e-mail en double dans le fichier (déjà ligne %(line)d).") % {"line": first_line_of_email[email]}
        )
    else:
        first_line_of_email[email] = line
    return email


def _check_network(values, enrolments, problems):
    """The one enrolment the row's network designates, else None and a problem."""
    network = values.get("network", "")
    if not network:
        problems.append(_("réseau manquant."))
        return None
    matches = enrolments.get(_normalise(network), set())
    if not matches:
        problems.append(
            _("réseau inconnu dans cette édition : « %(network)s » (nom ou sigle d'un réseau inscrit).")
            % {"network": network}
        )
        return None
    if len(matches) > 1:
        problems.append(_("« %(network)s » désigne plusieurs réseaux : donnez son nom.") % {"network": network})
        return None
    return next(iter(matches))


def _check_rows(rows_by_line, columns, width, programme, report):
    """Validate every row; return the clean rows (meaningful only when report.ok)."""
    enrolments = _enrolment_index(programme)
    limits = {
        "first_name": _max_length(get_user_model(), "first_name"),
        "last_name": _max_length(get_user_model(), "last_name"),
        "email": _max_length(get_user_model(), "email"),
        "job_title": _max_length(Participant, "job_title"),
        "phone": _max_length(get_user_model(), "phone"),
    }
    clean, first_line_of_email = [], {}
    for line, cells in rows_by_line:
        problems = []
        values = _row_values(cells, columns, width, problems)
        email = _check_email(values, line, first_line_of_email, problems)
        for key, limit in limits.items():
            if len(values.get(key, "")) > limit:
                problems.append(
                    _("« %(column)s » trop long (%(limit)d caractères au plus).")
                    % {"column": FIELD_LABELS[key], "limit": limit}
                )
        enrolment = _check_network(values, enrolments, problems)
        report.errors.extend(RowError(line, problem) for problem in problems)
        if not problems:
            clean.append(
                _Row(
                    line=line,
                    email=email,
                    first_name=values.get("first_name", ""),
                    last_name=values.get("last_name", ""),
                    job_title=values.get("job_title", ""),
                    phone=values.get("phone", ""),
                    enrolment=enrolment,
                )
            )
    return clean


def _existing(clean_rows, programme):
    """Users of these emails (one query) and their participations in the edition (one query)."""
    emails = {row.email for row in clean_rows}
    # Stored addresses are normalised (a constraint holds it), like the rows' (normalise_email): an exact
    # lookup on the unique index.
    users = {user.email: user for user in get_user_model().objects.filter(email__in=sorted(emails))}
    participations = {}
    for participant in Participant.objects.filter(user__in=list(users.values()), programme=programme).select_related(
        "enrolment__network"
    ):
        participations.setdefault(participant.user_id, []).append(participant)
    return users, participations


def _create(clean_rows, users, participations, report):
    """Create users and participants; return the users to invite. Raises _Aborted on a late validation error."""
    to_invite = []
    for row in clean_rows:
        try:
            user, created = account_get_or_create(
                email=row.email,
                user=users.get(row.email),
                first_name=row.first_name,
                last_name=row.last_name,
                phone=row.phone,
            )
            users[row.email] = user
            report.created_users += created
            if any(p.enrolment_id == row.enrolment.pk for p in participations.get(user.pk, [])):
                report.already_participants += 1
                continue
            participant = participant_create(user=user, enrolment=row.enrolment, job_title=row.job_title)
            participations.setdefault(user.pk, []).append(participant)
            report.created_participants += 1
            to_invite.append(user.pk)
        except ValidationError as exc:
            report.errors.extend(RowError(row.line, message) for message in exc.messages)
    if report.errors:
        raise _Aborted
    return to_invite


def _send_invitations(user_ids, *, programme, invited_by, base_url):
    """After the commit: one email per person through one connection; a failure does not stop the others."""
    users = get_user_model().objects.filter(pk__in=user_ids)
    batch = users_invite(invitations=((user, programme) for user in users), invited_by=invited_by, base_url=base_url)
    if batch.failed:
        logger.warning("CSV import into %s: %d invitation(s) failed.", programme.pk, batch.failed)


def participants_import_csv(*, programme, file, invited_by, send_invitations=True, base_url=None):
    """Import the participants of ``file`` into ``programme``: all or nothing. Returns an :class:`ImportReport`.

    ``base_url`` is the site address used in the invitation links (see
    ``alliances.invitations``); the admin view passes the request's.
    """
    report = ImportReport()
    text = _read_text(file, report)
    if text is None:
        return report

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    columns, width, rows = None, 0, []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if columns is None:
                columns, width = _read_header(cells, reader.line_num, report), len(cells)
                if columns is None:
                    return report
                continue
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        report.errors.append(
            RowError(reader.line_num, _("ligne illisible (guillemets mal fermés ?) : %(error)s") % {"error": exc})
        )
        return report
    if not rows:
        report.errors.append(RowError(None, _("Le fichier ne contient aucun participant sous la ligne d'en-tête.")))
        return report
    report.rows = len(rows)

    clean_rows = _check_rows(rows, columns, width, programme, report)
    _check_other_networks(clean_rows, *_existing(clean_rows, programme), report)  # reported with the rest
    if report.errors:
        report.errors.sort(key=lambda error: error.line or 0)
        return report

    try:
        with transaction.atomic():
            # Imports into one edition run one at a time: a second one (the same file sent twice at
            # once) waits here for the first's commit, then reads again the people it added and
            # finds them already participants instead of failing on the unique email or
            # participation.
            list(Programme.objects.select_for_update().filter(pk=programme.pk).values_list("pk"))
            users, participations = _existing(clean_rows, programme)
            _check_other_networks(clean_rows, users, participations, report)
            if report.errors:
                raise _Aborted
            to_invite = _create(clean_rows, users, participations, report)
            if send_invitations and to_invite:
                report.invitations = len(to_invite)
                transaction.on_commit(
                    lambda: _send_invitations(to_invite, programme=programme, invited_by=invited_by, base_url=base_url)
                )
    except _Aborted:
        _nothing_imported(report)
    except IntegrityError:
        # Another writer (an invitation, the admin) added one of these people between our reads and
        # our inserts: the database refused, the transaction is undone, the coordinator retries.
        logger.warning("CSV import into %s: refused by a concurrent write.", programme.pk, exc_info=True)
        _nothing_imported(report)
        report.errors.append(
            RowError(
                None,
                _(
                    "Ces participants ont été modifiés par une autre opération pendant l'import : "
                    "importez de nouveau le fichier."
                ),
            )
        )
    return report


def _check_other_networks(clean_rows, users, participations, report):
    """A person already taking part in the edition for another network is refused (one participation per edition)."""
    for row in clean_rows:
        user = users.get(row.email)
        others = [p for p in participations.get(user.pk, []) if p.enrolment_id != row.enrolment.pk] if user else []
        if others:
            report.errors.append(
                RowError(
                    row.line,
                    _("%(email)s participe déjà à cette édition au titre du réseau %(network)s.")
                    % {"email": row.email, "network": others[0].enrolment.network},
                )
            )


def _nothing_imported(report):
    report.created_users = report.created_participants = report.already_participants = report.invitations = 0
    report.errors.sort(key=lambda error: error.line or 0)
