"""The streaming multipart reader of `POST /v1/documents`: each file part goes to a temporary file
as it arrives, refused with a 413 as soon as it passes the size limit; nothing is buffered whole."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool


class TooLarge(Exception):
    pass


def storage_error(exc: OSError) -> HTTPException:
    """A 503 for a file the server could not write: out of space (the words /v1/chat uses for
    a full disk) or another storage failure. Nothing of the upload is kept."""
    from assistant.index.errors import is_disk_full
    from assistant.service.responses import DISK_FULL

    if is_disk_full(exc):
        return HTTPException(503, DISK_FULL, headers={"Retry-After": "60"})
    return HTTPException(503, f"The upload could not be stored ({exc.strerror or type(exc).__name__}); "
                              "nothing was kept. Try again later.", headers={"Retry-After": "60"})


class _Part:
    def __init__(self, tmp: Path) -> None:
        self.headers: dict[bytes, bytes] = {}
        self.field = b""
        self.value = b""
        self.name: bytes | None = None
        self.form_name = b""
        self.tmp = tmp
        self.fh = None
        self.size = 0
        self.sha = hashlib.sha256()
        self.data = b""  # a plain form field's value


async def read_uploads(request: Request, incoming: Path, max_bytes: int, max_files: int,
                       fields: dict[str, str] | None = None) -> list[_Part]:
    """The file parts of a multipart body, each written to a temporary file as it arrives;
    plain form fields (`collection`) go into `fields`."""
    from python_multipart.multipart import MultipartParser, parse_options_header

    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise HTTPException(415, "send the files as multipart/form-data (field name `files`)")
    parts: list[_Part] = []
    current: list[_Part] = []

    def on_part_begin():
        current[:] = [_Part(incoming / uuid.uuid4().hex)]

    def on_header_field(data, start, end):
        current[0].field += data[start:end]

    def on_header_value(data, start, end):
        current[0].value += data[start:end]

    def on_header_end():
        p = current[0]
        p.headers[p.field.lower()] = p.value
        p.field, p.value = b"", b""

    def on_headers_finished():
        p = current[0]
        _, opts = parse_options_header(p.headers.get(b"content-disposition", b""))
        p.form_name = opts.get(b"name", b"")
        p.name = opts.get(b"filename")
        if p.name is not None:
            if len(parts) >= max_files:
                raise HTTPException(413, f"too many files in one request (at most {max_files})")
            p.fh = p.tmp.open("wb")

    def on_part_data(data, start, end):
        p = current[0]
        chunk = data[start:end]
        p.size += len(chunk)
        if p.fh is None:  # a plain form field: bounded
            if p.size > 65536:
                raise HTTPException(413, "form field too large")
            p.data += chunk
            return
        if p.size > max_bytes:
            shown = (p.name or b"").decode("utf-8", "replace")[:100]
            raise TooLarge(f"file {shown!r} is larger than the upload limit of {max_bytes} bytes "
                           f"(ASSISTANT_MAX_UPLOAD_BYTES); nothing was stored")
        p.sha.update(chunk)
        p.fh.write(chunk)

    def on_part_end():
        p = current[0]
        if p.fh is not None:
            p.fh.close()
            parts.append(p)
        elif fields is not None and p.form_name:
            fields[p.form_name.decode("utf-8", "replace")] = p.data.decode("utf-8", "replace")

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field,
        "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished, "on_part_data": on_part_data,
        "on_part_end": on_part_end})

    def cleanup():
        for p in parts + current:
            if p.fh is not None and not p.fh.closed:
                p.fh.close()
            p.tmp.unlink(missing_ok=True)

    try:
        async for chunk in request.stream():
            await run_in_threadpool(parser.write, chunk)
        parser.finalize()
    except TooLarge as exc:
        cleanup()
        raise HTTPException(413, str(exc)) from None
    except HTTPException:
        cleanup()
        raise
    except OSError as exc:  # writing the staged file failed: the server's fault, not the body's
        cleanup()
        raise storage_error(exc) from None
    except Exception as exc:
        cleanup()
        raise HTTPException(400, f"malformed multipart body: {type(exc).__name__}: {exc}"[:300]) \
            from None
    if current and current[0].fh is not None and not current[0].fh.closed:
        cleanup()
        raise HTTPException(400, "malformed multipart body: it ends inside a file")
    return parts
