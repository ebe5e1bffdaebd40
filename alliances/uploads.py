"""Uploaded files: size limit, allow-list by extension and by content, names we generate.

``FileValidator`` checks a file before it is stored: its size, its extension against an
allow-list, and its first bytes against what that extension promises (a ``.pdf`` must start
with ``%PDF-``, a ``.docx`` must be a ZIP holding the Word part, ...). No dependency: the
formats allowed are few and their signatures simple.

``random_upload_to(prefix)`` gives an ``upload_to`` that stores ``<prefix>/<yyyy>/<token>.<ext>``:
nothing of the uploader's file name reaches the disk. ``download_filename`` builds the name a
download is offered under from a title we trust (slugified) and the stored extension.
"""

import secrets
import zipfile
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

DEFAULT_MAX_SIZE = 10 * 1024 * 1024  # 10 MB

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


def extension_of(name):
    return PurePath(name or "").suffix.lower().lstrip(".")


@deconstructible
class FileValidator:
    """Refuse a file that is too big, has an extension not allowed, or whose content belies it."""

    def __init__(self, max_size=DEFAULT_MAX_SIZE, extensions=DOCUMENT_EXTENSIONS):
        unknown = set(extensions) - set(CONTENT_CHECKS)
        if unknown:
            raise ValueError(f"No content check for the extensions {sorted(unknown)}.")
        self.max_size = max_size
        self.extensions = tuple(extensions)

    def __call__(self, value):
        extension = extension_of(value.name)
        if extension not in self.extensions:
            raise ValidationError(
                _("Ce type de fichier n'est pas accepté (.%(extension)s). Types acceptés : %(allowed)s."),
                code="file_extension",
                params={"extension": extension or "?", "allowed": ", ".join(self.extensions)},
            )
        if value.size is not None and value.size > self.max_size:
            raise ValidationError(
                _("Ce fichier est trop volumineux (%(size)s) : la taille maximale est de %(max)s."),
                code="file_too_large",
                params={"size": filesizeformat(value.size), "max": filesizeformat(self.max_size)},
            )
        file = getattr(value, "file", value)
        if not CONTENT_CHECKS[extension](file):
            raise ValidationError(
                _("Le contenu ne correspond pas à un fichier .%(extension)s."),
                code="file_content",
                params={"extension": extension},
            )

    def __eq__(self, other):
        return (
            isinstance(other, FileValidator) and self.max_size == other.max_size and self.extensions == other.extensions
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
