"""Receiving an upload: streamed with the limit enforced while reading, hashed, named safely, cleaned up."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from starlette.responses import Response

from app.errors import DomainError
from app.proposals.documents.uploads import (
    FRAMING_ALLOWANCE,
    MAX_FIELDS_BYTES,
    ReceivedFile,
    UploadMalformed,
    UploadMissing,
    UploadTooLarge,
    display_name,
    receive_file,
)
from app.storage import LocalBlobStore
from tests.asyncrun import run_async
from tests.pdfs import pdf_bytes

MIB = 1024 * 1024
BOUNDARY = "----portal-test-boundary-7MA4YWxkTrZu0gW"
CHUNK = 64 * 1024


# --- a request whose body arrives chunk by chunk, counting what the server consumed ---------------


class CountingBody:
    """The ASGI ``receive`` of one request: hands out the body's chunks and counts the bytes taken."""

    def __init__(self, chunks: Iterable[bytes], *, disconnect_after: int | None = None) -> None:
        self.chunks = iter(chunks)
        self.consumed = 0
        self.disconnect_after = disconnect_after
        self.finished = False

    async def __call__(self) -> dict[str, Any]:
        if self.disconnect_after is not None and self.consumed >= self.disconnect_after:
            return {"type": "http.disconnect"}
        chunk = next(self.chunks, None)
        if chunk is None:
            self.finished = True
            return {"type": "http.request", "body": b"", "more_body": False}
        self.consumed += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}


def file_part(
    content: Iterable[bytes], *, name: str = "file", filename: str | None = "brief.pdf", kind: str = "application/pdf"
) -> Iterator[bytes]:
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    yield f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\nContent-Type: {kind}\r\n\r\n".encode()
    yield from content
    yield b"\r\n"


def field_part(name: str, value: str) -> bytes:
    return f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()


def body(*parts: bytes | Iterable[bytes], close: bool = True) -> Iterator[bytes]:
    for part in parts:
        if isinstance(part, bytes):
            yield part
        else:
            yield from part
    if close:
        yield f"--{BOUNDARY}--\r\n".encode()


def chunks_of(data: bytes, size: int = CHUNK) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def zeros(total: int) -> Iterator[bytes]:
    """``total`` bytes without holding them: the body a client streams."""
    sent = 0
    while sent < total:
        size = min(CHUNK, total - sent)
        sent += size
        yield b"\0" * size


def make_request(receive: CountingBody, *, content_type: str | None = None, length: int | None = None) -> Request:
    headers = [(b"content-type", (content_type or f"multipart/form-data; boundary={BOUNDARY}").encode())]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    scope = {"type": "http", "method": "POST", "path": "/upload", "headers": headers, "query_string": b""}
    return Request(scope, receive)  # type: ignore[arg-type]


def receive(
    store: LocalBlobStore,
    chunks: Iterable[bytes],
    *,
    max_bytes: int = MIB,
    content_type: str | None = None,
    length: int | None = None,
    disconnect_after: int | None = None,
    inside: Any = None,
) -> tuple[ReceivedFile | DomainError, CountingBody, bytes | None]:
    """Run ``receive_file`` on a streamed body: the result (or the error), the body, the file's bytes as seen inside."""
    counting = CountingBody(chunks, disconnect_after=disconnect_after)
    request = make_request(counting, content_type=content_type, length=length)
    seen: list[bytes] = []

    async def run() -> ReceivedFile | DomainError:
        try:
            async with receive_file(request, field="file", max_bytes=max_bytes, store=store) as received:
                seen.append(received.path.read_bytes())
                if inside is not None:
                    inside(received)
                return received
        except DomainError as exc:
            return exc

    return run_async(run), counting, seen[0] if seen else None


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def temporary_files(store: LocalBlobStore) -> list[str]:
    return sorted(path.name for path in store.tmp.iterdir()) if store.tmp.exists() else []


# --- receiving ------------------------------------------------------------------------------------


def test_receive_file_hashes_counts_and_keeps_small_fields(store: LocalBlobStore) -> None:
    content = pdf_bytes(2)
    result, counting, seen = receive(
        store, body(field_part("csrf_token", "abc"), file_part(chunks_of(content, 1000)), field_part("note", "hoi"))
    )
    assert isinstance(result, ReceivedFile)
    assert result.sha256 == hashlib.sha256(content).hexdigest()
    assert result.size == len(content)
    assert result.filename == "brief.pdf"
    assert result.declared_type == "application/pdf"
    assert result.fields == {"csrf_token": "abc", "note": "hoi"}
    assert seen == content
    assert counting.finished is True


def test_receive_file_removes_the_temporary_file_when_the_block_ends(store: LocalBlobStore) -> None:
    result, _, _ = receive(store, body(file_part([b"%PDF-1.7 small"])))
    assert isinstance(result, ReceivedFile)
    assert result.path.parent == store.tmp
    assert not result.path.exists()
    assert temporary_files(store) == []


def test_receive_file_leaves_the_blob_when_put_moved_it(store: LocalBlobStore) -> None:
    def keep(received: ReceivedFile) -> None:
        store.put(received.path, sha256=received.sha256)

    result, _, _ = receive(store, body(file_part([b"%PDF-1.7 kept"])), inside=keep)
    assert isinstance(result, ReceivedFile)
    assert store.verify(hashlib.sha256(b"%PDF-1.7 kept").hexdigest()) is True
    assert temporary_files(store) == []


def test_receive_file_removes_the_temporary_file_when_the_block_raises(store: LocalBlobStore) -> None:
    def refuse(received: ReceivedFile) -> None:
        raise UploadMalformed()

    result, _, _ = receive(store, body(file_part([b"%PDF-1.7 refused"])), inside=refuse)
    assert isinstance(result, UploadMalformed)
    assert temporary_files(store) == []


def test_receive_file_accepts_a_file_exactly_at_the_limit(store: LocalBlobStore) -> None:
    result, _, _ = receive(store, body(file_part(zeros(MIB))), max_bytes=MIB)
    assert isinstance(result, ReceivedFile)
    assert result.size == MIB


# --- the size limit -------------------------------------------------------------------------------


def test_receive_file_stops_reading_as_soon_as_the_file_passes_the_limit(store: LocalBlobStore) -> None:
    result, counting, seen = receive(store, body(file_part(zeros(20 * MIB))), max_bytes=MIB)
    assert isinstance(result, UploadTooLarge)
    assert result.params == {"limit": 1}
    assert counting.finished is False
    assert counting.consumed <= MIB + 2 * CHUNK
    assert seen is None
    assert temporary_files(store) == []


def test_receive_file_stops_reading_when_the_declared_length_lies(store: LocalBlobStore) -> None:
    result, counting, _ = receive(store, body(file_part(zeros(20 * MIB))), max_bytes=MIB, length=1000)
    assert isinstance(result, UploadTooLarge)
    assert counting.consumed <= MIB + 2 * CHUNK
    assert temporary_files(store) == []


def test_receive_file_refuses_a_declared_length_past_the_limit_without_reading(store: LocalBlobStore) -> None:
    result, counting, _ = receive(store, body(file_part(zeros(20 * MIB))), max_bytes=10 * MIB, length=20 * MIB + 500)
    assert isinstance(result, UploadTooLarge)
    assert result.params == {"limit": 10}
    assert result.message % result.params == "The file is larger than 10 MB."
    assert counting.consumed == 0
    assert temporary_files(store) == []


def test_receive_file_allows_a_declared_length_of_the_limit_plus_the_other_fields(store: LocalBlobStore) -> None:
    content = b"%PDF-1.7 " + b"x" * 1000
    result, _, _ = receive(store, body(file_part([content])), max_bytes=1000 + 9, length=1009 + 40 * 1024)
    assert isinstance(result, ReceivedFile)
    assert result.size == 1009


def test_receive_file_refuses_other_fields_past_their_budget(store: LocalBlobStore) -> None:
    big = "x" * (MAX_FIELDS_BYTES + 1)
    result, counting, _ = receive(store, body(field_part("note", big), file_part(zeros(2 * MIB))), max_bytes=4 * MIB)
    assert isinstance(result, UploadMalformed)
    assert counting.finished is False
    assert temporary_files(store) == []


def test_receive_file_stops_reading_bytes_after_the_closing_boundary(store: LocalBlobStore) -> None:
    """The file part is within its limit, but the body goes on after the closing boundary (an epilogue the
    parser ignores) and no honest length announces it: the overall cap on the body stops the reading."""
    result, counting, seen = receive(
        store, chain(body(file_part([b"%PDF-1.7 small"])), zeros(20 * MIB)), max_bytes=MIB, length=None
    )
    assert isinstance(result, UploadTooLarge)
    assert result.params == {"limit": 1}
    assert counting.finished is False
    assert counting.consumed <= MIB + MAX_FIELDS_BYTES + FRAMING_ALLOWANCE + CHUNK
    assert seen is None
    assert temporary_files(store) == []


def test_upload_too_large_says_the_limit_in_megabytes() -> None:
    from app.proposals.documents.uploads import too_large

    assert too_large(150 * MIB).params == {"limit": 150}
    assert too_large(MIB // 2).params == {"limit": 0.5}


# --- missing and malformed ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "parts",
    [
        pytest.param([field_part("csrf_token", "abc")], id="no-file-part"),
        pytest.param([file_part([], filename="")], id="no-file-chosen"),
        pytest.param([field_part("file", "just text")], id="text-field-named-file"),
        pytest.param([file_part([b"%PDF-1.7"], name="other")], id="file-under-another-name"),
    ],
)
def test_receive_file_missing_file_is_refused(store: LocalBlobStore, parts: list[Any]) -> None:
    result, _, _ = receive(store, body(*parts))
    assert isinstance(result, UploadMissing)
    assert result.message == "Choose a file to upload."
    assert temporary_files(store) == []


def test_receive_file_keeps_an_empty_file_with_a_name_for_the_type_check(store: LocalBlobStore) -> None:
    result, _, _ = receive(store, body(file_part([], filename="empty.pdf")))
    assert isinstance(result, ReceivedFile)
    assert (result.size, result.filename) == (0, "empty.pdf")


@pytest.mark.parametrize(
    ("chunks", "content_type"),
    [
        pytest.param([b"{}"], "application/json", id="not-multipart"),
        pytest.param([b"x"], "multipart/form-data", id="no-boundary"),
        pytest.param(body(file_part([b"%PDF-1.7 cut"]), close=False), None, id="truncated"),
        pytest.param([b"--wrong-boundary\r\n\r\nhello\r\n--wrong-boundary--\r\n"], None, id="other-boundary"),
        pytest.param(
            [f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nno name\r\n--{BOUNDARY}--\r\n".encode()],
            None,
            id="part-without-name",
        ),
        pytest.param(body(file_part([b"%PDF-1 a"]), file_part([b"%PDF-1 b"])), None, id="two-files"),
    ],
)
def test_receive_file_malformed_body_is_refused(
    store: LocalBlobStore, chunks: Iterable[bytes], content_type: str | None
) -> None:
    result, _, _ = receive(store, chunks, content_type=content_type)
    assert isinstance(result, UploadMalformed)
    assert result.message == "The upload could not be read. Please try again."
    assert temporary_files(store) == []


def test_receive_file_client_that_goes_away_leaves_nothing_behind(store: LocalBlobStore) -> None:
    result, counting, _ = receive(store, body(file_part(zeros(4 * MIB))), max_bytes=8 * MIB, disconnect_after=MIB)
    assert isinstance(result, UploadMalformed)
    assert counting.finished is False
    assert MIB <= counting.consumed < MIB + CHUNK
    assert temporary_files(store) == []


def test_receive_file_refuses_a_declared_length_that_is_not_a_number(store: LocalBlobStore) -> None:
    counting = CountingBody(body(file_part([b"%PDF-1.7"])))
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/upload",
        "query_string": b"",
        "headers": [
            (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
            (b"content-length", b"-5"),
        ],
    }

    async def run() -> None:
        async with receive_file(Request(scope, counting), field="file", max_bytes=MIB, store=store):  # type: ignore[arg-type]
            pass

    with pytest.raises(UploadMalformed):
        run_async(run)
    assert counting.consumed == 0


# --- file names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("brief.pdf", "brief.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\evil.pdf", "evil.pdf"),
        ("C:\\Users\\Jan\\Documenten\\Schets v2.pdf", "Schets v2.pdf"),
        ("/absolute/path/plan.pdf", "plan.pdf"),
        ("..", "document"),
        ("dir/", "document"),
        ("", "document"),
        ("   ", "document"),
        ("a\x00b\x07c\nd\te.pdf", "abcde.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("caf\u0065\u0301.pdf", "caf\u00e9.pdf"),
        ("\u00e9t\u00e9 \U0001f468\u200d\U0001f4bb.pdf", "\u00e9t\u00e9 \U0001f468\u200d\U0001f4bb.pdf"),
    ],
)
def test_display_name_keeps_only_safe_display_text(raw: str, shown: str) -> None:
    assert display_name(raw) == shown


def test_display_name_cuts_long_names_and_keeps_the_extension() -> None:
    shown = display_name("x" * 300 + ".pdf")
    assert len(shown) == 255
    assert shown == "x" * 251 + ".pdf"
    assert display_name("y" * 300) == "y" * 255


def test_receive_file_gives_the_display_name_of_a_traversal_name(store: LocalBlobStore) -> None:
    result, _, _ = receive(store, body(file_part([b"%PDF-1.7"], filename="../../../etc/cron.d/x\x1b[31m.pdf")))
    assert isinstance(result, ReceivedFile)
    assert result.filename == "x[31m.pdf"
    assert result.path.parent == store.tmp


def test_receive_file_decodes_a_utf8_name(store: LocalBlobStore) -> None:
    name = unicodedata.normalize("NFD", "Oplossingsschets défensie.pdf")
    result, _, _ = receive(store, body(file_part([b"%PDF-1.7"], filename=name)))
    assert isinstance(result, ReceivedFile)
    assert result.filename == "Oplossingsschets défensie.pdf"


# --- through a real app ---------------------------------------------------------------------------


def upload_app(store: LocalBlobStore, max_bytes: int) -> FastAPI:
    """A tiny app that receives, then keeps the file: the shape a view has."""
    app = FastAPI()

    @app.post("/upload")
    async def upload(request: Request) -> Response:
        try:
            async with receive_file(request, field="file", max_bytes=max_bytes, store=store) as received:
                store.put(received.path, sha256=received.sha256)
                return JSONResponse({"sha256": received.sha256, "name": received.filename, "fields": received.fields})
        except UploadTooLarge as exc:
            return JSONResponse({"error": exc.message % exc.params}, status_code=413, headers={"Connection": "close"})
        except (UploadMissing, UploadMalformed) as exc:
            return JSONResponse({"error": exc.message}, status_code=400)

    return app


def test_upload_app_stores_a_file_sent_by_a_client(store: LocalBlobStore) -> None:
    content = pdf_bytes(1)
    with TestClient(upload_app(store, MIB)) as client:
        response = client.post(
            "/upload",
            data={"csrf_token": "t"},
            files={"file": ("C:\\temp\\Schets.pdf", content, "application/pdf")},
        )
    assert response.status_code == 200
    digest = hashlib.sha256(content).hexdigest()
    assert response.json() == {"sha256": digest, "name": "Schets.pdf", "fields": {"csrf_token": "t"}}
    assert store.open(digest).read() == content
    assert temporary_files(store) == []


def test_upload_app_answers_413_with_connection_close(store: LocalBlobStore) -> None:
    with TestClient(upload_app(store, MIB)) as client:
        response = client.post("/upload", files={"file": ("big.pdf", b"\0" * (3 * MIB), "application/pdf")})
    assert response.status_code == 413
    assert response.headers["connection"] == "close"
    assert response.json() == {"error": "The file is larger than 1 MB."}
    assert temporary_files(store) == []


def test_upload_app_answers_413_to_a_chunked_body_that_goes_on_after_the_closing_boundary(
    store: LocalBlobStore,
) -> None:
    sent = chain(body(file_part([b"%PDF-1.7 small"])), zeros(3 * MIB))
    with TestClient(upload_app(store, MIB)) as client:
        response = client.post(
            "/upload", content=sent, headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
        )
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json() == {"error": "The file is larger than 1 MB."}
    assert temporary_files(store) == []
    assert not store.exists(hashlib.sha256(b"%PDF-1.7 small").hexdigest())
