"""Exports of resources and reading lists: BibTeX, CSL-JSON and Markdown."""

import itertools
import re
import string
import unicodedata
from datetime import date, datetime

from django.utils import timezone

from resources.models import Resource

# Crossref work types and CSL types, as the worker may store them in `container_type`.
PROCEEDINGS_TYPES = {"proceedings-article", "paper-conference", "proceedings", "conference-paper"}
CHAPTER_TYPES = {"book-chapter", "chapter", "book-section", "book-part"}
DATASET_TYPES = {"dataset", "database", "component"}
SOFTWARE_TYPES = {"software", "computationalnotebook"}
PREPRINT_TYPES = {"posted-content", "article", "preprint"}

CSL_TYPES_BY_KIND = {
    Resource.Kind.PAPER: "article",
    Resource.Kind.VIDEO: "motion_picture",
    Resource.Kind.RECORDING: "speech",
    Resource.Kind.SLIDES: "speech",
    Resource.Kind.CODE: "software",
    Resource.Kind.NOTEBOOK: "software",
    Resource.Kind.DATASET: "dataset",
}

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

# Words a citation key skips when it picks the first word of a title.
KEY_STOPWORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "of",
        "on",
        "in",
        "for",
        "and",
        "or",
        "but",
        "to",
        "with",
        "from",
        "at",
        "by",
        "via",
        "into",
        "onto",
        "towards",
        "toward",
        "is",
        "are",
        "be",
        "do",
        "does",
        "how",
        "what",
        "why",
        "when",
        "where",
        "which",
        "who",
        "can",
        "using",
        "about",
        "as",
        "its",
        "over",
        "under",
        "through",
        "not",
        "no",
        "we",
        "our",
        "your",
        "you",
        "i",
    }
)

# Letters NFKD does not decompose into ASCII, for citation keys.
_ASCII_FOLD = str.maketrans(
    {
        "ß": "ss",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "þ": "th",
        "Þ": "Th",
        "\u0131": "i",  # dotless i
    }
)

_LATEX_SPECIALS = {
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
}


# Reading the resource ------------------------------------------------------------------------------


def _extra(resource, name: str) -> str:
    # Metadata the worker may add later (primary category, container type, publisher).
    value = getattr(resource, name, "")
    return str(value).strip() if value else ""


def _names(resource) -> list[dict]:
    """The resource's authors as CSL names: {"family", "given"} or {"literal"}."""
    names = []
    authors = resource.authors if isinstance(resource.authors, list) else []
    for author in authors:
        if isinstance(author, dict):
            family = str(author.get("family") or "").strip()
            given = str(author.get("given") or "").strip()
            literal = str(author.get("name") or author.get("literal") or "").strip()
            if family:
                names.append({"family": family, "given": given} if given else {"family": family})
            elif literal or given:
                names.append({"literal": literal or given})
        elif str(author or "").strip():
            names.append({"literal": str(author).strip()})
    return names


def _published(resource) -> date | None:
    value = resource.published_date
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _added(resource) -> date | None:
    value = resource.created_at
    if not value:
        return None
    return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()


def _category(resource) -> str:
    """What kind of work the resource is, for choosing BibTeX entry types and CSL types."""
    doi, venue = resource.doi.strip(), resource.venue.strip()
    container_type = _extra(resource, "container_type").lower()
    if resource.arxiv_id and not (doi and venue):
        return "preprint"
    if not doi:
        return "web"
    if container_type in PROCEEDINGS_TYPES and venue:
        return "proceedings"
    if container_type in CHAPTER_TYPES and venue:
        return "chapter"
    if container_type in DATASET_TYPES or resource.kind == Resource.Kind.DATASET:
        return "dataset"
    if container_type in SOFTWARE_TYPES or resource.kind == Resource.Kind.CODE:
        return "software"
    if venue and container_type not in PREPRINT_TYPES:
        return "journal"
    return "doi"


# Citation keys -------------------------------------------------------------------------------------


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_ASCII_FOLD))
    return re.sub(r"[^a-z0-9]", "", text.encode("ascii", "ignore").decode("ascii").lower())


def _first_significant_word(title: str) -> str:
    for word in title.split():
        word = _ascii(word)
        if word and word not in KEY_STOPWORDS and re.search(r"[a-z]", word):
            return word
    return ""


def _key_suffixes():
    for size in itertools.count(1):
        for letters in itertools.product(string.ascii_lowercase, repeat=size):
            yield "".join(letters)


def citation_key(resource, taken: set[str]) -> str:
    """A citation key such as "lovelace2021attention", unique within `taken` (and added to it)."""
    names = _names(resource)
    first = names[0] if names else {}
    # A literal name (an organisation) is keyed by its first word.
    family = _ascii(first.get("family") or (first.get("literal") or "").split(" ")[0])
    published = _published(resource)
    if family:
        year = str(published.year) if published else ""
        base = f"{family}{year}{_first_significant_word(resource.title)}"
    elif resource.arxiv_id:
        base = "arxiv" + re.sub(r"[^a-z0-9.\-]", "-", resource.arxiv_id.lower())
    else:
        base = f"resource{resource.pk or ''}"
    key = base
    suffixes = _key_suffixes()
    while key in taken:
        key = base + next(suffixes)
    taken.add(key)
    return key


# BibTeX ---------------------------------------------------------------------------------------------


def _braces_balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def latex_escape(text: str) -> str:
    """Escape text for a BibTeX value; the result always has balanced braces."""
    text = " ".join(str(text).split())
    # BibTeX counts braces even after a backslash, so \{ and \} are only safe in pairs.
    if _braces_balanced(text):
        braces = {"{": r"\{", "}": r"\}"}
    else:
        braces = {"{": r"\textbraceleft{}", "}": r"\textbraceright{}"}
    return "".join(braces.get(char) or _LATEX_SPECIALS.get(char, char) for char in text)


def _verbatim(text: str) -> str:
    # url, doi and eprint are verbatim fields: percent-encode what would break the file.
    return re.sub(r"[{}\\\s]", lambda match: f"%{ord(match.group()):02X}", str(text).strip())


def _bibtex_name_part(text: str) -> str:
    escaped = latex_escape(text)
    # A comma or a lone "and" would split the name: protect the part as one token.
    if "," in escaped or re.search(r"\band\b", escaped, re.IGNORECASE):
        return "{" + escaped + "}"
    return escaped


def _bibtex_author(names: list[dict]) -> str:
    parts = []
    for name in names:
        if "literal" in name:
            parts.append("{" + latex_escape(name["literal"]) + "}")
        elif name.get("given"):
            parts.append(f"{_bibtex_name_part(name['family'])}, {_bibtex_name_part(name['given'])}")
        else:
            parts.append(_bibtex_name_part(name["family"]))
    return " and ".join(parts)


BIBTEX_ENTRY_TYPES = {
    "preprint": "misc",
    "journal": "article",
    "proceedings": "inproceedings",
    "chapter": "incollection",
    "dataset": "misc",
    "software": "misc",
    "doi": "misc",
    "web": "misc",
}


def _bibtex_fields(resource, category: str) -> list[tuple[str, str]]:
    """The entry's fields as (name, raw BibTeX value) pairs, in the conventional order."""
    fields = []
    names = _names(resource)
    if names:
        fields.append(("author", "{" + _bibtex_author(names) + "}"))
    if resource.title.strip():
        # Double braces keep the title's capitalisation from the style's case changes.
        fields.append(("title", "{{" + latex_escape(resource.title) + "}}"))
    venue = latex_escape(resource.venue)
    if category == "journal":
        fields.append(("journal", "{" + venue + "}"))
    elif category in ("proceedings", "chapter"):
        fields.append(("booktitle", "{" + venue + "}"))
    publisher = _extra(resource, "publisher")
    if publisher and category not in ("journal", "preprint", "web"):
        fields.append(("publisher", "{" + latex_escape(publisher) + "}"))
    if category == "web":
        fields.append(("howpublished", "{\\url{" + _verbatim(resource.url) + "}}"))
    published = _published(resource)
    if published:
        fields.append(("year", "{" + str(published.year) + "}"))
        # A date known only to the year (Crossref often gives no more) has no month.
        if _precision(resource) != "year":
            fields.append(("month", MONTHS[published.month - 1]))
    elif category == "web" and _added(resource):
        fields.append(("year", "{" + str(_added(resource).year) + "}"))
    if resource.doi.strip():
        fields.append(("doi", "{" + _verbatim(resource.doi) + "}"))
    if resource.arxiv_id:
        fields.append(("eprint", "{" + _verbatim(resource.arxiv_id) + "}"))
        fields.append(("archivePrefix", "{arXiv}"))
        primary_category = _extra(resource, "primary_category")
        if primary_category:
            fields.append(("primaryClass", "{" + _verbatim(primary_category) + "}"))
    if category == "web":
        fields.append(("note", "{" + latex_escape(resource.get_kind_display()) + "}"))
    fields.append(("url", "{" + _verbatim(resource.url) + "}"))
    return fields


def bibtex_export(resources: list) -> str:
    """BibTeX for the resources, one entry each, in the given order, with keys unique in the file."""
    taken: set[str] = set()
    entries = []
    for resource in resources:
        category = _category(resource)
        key = citation_key(resource, taken)
        body = ",\n".join(f"  {name} = {value}" for name, value in _bibtex_fields(resource, category))
        entries.append(f"@{BIBTEX_ENTRY_TYPES[category]}{{{key},\n{body}\n}}\n")
    return "\n".join(entries)


# CSL-JSON -------------------------------------------------------------------------------------------


def _csl_type(resource, category: str) -> str:
    if category == "preprint":
        return "article"
    if category == "journal":
        return "article-journal"
    if category == "proceedings":
        return "paper-conference"
    if category in ("chapter", "dataset", "software"):
        return category
    if category == "doi":
        return CSL_TYPES_BY_KIND.get(resource.kind, "article")
    return CSL_TYPES_BY_KIND.get(resource.kind, "webpage")


def _precision(resource) -> str:
    return getattr(resource, "published_date_precision", "") or "day"


def _csl_date(value: date, precision: str = "day") -> dict:
    parts = {"year": [value.year], "month": [value.year, value.month]}.get(
        precision, [value.year, value.month, value.day]
    )
    return {"date-parts": [parts]}


def csljson_export(resources: list) -> list[dict]:
    """CSL-JSON items for the resources, in the given order, with the BibTeX export's keys as ids."""
    taken: set[str] = set()
    items = []
    for resource in resources:
        category = _category(resource)
        item = {"id": citation_key(resource, taken), "type": _csl_type(resource, category)}
        if resource.title.strip():
            item["title"] = " ".join(resource.title.split())
        names = _names(resource)
        if names:
            item["author"] = names
        published = _published(resource)
        if published:
            item["issued"] = _csl_date(published, _precision(resource))
        if resource.venue.strip() and category != "preprint":
            item["container-title"] = resource.venue.strip()
        if category == "preprint":
            item["number"] = f"arXiv:{resource.arxiv_id}"
            item["publisher"] = "arXiv"
        elif _extra(resource, "publisher"):
            item["publisher"] = _extra(resource, "publisher")
        if resource.doi.strip():
            item["DOI"] = resource.doi.strip()
        if resource.abstract.strip():
            item["abstract"] = resource.abstract.strip()
        item["URL"] = resource.url
        added = _added(resource)
        if added:
            item["accessed"] = _csl_date(added)
        items.append(item)
    return items


# Markdown -------------------------------------------------------------------------------------------


def _markdown_text(text: str) -> str:
    text = " ".join(str(text).split())
    text = re.sub(r"([\\`*_\[\]])", r"\\\1", text)
    return text.replace("<", "&lt;")


def _markdown_url(url: str) -> str:
    url = re.sub(r"[\s<>]", lambda match: f"%{ord(match.group()):02X}", url.strip())
    depth = 0
    for char in url:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth != 0:
        url = url.replace("(", "%28").replace(")", "%29")
    return url


def _markdown_authors(names: list[dict]) -> str:
    shown = [
        name.get("literal") or " ".join(filter(None, [name.get("given"), name["family"]])) for name in names
    ]
    if len(shown) > 3:
        return f"{shown[0]} et al."
    if len(shown) > 1:
        return ", ".join(shown[:-1]) + " and " + shown[-1]
    return shown[0] if shown else ""


def _markdown_item(item) -> list[str]:
    resource = getattr(item, "resource", item)
    line = f"- [{_markdown_text(resource.title or resource.url)}]({_markdown_url(resource.url)})"
    published = _published(resource)
    about = ", ".join(
        filter(
            None,
            [_markdown_text(_markdown_authors(_names(resource))), str(published.year) if published else ""],
        )
    )
    if about:
        line += f" — {about.removesuffix('.')}."
    # Sorted here, not in SQL, so that a caller's prefetch_related("resource__tags") is used.
    tags = sorted((tag.name for tag in resource.tags.all()), key=str.lower)
    if tags:
        line += " " + " ".join("#" + re.sub(r"\s+", "-", tag.strip().lstrip("#")) for tag in tags)
    lines = [line]
    # The note's lines are indented so that they stay inside the list item.
    note = getattr(item, "note", "") or ""
    lines += [f"  {text}" if text.strip() else "" for text in note.strip().splitlines()]
    return lines


def markdown_export(reading_list, items: list) -> str:
    """The reading list as Markdown: its title, description and one linked line per item, in order."""
    lines = [f"# {' '.join(reading_list.title.split())}", ""]
    if reading_list.description.strip():
        lines += [reading_list.description.strip(), ""]
    for item in items:
        lines += _markdown_item(item)
    return "\n".join(lines).rstrip() + "\n"
