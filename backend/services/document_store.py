"""Where uploaded and generated documents live: a small interface, a local folder for now.

Keys are relative POSIX paths (``registrations/CRN…/uploads/<uuid>.pdf``). Object storage later
is another class with the same four methods; callers never build file paths themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from backend.settings import Settings


class DocumentStore(Protocol):
    def save(self, key: str, data: bytes) -> None: ...

    def read(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def local_path(self, key: str) -> Path:
        """A file on disk holding the document (object stores download to a cache)."""
        ...


class LocalDocumentStore:
    """Documents under ``settings.documents_dir``; keys may not climb out of it."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def local_path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"document key {key!r} leaves the store")
        return path

    def save(self, key: str, data: bytes) -> None:
        path = self.local_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)

    def read(self, key: str) -> bytes:
        return self.local_path(key).read_bytes()

    def delete(self, key: str) -> None:
        self.local_path(key).unlink(missing_ok=True)


def document_store(settings: Settings) -> DocumentStore:
    """The store the settings name (only the local folder exists so far)."""
    return LocalDocumentStore(Path(settings.documents_dir))
