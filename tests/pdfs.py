"""Test documents made in a few lines (reportlab, pypdf, zipfile, or by hand): no binary fixtures.

Hand-made PDFs (``raw_pdf``) put objects exactly where a test needs them: in an object stream, unreachable
from the page tree, with escaped names.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from collections.abc import Iterator

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

MIB = 1024 * 1024


def pdf_bytes(pages: int = 1, text: str = "Solution brief") -> bytes:
    """A plain PDF with ``pages`` pages of text."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    for number in range(1, pages + 1):
        pdf.drawString(72, 760, f"{text}, page {number}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def iter_pdf_of_size(mb: float, *, chunk: int = MIB) -> Iterator[bytes]:
    """A valid one-page PDF padded with incompressible streams to about ``mb`` MiB, yielded piece by piece."""
    offsets: list[int] = []
    written = 0

    def emit(data: bytes) -> bytes:
        nonlocal written
        written += len(data)
        return data

    padding = max(0, int(mb * MIB) - 1024)
    count = (padding + chunk - 1) // chunk
    pad_ids = list(range(5, 5 + count))
    yield emit(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    content = b"BT /F1 12 Tf 72 760 Td (Padded test document) Tj ET"
    kids = " ".join(f"{n} 0 R" for n in pad_ids)
    head = [
        f"<< /Type /Catalog /Pages 2 0 R /PieceInfo << /Test << /Private [{kids}] >> >> >>".encode(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    for number, body in enumerate(head, start=1):
        offsets.append(written)
        yield emit(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    remaining = padding
    for number in pad_ids:
        size = min(chunk, remaining)
        remaining -= size
        offsets.append(written)
        yield emit(b"%d 0 obj\n<< /Length %d >>\nstream\n" % (number, size))
        yield emit(os.urandom(size))
        yield emit(b"\nendstream\nendobj\n")
    xref_at = written
    table = [b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)]
    table += [b"%010d 00000 n \n" % offset for offset in offsets]
    yield emit(b"".join(table))
    yield emit(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref_at))


def pdf_of_size(mb: float) -> bytes:
    return b"".join(iter_pdf_of_size(mb))


def _writer(pages: int = 1) -> PdfWriter:
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(pdf_bytes(pages))))
    return writer


def _bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def encrypted_pdf(user_password: str = "secret") -> bytes:
    """An encrypted PDF (RC4, which pypdf writes without extra packages); ``""`` opens without a password."""
    writer = _writer()
    writer.encrypt(user_password, "owner-secret", algorithm="RC4-128")
    return _bytes(writer)


def _action(kind: str, **entries: object) -> DictionaryObject:
    action = DictionaryObject({NameObject("/Type"): NameObject("/Action"), NameObject("/S"): NameObject(kind)})
    for key, value in entries.items():
        action[NameObject(f"/{key}")] = value  # type: ignore[assignment]
    return action


def _link(writer: PdfWriter, action: DictionaryObject, *, key: str = "/A") -> None:
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (72, 700, 200, 720)]),
            NameObject(key): writer._add_object(action) if key == "/A" else action,
        }
    )
    page = writer.pages[0]
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


def pdf_with_javascript(where: str = "names") -> bytes:
    """A PDF with JavaScript in one place: ``names`` (document-level name tree), ``open_action``,
    ``catalog_aa`` or ``page_aa`` (additional actions), ``link`` (a link annotation's action)."""
    writer = _writer()
    script = _action("/JavaScript", JS=TextStringObject("app.alert('hello');"))
    root = writer._root_object
    if where == "names":
        tree = DictionaryObject(
            {NameObject("/Names"): ArrayObject([TextStringObject("hello"), writer._add_object(script)])}
        )
        root[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): writer._add_object(tree)})
    elif where == "open_action":
        root[NameObject("/OpenAction")] = writer._add_object(script)
    elif where == "catalog_aa":
        root[NameObject("/AA")] = DictionaryObject({NameObject("/WC"): writer._add_object(script)})
    elif where == "page_aa":
        writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): script})
    elif where == "link":
        _link(writer, script)
    else:
        raise ValueError(where)
    return _bytes(writer)


def pdf_with_launch_action(where: str = "open_action") -> bytes:
    """A PDF whose opening (``open_action``) or a link (``link``) starts another program."""
    writer = _writer()
    launch = _action("/Launch", F=TextStringObject("calc.exe"))
    if where == "open_action":
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(launch)
    elif where == "link":
        _link(writer, launch)
    else:
        raise ValueError(where)
    return _bytes(writer)


def pdf_with_open_destination() -> bytes:
    """A PDF that opens at its first page, fitted: an /OpenAction that is a destination, not a script."""
    writer = _writer()
    page = writer.pages[0].indirect_reference
    writer._root_object[NameObject("/OpenAction")] = ArrayObject([page, NameObject("/Fit")])
    return _bytes(writer)


def raw_pdf(extra_objects: list[bytes], *, in_object_stream: bool = False, unlisted: bool = False) -> bytes:
    """A one-page PDF written by hand with ``extra_objects`` that nothing refers to.

    With ``in_object_stream`` the extra objects sit compressed in an object stream and the file has a
    cross-reference stream (PDF 1.5), as modern writers make them. With ``unlisted`` the cross-reference
    table leaves the extra objects (or their object stream) out, as a damaged file or a hiding attacker would.
    """
    base = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    compressed: dict[int, tuple[int, int]] = {}

    def write_object(number: int, body: bytes) -> None:
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    for number, body in enumerate(base, start=1):
        write_object(number, body)
    first_extra = len(base) + 1
    extra_numbers = list(range(first_extra, first_extra + len(extra_objects)))
    if not in_object_stream:
        for number, body in zip(extra_numbers, extra_objects, strict=True):
            write_object(number, body)
        xref_at = out.tell()
        listed = len(base) + 1 if unlisted else max(offsets) + 1
        size = listed
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
        for number in range(1, size):
            out.write(b"%010d 00000 n \n" % offsets[number])
        out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref_at))
        return out.getvalue()
    stream_number = extra_numbers[-1] + 1 if extra_numbers else first_extra
    index, bodies, position = [], [], 0
    for slot, (number, body) in enumerate(zip(extra_numbers, extra_objects, strict=True)):
        index.append(b"%d %d" % (number, position))
        bodies.append(body + b"\n")
        position += len(body) + 1
        compressed[number] = (stream_number, slot)
    header = b" ".join(index) + b"\n"
    data = zlib.compress(header + b"".join(bodies))
    write_object(
        stream_number,
        b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(extra_objects), len(header), len(data))
        + data
        + b"\nendstream",
    )
    xref_number = stream_number + 1
    xref_at = out.tell()
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    for number in range(1, xref_number + 1):
        if unlisted and (number in compressed or number == stream_number):
            rows.append(struct.pack(">BIH", 0, 0, 0))
        elif number in compressed:
            rows.append(struct.pack(">BIH", 2, *compressed[number]))
        elif number == xref_number:
            rows.append(struct.pack(">BIH", 1, xref_at, 0))
        else:
            rows.append(struct.pack(">BIH", 1, offsets[number], 0))
    xref = zlib.compress(b"".join(rows))
    offsets[xref_number] = xref_at
    out.write(
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length %d >>\nstream\n"
        % (xref_number, xref_number + 1, len(xref))
        + xref
        + b"\nendstream\nendobj\n"
    )
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref_at)
    return out.getvalue()


def broken_pdf() -> bytes:
    """Starts like a PDF and is nothing after that."""
    return b"%PDF-1.7\n" + b"this is not a PDF body\n" * 20


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)
    return buffer.getvalue()


CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/></Types>'
)


W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
RELS = b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
WORD_DOCUMENT = b"<w:document " + W + b"><w:body><w:p><w:r><w:t>Solution brief</w:t></w:r></w:p></w:body></w:document>"


def relationships(*entries: bytes) -> bytes:
    return b'<?xml version="1.0"?><Relationships ' + RELS + b">" + b"".join(entries) + b"</Relationships>"


def docx_bytes(*, macros: bool = False, document: bytes = WORD_DOCUMENT, **extra: bytes) -> bytes:
    """A minimal Word package; with ``macros`` a vbaProject.bin part as in a .docm; ``extra`` parts by their
    path (``**{"word/_rels/document.xml.rels": ...}``)."""
    parts = {"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": document}
    if macros:
        parts["word/vbaProject.bin"] = b"\xd0\xcf\x11\xe0 not really a macro"
    parts.update(extra)
    return _zip(parts)


def docx_with_field(instruction: bytes, *, split: bool = True, simple: bool = False) -> bytes:
    """A Word document with a field whose code is ``instruction``: in runs of two characters (as Word may
    write it) between fldChar begin and end, or as one fldSimple."""
    if simple:
        body = b'<w:p><w:fldSimple w:instr="' + instruction + b'"><w:r><w:t>x</w:t></w:r></w:fldSimple></w:p>'
    else:
        pieces = [instruction[i : i + 2] for i in range(0, len(instruction), 2)] if split else [instruction]
        runs = b"".join(
            b'<w:r><w:instrText xml:space="preserve">' + piece + b"</w:instrText></w:r>" for piece in pieces
        )
        body = (
            b'<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>' + runs + b'<w:r><w:fldChar w:fldCharType="separate"/>'
            b'</w:r><w:r><w:t>result</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
        )
    return docx_bytes(document=b"<w:document " + W + b"><w:body>" + body + b"</w:body></w:document>")


def xlsx_bytes(*, macros: bool = False, **extra: bytes) -> bytes:
    parts = {"[Content_Types].xml": CONTENT_TYPES, "xl/workbook.xml": b"<workbook/>"}
    if macros:
        parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0 not really a macro"
    parts.update(extra)
    return _zip(parts)


def pptx_bytes(**extra: bytes) -> bytes:
    parts = {"[Content_Types].xml": CONTENT_TYPES, "ppt/presentation.xml": b"<presentation/>"}
    parts.update(extra)
    return _zip(parts)


def docx_bomb(unpacked_mb: int = 600) -> bytes:
    """A Word package one of whose parts unpacks to ``unpacked_mb`` MiB of zeros (a few hundred KB packed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        package.writestr("word/document.xml", WORD_DOCUMENT)
        with package.open("word/media/zeros.bin", "w", force_zip64=True) as part:
            block = b"\0" * MIB
            for _ in range(unpacked_mb):
                part.write(block)
    return buffer.getvalue()


def zip_bytes() -> bytes:
    """A ZIP archive that is no Office document."""
    return _zip({"readme.txt": b"hello"})


def png_bytes() -> bytes:
    """A 1x1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    """The start of a JPEG file (JFIF header); signature checks need no more."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


def pdf_with_action(kind: str, where: str = "annotation") -> bytes:
    """A PDF whose action of type ``kind`` (``/URI``, ``/SubmitForm``...) sits in one place: ``catalog``
    (the open action), ``page`` (the page's additional actions), ``annotation`` (a link), ``field`` (a form
    field's widget) or ``outline`` (a bookmark)."""
    writer = _writer()
    action = _action(kind, URI=TextStringObject("https://example.invalid/"), F=TextStringObject("x.pdf"))
    root = writer._root_object
    if where == "catalog":
        root[NameObject("/OpenAction")] = writer._add_object(action)
    elif where == "page":
        writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): writer._add_object(action)})
    elif where == "annotation":
        _link(writer, action)
    elif where == "field":
        widget = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Widget"),
                NameObject("/FT"): NameObject("/Btn"),
                NameObject("/T"): TextStringObject("send"),
                NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (72, 600, 200, 620)]),
                NameObject("/AA"): DictionaryObject({NameObject("/U"): writer._add_object(action)}),
            }
        )
        reference = writer._add_object(widget)
        writer.pages[0][NameObject("/Annots")] = ArrayObject([reference])
        root[NameObject("/AcroForm")] = DictionaryObject({NameObject("/Fields"): ArrayObject([reference])})
    elif where == "outline":
        writer.add_outline_item(title="Chapter", page_number=0)
        outline = writer._root_object["/Outlines"].get_object()["/First"].get_object()
        outline[NameObject("/A")] = writer._add_object(action)
    else:
        raise ValueError(where)
    return _bytes(writer)


def pdf_with_attachment() -> bytes:
    """A PDF with an embedded file in its EmbeddedFiles name tree (pypdf's ``add_attachment``)."""
    writer = _writer()
    writer.add_attachment("invoice.exe", b"MZ\x90\x00 not really a program")
    return _bytes(writer)


def costly_pdf(entries: int = 2000, padding: int = 2_000_000) -> bytes:
    """A few KB that used to cost minutes of CPU: an object stream (left out of the cross-reference table)
    whose ``entries`` index entries all point at its start, followed by ``padding`` bytes of whitespace
    (which compress to almost nothing). A check that reads each entry from its offset to the end pays
    entries times padding."""
    index = b"4 0 " * entries
    data = zlib.compress(index + b"<< /Producer (x) >>" + b" " * padding, 9)
    stream = (
        b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (entries, len(index), len(data))
        + data
        + b"\nendstream"
    )
    return raw_pdf([stream], unlisted=True)


def pdf_with_endstream_in_packed_data() -> bytes:
    """An object stream whose packed bytes hold the word ``endstream`` (in a stored deflate block) before the
    packed part that holds a JavaScript action: a check that ends the stream at the first ``endstream``
    instead of at its /Length never unpacks the action."""
    index = b"4 0 5 26 "
    first = index + b"<< /Note (endstream) >>\n"
    second = b"<< /S /JavaScript /JS (app.alert(1)) >>\n"
    stored = b"\x00" + struct.pack("<HH", len(first), len(first) ^ 0xFFFF) + first
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = (
        b"\x78\x01"
        + stored
        + packer.compress(second)
        + packer.flush()
        + struct.pack(">I", zlib.adler32(first + second))
    )
    assert zlib.decompress(data) == first + second and b"JavaScript" not in data
    stream = (
        b"<< /Type /ObjStm /N 2 /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (len(index), len(data))
        + data
        + b"\nendstream"
    )
    return raw_pdf([stream], unlisted=True)
