"""Uploaded files: size limit, allow-list by extension and by content, names we generate.

``FileValidator`` checks a file before it is stored: its size, its extension against an
allow-list, and its first bytes against what that extension promises (a ``.pdf`` must start
with ``%PDF-``, a ``.docx`` must be a ZIP holding the Word part, ...). No dependency: the
formats allowed are few and their signatures simple. An office document (a ZIP) is also
refused when its members would inflate past ``MAX_UNCOMPRESSED_SIZE`` or at an absurd
ratio: read from the archive's directory, nothing is extracted.

``UploadSizeLimitHandler`` (first of ``FILE_UPLOAD_HANDLERS``) stops storing a file once
more than ``UPLOAD_MAX_FILE_SIZE`` bytes of it have arrived: the rest is only counted, and
the form receives an ``OversizedUploadedFile`` (its name and size, no content) that the
validator refuses with its « trop volumineux » message. A request whose declared length is
past ``UPLOAD_MAX_REQUEST_SIZE`` is refused before its body is read
(``alliances.middleware.RequestSizeLimitMiddleware``).

``random_upload_to(prefix)`` gives an ``upload_to`` that stores ``<prefix>/<yyyy>/<token>.<ext>``:
nothing of the uploader's file name reaches the disk. ``download_filename`` builds the name a
download is offered under from a title we trust (slugified) and the stored extension.
"""

import io
import secrets
import zipfile
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

DEFAULT_MAX_SIZE = 10 * 1024 * 1024  # 10 MB
# An office document is a ZIP of XML parts (and images, already compressed). Real documents of
# up to 10 MB inflate to a few tens of MB at most, XML compressing 5 to 20 times; a decompression
# bomb (51 KB inflating to 50 MB) has a ratio near deflate's maximum of about 1,000.
MAX_UNCOMPRESSED_SIZE = 30 * 1024 * 1024  # 30 MB, all members together
MAX_COMPRESSION_RATIO = 100  # uncompressed / compressed, all members together
_RATIO_FLOOR = 1024 * 1024  # below 1 MB uncompressed, any ratio is harmless (tiny, repetitive XML)

_OOXML_PARTS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
_ODF_MIMETYPES = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
_ZIP_MAGIC = b"PK\x03\x04"
_MAX_CONTENT_TYPES_SIZE = 1024 * 1024


def _read_all(file):
    file.seek(0)
    data = file.read()
    file.seek(0)
    return data


def _starts_with(*signatures):
    def check(file):
        file.seek(0)
        head = file.read(16)
        file.seek(0)
        return any(head.startswith(signature) for signature in signatures)

    return check


def _is_ooxml(extension):
    part = _OOXML_PARTS[extension].encode()

    def check(file):
        # OOXML: a ZIP whose [Content_Types].xml declares the main part of that kind of document.
        if not _starts_with(_ZIP_MAGIC)(file):
            return False
        try:
            file.seek(0)
            with zipfile.ZipFile(file) as archive:
                info = archive.getinfo("[Content_Types].xml")
                if info.file_size > _MAX_CONTENT_TYPES_SIZE:  # no decompression bomb
                    return False
                content_types = archive.read(info)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, RuntimeError, NotImplementedError):
            return False
        finally:
            file.seek(0)
        return part in content_types

    return check


def _is_odf(extension):
    expected = _ODF_MIMETYPES[extension].encode()

    def check(file):
        # ODF: a ZIP whose first member is "mimetype", stored uncompressed, holding the type.
        file.seek(0)
        head = file.read(30 + len("mimetype") + len(expected))
        file.seek(0)
        return head.startswith(_ZIP_MAGIC) and head[30:38] == b"mimetype" and head[38:] == expected

    return check


def _zip_members(file):
    """The archive's members as listed in its central directory (nothing decompressed), or None."""
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            return archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError):
        return None
    finally:
        file.seek(0)


def _check_inflated_size(file, extension, max_size, max_ratio):
    """Refuse a ZIP-based document whose members would inflate past ``max_size`` or too steeply.

    The sizes are those the archive declares (``ZipInfo.file_size``): the platform never
    extracts these files, it stores them and serves them back; the check protects the people
    who open them (and any later indexing) from a document built to fill memory or disk.
    """
    members = _zip_members(file)
    if members is None:
        raise ValidationError(
            _("Le contenu ne correspond pas à un fichier .%(extension)s."),
            code="file_content",
            params={"extension": extension},
        )
    inflated = sum(member.file_size for member in members)
    compressed = sum(member.compress_size for member in members)
    if inflated > max_size:
        raise ValidationError(
            _(
                "Ce document occuperait %(size)s une fois décompressé : la limite est de %(max)s. "
                "Enregistrez-le en PDF ou allégez-le (images, pages)."
            ),
            code="file_inflated_too_large",
            params={"size": filesizeformat(inflated), "max": filesizeformat(max_size)},
        )
    if inflated > _RATIO_FLOOR and inflated > max_ratio * max(compressed, 1):
        raise ValidationError(
            _(
                "Ce document est anormalement compressé (%(size)s une fois décompressé pour %(compressed)s) : "
                "il ressemble à une archive piégée et n'est pas accepté."
            ),
            code="file_compression_ratio",
            params={"size": filesizeformat(inflated), "compressed": filesizeformat(compressed)},
        )


def _is_text(file):
    data = _read_all(file)
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# Extension -> check of the content.
CONTENT_CHECKS = {
    "pdf": _starts_with(b"%PDF-"),
    "png": _starts_with(b"\x89PNG\r\n\x1a\n"),
    "jpg": _starts_with(b"\xff\xd8\xff"),
    "jpeg": _starts_with(b"\xff\xd8\xff"),
    **{extension: _is_ooxml(extension) for extension in _OOXML_PARTS},
    **{extension: _is_odf(extension) for extension in _ODF_MIMETYPES},
    "txt": _is_text,
    "csv": _is_text,
}
DOCUMENT_EXTENSIONS = tuple(CONTENT_CHECKS)
# ZIP-based formats: their inflated size is checked too.
ARCHIVE_EXTENSIONS = frozenset(_OOXML_PARTS) | frozenset(_ODF_MIMETYPES)


def extension_of(name):
    return PurePath(name or "").suffix.lower().lstrip(".")


@deconstructible
class FileValidator:
    """Refuse a file that is too big, has an extension not allowed, or whose content belies it."""

    def __init__(
        self,
        max_size=DEFAULT_MAX_SIZE,
        extensions=DOCUMENT_EXTENSIONS,
        max_uncompressed_size=MAX_UNCOMPRESSED_SIZE,
        max_compression_ratio=MAX_COMPRESSION_RATIO,
    ):
        unknown = set(extensions) - set(CONTENT_CHECKS)
        if unknown:
            raise ValueError(f"No content check for the extensions {sorted(unknown)}.")
        self.max_size = max_size
        self.extensions = tuple(extensions)
        self.max_uncompressed_size = max_uncompressed_size
        self.max_compression_ratio = max_compression_ratio

    def __call__(self, value):
        extension = extension_of(value.name)
        if extension not in self.extensions:
            raise ValidationError(
                _("Ce type de fichier n'est pas accepté (.%(extension)s). Types acceptés : %(allowed)s."),
                code="file_extension",
                params={"extension": extension or "?", "allowed": ", ".join(self.extensions)},
            )
        file = getattr(value, "file", value)
        # Past the upload handler's limit, the content was not kept: whatever this validator's own limit.
        truncated = getattr(value, "oversized", False) or getattr(file, "oversized", False)
        max_size = min(self.max_size, settings.UPLOAD_MAX_FILE_SIZE) if truncated else self.max_size
        if truncated or (value.size is not None and value.size > max_size):
            raise ValidationError(
                _("Ce fichier est trop volumineux (%(size)s) : la taille maximale est de %(max)s."),
                code="file_too_large",
                params={"size": filesizeformat(value.size), "max": filesizeformat(max_size)},
            )
        if not CONTENT_CHECKS[extension](file):
            raise ValidationError(
                _("Le contenu ne correspond pas à un fichier .%(extension)s."),
                code="file_content",
                params={"extension": extension},
            )
        if extension in ARCHIVE_EXTENSIONS:
            _check_inflated_size(file, extension, self.max_uncompressed_size, self.max_compression_ratio)

    def __eq__(self, other):
        return isinstance(other, FileValidator) and (
            self.max_size,
            self.extensions,
            self.max_uncompressed_size,
            self.max_compression_ratio,
        ) == (other.max_size, other.extensions, other.max_uncompressed_size, other.max_compression_ratio)


# --- Upload handler: refuse a file past the limit without storing it whole ------------------


class OversizedUploadedFile(UploadedFile):
    """A file that went past the upload limit: its name and the size sent, no content.

    Forms receive it in place of the file, so the validator (or a form's own size check)
    answers with its French « trop volumineux » message, as for any file too big.
    """

    oversized = True

    def __init__(self, name, content_type, size, charset=None, content_type_extra=None):
        super().__init__(io.BytesIO(), name, content_type, size, charset, content_type_extra)

    def open(self, mode=None):
        self.file.seek(0)
        return self


class UploadSizeLimitHandler(FileUploadHandler):
    """Stop storing an uploaded file once more than ``UPLOAD_MAX_FILE_SIZE`` bytes arrived.

    Installed before Django's handlers (memory, temporary file), it passes the chunks on
    while the file is within the limit; past it, it swallows them (counted, neither kept in
    memory nor written to disk), frees what the storing handler had kept, and hands the form
    an ``OversizedUploadedFile``. The rest of the body is still read and thrown away, so the
    other fields arrive and the form is shown again with the error, not emptied: the reverse
    proxy's body limit and ``RequestSizeLimitMiddleware`` bound how much that can be.
    """

    def __init__(self, request=None):
        super().__init__(request)
        self.max_size = settings.UPLOAD_MAX_FILE_SIZE
        self.received = 0
        self.oversized = False

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None):
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self.received = 0
        # A part rarely declares its length; when it does, a lie only makes us refuse sooner.
        self.oversized = content_length is not None and content_length > self.max_size

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.max_size:
            self.oversized = True
        return None if self.oversized else raw_data

    def file_complete(self, file_size):
        if not self.oversized:
            return None  # the storing handler after us returns the file
        for handler in getattr(self.request, "upload_handlers", ()):
            if handler is not self:
                handler.upload_interrupted()  # the temporary-file handler deletes its partial file
        return OversizedUploadedFile(
            self.file_name, self.content_type, self.received, self.charset, self.content_type_extra
        )


@deconstructible
class RandomUploadTo:
    """``upload_to``: ``<prefix>/<yyyy>/<random token>.<ext>``; the original name is dropped."""

    def __init__(self, prefix):
        self.prefix = prefix.strip("/")

    def __call__(self, instance, filename):
        extension = extension_of(filename)
        name = secrets.token_urlsafe(24)
        if extension.isalnum():
            name = f"{name}.{extension}"
        return f"{self.prefix}/{timezone.now():%Y}/{name}"

    def __eq__(self, other):
        return isinstance(other, RandomUploadTo) and self.prefix == other.prefix


def download_filename(title, stored_name, fallback="fichier"):
    """The name a file is downloaded under: the slugified title and the stored extension."""
    stem = slugify(title)[:100].strip("-") or fallback
    extension = extension_of(stored_name)
    return f"{stem}.{extension}" if extension.isalnum() else stem
