"""The zip of an account's data that an export job builds: JSON documents and files, written to a
temporary file (an account's media can be large), then handed to storage."""

from __future__ import annotations

import json
import tempfile
import zipfile
from datetime import date, datetime
from typing import IO, Any, BinaryIO, cast


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


class ExportArchive:
    """``add_json("posts.json", [...])``, ``add_file("media/12.png", data)``; names are unique."""

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._zip = zipfile.ZipFile(self._file, "w", compression=zipfile.ZIP_DEFLATED)
        self.names: list[str] = []

    def add_json(self, name: str, data: Any) -> None:
        self._add(name, json.dumps(data, default=_default, indent=2, ensure_ascii=False).encode())

    def add_file(self, name: str, content: bytes) -> None:
        self._add(name, content)

    def _add(self, name: str, content: bytes) -> None:
        if name in self.names:
            raise ValueError(f"{name} is in the archive already")
        self.names.append(name)
        self._zip.writestr(name, content)

    def finish(self) -> BinaryIO:
        """The finished zip, read from its start."""
        self._zip.close()
        self._file.seek(0)
        return cast(BinaryIO, self._file)

    def close(self) -> None:
        self._file.close()
