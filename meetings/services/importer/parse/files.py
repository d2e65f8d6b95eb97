"""The files an import reads: one document's bytes, a folder of meeting files, or a .zip of them.

Bad input is refused with a message that says what is wrong and how to fix it, before anything
is written: an empty file, a binary one, text in another encoding than UTF-8 (with the encoding
it looks like and the command that converts it), a file over the size limit, a folder or archive
with no Markdown in it.
"""

import io
import zipfile
from pathlib import Path, PurePosixPath

from charset_normalizer import from_bytes

from meetings.services.importer.parse.plan import ImportFailed

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024  # a club's whole archive in one file is a few megabytes
MAX_FILES = 2000
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".txt")


def document_decode(data: bytes, *, source: str = "", limit: int = MAX_DOCUMENT_BYTES) -> str:
    """Decode a file as UTF-8 text; ImportFailed says why it cannot be, naming the line of a bad byte."""
    if len(data) > limit:
        raise ImportFailed(
            f"the file is {len(data) / 1024 / 1024:.1f} MB, over the limit of {limit // 1024 // 1024} MB",
            source=source,
        )
    if not data.strip():
        raise ImportFailed("the file is empty", source=source)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        shown = source or "FILE"
        raise ImportFailed(
            "the file is UTF-16 text, not UTF-8: convert it with "
            f"iconv -f UTF-16 -t UTF-8 {shown} > {PurePosixPath(shown).stem}.utf8.md",
            source=source,
            line=1,
        )
    if b"\x00" in data[:8192] or _looks_binary(data[:8192]):
        raise ImportFailed(
            "the file is not text (it looks like a binary file): import a Markdown file", source=source
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        message = f"the file is not UTF-8 text (byte {error.start + 1} cannot be read)"
        guess = from_bytes(data).best()
        if guess is not None and guess.encoding not in ("utf_8", "ascii"):
            name = guess.encoding.replace("_", "-").upper()
            shown = source or "FILE"
            message += (
                f"; it looks like {name}: convert it with "
                f"iconv -f {name} -t UTF-8 {shown} > {PurePosixPath(shown).stem}.utf8.md"
            )
        raise ImportFailed(message, source=source, line=line) from None


def _looks_binary(head: bytes) -> bool:
    controls = sum(1 for byte in head if byte < 32 and byte not in b"\t\n\r\f\x1b")
    return bool(head) and controls * 100 > len(head)


def _is_markdown(name: str) -> bool:
    path = PurePosixPath(name)
    hidden = any(part.startswith((".", "__MACOSX")) for part in path.parts)
    return not hidden and path.suffix.lower() in MARKDOWN_SUFFIXES


def documents_from_folder(folder: Path) -> list[tuple[str, str]]:
    """Every Markdown file in the folder (and below), by name, as (name, text)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and _is_markdown(str(p.relative_to(folder))))
    if not files:
        raise ImportFailed("the folder holds no Markdown files (.md)", source=folder.name)
    if len(files) > MAX_FILES:
        raise ImportFailed(f"the folder holds {len(files)} files, more than {MAX_FILES}", source=folder.name)
    return [(str(p.relative_to(folder)), document_decode(p.read_bytes(), source=p.name)) for p in files]


def documents_from_zip(data: bytes, *, source: str, limit: int = MAX_DOCUMENT_BYTES) -> list[tuple[str, str]]:
    """Every Markdown file in a .zip archive, by name; the unpacked total is held to the size limit."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ImportFailed("the file is not a readable .zip archive", source=source) from None
    with archive:
        members = sorted((m for m in archive.infolist() if not m.is_dir() and _is_markdown(m.filename)),
                         key=lambda m: m.filename)  # fmt: skip
        if not members:
            raise ImportFailed("the archive holds no Markdown files (.md)", source=source)
        if len(members) > MAX_FILES:
            raise ImportFailed(
                f"the archive holds {len(members)} files, more than {MAX_FILES}", source=source
            )
        total, documents = 0, []
        for member in members:
            total += member.file_size
            if total > limit:
                raise ImportFailed(f"the archive unpacks to over {limit // 1024 // 1024} MB", source=source)
            with archive.open(member) as handle:
                body = handle.read(limit + 1)
            documents.append((member.filename, document_decode(body, source=member.filename, limit=limit)))
    return documents
