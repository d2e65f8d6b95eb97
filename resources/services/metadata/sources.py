"""Where metadata comes from: the arXiv API in batches, Crossref then doi.org for DOIs.

Each function turns identifiers into ``Outcome``s and never touches the database
(beyond the host slots the client holds); storing them is the service's job.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings

from resources.services.http import FetchError, TransientError
from resources.services.metadata.http import ApiClient
from resources.services.metadata.parsers import (
    ParseError,
    parse_arxiv_feed,
    parse_crossref_work,
    parse_csl,
    parse_datacite,
    parse_registration_agency,
)

NOT_ON_ARXIV = "not found on arXiv"
UNKNOWN_DOI = "unknown DOI: neither Crossref nor doi.org knows it"
CSL_JSON = "application/vnd.citationstyles.csl+json"
# Hosts doi.org's content negotiation hands over to; a redirect anywhere else is a landing page.
NEGOTIATION_HOSTS = ("doi.org", "crossref.org", "crosscite.org", "datacite.org")


@dataclass
class Outcome:
    """What became of one identifier: data, a lasting error, or a passing one (``transient``)."""

    data: dict | None = None
    error: str = ""
    transient: bool = False
    retry_after: float | None = None

    @classmethod
    def from_exception(cls, error: Exception) -> "Outcome":
        if isinstance(error, TransientError):
            return cls(error=str(error), transient=True, retry_after=error.retry_after)
        return cls(error=str(error))


# --- arXiv ---------------------------------------------------------------------------------------


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def arxiv_fetch(
    client: ApiClient, arxiv_ids: Iterable[str], on_result: Callable[[str, Outcome], None]
) -> None:
    """Fetch arXiv ids through the API, ARXIV_BATCH_SIZE per request, one request at a time
    across all workers, ARXIV_MIN_INTERVAL apart; call ``on_result`` per id as each batch lands.

    An id the feed leaves out is "not found on arXiv". An error entry (HTTP 400) that names an
    id fails that id and the rest of the batch is asked again; one that names none is narrowed
    down by halving the batch.
    """
    queue = _chunks(list(dict.fromkeys(arxiv_ids)), settings.ARXIV_BATCH_SIZE)
    while queue:
        batch = queue.pop(0)
        try:
            reply = client.get(
                "arXiv",
                settings.ARXIV_API_URL,
                params={"id_list": ",".join(batch), "start": 0, "max_results": len(batch)},
                spacing=settings.ARXIV_MIN_INTERVAL,
                concurrency=1,
            )
            if reply.status not in (200, 400):
                raise TransientError(f"the arXiv API answered HTTP {reply.status}")
            feed = parse_arxiv_feed(reply.body)
        except (TransientError, FetchError) as error:
            for arxiv_id in batch:
                on_result(arxiv_id, Outcome.from_exception(error))
            continue
        except ParseError as error:
            for arxiv_id in batch:
                on_result(arxiv_id, Outcome(error=str(error), transient=True))
            continue
        if feed.errors or reply.status == 400:
            message = feed.errors[0].message if feed.errors else "the arXiv API refused the request"
            named = {e.arxiv_id.lower(): e.message for e in feed.errors if e.arxiv_id}
            bad = [arxiv_id for arxiv_id in batch if arxiv_id.lower() in named]
            for arxiv_id in bad:
                on_result(arxiv_id, Outcome(error=f"arXiv: {named[arxiv_id.lower()]} (HTTP {reply.status})"))
            rest = [arxiv_id for arxiv_id in batch if arxiv_id not in bad]
            if bad and rest:
                queue.insert(0, rest)
            elif not bad and len(batch) > 1:
                half = len(batch) // 2
                queue[:0] = [batch[:half], batch[half:]]
            elif not bad:
                on_result(batch[0], Outcome(error=f"arXiv: {message} (HTTP {reply.status})"))
            continue
        for arxiv_id in batch:
            data = feed.entries.get(arxiv_id)
            on_result(arxiv_id, Outcome(data=data) if data is not None else Outcome(error=NOT_ON_ARXIV))


# --- DOIs ----------------------------------------------------------------------------------------


def _doi_path(doi: str) -> str:
    return quote(doi, safe="/")


def _crossref(client: ApiClient, doi: str):
    reply = client.get(
        "Crossref",
        f"{settings.CROSSREF_API_URL.rstrip('/')}/works/{_doi_path(doi)}",
        params={"mailto": settings.CONTACT_EMAIL},
        concurrency=settings.CROSSREF_CONCURRENCY,
    )
    if reply.status == 200:
        try:
            return parse_crossref_work(reply.body)
        except ParseError as error:
            raise TransientError(f"Crossref sent an unreadable answer: {error}") from None
    if reply.status == 404:
        return None
    raise FetchError(f"Crossref refused the DOI (HTTP {reply.status})")


def _doi_org(client: ApiClient, doi: str) -> tuple[dict | None, int]:
    """CSL JSON by content negotiation; (None, status) when doi.org gives none."""
    reply = client.get(
        "doi.org",
        f"{settings.DOI_RESOLVER_URL.rstrip('/')}/{_doi_path(doi)}",
        headers={"Accept": CSL_JSON},
        concurrency=settings.CROSSREF_CONCURRENCY,
        redirect_hosts=NEGOTIATION_HOSTS,
    )
    if reply.status == 200:
        try:
            return parse_csl(reply.body), 200
        except ParseError:
            # Not JSON: a registration agency without content negotiation sent its landing page.
            return None, 200
    return None, reply.status


def _agency(client: ApiClient, doi: str) -> str:
    prefix = doi.split("/", 1)[0]
    try:
        reply = client.get(
            "doi.org",
            f"{settings.DOI_RESOLVER_URL.rstrip('/')}/ra/{quote(prefix, safe='')}",
            concurrency=settings.CROSSREF_CONCURRENCY,
        )
        return parse_registration_agency(reply.body) if reply.status == 200 else ""
    except (FetchError, TransientError, ParseError):
        return ""  # only used to word the failure


def _datacite(client: ApiClient, doi: str) -> dict | None:
    base = settings.DATACITE_API_URL
    reply = client.get(
        "DataCite", f"{base.rstrip('/')}/dois/{_doi_path(doi)}", concurrency=settings.CROSSREF_CONCURRENCY
    )
    if reply.status == 200:
        try:
            return parse_datacite(reply.body)
        except ParseError:
            return None
    return None


def doi_fetch(client: ApiClient, doi: str) -> Outcome:
    """Metadata for one DOI: Crossref (polite pool), else doi.org's CSL JSON (DataCite and other
    agencies), else, for a DataCite prefix, DataCite's own API; else a failure that says why."""
    try:
        data = _crossref(client, doi)
        if data is not None:
            return Outcome(data=data)
        data, status = _doi_org(client, doi)
        if data is not None:
            return Outcome(data=data)
        agency = _agency(client, doi)
        if agency == "DataCite":
            data = _datacite(client, doi)
            if data is not None:
                return Outcome(data=data)
        if status == 404 or not agency or " " in agency:
            # " " in agency: a status such as "DOI does not exist" rather than an agency's name.
            return Outcome(error=UNKNOWN_DOI)
        return Outcome(
            error=f"no citation metadata: the DOI is registered with {agency}, "
            f"and doi.org gave no CSL JSON for it (HTTP {status})"
        )
    except (TransientError, FetchError) as error:
        return Outcome.from_exception(error)
