"""Uploads: size limit, allow-list by extension and by content, generated names, safe downloads."""

import io
import random
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


WORD_PART = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCX = ooxml(WORD_PART)
XLSX = ooxml("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
MB = 1024 * 1024


def docx_with(body):
    """A Word document whose main part is ``body`` (bytes), deflated as Word does."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<?xml version="1.0"?><Types><Override PartName="/word/document.xml" ContentType="{WORD_PART}"/></Types>',
        )
        archive.writestr("word/document.xml", body)
    return buffer.getvalue()


# The decompression bomb of issue 13: about 51 KB on the wire, 50 MB once inflated.
DOCX_BOMB = docx_with(b"<w:document>" + b" " * (50 * MB) + b"</w:document>")


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


# --- Office documents that inflate too much ------------------------------------------------


def test_a_docx_inflating_to_50_mb_is_refused():
    assert len(DOCX_BOMB) < 60 * 1024  # small on the wire…
    with pytest.raises(ValidationError) as error:
        validate(upload("compte-rendu.docx", DOCX_BOMB))
    assert error.value.code == "file_inflated_too_large"
    assert "une fois décompressé" in messages(error) and "la limite est de 30,0" in messages(error)


def test_an_absurd_compression_ratio_is_refused_below_the_size_limit():
    bomb = docx_with(b"<w:document>" + b"0" * (5 * MB) + b"</w:document>")  # 5 MB in about 5 KB
    with pytest.raises(ValidationError) as error:
        validate(upload("compte-rendu.docx", bomb))
    assert error.value.code == "file_compression_ratio"
    assert "anormalement compressé" in messages(error)


def test_an_opendocument_bomb_is_refused_too():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", b" " * (40 * MB), compress_type=zipfile.ZIP_DEFLATED)
    with pytest.raises(ValidationError) as error:
        validate(upload("note.odt", buffer.getvalue()))
    assert error.value.code == "file_inflated_too_large"


def test_a_real_sized_document_passes():
    # 4 MB of text (words of a 2,000-word vocabulary in random order) deflates about 3 times, as real text does.
    rng = random.Random(13)
    vocabulary = [f"mot{rng.randrange(10**6)}" for _ in range(2000)]
    body = ("<w:document>" + " ".join(rng.choices(vocabulary, k=500_000)) + "</w:document>").encode()
    document = docx_with(body)
    assert len(body) > 4 * MB and len(body) / len(document) < 5
    validate(upload("compte-rendu.docx", document))


def test_inflated_limits_are_configurable():
    FileValidator(max_uncompressed_size=60 * MB, max_compression_ratio=2000)(upload("bombe.docx", DOCX_BOMB))
    with pytest.raises(ValidationError, match="une fois décompressé"):
        FileValidator(max_uncompressed_size=1000)(upload("compte-rendu.docx", docx_with(b"x" * 2000)))


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


@pytest.mark.django_db
def test_admin_refuses_the_docx_bomb(client, coordinator, programme):
    client.force_login(coordinator)
    response = admin_post(client, programme, "compte-rendu.docx", DOCX_BOMB)
    assert response.status_code == 200
    assert "une fois décompressé" in response.content.decode()
    assert not Resource.objects.exists()


# --- A file past the limit is not stored whole ------------------------------------------------


class ChunkSpy:
    """Counts the bytes Django's storing handlers receive, and the temporary files they leave."""

    def __init__(self, monkeypatch):
        from django.core.files import uploadhandler

        self.stored = 0
        self.temporary_files = []
        spy = self
        original_chunk = uploadhandler.TemporaryFileUploadHandler.receive_data_chunk
        original_new = uploadhandler.TemporaryFileUploadHandler.new_file

        def receive_data_chunk(handler, raw_data, start):
            spy.stored += len(raw_data)
            return original_chunk(handler, raw_data, start)

        def new_file(handler, *args, **kwargs):
            original_new(handler, *args, **kwargs)
            spy.temporary_files.append(handler.file.temporary_file_path())

        monkeypatch.setattr(uploadhandler.TemporaryFileUploadHandler, "receive_data_chunk", receive_data_chunk)
        monkeypatch.setattr(uploadhandler.TemporaryFileUploadHandler, "new_file", new_file)


@pytest.mark.django_db
def test_admin_refuses_a_file_past_the_limit_without_storing_it_whole(client, coordinator, programme, monkeypatch):
    import os

    spy = ChunkSpy(monkeypatch)
    client.force_login(coordinator)
    big = b"%PDF-1.4\n" + b"0" * (15 * MB)  # under the request limit (20 MB), over the file limit (10 MB)
    response = admin_post(client, programme, "rapport.pdf", big, title="Rapport annuel")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ce fichier est trop volumineux (15,0" in page and "la taille maximale est de 10,0" in page
    assert 'value="Rapport annuel"' in page  # the rest of the form came through: shown again, not emptied
    assert not Resource.objects.exists()
    # Django's handler got the first 10 MB (plus one chunk) at most, and its temporary file is gone.
    assert spy.stored <= 10 * MB + 64 * 1024, spy.stored
    assert spy.temporary_files and not any(os.path.exists(path) for path in spy.temporary_files)


@pytest.mark.django_db
def test_a_file_within_the_limit_still_goes_through_django_handlers(client, coordinator, programme, monkeypatch):
    spy = ChunkSpy(monkeypatch)
    client.force_login(coordinator)
    content = SMALL_PDF + b"%" + b"0" * (3 * MB)  # past FILE_UPLOAD_MAX_MEMORY_SIZE: a temporary file
    response = admin_post(client, programme, "guide.pdf", content)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert spy.stored == len(content)
    with Resource.objects.get().file.open("rb") as handle:
        assert handle.read() == content


@pytest.mark.django_db
def test_csv_import_refuses_a_file_past_the_upload_limit(client, coordinator, programme):
    client.force_login(coordinator)
    response = client.post(
        reverse("admin:networks_participant_import_csv"),
        {"programme": programme.pk, "file": upload("participants.csv", b"nom;ville\n" * (1_200_000))},
    )
    assert response.status_code == 200
    assert "Le fichier dépasse 1 Mo" in response.content.decode()


@pytest.mark.django_db
def test_a_request_past_the_request_limit_is_refused_before_its_body_is_read(
    client, coordinator, programme, settings, monkeypatch
):
    from alliances.uploads import UploadSizeLimitHandler

    parsed = []
    monkeypatch.setattr(UploadSizeLimitHandler, "new_file", lambda *args, **kwargs: parsed.append(args))
    settings.UPLOAD_MAX_REQUEST_SIZE = 1 * MB
    client.force_login(coordinator)
    response = admin_post(client, programme, "guide.pdf", SMALL_PDF + b"0" * (2 * MB))
    assert response.status_code == 413
    page = response.content.decode()
    assert "Envoi trop volumineux" in page and "pas plus de 1,0" in page and "10,0" in page
    assert not parsed  # no upload handler ran: the body was never parsed
    assert not Resource.objects.exists()
    # A GET, and a POST under the limit, are not concerned.
    assert client.get(reverse("admin:programme_sessions_resource_add")).status_code == 200
    assert admin_post(client, programme, "guide.pdf", SMALL_PDF).status_code == 302
