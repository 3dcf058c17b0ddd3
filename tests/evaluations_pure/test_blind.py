"""Blind scoring's pure parts: hiding names in free text (case, spacing, punctuation, numbers written with
spaces or dots; linear time on hostile text) and copies of documents without their metadata."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from app.evaluations.blind.metadata import MetadataNotRemoved, strip_metadata
from app.evaluations.blind.rules import (
    REDACTED,
    Identity,
    Redactor,
    identities_of,
    name_variants,
    normalise,
    number_variants,
)
from tests.evaluations.blind_documents import BODY_TEXT, docx_with_properties, pdf_with_metadata
from tests.pdfs import broken_pdf

ACME = Identity(names=("Acme Drones B.V.",), numbers=("12345678",), people=("Jan Jansen",))
BRAVO = Identity(names=("Bravo Optics GmbH",), numbers=("HRB 987654",))


def _redact(text: str) -> str:
    return Redactor.for_identities([ACME, BRAVO]).redact(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Acme Drones B.V. levert.", f"{REDACTED} levert."),
        ("ACME  drones levert.", f"{REDACTED} levert."),
        ("Wij (Acme-Drones) leveren.", f"Wij ({REDACTED}) leveren."),
        ("Zie acmedrones.nl.", f"Zie {REDACTED}.nl."),
        ("AcmeDronesBV", REDACTED),
        ("Acmé Drönes", REDACTED),
        ("acme drones b.v. en bravo optics", f"{REDACTED} en {REDACTED}"),
        ("Bravo-Optics GmbH (HRB 987 654)", f"{REDACTED} ({REDACTED})"),
        (
            "KvK 12345678, 12 34 56 78, 12.34.56.78, KvK12345678",
            f"KvK {REDACTED}, {REDACTED}, {REDACTED}, KvK{REDACTED}",
        ),
        ("registry 987654", f"registry {REDACTED}"),
        ("Contact: JAN  JANSEN.", f"Contact: {REDACTED}."),
    ],
)
def test_redaction_ignores_case_spacing_and_punctuation(text: str, expected: str) -> None:
    assert _redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Xacmedrones en acmedronesx zijn andere woorden.",
        "Het getal 123456789 en 912345678 zijn andere nummers.",
        "Drones van Acme? Nee: drones acme.",  # the words in another order are not the name
        "Passieve radar tot 5 km.",
    ],
)
def test_redaction_leaves_other_words_alone(text: str) -> None:
    assert _redact(text) == text


def test_name_variants_drop_legal_forms_and_numbers_their_spacing() -> None:
    assert name_variants("Acme Drones B.V.") == {"acmedronesbv", "acmedrones"}
    assert name_variants("Bravo Optics GmbH") == {"bravoopticsgmbh", "bravooptics"}
    assert name_variants("B.V.") == {"bv"} - {"bv"}  # too short to hide without eating words
    assert number_variants("HRB 987.654") == {"hrb987654", "987654"}
    assert normalise("Ärger-Straße 1") == "argerstrasse1"


def test_identities_of_a_version_take_the_lead_and_every_partner() -> None:
    content = {
        "organisation": {"legal_name": "Acme Drones B.V.", "kvk_number": "12345678", "registry_id": None},
        "partners": [
            {"legal_name": "Bravo Optics GmbH", "kvk_number": None, "registry_id": "HRB 987654"},
            {"legal_name": "Charlie Sensoren B.V.", "kvk_number": "87654321"},
        ],
    }
    assert identities_of(content) == [
        Identity(names=("Acme Drones B.V.",), numbers=("12345678",)),
        Identity(names=("Bravo Optics GmbH",), numbers=("HRB 987654",)),
        Identity(names=("Charlie Sensoren B.V.",), numbers=("87654321",)),
    ]


NAME_PARTS = ("acme", "drones")


@st.composite
def spellings(draw: st.DrawFn) -> str:
    """The name "Acme Drones" in any case, with any separators (or none) between and around its words."""
    separator = st.text(alphabet=" -._/\t\n", min_size=0, max_size=3)
    words = ["".join(c.upper() if draw(st.booleans()) else c for c in word) for word in NAME_PARTS]
    return words[0] + draw(separator) + words[1]


ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(before=ANY_TEXT, name=spellings(), after=ANY_TEXT)
def test_any_spelling_between_separators_is_hidden(before: str, name: str, after: str) -> None:
    text = f"{before} {name} {after}"
    start = len(before) + 1
    end = start + len(name)
    spans = Redactor.for_identities([ACME, BRAVO]).spans(text)
    assert any(first <= start and end <= last for first, last in spans), spans


# Characters none of the names or numbers has: a text of them has nothing to hide.
UNRELATED = st.text(
    alphabet=st.characters(
        min_codepoint=32, max_codepoint=126, blacklist_characters="acmdronesjbvtpihgACMDRONESJBVTPIHG123456789"
    )
)


@given(UNRELATED)
def test_text_without_names_is_left_as_it_is(text: str) -> None:
    assert _redact(text) == text


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",))))
def test_any_text_is_redacted_without_error_and_only_shrinks_where_hidden(text: str) -> None:
    redacted = _redact(text)
    if REDACTED not in redacted:
        assert redacted == text


@pytest.mark.parametrize(
    "hostile",
    [
        "a" * 200_000,
        "acmedrone" * 30_000,
        "acme " * 40_000,
        "Acme Drones B" * 20_000,
        "1234567" * 30_000,
        "1 2 3 4 5 6 7 " * 15_000,
        "\u0301" * 100_000 + "acme drones",
    ],
)
def test_hostile_text_is_redacted_in_one_pass(hostile: str) -> None:
    """Texts that make a backtracking pattern explode (near-matches repeated) end, and correctly."""
    redacted = _redact(hostile + " Acme Drones")
    assert redacted.endswith(f" {REDACTED}")
    assert len(redacted) <= len(hostile) + len(" Acme Drones")


# --- documents ------------------------------------------------------------------------------------

MAKERS = ("Acme Drones", "Jan Jansen", "12345678")


def _has_makers(data: bytes) -> bool:
    lowered = data.lower()
    return any(maker.lower().encode(encoding) in lowered for maker in MAKERS for encoding in ("latin-1", "utf-16-be"))


def _strip(tmp_path: Path, data: bytes, kind: str) -> bytes:
    source, target = tmp_path / "in", tmp_path / "out"
    source.write_bytes(data)
    strip_metadata(source, target, kind=kind, original_sha256=hashlib.sha256(data).hexdigest())
    return target.read_bytes()


def test_pdf_copy_has_no_document_information_xmp_or_comment_authors(tmp_path: Path) -> None:
    original = pdf_with_metadata(
        author="Jan Jansen", creator="Acme Drones B.V.", title="Offerte Acme Drones", producer="Acme Drones PDF"
    )
    assert _has_makers(original)
    assert PdfReader(io.BytesIO(original)).metadata.author == "Jan Jansen"  # type: ignore[union-attr]
    copy = _strip(tmp_path, original, "pdf")
    assert not _has_makers(copy)
    reader = PdfReader(io.BytesIO(copy))
    assert reader.metadata is None and reader.xmp_metadata is None
    assert "/Metadata" not in reader.pages[0]
    assert len(reader.pages) == 1 and BODY_TEXT in reader.pages[0].extract_text()
    comment = reader.pages[0]["/Annots"][0].get_object()
    assert comment["/Contents"] == "Check the range." and "/T" not in comment


def test_pdf_copy_is_the_same_bytes_every_time(tmp_path: Path) -> None:
    original = pdf_with_metadata(author="Jan Jansen", creator="Acme", title="T", producer="P")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert _strip(tmp_path / "a", original, "pdf") == _strip(tmp_path / "b", original, "pdf")


def test_docx_copy_has_empty_properties_and_the_same_content(tmp_path: Path) -> None:
    original = docx_with_properties(
        creator="Jan Jansen", last_modified_by="Jan Jansen", company="Acme Drones B.V.", title="Offerte 12345678"
    )
    assert _has_makers(zipfile.ZipFile(io.BytesIO(original)).read("docProps/core.xml"))
    copy = _strip(tmp_path, original, "docx")
    with zipfile.ZipFile(io.BytesIO(copy)) as package, zipfile.ZipFile(io.BytesIO(original)) as before:
        assert package.testzip() is None
        assert package.namelist() == before.namelist()
        for name in package.namelist():
            assert not _has_makers(package.read(name)), name
            if not name.startswith("docProps/"):
                assert package.read(name) == before.read(name)
        core = package.read("docProps/core.xml")
        app = package.read("docProps/app.xml")
    assert b"creator" not in core and b"lastModifiedBy" not in core and b"Company" not in app
    assert core.startswith(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties ')
    assert _strip(tmp_path, original, "docx") == copy  # the same bytes every time


def test_broken_pdf_is_refused_not_copied(tmp_path: Path) -> None:
    with pytest.raises(MetadataNotRemoved):
        _strip(tmp_path, broken_pdf(), "pdf")
    with pytest.raises(MetadataNotRemoved):
        _strip(tmp_path, b"PK\x03\x04 not a zip", "docx")


def test_unknown_kinds_are_copied_as_they_are(tmp_path: Path) -> None:
    assert _strip(tmp_path, b"plain bytes", "bin") == b"plain bytes"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_png_copy_has_no_text_exif_or_time_chunks(tmp_path: Path) -> None:
    header = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    pixels = _png_chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    end = _png_chunk(b"IEND", b"")
    original = (
        b"\x89PNG\r\n\x1a\n"
        + header
        + _png_chunk(b"tEXt", b"Author\x00Jan Jansen")
        + _png_chunk(b"iTXt", b"Copyright\x00\x00\x00\x00\x00Acme Drones B.V.")
        + _png_chunk(b"eXIf", b"MM\x00*Acme Drones")
        + _png_chunk(b"tIME", b"\x07\xeb\x01\x05\x0a\x00\x00")
        + pixels
        + end
    )
    assert _has_makers(original)
    assert _strip(tmp_path, original, "png") == b"\x89PNG\r\n\x1a\n" + header + pixels + end


def test_jpeg_copy_has_no_exif_xmp_iptc_or_comments(tmp_path: Path) -> None:
    def segment(marker: int, data: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(data) + 2) + data

    jfif = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    icc = segment(0xE2, b"ICC_PROFILE\x00\x01\x01profile")
    tables = segment(0xDB, bytes(65))
    scan = b"\xff\xda" + struct.pack(">H", 8) + b"\x01\x01\x00\x00\x3f\x00" + b"\x12\x34\xff\x00\x56" + b"\xff\xd9"
    original = (
        b"\xff\xd8"
        + jfif
        + segment(0xE1, b"Exif\x00\x00MM\x00*Artist: Jan Jansen")
        + segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<dc:creator>Acme Drones</dc:creator>")
        + icc
        + segment(0xED, b"Photoshop 3.0\x008BIM Acme Drones B.V.")
        + segment(0xFE, b"Made by Acme Drones")
        + tables
        + scan
    )
    assert _has_makers(original)
    assert _strip(tmp_path, original, "jpeg") == b"\xff\xd8" + jfif + icc + tables + scan


@pytest.mark.parametrize(("data", "kind"), [(b"\x89PNG\r\n\x1a\n\x00\x00", "png"), (b"\xff\xd8\xff\xe1\xff", "jpeg")])
def test_truncated_images_are_refused(tmp_path: Path, data: bytes, kind: str) -> None:
    with pytest.raises(MetadataNotRemoved):
        _strip(tmp_path, data, kind)
