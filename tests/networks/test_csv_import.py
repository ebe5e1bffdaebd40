"""CSV import of participants: the service and its admin page."""

import io

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from alliances.models import User
from networks.admin_actions import participant_import_csv_view, participant_import_urls
from networks.imports import MAX_BYTES, participants_import_csv
from networks.models import Enrolment, Participant
from tests import factories
from tests.factories_accounts import admin_request, sent_messages

pytestmark = pytest.mark.django_db


@pytest.fixture
def alpha(programme):
    return factories.EnrolmentFactory(programme=programme, network__name="Réseau Alpha", network__acronym="ALPHA")


@pytest.fixture
def beta(programme):
    # Any enrolment status will do: the import is often done before the decision.
    return factories.EnrolmentFactory(
        programme=programme, network__name="Réseau Bêta", network__acronym="RB", status=Enrolment.Status.PENDING
    )


def upload(text, *, encoding="utf-8", name="participants.csv"):
    return SimpleUploadedFile(name, text.encode(encoding) if isinstance(text, str) else text, "text/csv")


def run(programme, text, *, coordinator=None, send_invitations=True, **kwargs):
    return participants_import_csv(
        programme=programme, file=upload(text, **kwargs), invited_by=coordinator, send_invitations=send_invitations
    )


def errors_by_line(report):
    found = {}
    for error in report.errors:
        found.setdefault(error.line, []).append(error.message)
    return found


GOOD = (
    "nom,prénom,email,réseau,fonction\n"
    "Martin,Camille,Camille.Martin@example.org,Réseau Alpha,Déléguée générale\n"
    "Durand,Dominique,dominique.durand@example.org,rb,Chargé de partenariats\n"
)


# --- The service ------------------------------------------------------------------------------------


def test_a_good_file_creates_users_and_participants_and_invites_them_after_commit(
    programme, coordinator, alpha, beta, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = run(programme, GOOD, coordinator=coordinator)
    assert report.ok, report.errors
    assert len(callbacks) == 1
    assert (report.rows, report.created_users, report.created_participants, report.invitations) == (2, 2, 2, 2)

    camille = User.objects.get(email="camille.martin@example.org")
    assert (camille.first_name, camille.last_name) == ("Camille", "Martin")
    assert not camille.has_usable_password()
    assert Participant.objects.get(user=camille).enrolment == alpha
    dominique = Participant.objects.get(user__email="dominique.durand@example.org")
    assert dominique.enrolment == beta  # matched by acronym, case-insensitively
    assert dominique.job_title == "Chargé de partenariats"

    assert sorted(email.to[0] for email in mail.outbox) == [
        "camille.martin@example.org",
        "dominique.durand@example.org",
    ]
    assert all(programme.name in email.subject for email in mail.outbox)
    camille.refresh_from_db()
    assert camille.invited_at is not None


def test_invitations_wait_for_the_commit(programme, coordinator, alpha, beta, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        assert run(programme, GOOD, coordinator=coordinator).ok
    assert mail.outbox == []


def test_no_invitation_when_not_asked(programme, alpha, beta, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = run(programme, GOOD, send_invitations=False)
    assert report.ok and report.invitations == 0
    assert callbacks == [] and mail.outbox == []


def test_bom_semicolons_english_headers_and_crlf(programme, alpha):
    text = "\ufeffName;E-mail;Network;Job_Title\r\nCamille Martin;camille@example.org;alpha;Présidente\r\n"
    report = run(programme, text)
    assert report.ok, report.errors
    participant = Participant.objects.get(user__email="camille@example.org")
    assert (participant.user.first_name, participant.user.last_name) == ("Camille", "Martin")
    assert participant.job_title == "Présidente"


def test_headers_are_matched_liberally_and_unknown_columns_are_reported(programme, alpha):
    text = " NOM * ;Prenom;Adresse e-mail;RESEAU;Poste;Commentaire\nMARTIN;Camille;c@example.org;ALPHA;;à rappeler\n"
    report = run(programme, text)
    assert report.ok, report.errors
    assert report.warnings == ["Colonnes ignorées : « Commentaire »."]
    assert User.objects.get(email="c@example.org").last_name == "MARTIN"


@pytest.mark.parametrize(
    ("full_name", "first", "last"),
    [
        ("Camille Martin", "Camille", "Martin"),
        ("MARTIN Camille", "Camille", "MARTIN"),
        ("DE LA TOUR Marie-Anne", "Marie-Anne", "DE LA TOUR"),
        ("Jean-Pierre de La Tour", "Jean-Pierre", "de La Tour"),
        ("Martin", "", "Martin"),
    ],
)
def test_a_single_name_column_is_split(programme, alpha, full_name, first, last):
    assert run(programme, f"nom,email,réseau\n{full_name},p@example.org,ALPHA\n").ok
    user = User.objects.get(email="p@example.org")
    assert (user.first_name, user.last_name) == (first, last)


@pytest.mark.parametrize("name", ["", "   ", '""'])
def test_an_empty_full_name_is_a_row_error_not_a_crash(programme, alpha, name):
    """Issue 13, item 16: « ,x@y.org,RFRC » under a single « nom » column raised IndexError (a 500)."""
    report = run(programme, f"nom,email,réseau\nMartin,m@example.org,ALPHA\n{name},x@example.org,ALPHA\n")
    assert errors_by_line(report) == {3: ["nom manquant."]}
    assert str(report.errors[0]) == "Ligne 3 : nom manquant."
    assert Participant.objects.count() == 0


def test_existing_users_are_found_by_email_case_insensitively(programme, alpha, beta):
    existing = factories.UserFactory(email="camille.martin@example.org", first_name="Cam", last_name="", phone="")
    already = factories.ParticipantFactory(enrolment=beta, user__email="dominique.durand@example.org", job_title="X")
    report = run(programme, GOOD)
    assert report.ok, report.errors
    assert (report.created_users, report.created_participants, report.already_participants) == (0, 1, 1)
    assert User.objects.filter(email__iexact="camille.martin@example.org").count() == 1
    existing.refresh_from_db()
    assert (existing.first_name, existing.last_name) == ("Cam", "Martin")  # blanks completed, nothing overwritten
    assert existing.has_usable_password()
    already.refresh_from_db()
    assert already.job_title == "X"
    assert Participant.objects.count() == 2


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_imported(programme, alpha, beta):
    other_network = factories.ParticipantFactory(enrolment=beta, user__email="deja@example.org")
    long_title = "x" * 201
    text = (
        "nom;prénom;email;réseau;fonction\n"  # 1
        "Martin;Camille;camille@example.org;ALPHA;Présidente\n"  # 2: good
        "Sans;Adresse;;ALPHA;\n"  # 3
        "Mauvaise;Adresse;pas-une-adresse;ALPHA;\n"  # 4
        "Inconnu;Réseau;inconnu@example.org;Réseau Gamma;\n"  # 5
        "Martin;Bis;CAMILLE@example.org;ALPHA;\n"  # 6
        f"Trop;Long;long@example.org;ALPHA;{long_title}\n"  # 7
        "Déjà;Ailleurs;deja@example.org;ALPHA;\n"  # 8
        ";Anonyme;anonyme@example.org;ALPHA;\n"  # 9
        "Sans;Réseau;sans-reseau@example.org;;\n"  # 10
        "\n"  # 11: blank lines are skipped
        "Trop;De;cellules@example.org;ALPHA;;en trop\n"  # 12
    )
    users_before = User.objects.count()
    report = run(programme, text)
    assert not report.ok
    assert errors_by_line(report) == {
        3: ["adresse e-mail manquante."],
        4: ["adresse e-mail invalide : « pas-une-adresse »."],
        5: ["réseau inconnu dans cette édition : « Réseau Gamma » (nom ou sigle d'un réseau inscrit)."],
        6: ["adresse e-mail en double dans le fichier (déjà ligne 2)."],
        7: ["« fonction » trop long (200 caractères au plus)."],
        8: [f"deja@example.org participe déjà à cette édition au titre du réseau {other_network.enrolment.network}."],
        9: ["nom manquant."],
        10: ["réseau manquant."],
        12: ["6 valeurs pour 5 colonnes (un séparateur en trop ?)."],
    }
    assert [error.line for error in report.errors] == sorted(error.line for error in report.errors)
    assert str(report.errors[0]) == "Ligne 3 : adresse e-mail manquante."
    # All or nothing: line 2 was fine, and is not imported either.
    assert User.objects.count() == users_before
    assert not User.objects.filter(email="camille@example.org").exists()
    assert Participant.objects.count() == 1
    assert mail.outbox == []


def test_a_late_validation_error_rolls_the_whole_import_back(programme, alpha, beta, monkeypatch):
    """A row valid at the check but refused by the model at creation (a race, say): nothing stays."""
    original = Participant.full_clean

    def refuse_beta(self, *args, **kwargs):
        if self.enrolment_id == beta.pk:
            raise ValidationError({"user": "Cette personne participe déjà à cette édition au titre d'un autre réseau."})
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Participant, "full_clean", refuse_beta)
    report = run(programme, GOOD)
    assert errors_by_line(report) == {3: ["Cette personne participe déjà à cette édition au titre d'un autre réseau."]}
    assert (report.created_users, report.created_participants, report.invitations) == (0, 0, 0)
    assert not User.objects.filter(email__in=["camille.martin@example.org", "dominique.durand@example.org"]).exists()
    assert Participant.objects.count() == 0


def test_a_network_of_another_edition_is_unknown(programme, alpha):
    factories.EnrolmentFactory(network__name="Réseau Ailleurs", network__acronym="AIL")
    report = run(programme, "nom,email,réseau\nMartin,m@example.org,AIL\n")
    assert errors_by_line(report) == {
        2: ["réseau inconnu dans cette édition : « AIL » (nom ou sigle d'un réseau inscrit)."]
    }


def test_an_ambiguous_network_is_refused(programme):
    factories.EnrolmentFactory(programme=programme, network__name="Alpha", network__acronym="A1")
    factories.EnrolmentFactory(programme=programme, network__name="Autre", network__acronym="Alpha")
    report = run(programme, "nom,email,réseau\nMartin,m@example.org,alpha\n")
    assert errors_by_line(report) == {2: ["« alpha » désigne plusieurs réseaux : donnez son nom."]}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "Le fichier est vide."),
        ("\n  \n", "Le fichier est vide."),
        ("nom;email;réseau\n", "Le fichier ne contient aucun participant sous la ligne d'en-tête."),
        ("\x89PNG\r\n\x1a\n\x00\x00", "Le fichier n'est pas un fichier texte CSV en UTF-8"),
        (
            "nom;email;réseau\nMartin;m@example.org;Réseau Bêta\n".encode("latin-1"),
            "Le fichier n'est pas un fichier texte CSV",
        ),
    ],
)
def test_unusable_files(programme, alpha, content, message):
    report = participants_import_csv(programme=programme, file=upload(content), invited_by=None)
    assert not report.ok
    assert len(report.errors) == 1
    assert report.errors[0].line is None
    assert report.errors[0].message.startswith(message)


def test_a_file_over_one_megabyte_is_refused(programme, alpha):
    header = "nom,email,réseau\n"
    text = header + "Martin,m@example.org,ALPHA\n" * (MAX_BYTES // 20)
    report = run(programme, text)
    assert [str(error) for error in report.errors] == ["Le fichier dépasse 1 Mo : découpez-le en plusieurs fichiers."]
    # Even without a size attribute (a plain file object).
    report = participants_import_csv(programme=programme, file=io.BytesIO(text.encode()), invited_by=None)
    assert report.errors[0].message.startswith("Le fichier dépasse 1 Mo")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("prénom,email,réseau", "En-tête incorrect : colonne obligatoire absente : « nom »."),
        ("nom,réseau,fonction", "En-tête incorrect : colonne obligatoire absente : « email »."),
        ("Martin,m@example.org,ALPHA", "En-tête incorrect : colonnes obligatoires absentes : « nom », « email »"),
        ("nom,email,e-mail,réseau", "La colonne « e-mail » apparaît deux fois."),
        ("nom,nom de famille,email,réseau", "Donnez le nom dans une seule colonne « nom »"),
        ("nom complet,prénom,email,réseau", "Donnez le nom dans une seule colonne « nom »"),
    ],
)
def test_wrong_headers(programme, alpha, header, message):
    report = run(programme, f"{header}\nMartin,m@example.org,ALPHA\n")
    assert not report.ok
    assert report.errors[0].line == 1
    assert report.errors[0].message.startswith(message)
    assert not User.objects.filter(email="m@example.org").exists()


def test_the_import_costs_a_bounded_number_of_queries_to_validate(programme, alpha, django_assert_max_num_queries):
    rows = "".join(f"Nom{n},p{n}@example.org,Réseau Inconnu\n" for n in range(50))
    # Enrolments, users by email, their participations: whatever the number of rows.
    with django_assert_max_num_queries(3):
        report = run(programme, "nom,email,réseau\n" + rows)
    assert len(report.errors) == 50


# --- The admin page ----------------------------------------------------------------------------------


def model_admin():
    return admin.site._registry.get(Participant) or admin.ModelAdmin(Participant, admin.site)


def import_request(user, programme=None, text=GOOD, send_invitations=True):
    data = {"file": upload(text)}
    if programme is not None:
        data["programme"] = programme.pk
    if send_invitations:
        data["send_invitations"] = "on"
    return admin_request(user, "/admin/networks/participant/import-csv/", method="post", data=data)


def test_wiring_is_one_url_named_for_the_admin():
    (pattern,) = participant_import_urls(model_admin())
    assert pattern.name == "networks_participant_import_csv"
    assert str(pattern.pattern) == "import-csv/"


def test_the_form_offers_only_the_coordinated_editions(programme, coordinator):
    other = factories.ProgrammeFactory(name="Édition d'un autre")
    response = participant_import_csv_view(admin_request(coordinator), model_admin=model_admin())
    assert response.status_code == 200
    content = response.content.decode()
    assert programme.name in content
    assert other.name not in content
    assert 'enctype="multipart/form-data"' in content
    assert "Format attendu" in content


def test_a_coordinator_imports_and_returns_to_the_change_list(
    programme, coordinator, alpha, beta, django_capture_on_commit_callbacks
):
    request = import_request(coordinator, programme)
    with django_capture_on_commit_callbacks(execute=True):
        response = participant_import_csv_view(request, model_admin=model_admin())
    assert response.status_code == 302
    assert Participant.objects.filter(enrolment__programme=programme).count() == 2
    assert len(mail.outbox) == 2
    assert all("http://testserver/compte/invitation/" in email.body for email in mail.outbox)
    [(level, text)] = sent_messages(request)
    assert level == "success"
    # « 0 déjà inscrit » takes the French singular once the catalogue holds the plural forms.
    assert text.startswith("Import terminé : 2 participants ajoutés, dont 2 nouveaux comptes ; 0 déjà inscrit")
    assert text.endswith(" ; 2 invitations envoyées.")


def test_a_bad_file_shows_every_error_and_imports_nothing(programme, coordinator, alpha):
    bad = "nom,email,réseau\nMartin,pas-une-adresse,ALPHA\nDurand,d@example.org,Inconnu\n"
    response = participant_import_csv_view(import_request(coordinator, programme, bad), model_admin=model_admin())
    assert response.status_code == 200
    content = response.content.decode()
    assert "Rien n'a été importé." in content
    assert "adresse e-mail invalide" in content
    assert "réseau inconnu dans cette édition" in content
    assert Participant.objects.count() == 0


def test_a_coordinator_cannot_import_into_another_edition(programme, coordinator):
    other = factories.ProgrammeFactory()
    factories.EnrolmentFactory(programme=other, network__acronym="ALPHA")
    response = participant_import_csv_view(import_request(coordinator, other), model_admin=model_admin())
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert Participant.objects.count() == 0


def test_a_non_coordinator_is_refused(programme, alpha):
    staff = factories.UserFactory(is_staff=True)
    with pytest.raises(PermissionDenied):
        participant_import_csv_view(admin_request(staff), model_admin=model_admin())
    with pytest.raises(PermissionDenied):
        participant_import_csv_view(import_request(staff, programme), model_admin=model_admin())
    participant = factories.ParticipantFactory(enrolment=alpha)
    with pytest.raises(PermissionDenied):
        participant_import_csv_view(admin_request(participant.user), model_admin=model_admin())
    assert Participant.objects.count() == 1


def test_a_superuser_may_import_into_any_edition(superuser, programme, alpha, beta):
    response = participant_import_csv_view(import_request(superuser, programme, send_invitations=False))
    assert response.status_code == 302
    assert Participant.objects.count() == 2
    assert mail.outbox == []


def test_the_wired_url_goes_through_the_admin_login(client, programme):
    """Through admin_view: an anonymous visitor is sent to the admin login."""
    (pattern,) = participant_import_urls(model_admin())
    request = admin_request(AnonymousUser(), "/admin/networks/participant/import-csv/")
    response = pattern.callback(request)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- A file sent again (issue 13, item 12) -------------------------------------------------------------


def test_the_same_file_imported_again_says_it_was_already_imported(
    programme, coordinator, alpha, beta, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = participant_import_csv_view(import_request(coordinator, programme), model_admin=model_admin())
    assert first.status_code == 302
    assert len(mail.outbox) == 2

    request = import_request(coordinator, programme)
    with django_capture_on_commit_callbacks(execute=True):
        again = participant_import_csv_view(request, model_admin=model_admin())
    assert again.status_code == 302
    assert sent_messages(request) == [
        (
            "warning",
            "Ce fichier a déjà été importé : les 2 personnes qu'il contient participent déjà à l'édition. "
            "Aucun participant n'a été ajouté et aucune invitation envoyée.",
        )
    ]
    assert Participant.objects.filter(programme=programme).count() == 2
    assert len(mail.outbox) == 2


def test_a_file_partly_imported_before_is_not_already_imported(programme, alpha, beta):
    factories.ParticipantFactory(enrolment=alpha, user__email="camille.martin@example.org")
    report = run(programme, GOOD, send_invitations=False)
    assert report.ok and not report.already_applied
    assert (report.created_participants, report.already_participants) == (1, 1)


def test_a_person_added_by_another_writer_during_the_import_is_a_message_not_a_500(programme, alpha, monkeypatch):
    """The database refuses the insert (the email taken meanwhile): nothing imported, a French message."""
    User.objects.create(email="camille.martin@example.org")
    monkeypatch.setattr("networks.imports._existing", lambda rows, programme: ({}, {}))  # read before it existed
    monkeypatch.setattr(User, "validate_unique", lambda self, exclude=None: None)
    report = run(programme, GOOD.replace("rb,", "ALPHA,"), send_invitations=False)
    assert [(error.line, error.message) for error in report.errors] == [
        (
            None,
            "Ces participants ont été modifiés par une autre opération pendant l'import : importez de nouveau le fichier.",
        )
    ]
    assert (report.created_users, report.created_participants) == (0, 0)
    assert not Participant.objects.exists()
