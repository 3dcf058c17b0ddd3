"""Deciding a document's type from its bytes, and every reason to refuse one."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import i18n
from app.proposals.documents import checks as documents
from app.proposals.documents import office
from app.proposals.documents.checks import DocumentRefused, Inspection, inspect_document
from app.proposals.enums import DocumentKind
from tests import pdfs

ALL_TYPES = ("pdf", "docx", "xlsx", "png", "jpeg")
JS_ACTION = b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>"


@pytest.fixture
def write(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(data: bytes, name: str = "upload.bin") -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


def refused(path: Path, *, allowed: tuple[str, ...] = ALL_TYPES, max_pages: int | None = 5) -> DocumentRefused:
    with pytest.raises(DocumentRefused) as caught:
        inspect_document(path, allowed=allowed, max_pages=max_pages)
    return caught.value


def text(error: DocumentRefused, language: str = "en") -> str:
    return i18n.translate(language, error.message, **error.params)


# --- accepted -------------------------------------------------------------------------------------


def test_inspect_document_accepts_a_pdf_within_limits_with_its_page_count(write) -> None:  # type: ignore[no-untyped-def]
    path = write(pdfs.pdf_bytes(pages=5), "brief.exe")
    assert inspect_document(path, allowed=["pdf"], max_pages=5) == Inspection(
        kind=DocumentKind.PDF, media_type="application/pdf", pages=5
    )


def test_inspect_document_accepts_a_pdf_without_a_page_limit(write) -> None:  # type: ignore[no-untyped-def]
    assert inspect_document(write(pdfs.pdf_bytes(pages=12)), allowed=["pdf"], max_pages=None).pages == 12


def test_inspect_document_accepts_a_large_padded_pdf(write) -> None:  # type: ignore[no-untyped-def]
    path = write(pdfs.pdf_of_size(12))
    assert path.stat().st_size > 12 * 1024 * 1024 - 2048
    assert inspect_document(path, allowed=["pdf"], max_pages=5).pages == 1


def test_inspect_document_accepts_an_open_action_that_is_a_destination(write) -> None:  # type: ignore[no-untyped-def]
    assert inspect_document(write(pdfs.pdf_with_open_destination()), allowed=["pdf"], max_pages=5).pages == 1


def test_inspect_document_accepts_harmless_objects_in_an_object_stream(write) -> None:  # type: ignore[no-untyped-def]
    path = write(pdfs.raw_pdf([b"<< /Producer (test) >>"], in_object_stream=True))
    assert inspect_document(path, allowed=["pdf"], max_pages=5).pages == 1


def test_inspect_document_finds_a_pdf_header_after_leading_bytes(write) -> None:  # type: ignore[no-untyped-def]
    data = pdfs.pdf_bytes()
    assert inspect_document(write(b"\0" * 500 + data), allowed=["pdf"], max_pages=5).kind is DocumentKind.PDF


@pytest.mark.parametrize(
    ("data", "kind", "media_type"),
    [
        (pdfs.docx_bytes(), DocumentKind.DOCX, documents.MEDIA_TYPES[DocumentKind.DOCX]),
        (pdfs.xlsx_bytes(), DocumentKind.XLSX, documents.MEDIA_TYPES[DocumentKind.XLSX]),
        (pdfs.png_bytes(), DocumentKind.PNG, "image/png"),
        (pdfs.jpeg_bytes(), DocumentKind.JPEG, "image/jpeg"),
    ],
    ids=["docx", "xlsx", "png", "jpeg"],
)
def test_inspect_document_recognises_other_types_from_their_bytes(write, data, kind, media_type) -> None:  # type: ignore[no-untyped-def]
    path = write(data, "looks-like.pdf")
    assert inspect_document(path, allowed=ALL_TYPES, max_pages=5) == Inspection(
        kind=kind, media_type=media_type, pages=None
    )


# --- refused: type --------------------------------------------------------------------------------


def test_inspect_document_refuses_an_empty_file(write) -> None:  # type: ignore[no-untyped-def]
    error = refused(write(b""))
    assert error.reason == "empty"
    assert text(error) == "The file is empty."


def test_inspect_document_refuses_a_type_that_is_not_allowed_naming_the_allowed(write) -> None:  # type: ignore[no-untyped-def]
    error = refused(write(pdfs.png_bytes(), "brief.pdf"), allowed=("pdf", "docx"))
    assert error.reason == "type"
    assert text(error) == "The file is a PNG file, which is not accepted here. Allowed: PDF, Word (.docx)."
    assert (
        text(error, "nl")
        == "Het bestand is een PNG-bestand en dat wordt hier niet geaccepteerd. Toegestaan: PDF, Word (.docx)."
    )


def test_inspect_document_refuses_a_pdf_where_only_images_are_allowed(write) -> None:  # type: ignore[no-untyped-def]
    error = refused(write(pdfs.pdf_bytes(), "photo.png"), allowed=("png", "jpeg"))
    assert (error.reason, error.params) == ("type", {"kind": "PDF", "allowed": "PNG, JPEG"})


@pytest.mark.parametrize(
    "data",
    [b"just some text", b"MZ\x90\x00 an executable", pdfs.zip_bytes(), b"PK\x03\x04 not a zip at all"],
    ids=["text", "executable", "other-zip", "broken-zip"],
)
def test_inspect_document_refuses_an_unrecognised_type(write, data: bytes) -> None:  # type: ignore[no-untyped-def]
    error = refused(write(data, "brief.pdf"), allowed=("pdf",))
    assert error.reason == "unknown"
    assert text(error) == "The type of the file could not be recognised from its content. Allowed: PDF."


def test_inspect_document_looks_for_the_pdf_header_only_at_the_start(write) -> None:  # type: ignore[no-untyped-def]
    error = refused(write(b"\0" * 1100 + pdfs.pdf_bytes()), allowed=("pdf",))
    assert error.reason == "unknown"


# --- refused: PDF ---------------------------------------------------------------------------------


def test_inspect_document_refuses_a_pdf_that_does_not_parse(write) -> None:  # type: ignore[no-untyped-def]
    error = refused(write(pdfs.broken_pdf()))
    assert error.reason == "pdf_unreadable"
    assert text(error) == "The PDF file could not be read. It may be damaged; save or export it again and upload it."


def test_inspect_document_refuses_a_truncated_pdf(write) -> None:  # type: ignore[no-untyped-def]
    data = pdfs.pdf_bytes(3)
    assert refused(write(data[: len(data) // 3])).reason == "pdf_unreadable"


@pytest.mark.parametrize("password", ["secret", ""], ids=["password", "empty-password"])
def test_inspect_document_refuses_an_encrypted_pdf(write, password: str) -> None:  # type: ignore[no-untyped-def]
    error = refused(write(pdfs.encrypted_pdf(password)))
    assert error.reason == "pdf_encrypted"
    assert text(error) == "The PDF file is encrypted or protected with a password. Upload it without protection."


def test_inspect_document_refuses_a_pdf_over_the_page_limit(write) -> None:  # type: ignore[no-untyped-def]
    error = refused(write(pdfs.pdf_bytes(pages=6)), max_pages=5)
    assert (error.reason, error.params) == ("pdf_pages", {"pages": 6, "max_pages": 5})
    assert text(error) == "The PDF file has 6 pages; at most 5 are allowed."
    assert text(error, "nl") == "Het PDF-bestand heeft 6 pagina's; er zijn er hoogstens 5 toegestaan."


@pytest.mark.parametrize("where", ["names", "open_action", "catalog_aa", "page_aa", "link"])
def test_inspect_document_refuses_a_pdf_with_javascript(write, where: str) -> None:  # type: ignore[no-untyped-def]
    error = refused(write(pdfs.pdf_with_javascript(where)))
    assert error.reason == "pdf_javascript"
    assert text(error).startswith("The PDF file contains JavaScript, which is not accepted.")


@pytest.mark.parametrize(
    ("objects", "in_object_stream"),
    [
        pytest.param([JS_ACTION], False, id="unreachable-object"),
        pytest.param([JS_ACTION], True, id="in-object-stream"),
        pytest.param([b"<< /Type /Action /S /Java#53cript /J#53 (x) >>"], False, id="escaped-names"),
        pytest.param([b"<< /Subtype /Widget /AA << /K << /S /JavaScript /JS (x) >> >> >>"], False, id="widget-aa"),
        pytest.param([b"[ 1 2 << /Deep [ << /JS 4 0 R >> ] >> ]"], True, id="nested-js-key"),
    ],
)
@pytest.mark.parametrize("unlisted", [False, True], ids=["listed", "unlisted"])
def test_inspect_document_finds_javascript_anywhere_in_the_file(write, objects, in_object_stream, unlisted) -> None:  # type: ignore[no-untyped-def]
    error = refused(write(pdfs.raw_pdf(objects, in_object_stream=in_object_stream, unlisted=unlisted)))
    assert error.reason == "pdf_javascript"


def test_inspect_document_finds_javascript_behind_a_damaged_cross_reference_entry(write) -> None:  # type: ignore[no-untyped-def]
    data = pdfs.raw_pdf([JS_ACTION])
    position = data.index(b"4 0 obj")
    entry = b"%010d 00000 n " % position
    assert data.count(entry) == 1
    damaged = data.replace(entry, b"%010d 00000 n " % (position + 3))
    assert refused(write(damaged)).reason == "pdf_javascript"


@pytest.mark.parametrize("where", ["open_action", "link"])
def test_inspect_document_refuses_a_pdf_with_a_launch_action(write, where: str) -> None:  # type: ignore[no-untyped-def]
    error = refused(write(pdfs.pdf_with_launch_action(where)))
    assert error.reason == "pdf_launch"
    assert text(error).startswith("The PDF file contains an action that starts another program")


def test_inspect_document_finds_a_launch_action_in_an_object_stream(write) -> None:  # type: ignore[no-untyped-def]
    path = write(pdfs.raw_pdf([b"<< /S /#4Caunch /Win << /F (cmd.exe) >> >>"], in_object_stream=True))
    assert refused(path).reason == "pdf_launch"


def test_object_headers_are_found_wherever_they_are() -> None:
    from app.proposals.documents import pdf

    data = pdfs.raw_pdf([JS_ACTION, b"<< /Producer (x) >>"])
    found = list(pdf.object_headers(data, 0, len(data)))
    assert [data[offset:].split(b" obj")[0] for offset in found] == [b"1 0", b"2 0", b"3 0", b"4 0", b"5 0"]


# --- refused: Office ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "label"),
    [(pdfs.docx_bytes(macros=True), "Word (.docx)"), (pdfs.xlsx_bytes(macros=True), "Excel (.xlsx)")],
    ids=["docm", "xlsm"],
)
def test_inspect_document_refuses_office_files_with_macros(write, data: bytes, label: str) -> None:  # type: ignore[no-untyped-def]
    error = refused(write(data))
    assert (error.reason, error.params) == ("office_macros", {"kind": label})
    assert text(error) == f"The {label} file contains macros. Save it without macros and upload it again."


def test_inspect_document_refuses_a_macro_enabled_content_type(write) -> None:  # type: ignore[no-untyped-def]
    data = pdfs._zip(
        {
            "[Content_Types].xml": pdfs.CONTENT_TYPES.replace(
                b"application/xml", b"application/vnd.ms-word.document.macroEnabled.main+xml"
            ),
            "word/document.xml": pdfs.WORD_DOCUMENT,
        }
    )
    assert refused(write(data)).reason == "office_macros"


def test_inspect_document_refuses_a_zip_bomb(write, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(office, "MAX_UNPACKED_BYTES", 2 * 1024 * 1024)
    path = write(pdfs.docx_bomb(unpacked_mb=3))
    assert path.stat().st_size < 64 * 1024
    error = refused(path)
    assert (error.reason, error.params) == ("office_unpacked_size", {"kind": "Word (.docx)", "limit": "2"})


def test_inspect_document_refuses_an_office_package_it_cannot_read(write) -> None:  # type: ignore[no-untyped-def]
    data = pdfs._zip({"[Content_Types].xml": b"<Types", "xl/workbook.xml": b"<workbook/>"})
    error = refused(write(data))
    assert (error.reason, error.params) == ("office_unreadable", {"kind": "Excel (.xlsx)"})
    assert text(error, "nl") == (
        "Het Excel (.xlsx)-bestand kon niet worden gelezen. Mogelijk is het beschadigd; sla het opnieuw op en upload het."
    )


def test_inspect_document_refuses_a_broken_office_package(write) -> None:  # type: ignore[no-untyped-def]
    data = pdfs.docx_bytes()
    central = data.rfind(b"PK\x01\x02")
    damaged = data[:central] + b"\0" * (len(data) - central)
    assert refused(write(damaged), allowed=("docx",)).reason == "unknown"


def test_every_message_of_uploads_and_documents_has_a_dutch_translation() -> None:
    from babel.messages.extract import extract_from_file

    root = Path(documents.__file__).parent
    messages = {
        message
        for module in ("checks.py", "uploads.py", "pdf.py", "office.py")
        for _line, message, _comments, _context in extract_from_file(
            "python", str(root / module), keywords=i18n.EXTRACT_KEYWORDS
        )
    }
    assert len(messages) == 28
    catalogue = i18n.read_catalogue("nl")
    assert sorted(msgid for msgid in messages if msgid not in catalogue) == []
