"""Uploads: what may be stored, checked from the bytes, and how a stored file is served.

A file's type is decided by its content (``filetype`` reads the magic numbers), never by
its name or the browser's ``Content-Type``: a script renamed ``cv.pdf`` is refused. Each
purpose has its own types and size limit. Files are written to protected storage and
served by ``document_response`` only after the caller has checked the viewer may see them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath

import filetype
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse

from crm.models import Document

MB = 1024 * 1024


@dataclass(frozen=True)
class UploadRule:
    types: dict[str, str]  # sniffed MIME type → the extension the stored file gets
    max_bytes: int
    described: str  # for error messages: "PDF, JPEG or PNG"


DOCUMENT_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}

UPLOAD_RULES = {
    Document.Purpose.CREDENTIAL: UploadRule(DOCUMENT_TYPES, 10 * MB, "PDF, JPEG or PNG"),
    Document.Purpose.STUDENT: UploadRule(DOCUMENT_TYPES, 20 * MB, "PDF, JPEG or PNG"),
    Document.Purpose.INTRO_VIDEO: UploadRule(
        {"video/mp4": ".mp4", "video/webm": ".webm"}, 200 * MB, "MP4 or WebM"
    ),
}

# filetype needs at most the first 8 KiB to recognise these formats.
SNIFF_BYTES = 8192


def _size_text(size: int) -> str:
    return f"{size // MB} MB"


def upload_sniff(file: UploadedFile) -> str | None:
    """The MIME type the file's content shows, or None when it is none we recognise."""
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    kind = filetype.guess(head)
    if kind is None:
        return None
    if kind.mime == "application/pdf" and not _pdf_is_complete(file):
        return None
    return kind.mime


def _pdf_is_complete(file: UploadedFile) -> bool:
    """A PDF ends with ``%%EOF`` (allowing trailing whitespace): a cut-off upload does not."""
    size = file.size or 0
    file.seek(max(0, size - 1024))
    tail = file.read()
    file.seek(0)
    return b"%%EOF" in tail


def upload_validate(*, file: UploadedFile | None, purpose: str, field: str = "file") -> str:
    """Check ``file`` for ``purpose``; return its sniffed MIME type or raise field errors."""
    rule = UPLOAD_RULES[purpose]
    if file is None or not getattr(file, "size", 0):
        raise ValidationError({field: ["Choose a file to upload; it must not be empty."]})
    if file.size > rule.max_bytes:
        raise ValidationError(
            {field: [f"The file is too large: the limit is {_size_text(rule.max_bytes)}."]}
        )
    mime = upload_sniff(file)
    if mime not in rule.types:
        raise ValidationError(
            {field: [f"Upload a {rule.described} file; this file's content is not one."]}
        )
    return mime


def document_create(*, file: UploadedFile, purpose: str, uploaded_by, field: str = "file"):
    """Validate and store an upload; the caller's transaction covers the row.

    If the transaction later rolls back, the file stays on disk unreferenced; the
    ``documents_sweep`` command removes such orphans.
    """
    mime = upload_validate(file=file, purpose=purpose, field=field)
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    original = PurePosixPath((file.name or "upload").replace("\\", "/")).name[:255] or "upload"
    document = Document(
        purpose=purpose,
        original_name=original,
        content_type=mime,
        size=file.size,
        sha256=digest.hexdigest(),
        uploaded_by=uploaded_by,
    )
    # Store under our own name with the extension of what the content is.
    document.file.save(f"upload{UPLOAD_RULES[purpose].types[mime]}", file, save=False)
    document.save()
    return document


def document_response(document: Document, *, download: bool = False) -> FileResponse:
    """Stream a stored document. Call only after checking the viewer may see it.

    Images, PDFs and videos open inline unless ``download``; ``nosniff`` and a sandboxing
    Content-Security-Policy keep a browser from treating the bytes as anything else.
    """
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        as_attachment=download,
        filename=document.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; media-src 'self'"
    response["Cache-Control"] = "private, no-store"
    return response


def document_delete(document: Document) -> None:
    """Delete a document's row now and its file once the transaction commits.

    The file goes only after commit: a rollback keeps the row, which still needs it.
    The caller must first remove what refers to the row (``PROTECT`` guards it).
    """
    name = document.file.name
    storage = document.file.storage
    document.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def document_discard_file(document: Document) -> None:
    """Remove the stored file of a document whose row will not be kept (a failed write)."""
    if document.file.name:
        document.file.storage.delete(document.file.name)
