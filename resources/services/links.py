"""Links as the library keys them: one canonical URL per paper, video or page, plus its identifiers.

Pure functions on strings: no Django, no network. ``parse_link`` is the one entry point the
library uses; the other functions are its parts, public because importers and tests use them.
"""

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qsl, quote, unquote, unquote_plus, urlsplit, urlunsplit

# Resource.url is a URLField(max_length=2000).
MAX_LENGTH = 2000
# Resource.doi is a CharField(max_length=300).
MAX_DOI_LENGTH = 300

PAPER, VIDEO, TUTORIAL, NOTEBOOK, DATASET = "paper", "video", "tutorial", "notebook", "dataset"
SLIDES, RECORDING, COURSE, CODE, ARTICLE, OTHER = "slides", "recording", "course", "code", "article", "other"
# The same values as Resource.Kind; tests hold the two together.
KINDS = (PAPER, VIDEO, TUTORIAL, NOTEBOOK, DATASET, SLIDES, RECORDING, COURSE, CODE, ARTICLE, OTHER)

ARXIV_ARCHIVES = frozenset(
    {
        "acc-phys",
        "adap-org",
        "alg-geom",
        "ao-sci",
        "astro-ph",
        "atom-ph",
        "bayes-an",
        "chao-dyn",
        "chem-ph",
        "cmp-lg",
        "comp-gas",
        "cond-mat",
        "cs",
        "dg-ga",
        "funct-an",
        "gr-qc",
        "hep-ex",
        "hep-lat",
        "hep-ph",
        "hep-th",
        "math",
        "math-ph",
        "mtrl-th",
        "nlin",
        "nucl-ex",
        "nucl-th",
        "patt-sol",
        "physics",
        "plasm-ph",
        "q-alg",
        "q-bio",
        "quant-ph",
        "solv-int",
        "supr-con",
    }
)
ARXIV_DOI_PREFIX = "10.48550/arxiv."


@dataclass(frozen=True)
class ParsedLink:
    """What a link is to the library: its key, the identifiers in it and the kind it looks like."""

    url: str  # the normalised URL: the library's unique key
    arxiv_id: str = ""
    arxiv_version: int | None = None
    doi: str = ""  # lower-cased
    youtube_id: str = ""
    kind: str = OTHER


class InvalidLink(ValueError):
    """A link the library cannot take; the message says why, in words fit for a form error."""


# --- Trimming -------------------------------------------------------------------------------

_CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<"}
# GitHub's autolinker leaves out the same trailing characters, plus quotes of all kinds.
# Curly quotes, guillemets, the ellipsis and CJK full stops, commas and marks close sentences too.
_TYPOGRAPHIC = "\u201c\u201d\u2018\u2019\u00bb\u2026\u3002\uff0c\uff1b\uff1a\uff01\uff1f"
_URL_TRAILING = ".,;:!?*_~'\"" + _TYPOGRAPHIC
_ID_TRAILING = ".,;:!?'\"" + _TYPOGRAPHIC


def _trim_trailing(text: str, punctuation: str) -> str:
    while text:
        last = text[-1]
        unbalanced = last in _CLOSERS and text.count(last) > text.count(_CLOSERS[last])
        if last in punctuation or unbalanced:
            text = text[:-1]
        else:
            break
    return text


def _cut_unbalanced(text: str) -> str:
    """Cut at the first closing bracket that nothing opened: the end of "[text](url)" or "(see url)"."""
    depth = {"(": 0, "[": 0}
    for index, char in enumerate(text):
        if char in depth:
            depth[char] += 1
        elif char in (")", "]"):
            opener = _CLOSERS[char]
            if depth[opener] == 0:
                return text[:index]
            depth[opener] -= 1
    return text


# --- arXiv ----------------------------------------------------------------------------------

_ARXIV_NEW = re.compile(r"(?P<yymm>\d{4})\.(?P<number>\d{4,5})(?:v(?P<version>\d+))?")
_ARXIV_OLD = re.compile(
    r"(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.[a-z][a-z-]*)?/(?P<yymm>\d{4})(?P<number>\d{3})(?:v(?P<version>\d+))?",
    re.IGNORECASE,
)
# Enough of an id to cut an arXiv URL path after it (html/ pages have sub-paths).
_ARXIV_HEAD = re.compile(r"(?:\d{4}\.\d+|[a-z]+(?:-[a-z]+)?(?:\.[a-z][a-z-]*)?/\d+)(?:v\d+)?", re.IGNORECASE)
_ARXIV_URL_PATH = re.compile(r"/(?:abs|pdf|html|format|ps|src|e-print)/(?P<rest>.+)", re.IGNORECASE)
# "arXiv:1706.03762 [cs.CL]" is how papers cite it, often at the end of a sentence.
_ARXIV_STRING = re.compile(r"arxiv\s*:\s*(?P<id>\S*?)(?:\s*\[[^\]]*\])?[.,;:]*", re.IGNORECASE)
_ARXIV_BARE = re.compile(
    r"\d{4}\.\d{4,5}(?:v\d+)?|[a-z]+(?:-[a-z]+)?(?:\.[a-z][a-z-]*)?/\d{7}(?:v\d+)?", re.IGNORECASE
)


def _is_arxiv_host(host: str) -> bool:
    # Old mirrors (fr., de., lanl., ...) and export. are all subdomains; xxx.lanl.gov was the original.
    return host == "arxiv.org" or host.endswith(".arxiv.org") or host == "xxx.lanl.gov"


def _impossible(text: str, reason: str) -> InvalidLink:
    return InvalidLink(f"“{text}” is not a possible arXiv identifier: {reason}.")


def _arxiv_version(text: str, version: str | None) -> int | None:
    if version is None:
        return None
    number = int(version)
    if not 1 <= number <= 999:
        raise _impossible(text, "versions run from v1")
    return number


def _arxiv_check(candidate: str) -> tuple[str, int | None]:
    """Validate an arXiv id candidate, returning (id, version); InvalidLink says what is impossible."""
    text = _trim_trailing(candidate.strip(), _ID_TRAILING)
    if not text:
        raise InvalidLink("Give the arXiv identifier, as in arXiv:1707.08567.")
    if match := _ARXIV_NEW.fullmatch(text):
        yymm, number = match["yymm"], match["number"]
        month = int(yymm[2:])
        if not 1 <= month <= 12:
            raise _impossible(text, f"there is no month {yymm[2:]}")
        if yymm < "0704":
            raise _impossible(text, "identifiers of this form begin in April 2007 (0704)")
        if len(number) == 5 and yymm < "1501":
            raise _impossible(text, "numbers before 2015 have four digits")
        if len(number) == 4 and yymm > "1412":
            raise _impossible(text, "numbers from 2015 (1501) on have five digits")
        if int(number) == 0:
            raise _impossible(text, "numbers start at 1")
        return f"{yymm}.{number}", _arxiv_version(text, match["version"])
    if match := _ARXIV_OLD.fullmatch(text):
        archive, yymm, number = match["archive"].lower(), match["yymm"], match["number"]
        if archive not in ARXIV_ARCHIVES:
            raise _impossible(text, f"there is no arXiv archive “{archive}”")
        year, month = int(yymm[:2]), int(yymm[2:])
        if not 1 <= month <= 12:
            raise _impossible(text, f"there is no month {yymm[2:]}")
        full_year = 1900 + year if year >= 91 else 2000 + year
        # The first paper was hep-th/9108001; the scheme ended with March 2007.
        if not (1991, 8) <= (full_year, month) <= (2007, 3):
            raise _impossible(
                text, "identifiers of this form run from 9108 (August 1991) to 0703 (March 2007)"
            )
        if int(number) == 0:
            raise _impossible(text, "numbers start at 001")
        return f"{archive}/{yymm}{number}", _arxiv_version(text, match["version"])
    raise InvalidLink(f"“{text}” is not an arXiv identifier (they look like 1707.08567 or hep-th/9901001).")


def _arxiv_from_url(host: str, path: str) -> str | None:
    if not _is_arxiv_host(host):
        return None
    match = _ARXIV_URL_PATH.fullmatch(unquote(path))
    if not match:
        return None
    rest = re.sub(r"(?i)\.pdf$", "", match["rest"].strip("/"))
    rest = re.sub(r"(?i)^arxiv:", "", rest)
    head = _ARXIV_HEAD.match(rest)
    if head and rest[head.end() : head.end() + 1] in ("", "/"):
        return head.group()
    return rest


# --- DOI ------------------------------------------------------------------------------------

_DOI = re.compile(r"10\.\d{4,9}(?:\.\d+)*/\S+")
_DOI_STRING = re.compile(r"doi\s*:\s*(?P<doi>\S*)", re.IGNORECASE)
_DOI_HOSTS = frozenset({"doi.org", "dx.doi.org", "www.doi.org"})
# Atypon-style landing pages (Wiley, ACS, ACM, Science, Taylor & Francis, SAGE, PNAS, SIAM...):
# /doi/10.x/y, /doi/<view>/10.x/y.
_DOI_PATH_ATYPON = re.compile(
    r"/doi/(?:(?:abs|abstract|full|fulltext|fullhtml|pdf|epdf|pdfdirect|pdfplus|epub|reader|book|chapter"
    r"|proceedings|suppl|figure|ref|references|citedby|media)/)?(?P<doi>10\.\d+.*)",
    re.IGNORECASE,
)
_DOI_PATH_IOP = re.compile(r"/article/(?P<doi>10\.\d+.*)")
_DOI_PATH_SPRINGER = re.compile(
    r"/(?:(?:article|chapter|book|referenceworkentry|protocol|content/pdf)/)?(?P<doi>10\.\d+.*)"
)
_DOI_PATH_APS = re.compile(
    r"/[a-z]+/(?:abstract|pdf|supplemental|references|cited-by|export)/(?P<doi>10\.\d+.*)"
)
# Views publishers append after the DOI: Wiley's old /full and /abstract, IOP's /pdf and /meta.
_DOI_VIEW_SUFFIX = re.compile(
    r"(?:/(?:full|abstract|abs|pdf|epdf|pdfdirect|meta|ampdf|fulltext(?:\.html)?|summary)|\.pdf)/?$",
    re.IGNORECASE,
)
# Registrants whose DOIs name data deposits rather than papers.
_DATA_DOI_PREFIXES = (
    "10.5281/zenodo.",
    "10.6084/m9.figshare.",
    "10.5061/dryad.",
    "10.7910/dvn/",
    "10.17632/",
)
# Characters a DOI may keep as they are in a doi.org URL path.
_DOI_URL_SAFE = "/:;()@!$&'*+,=~"


def _doi_check(candidate: str) -> str:
    """Validate a DOI candidate, returning it lower-cased; InvalidLink says why not."""
    doi = _trim_trailing(candidate.strip(), _ID_TRAILING)
    if not doi:
        raise InvalidLink("Give the DOI, as in doi:10.1088/2632-2153/abb93a.")
    if not _DOI.fullmatch(doi):
        raise InvalidLink(f"“{candidate.strip()}” is not a DOI (they look like 10.1088/2632-2153/abb93a).")
    if len(doi) > MAX_DOI_LENGTH:
        raise InvalidLink(f"DOIs longer than {MAX_DOI_LENGTH} characters cannot be added.")
    return doi.lower()


def _doi_from_url(host: str, path: str, query: str) -> str | None:
    path = unquote(path)
    bare = host.removeprefix("www.")
    if host in _DOI_HOSTS:
        candidate = path.lstrip("/")
        return candidate if _DOI.match(candidate) else None
    match = None
    if bare == "iopscience.iop.org":
        match = _DOI_PATH_IOP.fullmatch(path)
    elif bare == "link.springer.com":
        match = _DOI_PATH_SPRINGER.fullmatch(path)
    elif bare == "journals.aps.org":
        match = _DOI_PATH_APS.fullmatch(path)
    elif bare == "journals.plos.org":
        # PLOS keeps the DOI in the query: /plosone/article?id=10.1371/...
        candidate = _first_params(query).get("id", "")
        return candidate if _DOI.match(candidate) else None
    if match is None:
        match = _DOI_PATH_ATYPON.fullmatch(path)
    if match is None:
        return None
    candidate = _DOI_VIEW_SUFFIX.sub("", match["doi"])
    return candidate if _DOI.match(candidate) else None


# --- YouTube --------------------------------------------------------------------------------

_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_YOUTUBE_LIST = re.compile(r"[A-Za-z0-9_-]+")
_YOUTUBE_VIDEO_PATHS = frozenset({"embed", "shorts", "live", "v", "e"})


def _is_youtube_host(host: str) -> bool:
    return host in (
        "youtu.be",
        "youtube.com",
        "youtube-nocookie.com",
        "www.youtube-nocookie.com",
    ) or host.endswith(".youtube.com")


def _youtube_video(video_id: str) -> tuple[str, str]:
    if not _YOUTUBE_ID.fullmatch(video_id):
        raise InvalidLink(f"“{video_id}” is not a YouTube video id (they are 11 letters, digits, - or _).")
    return f"https://www.youtube.com/watch?v={video_id}", video_id


def _youtube_playlist(list_id: str) -> tuple[str, str]:
    if not _YOUTUBE_LIST.fullmatch(list_id):
        raise InvalidLink(f"“{list_id}” is not a YouTube playlist id.")
    return f"https://www.youtube.com/playlist?list={list_id}", ""


def _youtube(host: str, path: str, query: str) -> tuple[str, str] | None:
    """(canonical URL, video id) for a YouTube video or playlist; None for channels and other pages."""
    if not _is_youtube_host(host):
        return None
    segments = [segment for segment in path.split("/") if segment]
    if host == "youtu.be":
        return _youtube_video(segments[0]) if segments else None
    params = _first_params(query)
    if segments == ["watch"]:
        # A video watched inside a playlist is still that video.
        if params.get("v"):
            return _youtube_video(params["v"])
        if params.get("list"):
            return _youtube_playlist(params["list"])
        return None
    if segments == ["playlist"] and params.get("list"):
        return _youtube_playlist(params["list"])
    if len(segments) >= 2 and segments[0] in _YOUTUBE_VIDEO_PATHS:
        if segments[:2] == ["embed", "videoseries"] and params.get("list"):
            return _youtube_playlist(params["list"])
        return _youtube_video(segments[1])
    return None


# --- Generic URLs ---------------------------------------------------------------------------

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HOST = re.compile(r"(?:[a-z0-9_-]{1,63}\.)*[a-z0-9_-]{1,63}")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "ref_src",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
    }
)
# Kept unescaped when tidying a path, query or fragment: the reserved characters and "%".
_URL_SAFE = "!$&'()*+,/:;=?@[]~%"
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _first_params(query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        params.setdefault(key, value)
    return params


def _tidy(component: str) -> str:
    """Escape what a URL may not hold (spaces, non-ASCII) and write escapes one way (RFC 3986, 6.2.2)."""
    component = re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", component)
    component = quote(component, safe=_URL_SAFE)

    def one_way(match: re.Match) -> str:
        char = chr(int(match[1], 16))
        return char if char in _UNRESERVED else f"%{match[1].upper()}"

    return _ESCAPE.sub(one_way, component)


def _split(text: str) -> tuple[SplitResult, str]:
    """Split an http(s) URL and return it with its cleaned host; InvalidLink for anything else."""
    if _CONTROL.search(text):
        raise InvalidLink("A link cannot contain line breaks or control characters.")
    scheme = _SCHEME.match(text)
    if not scheme or scheme[1].lower() not in _DEFAULT_PORTS:
        # "example.org:8080/x" and "localhost:8000" look like a scheme to a parser but are hosts.
        if scheme and "." not in scheme[1] and not text[scheme.end() : scheme.end() + 1].isdigit():
            raise InvalidLink("Only http and https links can be added.")
        raise InvalidLink("Start the link with http:// or https://.")
    try:
        parts = urlsplit(text)
    except ValueError:
        raise InvalidLink("This link's host is not valid.") from None
    try:
        port = parts.port
    except ValueError:
        raise InvalidLink("The port in this link is not a number from 0 to 65535.") from None
    if "@" in parts.netloc:
        raise InvalidLink("Links with a user name or password in them cannot be added.")
    if not parts.hostname:
        raise InvalidLink("This link has no host name.")
    host = _clean_host(parts.hostname, bracketed="[" in parts.netloc)
    if port is not None and port != _DEFAULT_PORTS[parts.scheme.lower()]:
        netloc = f"{host}:{port}"
    else:
        netloc = host
    return parts._replace(scheme=parts.scheme.lower(), netloc=netloc), host


def _clean_host(host: str, *, bracketed: bool) -> str:
    host = host.lower()
    if bracketed:
        try:
            address = ipaddress.IPv6Address(host)
        except ValueError:
            address = None
        # A zone ("%eth0") names an interface on one machine, meaningless in a shared library.
        if address is None or address.scope_id:
            raise InvalidLink(f"“{host}” is not a valid host name.")
        return f"[{address.compressed}]"
    # "example.org." names the same host as "example.org".
    if host.endswith("."):
        host = host[:-1]
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidLink(f"“{host}” is not a valid host name.") from None
    if len(host) > 253 or not _HOST.fullmatch(host):
        raise InvalidLink(f"“{host}” is not a valid host name.")
    return host


def _is_tracking(key: str, host: str) -> bool:
    key = key.lower()
    return key.startswith("utm_") or key in _TRACKING or (key == "si" and _is_youtube_host(host))


def _clean_query(query: str, host: str) -> str:
    # Pairs are filtered as written, never decoded and re-encoded, so what stays is byte-for-byte
    # what the site was sent.
    kept = [
        _tidy(pair)
        for pair in query.split("&")
        if pair and not _is_tracking(unquote_plus(pair.split("=", 1)[0]), host)
    ]
    return "&".join(kept)


def _generic(parts: SplitResult, host: str) -> str:
    return urlunsplit(
        (
            parts.scheme,
            parts.netloc,
            _tidy(parts.path) or "/",
            _clean_query(parts.query, host),
            _tidy(parts.fragment),
        )
    )


# --- Kinds ----------------------------------------------------------------------------------

_PAPER_HOSTS = (
    "arxiv.org",
    "iopscience.iop.org",
    "onlinelibrary.wiley.com",
    "link.springer.com",
    "science.org",
    "sciencedirect.com",
    "journals.aps.org",
    "link.aps.org",
    "dl.acm.org",
    "ieeexplore.ieee.org",
    "openreview.net",
    "proceedings.neurips.cc",
    "papers.neurips.cc",
    "papers.nips.cc",
    "aclanthology.org",
    "biorxiv.org",
    "medrxiv.org",
    "jmlr.org",
    "proceedings.mlr.press",
    "semanticscholar.org",
    "academic.oup.com",
    "pubs.acs.org",
    "tandfonline.com",
    "journals.plos.org",
    "pnas.org",
    "journals.sagepub.com",
    "mdpi.com",
    "frontiersin.org",
    "aanda.org",
    "pubmed.ncbi.nlm.nih.gov",
    "pmc.ncbi.nlm.nih.gov",
    "ssrn.com",
    "inspirehep.net",
)
_VIDEO_HOSTS = (
    "youtube.com",
    "youtu.be",
    "youtube-nocookie.com",
    "vimeo.com",
    "slideslive.com",
    "videolectures.net",
)
_NOTEBOOK_HOSTS = ("colab.research.google.com", "nbviewer.org", "nbviewer.jupyter.org", "mybinder.org")
_SLIDES_HOSTS = ("slideshare.net", "speakerdeck.com", "slides.com")
_SLIDES_EXTENSIONS = (".ppt", ".pptx", ".key", ".odp")
_DATASET_HOSTS = ("archive.ics.uci.edu", "openml.org", "datadryad.org", "figshare.com")
_DATA_GOV = re.compile(r"(?:[a-z0-9-]+\.)*data\.gov(?:\.[a-z]{2})?")
_CODE_HOSTS = (
    "github.com",  # gist.github.com too
    "gitlab.com",
    "bitbucket.org",
    "codeberg.org",
    "sourceforge.net",
    "raw.githubusercontent.com",
    "gist.githubusercontent.com",
)
_COURSE_HOSTS = (
    "coursera.org",
    "edx.org",
    "udemy.com",
    "udacity.com",
    "course.fast.ai",
    "deeplearning.ai",
    "ocw.mit.edu",
    "khanacademy.org",
)
_TUTORIAL_HOSTS = ("realpython.com", "machinelearningmastery.com")
_ARTICLE_HOSTS = (
    "medium.com",
    "towardsdatascience.com",
    "distill.pub",
    "substack.com",
    "blogspot.com",
    "wordpress.com",
    "dev.to",
    "thegradient.pub",
)


def _on(host: str, *domains: str) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def infer_kind(url: str) -> str:
    """Guess a link's kind (one of the Resource.Kind values) from its host and path."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return OTHER
    bare = host.removeprefix("www.")
    path = unquote(parts.path).lower()
    segments = [segment for segment in path.split("/") if segment]
    first = segments[0] if segments else ""

    if _is_arxiv_host(host):
        return PAPER
    if host in _DOI_HOSTS:
        doi = path.lstrip("/")
        if doi.startswith(_DATA_DOI_PREFIXES):
            return DATASET
        return PAPER if _DOI.match(doi) else OTHER
    if _on(host, *_VIDEO_HOSTS):
        return VIDEO
    if _on(host, "zoom.us") and first == "rec":
        return RECORDING
    if _on(host, "panopto.com", "panopto.eu"):
        return RECORDING
    if (
        path.endswith(".ipynb")
        or _on(host, *_NOTEBOOK_HOSTS)
        or (_on(host, "kaggle.com") and first in ("code", "kernels"))
    ):
        return NOTEBOOK
    if (
        (_on(host, "docs.google.com") and first == "presentation")
        or path.endswith(_SLIDES_EXTENSIONS)
        or _on(host, *_SLIDES_HOSTS)
    ):
        return SLIDES
    if (
        (_on(host, "kaggle.com", "huggingface.co") and first == "datasets")
        or (_on(host, "zenodo.org") and first in ("record", "records"))
        or (_on(host, "paperswithcode.com") and first == "dataset")
        or _on(host, *_DATASET_HOSTS)
        or _DATA_GOV.fullmatch(host)
    ):
        return DATASET
    if (
        _on(host, *_PAPER_HOSTS)
        or (_on(host, "nature.com") and first == "articles")
        or (_on(host, "adsabs.harvard.edu") and first == "abs")
        or (_on(host, "ncbi.nlm.nih.gov") and first == "pmc")
        or path.endswith(".pdf")
    ):
        return PAPER
    if _on(host, *_CODE_HOSTS) or (_on(host, "pypi.org") and first == "project"):
        return CODE
    if (
        _on(host, *_COURSE_HOSTS)
        or bare == "fast.ai"
        or (_on(host, "kaggle.com") and first == "learn")
        or (_on(host, "huggingface.co") and first in ("learn", "course"))
    ):
        return COURSE
    if _on(host, *_TUTORIAL_HOSTS) or "tutorial" in path:
        return TUTORIAL
    if (
        _on(host, *_ARTICLE_HOSTS)
        or "blog" in segments
        or "blogs" in segments
        or host.split(".")[0] in ("blog", "blogs")
    ):
        return ARTICLE
    return OTHER


# --- Public API -----------------------------------------------------------------------------


def _prepare(text: str) -> str:
    if not isinstance(text, str):
        raise InvalidLink("Enter a link.")
    text = text.strip()
    # Links pasted from mail and Markdown often come as <https://...>.
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    if not text:
        raise InvalidLink("Enter a link.")
    if len(text) > MAX_LENGTH:
        raise InvalidLink(f"Links longer than {MAX_LENGTH} characters cannot be added.")
    return text


def _string_identifier(text: str) -> tuple[str, str] | None:
    """("arxiv" | "doi", candidate) for an arXiv:/doi: string or a bare id; None for anything else."""
    if match := _ARXIV_STRING.fullmatch(text):
        return "arxiv", match["id"]
    if match := _DOI_STRING.fullmatch(text):
        return "doi", match["doi"]
    if _DOI.fullmatch(text):
        return "doi", text
    if _ARXIV_BARE.fullmatch(text):
        return "arxiv", text
    return None


def _url_identifier(parts: SplitResult, host: str) -> tuple[str, str] | None:
    if (candidate := _arxiv_from_url(host, parts.path)) is not None:
        return "arxiv", candidate
    if (candidate := _doi_from_url(host, parts.path, parts.query)) is not None:
        return "doi", candidate
    return None


def _identify(text: str) -> tuple[str, str] | None:
    """The identifier a link or string carries, without validating it; None for a plain URL."""
    text = _prepare(text)
    found = _string_identifier(text)
    if found is None:
        parts, host = _split(text)
        found = _url_identifier(parts, host)
    return found


def _from_identifier(scheme: str, candidate: str) -> ParsedLink:
    if scheme == "doi":
        doi = _doi_check(candidate)
        if not doi.startswith(ARXIV_DOI_PREFIX):
            url = "https://doi.org/" + quote(doi, safe=_DOI_URL_SAFE)
            return ParsedLink(url=url, doi=doi, kind=infer_kind(url))
        candidate = doi.removeprefix(ARXIV_DOI_PREFIX)
    arxiv_id, version = _arxiv_check(candidate)
    return ParsedLink(
        url=f"https://arxiv.org/abs/{arxiv_id}", arxiv_id=arxiv_id, arxiv_version=version, kind=PAPER
    )


def parse_link(text: str) -> ParsedLink:
    """Parse a pasted URL, arXiv:/doi: string, bare DOI or arXiv id to its canonical form; or InvalidLink."""
    text = _prepare(text)
    found = _string_identifier(text)
    if found is not None:
        return _from_identifier(*found)
    parts, host = _split(text)
    found = _url_identifier(parts, host)
    if found is not None:
        return _from_identifier(*found)
    youtube = _youtube(host, parts.path, parts.query)
    if youtube is not None:
        url, video_id = youtube
        return ParsedLink(url=url, youtube_id=video_id, kind=VIDEO)
    url = _generic(parts, host)
    if len(url) > MAX_LENGTH:
        raise InvalidLink(f"Links longer than {MAX_LENGTH} characters cannot be added.")
    return ParsedLink(url=url, kind=infer_kind(url))


def parse_arxiv(text: str) -> tuple[str, int | None] | None:
    """Return (arXiv id, version or None) for an arXiv URL, arXiv: string, arXiv DOI or bare id, else None."""
    try:
        found = _identify(text)
        parsed = _from_identifier(*found) if found else None
    except InvalidLink:
        return None
    return (parsed.arxiv_id, parsed.arxiv_version) if parsed and parsed.arxiv_id else None


def parse_doi(text: str) -> str | None:
    """Return the lower-cased DOI of a doi.org or publisher URL, doi: string or bare DOI, else None."""
    try:
        found = _identify(text)
        if found is None or found[0] != "doi":
            return None
        return _doi_check(found[1])
    except InvalidLink:
        return None


_URL_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])https?://[^\s<>\"`{}|\\^\x00-\x1f\x7f]+", re.IGNORECASE)


def find_urls(text: str) -> list[str]:
    """Return the bare http(s) URLs in plain text, in order, without repeats or trailing punctuation."""
    urls: list[str] = []
    position = 0
    while match := _URL_IN_TEXT.search(text, position):
        candidate = _cut_unbalanced(match.group())
        # Scan on from the cut, so "[url](url)" yields the second URL too.
        position = match.start() + len(candidate)
        url = _trim_trailing(candidate, _URL_TRAILING)
        try:
            has_host = bool(urlsplit(url).hostname)
        except ValueError:
            has_host = False
        if has_host and url not in urls:
            urls.append(url)
    return urls
