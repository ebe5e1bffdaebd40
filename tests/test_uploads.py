"""Uploads: size limit, allow-list by extension and by content, generated names, safe downloads."""

import io
import re
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from alliances.uploads import FileValidator, RandomUploadTo, download_filename
from sessions.models import Resource
from tests import factories
from tests.factories_community import assert_login_redirect, participant_in

SMALL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20


def ooxml(part):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<?xml version="1.0"?><Types><Override PartName="/main.xml" ContentType="{part}"/></Types>',
        )
        archive.writestr("main.xml", "<document/>")
    return buffer.getvalue()


DOCX = ooxml("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")
XLSX = ooxml("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")


def odf(mimetype):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype)  # stored, first
        archive.writestr("content.xml", "<office:document-content/>", compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def plain_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.exe", EXECUTABLE)
    return buffer.getvalue()


def upload(name, content):
    return SimpleUploadedFile(name, content)


def messages(error):
    return " ".join(error.value.messages)


validate = FileValidator()


# --- Validator -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("programme.pdf", SMALL_PDF),
        ("Logo.PNG", PNG),
        ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
        ("compte-rendu.docx", DOCX),
        ("budget.xlsx", XLSX),
        ("note.odt", odf("application/vnd.oasis.opendocument.text")),
        ("participants.csv", "nom;ville\nÉlise;Besançon\n".encode()),
        ("lisez-moi.txt", b"Bonjour"),
    ],
)
def test_allowed_files_pass(name, content):
    validate(upload(name, content))


def test_oversized_file_is_refused_in_french():
    big = upload("gros.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024))
    with pytest.raises(ValidationError) as error:
        validate(big)
    assert error.value.code == "file_too_large"
    assert "trop volumineux" in messages(error) and "la taille maximale est de 10,0" in messages(error)


def test_size_limit_is_configurable():
    with pytest.raises(ValidationError, match="trop volumineux"):
        FileValidator(max_size=100)(upload("programme.pdf", SMALL_PDF))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("programme.pdf", EXECUTABLE),
        ("programme.pdf", HTML),
        ("logo.png", HTML),
        ("photo.jpg", SMALL_PDF),
        ("compte-rendu.docx", plain_zip()),  # a ZIP, but no Word document in it
        ("compte-rendu.docx", XLSX),  # a spreadsheet renamed
        ("compte-rendu.docx", b"PK\x03\x04 not really a zip"),
        ("note.odt", plain_zip()),
        ("note.odt", odf("application/vnd.oasis.opendocument.spreadsheet")),
        ("participants.csv", b"nom\x00;ville"),
        ("participants.csv", "nom;ville\nÉlise;Besançon\n".encode("latin-1")),
        ("lisez-moi.txt", EXECUTABLE),
    ],
)
def test_content_that_belies_the_extension_is_refused(name, content):
    with pytest.raises(ValidationError) as error:
        validate(upload(name, content))
    assert error.value.code == "file_content"
    assert "le contenu ne correspond pas" in messages(error).lower()


@pytest.mark.parametrize("name", ["outil.exe", "page.html", "image.svg", "script.js", "sans-extension", "archive.zip"])
def test_extension_outside_the_allow_list_is_refused(name):
    with pytest.raises(ValidationError) as error:
        validate(upload(name, SMALL_PDF))
    assert error.value.code == "file_extension"
    assert "n'est pas accepté" in messages(error)


# --- Stored names --------------------------------------------------------------------------


def test_stored_name_is_random_and_keeps_nothing_of_the_original():
    upload_to = RandomUploadTo("resources")
    original = "Budget confidentiel Réseau Dupont.PDF"
    first = upload_to(None, original)
    second = upload_to(None, original)
    assert re.fullmatch(r"resources/\d{4}/[A-Za-z0-9_-]{32}\.pdf", first), first
    assert first != second
    token = first.rsplit("/", 1)[1].lower()
    for word in ("budget", "confidentiel", "reseau", "dupont"):
        assert word not in token


@pytest.mark.django_db
def test_resource_file_is_stored_under_a_generated_name(programme):
    resource = factories.ResourceFactory(
        programme=programme, url="", file=upload("Stratégie du réseau Dupont.pdf", SMALL_PDF)
    )
    assert re.fullmatch(r"resources/\d{4}/[A-Za-z0-9_-]{32}\.pdf", resource.file.name)
    assert "dupont" not in resource.file.name.lower()
    with resource.file.open("rb") as handle:
        assert handle.read() == SMALL_PDF


def test_download_filename_is_the_slugified_title_and_the_extension():
    assert download_filename("Kit partenariats : associations & entreprises", "resources/2026/Ab_c-9.pdf") == (
        "kit-partenariats-associations-entreprises.pdf"
    )
    assert download_filename("../../etc/passwd", "resources/2026/x.docx") == "etcpasswd.docx"
    assert download_filename("???", "resources/2026/x.csv") == "fichier.csv"


# --- The admin refuses a bad upload --------------------------------------------------------


def admin_post(client, programme, name, content, title="Guide"):
    return client.post(
        reverse("admin:programme_sessions_resource_add"),
        {"programme": programme.pk, "title": title, "description": "", "url": "", "file": upload(name, content)},
    )


@pytest.mark.django_db
def test_admin_refuses_a_pdf_that_is_not_one(client, coordinator, programme):
    client.force_login(coordinator)
    response = admin_post(client, programme, "guide.pdf", HTML)
    assert response.status_code == 200
    assert "Le contenu ne correspond pas" in response.content.decode()
    assert not Resource.objects.exists()


@pytest.mark.django_db
def test_admin_refuses_an_executable(client, coordinator, programme):
    client.force_login(coordinator)
    response = admin_post(client, programme, "guide.exe", EXECUTABLE)
    assert response.status_code == 200
    assert "n&#x27;est pas accepté" in response.content.decode() or "n'est pas accepté" in response.content.decode()
    assert not Resource.objects.exists()


@pytest.mark.django_db
def test_admin_accepts_a_real_pdf_and_renames_it(client, coordinator, programme):
    client.force_login(coordinator)
    response = admin_post(client, programme, "Guide secret.pdf", SMALL_PDF)
    assert response.status_code == 302, response.content.decode()[:2000]
    resource = Resource.objects.get()
    assert re.fullmatch(r"resources/\d{4}/[A-Za-z0-9_-]{32}\.pdf", resource.file.name)


# --- Downloads -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_download_only_to_participants_of_the_edition(client, programme):
    resource = factories.ResourceFactory(
        programme=programme, title="Kit « Partenariats » 2018", url="", file=upload("kit.pdf", SMALL_PDF)
    )
    url = reverse("community:resource_download", kwargs={"pk": resource.pk})

    assert_login_redirect(client.get(url))

    client.force_login(participant_in(factories.ProgrammeFactory()).user)
    assert client.get(url).status_code == 404

    client.force_login(participant_in(programme).user)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="kit-partenariats-2018.pdf"'
    assert b"".join(response.streaming_content) == SMALL_PDF
