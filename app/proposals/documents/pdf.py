"""What a PDF could run, open or unpack, found in one pass over its bytes (time linear in the file's size).

A viewer may run an action from any object, whether the page tree reaches it or not, from an object a
damaged cross-reference table leaves out, and from an object compressed in an object stream. So the bytes
are read as PDF syntax from every object header (``12 0 obj``) to the next one, and every object stream's
content from each of its entries to the next, each piece once and each with a fresh state: an unclosed
string in one object cannot hide the next object. Stream contents are skipped (actions live in
dictionaries), except that an object header inside them starts a piece of its own.

Allowed is what a document needs; refused is, wherever it is: JavaScript, launch actions, actions that
reach outside the document (a web address, a form submission, another file), media (sound, movies,
renditions, RichMedia), embedded files and file attachments, XFA forms, and data before the header or
after the final ``%%EOF`` (an appended archive, a polyglot).
"""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from app.i18n import N_

# PDF whitespace and delimiters (ISO 32000-1, 7.2.2).
_WS = rb"\x00\t\n\x0c\r "
_DELIM = rb"()<>\[\]{}/%"
_NAME = rb"[^" + _WS + _DELIM + rb"]*"
# Whitespace and comments between tokens; possessive, so a run of ``%`` cannot make the engine backtrack.
_SEP = rb"(?:[" + _WS + rb"]|%[^\r\n]*+)*+"
# Whatever else is found, a file this much unpacked from its object streams is not checked further.
MAX_OBJECT_STREAM_BYTES = 128 * 1024 * 1024
# How far before an ``obj`` keyword its number and generation may start.
_HEADER_WINDOW = 40

_ALWAYS: dict[bytes, str] = {
    b"JavaScript": "javascript",
    b"JS": "javascript",
    b"Launch": "launch",
    b"SubmitForm": "outside",
    b"ImportData": "outside",
    b"GoToR": "outside",
    b"GoToE": "outside",
    b"Rendition": "media",
    b"Sound": "media",
    b"Movie": "media",
    b"XFA": "xfa",
    b"EmbeddedFiles": "embedded",
    b"EmbeddedFile": "embedded",
    b"EF": "embedded",
    b"FileAttachment": "embedded",
}
# An action type only where it is one: the value of /S, or an object of its own that /S refers to.
_AS_ACTION: dict[bytes, str] = {**_ALWAYS, b"URI": "outside"}

_END_OF_NAME = rb"(?![^" + _WS + _DELIM + rb"])"
# Only the names worth a look reach Python: those refused anywhere, and escaped ones (decoded there).
_INTERESTING = (
    b"|".join(sorted(_ALWAYS, key=lambda name: -len(bytes(name))))
    + rb"|RichMedia"
    + _NAME
    + rb"|"
    + _NAME
    + rb"#"
    + _NAME
)
# Names worth a look: /S with the action type after it, and names refused anywhere or escaped. The
# pattern starts with a literal, so the engine skips to each ``/`` in C; comments, strings and stream
# keywords are found with ``bytes.find``. Each of these cursors only moves forward: linear time.
_NAMES = re.compile(
    rb"/(?:S"
    + _END_OF_NAME
    + _SEP
    + rb"/(?P<value>"
    + _NAME
    + rb")|(?P<name>"
    + _INTERESTING
    + rb")"
    + _END_OF_NAME
    + rb")"
)
_EOL = re.compile(rb"[\r\n]")
_BOUNDARY = frozenset(b"\x00\t\n\x0c\r ()<>[]{}/%")
_STRING_PART = re.compile(rb"\\.|[()]", re.DOTALL)
_OBJ = re.compile(rb"obj(?<=[" + _WS + _DELIM + rb"]obj)(?![^" + _WS + _DELIM + rb"])")
_OBJ_NUMBERS = re.compile(rb"(?<![0-9])[0-9]{1,10}[" + _WS + rb"]{1,8}[0-9]{1,5}[" + _WS + rb"]{1,8}\Z")
_LENGTH = re.compile(rb"/Length[" + _WS + rb"]+([0-9]{1,12})(?![" + _WS + rb"]+[0-9]+[" + _WS + rb"]+R)(?![0-9])")
_FIRST_NAME = re.compile(rb"/(" + _NAME + rb")")
_WHITESPACE = b"\x00\t\n\x0c\r "
_NEXT_NAME = re.compile(_SEP + rb"/(" + _NAME + rb")")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class Finding:
    """What was found (``javascript``, ``launch``, ``outside``, ``media``, ``embedded``, ``xfa``, ``extra``,
    ``unreadable``, ``too_large``) and the name or number that shows it."""

    kind: str
    detail: str


class Found(Exception):
    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.kind)
        self.finding = finding


def _decoded(name: bytes) -> bytes:
    return _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name) if b"#" in name else name


def _check_name(name: bytes, table: dict[bytes, str]) -> None:
    decoded = _decoded(name)
    kind = table.get(decoded) or ("media" if decoded.startswith(b"RichMedia") else None)
    if kind is not None:
        raise Found(Finding(kind, decoded.decode("latin-1")))


def _skip_string(data: bytes, start: int, end: int) -> int:
    """The position after the literal string opened just before ``start`` (or ``end`` if it never closes)."""
    depth = 1
    for part in _STRING_PART.finditer(data, start, end):
        token = part.group()
        if token == b"(":
            depth += 1
        elif token == b")":
            depth -= 1
            if depth == 0:
                return part.end()
    return end


class _Scanner:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.unpacked = 0

    def scan(self, start: int, end: int, *, in_object_stream: bool = False) -> None:
        """Read ``data[start:end]`` as PDF syntax; raise ``Found`` at the first thing refused."""
        data, position, last = self.data, start, start
        found = [-2, -2, -2, -2]  # next comment, string, stream keyword, name: -2 not looked, -1 none left
        names: re.Match[bytes] | None = None
        while position < end:
            for which, needle in enumerate((b"%", b"(", b"stream")):
                if found[which] == -2 or -1 < found[which] < position:
                    found[which] = data.find(needle, position, end)
            if found[3] == -2 or -1 < found[3] < position:
                names = _NAMES.search(data, position, end)
                found[3] = names.start() if names else -1
            waiting = [(at, which) for which, at in enumerate(found) if at >= 0]
            if not waiting:
                return
            at, which = min(waiting)
            if which == 0:
                # Skipped for the string state, read for names (a viewer may see them outside a comment).
                eol = _EOL.search(data, at, end)
                position = eol.start() if eol else end
                for match in _NAMES.finditer(data, at, position):
                    self._name(match, position)
            elif which == 1:
                position = _skip_string(data, at + 1, end)
            elif which == 3 and names is not None:
                position = names.end()
                self._name(names, end)
            elif in_object_stream or not self._is_keyword(at, end):
                position = at + 6
            else:
                position = last = self._stream(last, at, at + 6, end)

    def _is_keyword(self, at: int, end: int) -> bool:
        return at > 0 and self.data[at - 1] in _BOUNDARY and self.data[at + 6 : at + 7] in (b"\r", b"\n")

    def _name(self, match: re.Match[bytes], end: int) -> None:
        if match.group("value") is not None:
            _check_name(match.group("value"), _AS_ACTION)
            return
        name = match.group("name")
        _check_name(name, _ALWAYS)
        if _decoded(name) == b"S":  # an escaped /S key: its value is an action type
            value = _NEXT_NAME.match(self.data, match.end(), end)
            if value is not None:
                _check_name(value.group(1), _AS_ACTION)

    def _stream(self, last: int, keyword: int, position: int, end: int) -> int:
        """Skip a stream's content (reading an object stream's); returns where reading goes on. The
        dictionary is what lies between the previous stream (or the object header) and this one."""
        data = self.data
        position += 2 if data[position : position + 2] == b"\r\n" else 1
        dictionary = _decoded(data[last:keyword])
        # A direct /Length that ends where ``endstream`` follows is what a viewer reads: the bytes
        # ``endstream`` inside packed data cannot cut the content short. Otherwise, the first ``endstream``.
        length = _LENGTH.search(dictionary)
        stop = position + int(length.group(1)) if length else end
        if stop > end or not data[stop : stop + 16].lstrip(_WHITESPACE).startswith(b"endstream"):
            found = data.find(b"endstream", position, end)
            stop = end if found < 0 else found
        if re.search(rb"/Type" + _SEP + rb"/ObjStm", dictionary) or (
            re.search(rb"/N[" + _WS + rb"]", dictionary) and re.search(rb"/First[" + _WS + rb"]", dictionary)
        ):
            self._object_stream(dictionary, data[position:stop])
        return stop

    def _object_stream(self, dictionary: bytes, raw: bytes) -> None:
        if b"/DecodeParms" in dictionary:
            raise Found(Finding("unreadable", "DecodeParms"))
        declared = re.search(rb"/Filter" + _SEP + rb"(?:/(" + _NAME + rb")|\[([^\]]*)\])", dictionary)
        filters = (
            []
            if declared is None
            else [declared.group(1)]
            if declared.group(1)
            else re.findall(rb"/(" + _NAME + rb")", declared.group(2))
        )
        if filters and filters not in ([b"FlateDecode"], [b"Fl"]):
            raise Found(Finding("unreadable", "Filter"))
        content = raw
        if filters:
            try:
                content = zlib.decompressobj().decompress(raw, MAX_OBJECT_STREAM_BYTES - self.unpacked + 1)
            except zlib.error as exc:
                raise Found(Finding("unreadable", "FlateDecode")) from exc
        self.unpacked += len(content)
        if self.unpacked > MAX_OBJECT_STREAM_BYTES:
            raise Found(Finding("too_large", str(MAX_OBJECT_STREAM_BYTES // (1024 * 1024))))
        _ObjectStream(content, dictionary).scan()


class _ObjectStream:
    """The objects compressed in one object stream, read each from its offset to the next one's."""

    def __init__(self, content: bytes, dictionary: bytes) -> None:
        self.content = content
        first = re.search(rb"/First" + _SEP + rb"([0-9]{1,10})", dictionary)
        self.first = min(int(first.group(1)), len(content)) if first else 0

    def scan(self) -> None:
        content, first = self.content, self.first
        numbers = content[:first].split()
        offsets = sorted(
            {first + int(value) for value in numbers[1::2] if value.isdigit() and first + int(value) < len(content)}
        )
        scanner = _Scanner(content)
        bounds = [first, *offsets, len(content)]
        for start, stop in itertools.pairwise(bounds):
            if start >= stop:
                continue
            _bare_name(content, start, stop)
            scanner.scan(start, stop, in_object_stream=True)


def _first_token(data: bytes, position: int, end: int) -> int:
    """Where the first token at or after ``position`` starts (whitespace and comments skipped, no copies of
    more than a few KB)."""
    while position < end:
        chunk = data[position : min(end, position + 4096)]
        stripped = chunk.lstrip(_WHITESPACE)
        position += len(chunk) - len(stripped)
        if stripped.startswith(b"%"):
            eol = _EOL.search(data, position, end)
            position = eol.start() if eol else end
        elif stripped:
            return position
    return end


def _bare_name(data: bytes, start: int, end: int) -> None:
    """An object whose first token is a name is that name alone, such as the /S of an action may refer to."""
    first = _first_token(data, start, end)
    name = _FIRST_NAME.match(data, first, end)
    if name is not None:
        _check_name(name.group(1), _AS_ACTION)


def object_headers(data: bytes, start: int, end: int) -> Iterator[int]:
    """The offset of every ``n g obj`` between ``start`` and ``end``: the keyword first (a fast literal
    search), then the numbers in a short window before it."""
    for keyword in _OBJ.finditer(data, start, end):
        found = keyword.start()
        numbers = _OBJ_NUMBERS.search(data, max(start, found - _HEADER_WINDOW), found)
        if numbers is not None:
            yield numbers.start()


def extra_data(data: bytes, header: int) -> Finding | None:
    """Bytes before the header or after the final ``%%EOF`` other than whitespace: room for an archive."""
    if data[:header].strip(b"\x00\t\n\x0c\r "):
        return Finding("before", str(header))
    last = data.rfind(b"%%EOF")
    if last < 0:
        return Finding("unreadable", "%%EOF")
    tail = data[last + 5 :]
    if tail.strip(b"\x00\t\n\x0c\r "):
        return Finding("extra", f"{len(tail)} bytes")
    if _zip_at_end(data):
        return Finding("extra", "zip")
    return None


def _zip_at_end(data: bytes) -> bool:
    """A ZIP archive's end record near the end whose central directory is where the record says."""
    tail_start = max(0, len(data) - 65_557)
    position = data.rfind(b"PK\x05\x06", tail_start)
    while position >= 0:
        record = data[position : position + 22]
        if len(record) == 22:
            size = int.from_bytes(record[12:16], "little")
            offset = int.from_bytes(record[16:20], "little")
            for directory in (offset, position - size):
                if 0 <= directory < len(data) and data[directory : directory + 4] == b"PK\x01\x02":
                    return True
        position = data.rfind(b"PK\x05\x06", tail_start, position)
    return False


def find_hazard(data: bytes, header: int) -> Finding | None:
    """The first thing in the PDF ``data`` (its ``%PDF-`` at ``header``) that is refused, or None."""
    extra = extra_data(data, header)
    if extra is not None:
        return extra
    scanner = _Scanner(data)
    bounds = [header, *object_headers(data, header, len(data)), len(data)]
    try:
        for start, stop in itertools.pairwise(bounds):
            if start < stop:
                if start != header:
                    _bare_name(data, data.find(b"obj", start, stop) + 3, stop)
                scanner.scan(start, stop)
    except Found as found:
        return found.finding
    return None


MESSAGES: dict[str, tuple[str, str]] = {
    "javascript": (
        "pdf_javascript",
        N_(
            "The PDF file contains JavaScript, which is not accepted. "
            "Save it without scripts (for example by printing it to PDF) and upload it again."
        ),
    ),
    "launch": (
        "pdf_launch",
        N_(
            "The PDF file contains an action that starts another program, which is not accepted. "
            "Save it without that action (for example by printing it to PDF) and upload it again."
        ),
    ),
    "outside": (
        "pdf_outside",
        N_(
            "The PDF file contains an action that reaches outside the document (%(found)s: a web address, "
            "a form submission or another file), which is not accepted. Save it without links and actions "
            "(for example by printing it to PDF) and upload it again."
        ),
    ),
    "media": (
        "pdf_media",
        N_(
            "The PDF file contains media or an action that plays it (%(found)s), which is not accepted. "
            "Save it without sound, video or rich media and upload it again."
        ),
    ),
    "embedded": (
        "pdf_embedded",
        N_(
            "The PDF file contains an embedded file or file attachment (%(found)s), which is not accepted. "
            "Remove the attachments and upload it again."
        ),
    ),
    "xfa": (
        "pdf_xfa",
        N_(
            "The PDF file contains an XFA form, which is not accepted. "
            "Save it as a plain PDF (for example by printing it to PDF) and upload it again."
        ),
    ),
    "before": (
        "pdf_extra_data",
        N_(
            "The PDF file has %(found)s bytes of other data before its start, which is not accepted. "
            "Export the document to PDF again and upload it."
        ),
    ),
    "extra": (
        "pdf_extra_data",
        N_(
            "The PDF file has other data after its end (%(found)s), such as an appended archive, which is not "
            "accepted. Export the document to PDF again and upload it."
        ),
    ),
    "too_large": (
        "pdf_unpacked_size",
        N_("The PDF file's object streams unpack to more than %(found)s MB, which is not accepted."),
    ),
}
