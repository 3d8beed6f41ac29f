"""Protected storage: files that must never have a public URL.

Credentials, identity documents and students' work are written under
``PROTECTED_MEDIA_ROOT`` (outside ``MEDIA_ROOT`` and ``STATIC_ROOT``, so no web server
serves them by accident), in a folder per tenant schema, under random names. They
reach a browser only through ``crm.documents.document_response`` after a permission check.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


@deconstructible(path="crm.storage.ProtectedStorage")
class ProtectedStorage(FileSystemStorage):
    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self) -> str:  # read on every use, so tests can point it elsewhere
        return str(settings.PROTECTED_MEDIA_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise NotImplementedError("Protected files have no URL; serve them through a view.")


protected_storage = ProtectedStorage()
