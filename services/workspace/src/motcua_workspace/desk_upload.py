"""The desk's filing body as it arrives (multipart/form-data, read with motcua_files.multipart,
never held whole): its text fields, bounded, and each scanned file spooled to a temporary file
(in memory while small), counted, and no longer kept past the limit for one file, so the check
before anything is sent (motcua_workspace.desk_filing.check_scans) sees its true size."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import IO

from motcua_files.media import SNIFF_BYTES
from motcua_files.multipart import MultipartError, boundary_of, parts

SPOOL_BYTES = 1024 * 1024  # a scan this small stays in memory
MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 200


class FormRefused(ValueError):
    """The body is not a form the desk reads (a 400 or 413 with this message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class SpooledFile:
    field_name: str
    file_name: str
    content_type: str | None
    file: IO[bytes]
    size: int = 0
    head: bytes = b""


@dataclass
class DeskForm:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, SpooledFile] = field(default_factory=dict)

    def close(self) -> None:
        for spooled in self.files.values():
            spooled.file.close()


async def read_desk_form(content_type: str | None, chunks: AsyncIterator[bytes], *,
                         max_file_bytes: int, max_files: int) -> DeskForm:
    """The form's fields and files. A file part with no file chosen (an empty name) is left
    out; a file is kept up to `max_file_bytes` + 1 bytes and counted to its end."""
    form = DeskForm()
    try:
        async for part in parts(chunks, boundary_of(content_type)):
            name = part.name or ""
            if part.filename is None:
                if len(form.fields) >= MAX_FIELDS:
                    raise FormRefused(413, f"more than {MAX_FIELDS} fields")
                value = b""
                async for chunk in part.data:
                    value += chunk
                    if len(value) > MAX_FIELD_BYTES:
                        raise FormRefused(413, f"field {name!r} is longer than "
                                               f"{MAX_FIELD_BYTES} bytes")
                form.fields[name] = value.decode("utf-8", errors="replace")
                continue
            if not part.filename:
                async for _ in part.data:  # an input with no file chosen
                    pass
                continue
            if len(form.files) >= max_files:
                raise FormRefused(413, f"more than {max_files} files")
            spooled = SpooledFile(name, part.filename, part.content_type,
                                  tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES))
            form.files[name] = spooled
            async for chunk in part.data:
                if len(spooled.head) < SNIFF_BYTES:
                    spooled.head += chunk[:SNIFF_BYTES - len(spooled.head)]
                if spooled.size <= max_file_bytes:
                    spooled.file.write(chunk[:max_file_bytes + 1 - spooled.size])
                spooled.size += len(chunk)
            spooled.file.seek(0)
    except MultipartError as error:
        form.close()
        raise FormRefused(400, str(error)) from None
    except FormRefused:
        form.close()
        raise
    return form
