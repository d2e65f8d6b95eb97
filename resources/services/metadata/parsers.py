"""Pure parsers: API response bodies in, plain dicts keyed by Resource field names out.

No Django, no network. Every parser returns the same shape (see ``record``), so the
service that stores metadata does not care where it came from. Text is kept as text:
markup in titles and abstracts is stripped here and escaping is left to the templates.
"""

import html
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date

from meetings.text import clean_deep
from resources.services.links import parse_arxiv, parse_doi

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"

YEAR, MONTH, DAY = "year", "month", "day"


class ParseError(ValueError):
    """A body that is not what the API documents (not XML, not JSON, wrong envelope)."""


def collapse(text: str | None) -> str:
    """Collapse runs of whitespace (arXiv wraps titles and abstracts over several lines)."""
    return " ".join((text or "").split())


# A tag is "<" + a name; "x < y" in a title is not one.
_TAG = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>")
# Tags that separate words; inline ones (<i>, <sub>, <jats:italic>) join them: "H<sub>2</sub>O".
_BLOCK_TAG = re.compile(
    r"</?(?:jats:)?(?:p|br|div|sec|title|li|list-item|ul|ol|list|tr|td|th|table|h[1-6])(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_BLOCK_END = re.compile(r"</(?:jats:)?(?:p|sec|list-item|title|div|li)\s*>|<br\s*/?>", re.IGNORECASE)
_JATS_TITLE = re.compile(
    r"<(?:jats:)?title(?:\s[^<>]*)?>(.*?)</(?:jats:)?title\s*>", re.IGNORECASE | re.DOTALL
)


def strip_markup(text: str | None) -> str:
    """Drop HTML/JATS tags (keeping their text), decode entities, collapse whitespace."""
    if not text:
        return ""
    return collapse(html.unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", text))))


def strip_jats(text: str | None) -> str:
    """Turn a Crossref JATS abstract into plain text: no tags, no "Abstract" heading.

    Section headings of structured abstracts are kept as "Background: ...";
    paragraphs are separated by blank lines.
    """
    if not text:
        return ""

    def heading(match: re.Match) -> str:
        words = strip_markup(match[1]).rstrip(":.")
        if not words or words.lower() in ("abstract", "summary", "graphical abstract"):
            return ""
        return f"{words}: "

    text = _JATS_TITLE.sub(heading, text)
    text = _BLOCK_END.sub("\n\n", text)
    paragraphs = [strip_markup(part) for part in text.split("\n\n")]
    paragraphs = [p for p in paragraphs if p]
    # A heading ends with ": " and belongs to the paragraph after it.
    merged: list[str] = []
    for p in paragraphs:
        if merged and merged[-1].endswith(":"):
            merged[-1] = f"{merged[-1]} {p}"
        else:
            merged.append(p)
    return "\n\n".join(merged)


def date_from_parts(parts) -> tuple[date | None, str]:
    """(date, precision) from CSL/Crossref ``date-parts`` ([[2012, 3]]) or a list like [2012, 3]."""
    if isinstance(parts, dict):
        parts = parts.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list):
        parts = parts[0]
    if not isinstance(parts, list):
        return None, ""
    numbers = []
    for value in parts[:3]:
        try:
            numbers.append(int(value))
        except (TypeError, ValueError):
            break
    if not numbers or not 1 <= numbers[0] <= 9999:
        return None, ""
    year, month, day = [*numbers, 1, 1][:3]
    precision = (YEAR, MONTH, DAY)[len(numbers) - 1]
    try:
        return date(year, month, day), precision
    except ValueError:
        # "2012-13" or "2012-02-30": keep what is certain.
        try:
            return date(year, month, 1), MONTH
        except ValueError:
            return date(year, 1, 1), YEAR


_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def date_from_iso(text: str | None) -> tuple[date | None, str]:
    """(date, precision) from "2016-05-26T17:59:46Z", "2019-02" or "2023"."""
    match = _ISO_DATE.match((text or "").strip())
    if not match:
        return None, ""
    return date_from_parts([int(g) for g in match.groups() if g])


def arxiv_pdf_url(arxiv_id: str, version: int | None = None) -> str:
    """The PDF of a paper (its latest version unless one is given), built from the id alone."""
    return f"https://arxiv.org/pdf/{arxiv_id}" + (f"v{version}" if version else "")


def record(**fields) -> dict:
    """A parsed record: every metadata field present, empty when the source did not say."""
    base = {
        "title": "",
        "authors": [],
        "abstract": "",
        "published_date": None,
        "published_date_precision": "",
        "updated_date": None,
        "venue": "",
        "publisher": "",
        "container_type": "",
        "primary_category": "",
        "categories": [],
        "comment": "",
        "journal_ref": "",
        "doi": "",
    }
    base.update(fields)
    # A control character in a fetched title once broke every feed showing it (issue 13).
    return clean_deep(base)


# --- arXiv Atom --------------------------------------------------------------------------------


@dataclass
class ArxivError:
    message: str
    # The id the error names ("incorrect id format for abc"), when it names one.
    arxiv_id: str = ""


@dataclass
class ArxivFeed:
    # Keyed by the id without version, as Resource.arxiv_id holds it.
    entries: dict[str, dict] = field(default_factory=dict)
    errors: list[ArxivError] = field(default_factory=list)
    total_results: int | None = None


_ERROR_ID = re.compile(r"https?://arxiv\.org/api/errors", re.IGNORECASE)
_ERROR_NAMES_ID = re.compile(r"(?:_for_|\bfor\s+)(?P<id>[^\s#]+)$", re.IGNORECASE)


def _text(element, path: str) -> str | None:
    found = element.find(path)
    return None if found is None else (found.text or "")


def _arxiv_error(entry) -> ArxivError:
    message = collapse(_text(entry, f"{ATOM}summary")) or collapse(_text(entry, f"{ATOM}title")) or "error"
    entry_id = collapse(_text(entry, f"{ATOM}id"))
    named = _ERROR_NAMES_ID.search(message) or _ERROR_NAMES_ID.search(entry_id.rsplit("#", 1)[-1])
    return ArxivError(message=message, arxiv_id=named["id"] if named else "")


def _arxiv_entry(entry) -> tuple[str, dict] | None:
    parsed = parse_arxiv(collapse(_text(entry, f"{ATOM}id")))
    if parsed is None:
        return None
    arxiv_id, version = parsed
    published, precision = date_from_iso(_text(entry, f"{ATOM}published"))
    updated, _ = date_from_iso(_text(entry, f"{ATOM}updated"))
    categories = []
    for category in entry.findall(f"{ATOM}category"):
        term = (category.get("term") or "").strip()
        if term and term not in categories:
            categories.append(term)
    primary = entry.find(f"{ARXIV}primary_category")
    primary_term = (primary.get("term") or "").strip() if primary is not None else ""
    doi_text = collapse(_text(entry, f"{ARXIV}doi"))
    if not doi_text:
        for link in entry.findall(f"{ATOM}link"):
            if link.get("title") == "doi":
                doi_text = link.get("href") or ""
                break
    authors = []
    for author in entry.findall(f"{ATOM}author"):
        name = collapse(_text(author, f"{ATOM}name"))
        if name:
            authors.append({"name": name})
    data = record(
        title=collapse(_text(entry, f"{ATOM}title")),
        authors=authors,
        abstract=collapse(_text(entry, f"{ATOM}summary")),
        published_date=published,
        published_date_precision=precision,
        updated_date=updated,
        primary_category=primary_term or (categories[0] if categories else ""),
        categories=categories,
        comment=collapse(_text(entry, f"{ARXIV}comment")),
        journal_ref=collapse(_text(entry, f"{ARXIV}journal_ref")),
        doi=(parse_doi(doi_text) or "") if doi_text else "",
        arxiv_version=version,
        pdf_url=arxiv_pdf_url(arxiv_id, version),
    )
    return arxiv_id, data


def parse_arxiv_feed(body: bytes | str) -> ArxivFeed:
    """Parse an arXiv API Atom feed into entries keyed by id (without version) and error entries."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as error:
        raise ParseError(f"the arXiv API sent a body that is not XML ({error})") from None
    if root.tag != f"{ATOM}feed":
        raise ParseError("the arXiv API sent XML that is not an Atom feed")
    feed = ArxivFeed()
    total = _text(root, f"{OPENSEARCH}totalResults")
    if total and total.strip().isdigit():
        feed.total_results = int(total)
    for entry in root.findall(f"{ATOM}entry"):
        if _ERROR_ID.match(collapse(_text(entry, f"{ATOM}id"))):
            feed.errors.append(_arxiv_error(entry))
            continue
        parsed = _arxiv_entry(entry)
        if parsed is not None:
            feed.entries[parsed[0]] = parsed[1]
    return feed


# --- Crossref and CSL JSON ---------------------------------------------------------------------


def _json(body: bytes | str | dict | list):
    if isinstance(body, dict | list):
        return body
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise ParseError(f"not JSON ({error})") from None


def _first(value) -> str:
    """Crossref gives lists ("title": ["..."]), CSL gives strings; take the first non-empty."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), "")
    return value if isinstance(value, str) else ""


def _person(person: dict) -> dict | None:
    if not isinstance(person, dict):
        return None
    family = strip_markup(person.get("family"))
    given = strip_markup(person.get("given"))
    if family:
        author = {"given": given, "family": family}
        if suffix := strip_markup(person.get("suffix")):
            author["suffix"] = suffix
        return author
    name = strip_markup(person.get("name") or person.get("literal") or given)
    return {"name": name} if name else None


def _people(people) -> list[dict]:
    if not isinstance(people, list):
        return []
    return [author for author in map(_person, people) if author]


_CSL_DATE_KEYS = ("issued", "published-print", "published-online", "published", "posted")


def _csl_date(work: dict) -> tuple[date | None, str]:
    for key in _CSL_DATE_KEYS:
        value, precision = date_from_parts(work.get(key))
        if value is not None:
            return value, precision
    return None, ""


def _csl_venue(work: dict) -> str:
    venue = strip_markup(_first(work.get("container-title")))
    if not venue:
        # Preprints (medRxiv, bioRxiv, SSRN) name their server as an institution.
        institutions = work.get("institution")
        if isinstance(institutions, list) and institutions and isinstance(institutions[0], dict):
            venue = strip_markup(institutions[0].get("name"))
    return venue


def metadata_from_csl(work: dict) -> dict:
    """One CSL-JSON item (doi.org content negotiation, or a Crossref work) as a record."""
    if not isinstance(work, dict):
        raise ParseError("expected a JSON object")
    published, precision = _csl_date(work)
    return record(
        title=strip_markup(_first(work.get("title"))),
        authors=_people(work.get("author")),
        abstract=strip_jats(work.get("abstract")),
        published_date=published,
        published_date_precision=precision,
        venue=_csl_venue(work),
        publisher=strip_markup(_first(work.get("publisher"))),
        container_type=_first(work.get("type")).strip().lower(),
        doi=parse_doi(_first(work.get("DOI"))) or "",
    )


def parse_crossref_work(body: bytes | str | dict) -> dict:
    """Parse a Crossref REST ``/works/{doi}`` response (the ``message`` envelope) into a record."""
    data = _json(body)
    if not isinstance(data, dict) or not isinstance(data.get("message"), dict):
        raise ParseError("Crossref sent JSON without a work message")
    return metadata_from_csl(data["message"])


def parse_csl(body: bytes | str | dict | list) -> dict:
    """Parse doi.org's CSL JSON (``application/vnd.citationstyles.csl+json``) into a record."""
    data = _json(body)
    if isinstance(data, list):
        # Some agencies answer with a one-item list.
        data = data[0] if data else None
    return metadata_from_csl(data)


# --- DataCite and doi.org's registration agency lookup ------------------------------------------

# DataCite's resourceTypeGeneral, as the Crossref/CSL type names the exports understand.
_DATACITE_TYPES = {
    "dataset": "dataset",
    "software": "software",
    "computationalnotebook": "computationalnotebook",
    "preprint": "posted-content",
    "journalarticle": "journal-article",
    "conferencepaper": "paper-conference",
    "conferenceproceeding": "proceedings",
    "bookchapter": "chapter",
    "book": "book",
    "dissertation": "dissertation",
    "report": "report",
}


def _datacite_creator(creator: dict) -> dict | None:
    if not isinstance(creator, dict):
        return None
    family, given = strip_markup(creator.get("familyName")), strip_markup(creator.get("givenName"))
    name = strip_markup(creator.get("name"))
    if family:
        return {"given": given, "family": family}
    if creator.get("nameType") == "Personal" and "," in name:
        family, given = (part.strip() for part in name.split(",", 1))
        return {"given": given, "family": family}
    return {"name": name} if name else None


def parse_datacite(body: bytes | str | dict) -> dict:
    """Parse a DataCite REST ``/dois/{doi}`` response (or its bare attributes) into a record."""
    data = _json(body)
    if isinstance(data, dict) and isinstance(data.get("data"), dict):
        data = data["data"].get("attributes")
    if not isinstance(data, dict) or "titles" not in data:
        raise ParseError("DataCite sent JSON without DOI attributes")
    titles = [t for t in data.get("titles") or [] if isinstance(t, dict) and t.get("title")]
    main_title = next((t for t in titles if not t.get("titleType")), titles[0] if titles else {})
    descriptions = [d for d in data.get("descriptions") or [] if isinstance(d, dict) and d.get("description")]
    abstract = next(
        (d for d in descriptions if d.get("descriptionType") == "Abstract"),
        descriptions[0] if descriptions else {},
    )
    published, precision = None, ""
    dates = [d for d in data.get("dates") or [] if isinstance(d, dict)]
    for wanted in ("Issued", "Available"):
        for entry in dates:
            if entry.get("dateType") == wanted and published is None:
                published, precision = date_from_iso(entry.get("date"))
    if published is None:
        published, precision = date_from_iso(str(data.get("publicationYear") or ""))
    types = data.get("types") or {}
    general = str(types.get("resourceTypeGeneral") or "").lower()
    container = data.get("container") or {}
    publisher = data.get("publisher")
    if isinstance(publisher, dict):  # the API's "publisher=true" form
        publisher = publisher.get("name")
    return record(
        title=strip_markup(main_title.get("title")),
        authors=[c for c in map(_datacite_creator, data.get("creators") or []) if c],
        abstract=strip_markup(abstract.get("description")),
        published_date=published,
        published_date_precision=precision,
        venue=strip_markup(container.get("title")) if isinstance(container, dict) else "",
        publisher=strip_markup(publisher if isinstance(publisher, str) else ""),
        container_type=_DATACITE_TYPES.get(general) or str(types.get("citeproc") or "").lower(),
        doi=parse_doi(str(data.get("doi") or "")) or "",
    )


def parse_registration_agency(body: bytes | str | list) -> str:
    """The agency doi.org's ``/ra/{prefix}`` names ("Crossref", "DataCite"), or its status text."""
    data = _json(body)
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return str(data[0].get("RA") or data[0].get("status") or "")
    raise ParseError("doi.org sent an unexpected registration agency answer")
