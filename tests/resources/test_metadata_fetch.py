"""Fetching metadata against local servers that replay the recorded API bodies in tests/fixtures,
with the status codes and headers SOURCES.md gives for them."""

import itertools
import re
import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from clubsite.celery import app as celery_app
from resources.models import HostThrottle, Resource
from resources.services import library
from resources.services.metadata import metadata_claim_pending, metadata_fetch
from resources.services.metadata import service as metadata_service
from resources.services.metadata.http import ApiClient
from resources.services.metadata.sources import CSL_JSON, NOT_ON_ARXIV, UNKNOWN_DOI
from resources.tasks.metadata import MAX_RETRIES, metadata_dispatch_pending
from resources.tasks.metadata import metadata_fetch as metadata_fetch_task
from tests.factories import ResourceFactory
from tests.resources.test_metadata_parsers import fixture

# Pool threads and host slots use their own database connections: the rows must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

ATOM_HEADERS = {"Content-Type": "application/atom+xml; charset=UTF-8"}
# Recorded with the habanero cassettes (SOURCES.md): the polite pool's answers...
POLITE = {
    "x-api-pool": "polite",
    "x-concurrency-limit": "3",
    "x-rate-limit-interval": "1s",
    "x-rate-limit-limit": "10",
}
# ...and the public pool's, for the requests that had no mailto.
PUBLIC = {**POLITE, "x-api-pool": "public", "x-concurrency-limit": "1", "x-rate-limit-limit": "5"}
CROSSREF_WORKS = {
    "10.1371/journal.pone.0033693": (
        "crossref_works_10.1371_journal.pone.0033693.json",
        {"Content-Type": "application/json", "Date": "Tue, 16 Jun 2026 13:34:19 GMT", **PUBLIC},
    ),
    "10.1016/j.neurobiolaging.2010.03.024": (
        "crossref_works_10.1016_j.neurobiolaging.2010.03.024.json",
        {"Content-Type": "application/json", "Date": "Tue, 16 Jun 2026 14:22:54 GMT", **POLITE},
    ),
    "10.1002/jor.1100150407": (
        "crossref_works_10.1002_jor.1100150407.json",
        {"Content-Type": "application/json", "Date": "Tue, 16 Jun 2026 14:22:55 GMT", **POLITE},
    ),
    "10.1038/srep16696": (
        "crossref_works_10.1038_srep16696.json",
        {"Content-Type": "application/json", "Date": "Tue, 16 Jun 2026 14:22:55 GMT", **POLITE},
    ),
    "10.1109/icdcsw.2003.1203662": (
        "crossref_works_10.1109_icdcsw.2003.1203662.json",
        {"Content-Type": "application/json", "Date": "Tue, 16 Jun 2026 14:22:55 GMT", **POLITE},
    ),
    "10.3892/ijo_00000353": (
        "crossref_works_10.3892_ijo_00000353.json",
        {"Content-Type": "application/json", "Date": "Tue, 16 Jun 2026 14:22:56 GMT", **POLITE},
    ),
    # papis' re-serialised 2019 envelopes: no headers were kept, so the ordinary JSON ones.
    "10.1145/3184558.3186235": (
        "crossref_works_10.1145_3184558.3186235_proceedings_papis2019.json",
        {"Content-Type": "application/json", **POLITE},
    ),
    "10.32396/usurj.v1i1.55": (
        "crossref_works_10.32396_usurj.v1i1.55_jats_abstract_papis2019.json",
        {"Content-Type": "application/json", **POLITE},
    ),
}
CROSSREF_404 = ("crossref_works_404_10.1371_notarealdoi.txt", {"Content-Type": "text/plain", **PUBLIC})


@pytest.fixture(scope="module")
def api_server():
    """One threaded local server playing the arXiv API, Crossref, doi.org and DataCite."""
    server = HTTPServer(threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def apis(api_server, settings):
    api_server.clear()
    settings.ARXIV_API_URL = api_server.url_for("/api/query")
    settings.CROSSREF_API_URL = api_server.url_for("/crossref")
    settings.DOI_RESOLVER_URL = api_server.url_for("/doi")
    settings.DATACITE_API_URL = api_server.url_for("/datacite")
    settings.ARXIV_MIN_INTERVAL = 0
    settings.ARXIV_BATCH_SIZE = 100
    settings.METADATA_RETRIES = 3
    settings.CONTACT_EMAIL = "club@example.org"
    # The APIs are vetted like any link: the local server's host must be allowed.
    settings.LINKCHECK_ALLOWED_INTERNAL_HOSTS = ["127.0.0.1", "localhost"]
    yield api_server
    api_server.check_assertions()


class Sleeps(list):
    """An injected sleep that records each wait; ``real`` seconds at most are really slept."""

    def __init__(self, real: float = 0.0):
        super().__init__()
        self.real = real

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        if self.real:
            time.sleep(min(seconds, self.real))


def client(real: float = 0.0) -> ApiClient:
    return ApiClient(sleep=Sleeps(real))


def requests_to(server, prefix: str) -> list[Request]:
    return [request for request, _ in server.log if request.path.startswith(prefix)]


# --- arXiv replay --------------------------------------------------------------------------------

ENTRY_FIXTURES = {
    "1605.08386": "arxiv_api_2026_1605.08386.xml",
    "1707.08567": "arxiv_api_2026_1707.08567.xml",
    "2104.12255": "arxiv_api_2026_2104.12255v1_title_zero.xml",
    "astro-ph/0601001": "arxiv_api_2026_astro-ph_0601001_oldstyle.xml",
    "quant-ph/0201082": "arxiv_api_2026_quant-ph_0201082v1_oldstyle_versioned.xml",
    "1111.2011": "arxiv_api_legacy2016_1111.2011v2_with_doi_journalref.xml",
}
DEL_MAESTRO = [
    "1201.4869",
    "cond-mat/0412498",
    "cond-mat/0603029",
    "1005.5383",
    "1303.6954",
    "1312.6177",
    "1412.6529",
    "cond-mat/0607501",
    "cond-mat/0702661",
    "0807.2873",
]
# Whole recorded answers for exactly these id lists.
RECORDED = {
    frozenset(
        ["0808.05394", "1707.08567"]
    ): "arxiv_api_2026_idlist_0808.05394_1707.08567_multi_one_invalid.xml",
    frozenset(["0808.05394"]): "arxiv_api_2026_0808.05394_invalid_number.xml",
    frozenset(["0000.0000"]): "arxiv_api_2026_0000.0000_empty_feed.xml",
    frozenset(DEL_MAESTRO): "arxiv_api_legacy2016_search_au_del_maestro_multi.xml",
}
_ENTRY = re.compile(rb"<entry>.*?</entry>", re.DOTALL)


def _feed_of(ids: list[str]) -> bytes:
    """A feed holding the recorded entries of these ids, in the 2026 API's envelope; unknown ids
    are left out, as the API does."""
    envelope = fixture("arxiv_api_2026_1707.08567.xml")
    head = envelope[: envelope.index(b"<entry>")]
    entries = [_ENTRY.search(fixture(ENTRY_FIXTURES[i]))[0] for i in ids if i in ENTRY_FIXTURES]
    head = re.sub(rb"<opensearch:totalResults>\d+<", b"<opensearch:totalResults>%d<" % len(entries), head)
    return head + b"\n  ".join(entries) + b"\n</feed>\n"


def arxiv_replay(request: Request) -> Response:
    ids = request.args["id_list"].split(",")
    if "abc" in ids:
        return Response(fixture("arxiv_api_2026_error_id_abc_http400.xml"), status=400, headers=ATOM_HEADERS)
    name = RECORDED.get(frozenset(ids))
    body = fixture(name) if name else _feed_of(ids)
    return Response(body, status=200, headers=ATOM_HEADERS)


def arxiv_resource(arxiv_id: str, **fields) -> Resource:
    return ResourceFactory(url=f"https://arxiv.org/abs/{arxiv_id}", arxiv_id=arxiv_id, title="", **fields)


def doi_resource(doi: str, **fields) -> Resource:
    return ResourceFactory(url=f"https://doi.org/{doi}", doi=doi, title="", **fields)


def arxiv_id_lists(server) -> list[list[str]]:
    return [request.args["id_list"].split(",") for request in requests_to(server, "/api/query")]


# --- arXiv ---------------------------------------------------------------------------------------


def test_arxiv_batch_of_every_recorded_paper_in_one_request(apis, settings):
    apis.expect_request("/api/query").respond_with_handler(arxiv_replay)
    resources = {i: arxiv_resource(i) for i in ENTRY_FIXTURES}

    summary = metadata_fetch(resource_ids=[r.pk for r in resources.values()], client=client())

    assert (summary.done, summary.failed, summary.requests) == (6, 0, {"arXiv": 1})
    [request] = requests_to(apis, "/api/query")
    assert sorted(request.args["id_list"].split(",")) == sorted(ENTRY_FIXTURES)
    assert (request.args["start"], request.args["max_results"]) == ("0", "6")
    assert request.headers["User-Agent"] == settings.USER_AGENT

    aew10 = Resource.objects.get(pk=resources["1707.08567"].pk)
    assert aew10.title == "Proceedings of Workshop AEW10: Concepts in Information Theory and Communications"
    assert len(aew10.authors) == 34 and aew10.authors[0] == {"name": "Kees A. Schouhamer Immink"}
    assert (aew10.published_date.isoformat(), aew10.published_date_precision) == ("2017-07-27", "day")
    assert (aew10.primary_category, aew10.categories, aew10.arxiv_version) == ("cs.IT", ["cs.IT"], 1)
    assert (aew10.metadata_state, aew10.metadata_error) == ("done", "")
    assert aew10.metadata_fetched_at is not None
    assert "Schouhamer Immink" in aew10.search_text and "Boppard" in aew10.search_text

    zero = Resource.objects.get(pk=resources["2104.12255"].pk)
    assert (zero.title, zero.metadata_state) == ("0", "done")

    old_style = Resource.objects.get(pk=resources["astro-ph/0601001"].pk)
    assert old_style.journal_ref == "ActaAstron.56:1-50,2006"
    assert old_style.authors[-1] == {"name": "Andrzej Udalski"}

    quantum = Resource.objects.get(pk=resources["quant-ph/0201082"].pk)
    assert quantum.categories == ["quant-ph", "cs.PL"]

    # The published version's DOI is linked; the resource stays an arXiv paper.
    bethe = Resource.objects.get(pk=resources["1111.2011"].pk)
    assert (bethe.arxiv_id, bethe.doi, bethe.arxiv_version) == ("1111.2011", "10.1103/physrevb.85.115117", 2)
    assert bethe.journal_ref == "Phys. Rev. B 85, 115117 (2012)"
    assert bethe.comment == "8 pages, 3 figures. Published version"
    assert bethe.updated_date.isoformat() == "2012-04-02"
    assert (
        bethe.title
        == "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )


def test_arxiv_ten_ids_come_back_from_one_recorded_multi_entry_feed(apis):
    apis.expect_request("/api/query").respond_with_handler(arxiv_replay)
    resources = [arxiv_resource(i) for i in DEL_MAESTRO]

    summary = metadata_fetch(resource_ids=[r.pk for r in resources], client=client())

    assert (summary.done, summary.requests) == (10, {"arXiv": 1})
    assert [sorted(ids) for ids in arxiv_id_lists(apis)] == [sorted(DEL_MAESTRO)]
    stored = dict(Resource.objects.values_list("arxiv_id", "doi"))
    assert stored["0807.2873"] == "10.1016/j.aop.2008.08.003"
    assert stored["cond-mat/0412498"] == "10.1103/physrevb.71.184511"
    assert set(Resource.objects.values_list("metadata_state", flat=True)) == {"done"}


def test_arxiv_ids_are_split_into_batches_of_the_configured_size(apis, settings):
    settings.ARXIV_BATCH_SIZE = 4
    apis.expect_request("/api/query").respond_with_handler(arxiv_replay)
    resources = [arxiv_resource(i) for i in DEL_MAESTRO]

    summary = metadata_fetch(resource_ids=[r.pk for r in resources], client=client())

    id_lists = arxiv_id_lists(apis)
    assert [len(ids) for ids in id_lists] == [4, 4, 2]
    assert sorted(i for ids in id_lists for i in ids) == sorted(DEL_MAESTRO)
    # Ten ids the composed feeds do not hold: every one "not found", none asked twice.
    assert (summary.failed, summary.requests) == (10, {"arXiv": 3})


def test_arxiv_id_the_api_leaves_out_fails_and_the_rest_of_the_batch_succeeds(apis):
    apis.expect_request("/api/query").respond_with_handler(arxiv_replay)
    impossible, real = arxiv_resource("0808.05394"), arxiv_resource("1707.08567")

    summary = metadata_fetch(resource_ids=[impossible.pk, real.pk], client=client())

    assert (summary.done, summary.failed, summary.requests) == (1, 1, {"arXiv": 1})
    impossible.refresh_from_db()
    real.refresh_from_db()
    assert (impossible.metadata_state, impossible.metadata_error, impossible.title) == (
        "failed",
        NOT_ON_ARXIV,
        "",
    )
    assert impossible.metadata_fetched_at is not None
    assert (real.metadata_state, len(real.authors)) == ("done", 34)


@pytest.mark.parametrize("arxiv_id", ["0808.05394", "0000.0000"])
def test_arxiv_empty_feed_for_a_single_id_is_not_found(apis, arxiv_id):
    apis.expect_request(
        "/api/query", query_string={"id_list": arxiv_id, "start": "0", "max_results": "1"}
    ).respond_with_handler(arxiv_replay)
    resource = arxiv_resource(arxiv_id)

    metadata_fetch(resource_ids=[resource.pk], client=client())

    resource.refresh_from_db()
    assert (resource.metadata_state, resource.metadata_error) == ("failed", "not found on arXiv")


def test_arxiv_http_400_fails_the_id_it_names_and_the_batch_is_asked_again_without_it(apis):
    apis.expect_request("/api/query").respond_with_handler(arxiv_replay)
    bad, good = arxiv_resource("abc"), arxiv_resource("1605.08386")

    summary = metadata_fetch(resource_ids=[bad.pk, good.pk], client=client())

    assert [sorted(ids) for ids in arxiv_id_lists(apis)] == [["1605.08386", "abc"], ["1605.08386"]]
    assert (summary.done, summary.failed) == (1, 1)
    bad.refresh_from_db()
    good.refresh_from_db()
    assert (bad.metadata_state, bad.metadata_error) == (
        "failed",
        "arXiv: incorrect id format for abc (HTTP 400)",
    )
    assert (good.metadata_state, good.title) == ("done", "Heat-bath random walks with Markov bases")


def test_arxiv_error_that_names_no_id_is_narrowed_down_by_halving(apis):
    def refuse_x(request):
        ids = request.args["id_list"].split(",")
        if "1707.08567" in ids:  # pretend this one upsets the API, without saying which
            body = fixture("arxiv_api_2026_error_id_abc_http400.xml").replace(b"for abc", b"for the query")
            return Response(body.replace(b"_for_abc", b""), status=400, headers=ATOM_HEADERS)
        return arxiv_replay(request)

    apis.expect_request("/api/query").respond_with_handler(refuse_x)
    resources = [arxiv_resource(i) for i in ("1605.08386", "1707.08567", "2104.12255", "1111.2011")]

    summary = metadata_fetch(resource_ids=[r.pk for r in resources], client=client())

    assert (summary.done, summary.failed) == (3, 1)
    failed = Resource.objects.get(arxiv_id="1707.08567")
    assert failed.metadata_error == "arXiv: incorrect id format for the query (HTTP 400)"
    assert len(arxiv_id_lists(apis)) == 5  # 4 ids, then 2 + 2, then 1 + 1 for the bad half


def test_arxiv_requests_are_spaced_by_the_minimum_interval(apis, settings):
    settings.ARXIV_MIN_INTERVAL = 0.5
    settings.ARXIV_BATCH_SIZE = 2
    arrivals = []

    def timed(request):
        arrivals.append(time.monotonic())
        return arxiv_replay(request)

    apis.expect_request("/api/query").respond_with_handler(timed)
    resources = [arxiv_resource(i) for i in ENTRY_FIXTURES]
    sleeps = Sleeps(real=1.0)

    summary = metadata_fetch(resource_ids=[r.pk for r in resources], client=ApiClient(sleep=sleeps))

    assert (summary.done, summary.requests) == (6, {"arXiv": 3})
    # The interval counts from the end of each request, which the server saw after its start:
    # the gaps it logged cannot be shorter, however loaded the machine (0.05 s for the two clocks).
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert len(gaps) == 2 and min(gaps) >= 0.45, gaps
    # Any waiting was done by the injected sleep, never more than the interval before a request.
    assert all(0 < wait <= 0.5 for wait in sleeps) and sum(sleeps) <= 2 * 0.5 + 0.01, sleeps


def test_arxiv_one_connection_at_a_time_across_workers(apis, settings):
    settings.ARXIV_MIN_INTERVAL = 0.3
    settings.ARXIV_BATCH_SIZE = 1
    in_flight, most, arrivals, lock = [0], [0], [], threading.Lock()

    def counted(request):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
            arrivals.append(time.monotonic())
        time.sleep(0.05)
        with lock:
            in_flight[0] -= 1
        return arxiv_replay(request)

    apis.expect_request("/api/query").respond_with_handler(counted)
    first = [arxiv_resource(i).pk for i in ("1605.08386", "1707.08567")]
    second = [arxiv_resource(i).pk for i in ("2104.12255", "1111.2011")]
    results = []

    def worker(ids):
        try:
            results.append(metadata_fetch(resource_ids=ids, client=client(real=0.5)))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(ids,)) for ids in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(summary.done for summary in results) == [2, 2]
    assert most[0] == 1
    arrivals.sort()
    assert min(b - a for a, b in itertools.pairwise(arrivals)) >= 0.25, arrivals


def test_arxiv_member_title_is_kept(apis):
    apis.expect_request("/api/query").respond_with_handler(arxiv_replay)
    resource = arxiv_resource("1707.08567")
    Resource.objects.filter(pk=resource.pk).update(title="AEW10, the proceedings", title_locked=True)

    metadata_fetch(resource_ids=[resource.pk], client=client())

    resource.refresh_from_db()
    assert (resource.title, resource.title_locked) == ("AEW10, the proceedings", True)
    assert (resource.metadata_state, len(resource.authors)) == ("done", 34)


def test_fetched_title_with_markup_is_stored_as_text_and_escaped_on_the_page(apis, member_client):
    body = fixture("arxiv_api_2026_1605.08386.xml").replace(
        b"<title>Heat-bath random walks with Markov bases</title>",
        b"<title>&lt;script&gt;alert('x')&lt;/script&gt; &lt;b&gt;walks&lt;/b&gt;</title>",
    )
    apis.expect_request("/api/query").respond_with_data(body, headers=ATOM_HEADERS)
    resource = arxiv_resource("1605.08386")

    metadata_fetch(resource_ids=[resource.pk], client=client())

    resource.refresh_from_db()
    assert resource.title == "<script>alert('x')</script> <b>walks</b>"
    page = member_client.get(reverse("resource-detail", kwargs={"pk": resource.pk})).content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &lt;b&gt;walks&lt;/b&gt;" in page
    assert "<script>alert(" not in page and "<b>walks</b>" not in page
    assert "Caprice Stanley, Tobias Windisch" in page


def test_fetch_twice_changes_nothing_the_second_time(apis):
    apis.expect_request("/api/query").respond_with_handler(arxiv_replay)
    apis.expect_request("/crossref/works/10.1038/srep16696").respond_with_data(
        fixture(CROSSREF_WORKS["10.1038/srep16696"][0]), headers=CROSSREF_WORKS["10.1038/srep16696"][1]
    )
    resources = [arxiv_resource("1111.2011"), arxiv_resource("0808.05394"), doi_resource("10.1038/srep16696")]
    ids = [r.pk for r in resources]
    first = metadata_fetch(resource_ids=ids, client=client())
    before = {r.pk: r for r in Resource.objects.filter(pk__in=ids)}

    with CaptureQueriesContext(connection) as queries:
        second = metadata_fetch(resource_ids=ids, client=client())

    assert (first.done, first.changed, first.failed) == (2, 2, 1)
    assert (second.done, second.changed, second.failed) == (2, 0, 1)
    assert not [q["sql"] for q in queries.captured_queries if 'UPDATE "resources_resource"' in q["sql"]]
    for resource in Resource.objects.filter(pk__in=ids):
        old = before[resource.pk]
        assert (resource.updated_at, resource.metadata_fetched_at) == (
            old.updated_at,
            old.metadata_fetched_at,
        )
        assert (resource.title, resource.authors, resource.doi) == (old.title, old.authors, old.doi)


def test_worker_killed_mid_batch_leaves_no_half_written_resource_and_redelivery_finishes(apis, monkeypatch):
    apis.expect_request("/api/query").respond_with_handler(arxiv_replay)
    first, second = arxiv_resource("1605.08386"), arxiv_resource("1707.08567")
    real_index = metadata_service.resource_index

    def dies_on_the_second(*, resource):
        if resource.pk == second.pk:
            raise SystemExit("worker killed")
        real_index(resource=resource)

    monkeypatch.setattr(metadata_service, "resource_index", dies_on_the_second)
    with pytest.raises(SystemExit):
        metadata_fetch(resource_ids=[first.pk, second.pk], client=client())

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.metadata_state, first.title) == ("done", "Heat-bath random walks with Markov bases")
    # The write of the second rolled back whole: no title without its state, no half.
    assert (second.metadata_state, second.title, second.authors, second.abstract) == ("pending", "", [], "")

    monkeypatch.setattr(metadata_service, "resource_index", real_index)
    summary = metadata_fetch(resource_ids=[first.pk, second.pk], client=client())  # the redelivery

    second.refresh_from_db()
    assert (summary.done, summary.changed) == (2, 1)
    assert (second.metadata_state, len(second.authors)) == ("done", 34)


def test_resources_without_identifiers_are_left_alone(apis):
    page = ResourceFactory(url="https://example.org/a-blog-post", title="")

    summary = metadata_fetch(resource_ids=[page.pk], client=client())

    page.refresh_from_db()
    assert (summary.skipped, summary.requests, page.metadata_state) == (1, {}, "pending")
    assert apis.log == []


# --- Crossref and doi.org ------------------------------------------------------------------------


def serve_crossref(server, doi):
    name, headers = CROSSREF_WORKS[doi]
    server.expect_request(f"/crossref/works/{doi}").respond_with_data(fixture(name), headers=headers)


def test_crossref_works_with_mailto_for_every_recorded_work(apis):
    for doi in CROSSREF_WORKS:
        serve_crossref(apis, doi)
    resources = {doi: doi_resource(doi) for doi in CROSSREF_WORKS}

    summary = metadata_fetch(resource_ids=[r.pk for r in resources.values()], client=client())

    assert (summary.done, summary.failed, summary.requests) == (8, 0, {"Crossref": 8})
    for request in requests_to(apis, "/crossref"):
        assert request.args["mailto"] == "club@example.org"
        assert request.headers["User-Agent"].startswith("clubsite/0.1 (+")
    pone = Resource.objects.get(doi="10.1371/journal.pone.0033693")
    assert pone.title.startswith("Methylphenidate Exposure Induces Dopamine Neuron Loss")
    assert (pone.venue, pone.publisher, pone.container_type) == (
        "PLoS ONE",
        "Public Library of Science (PLoS)",
        "journal-article",
    )
    assert (pone.published_date.isoformat(), pone.published_date_precision) == ("2012-03-21", "day")
    assert len(pone.authors) == 6 and pone.authors[0] == {"given": "Shankar", "family": "Sadasivan"}
    wiley = Resource.objects.get(doi="10.1002/jor.1100150407")
    assert wiley.abstract.startswith("Twenty\u2010two beagles") and "jats" not in wiley.abstract
    assert (wiley.published_date.isoformat(), wiley.published_date_precision) == ("1997-07-01", "month")
    acm = Resource.objects.get(doi="10.1145/3184558.3186235")
    assert (acm.container_type, acm.published_date_precision) == ("proceedings-article", "year")
    ieee = Resource.objects.get(doi="10.1109/icdcsw.2003.1203662")
    assert (ieee.container_type, ieee.published_date, ieee.publisher) == ("proceedings-article", None, "IEEE")
    assert ieee.authors == [{"given": "V.", "family": "Arya"}, {"given": "T.", "family": "Turletti"}]


def test_crossref_at_most_three_requests_at_once(apis):
    in_flight, most, lock = [0], [0], threading.Lock()

    def slow(request):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        time.sleep(0.15)
        with lock:
            in_flight[0] -= 1
        doi = request.path.removeprefix("/crossref/works/")
        name, headers = CROSSREF_WORKS[doi]
        return Response(fixture(name), headers=headers)

    apis.expect_request(re.compile(r"/crossref/works/.+")).respond_with_handler(slow)
    resources = [doi_resource(doi) for doi in CROSSREF_WORKS]

    summary = metadata_fetch(resource_ids=[r.pk for r in resources], client=client())

    assert summary.done == 8
    assert most[0] == 3
    assert HostThrottle.objects.get().in_flight == 0


def test_crossref_404_then_doi_org_csl_json_for_a_datacite_doi(apis):
    apis.expect_request("/crossref/works/10.5281/zenodo.8242099").respond_with_data(
        fixture(CROSSREF_404[0]), status=404, headers=CROSSREF_404[1]
    )
    apis.expect_request("/doi/10.5281/zenodo.8242099").respond_with_data(
        fixture("doi_org_csljson_datacite_10.5281_zenodo.8242099.json"), content_type=CSL_JSON
    )
    resource = doi_resource("10.5281/zenodo.8242099")

    summary = metadata_fetch(resource_ids=[resource.pk], client=client())

    assert summary.requests == {"Crossref": 1, "doi.org": 1}
    [negotiation] = requests_to(apis, "/doi/")
    assert negotiation.headers["Accept"] == "application/vnd.citationstyles.csl+json"
    assert negotiation.headers["User-Agent"] == requests_to(apis, "/crossref")[0].headers["User-Agent"]
    resource.refresh_from_db()
    assert (resource.title, resource.publisher, resource.container_type) == (
        "Shield bugs (nymphs)",
        "Zenodo",
        "article",
    )
    assert resource.authors == [
        {"given": "Lars", "family": "Willighagen"},
        {"given": "Vasily Georgievich", "family": "Puchkov"},
    ]
    assert (resource.published_date.isoformat(), resource.metadata_state) == ("2023-08-12", "done")
    assert resource.doi == "10.5281/zenodo.8242099"


@pytest.mark.parametrize(
    ("doi", "name", "title", "venue"),
    [
        (
            "10.1101/2021.08.15.21262067",
            "doi_org_csljson_crossref_10.1101_2021.08.15.21262067_posted_content.json",
            "Significant reduction in humoral immunity among healthcare workers",
            "medRxiv",
        ),
        (
            "10.1021/ja01577a030",
            "doi_org_csljson_crossref_10.1021_ja01577a030.json",
            "Correlation of the Base Strengths of Amines1",
            "Journal of the American Chemical Society",
        ),
    ],
)
def test_doi_org_csl_json_recorded_for_crossref_dois(apis, doi, name, title, venue):
    apis.expect_request(f"/crossref/works/{doi}").respond_with_data(
        fixture(CROSSREF_404[0]), status=404, headers=CROSSREF_404[1]
    )
    apis.expect_request(f"/doi/{doi}").respond_with_data(fixture(name), content_type=CSL_JSON)
    resource = doi_resource(doi)

    metadata_fetch(resource_ids=[resource.pk], client=client())

    resource.refresh_from_db()
    assert resource.title.startswith(title)
    assert (resource.venue, resource.metadata_state) == (venue, "done")


def test_doi_org_redirect_to_crossrefs_transform_is_followed(apis):
    doi = "10.1126/science.169.3946.635"
    apis.expect_request(f"/crossref/works/{doi}").respond_with_data(
        fixture(CROSSREF_404[0]), status=404, headers=CROSSREF_404[1]
    )
    # As doi.org answers content negotiation for a Crossref DOI (SOURCES.md, habanero cassettes).
    transform = "/crossref/v1/works/10.1126%2Fscience.169.3946.635/transform"
    apis.expect_request(f"/doi/{doi}").respond_with_data(
        "", status=302, headers={"Location": apis.url_for(transform)}
    )
    apis.expect_request("/crossref/v1/works/10.1126/science.169.3946.635/transform").respond_with_data(
        fixture("crossref_transform_csljson_10.1126_science.169.3946.635.json"),
        headers={"Date": "Tue, 16 Jun 2026 13:04:52 GMT", **PUBLIC},
    )
    resource = doi_resource(doi)

    summary = metadata_fetch(resource_ids=[resource.pk], client=client())

    resource.refresh_from_db()
    assert (resource.title, resource.venue) == ("The Structure of Ordinary Water", "Science")
    assert summary.requests == {"Crossref": 1, "doi.org": 2}
    assert requests_to(apis, "/crossref/v1/")[0].headers["Accept"] == CSL_JSON


def test_doi_org_redirect_to_a_non_http_scheme_is_refused(apis):
    doi = "10.5281/zenodo.8242099"
    apis.expect_request(f"/crossref/works/{doi}").respond_with_data("Resource not found.", status=404)
    apis.expect_request(f"/doi/{doi}").respond_with_data(
        "", status=302, headers={"Location": "file:///etc/passwd"}
    )
    resource = doi_resource(doi)

    metadata_fetch(resource_ids=[resource.pk], client=client())

    resource.refresh_from_db()
    assert (resource.metadata_state, resource.metadata_error) == (
        "failed",
        "doi.org redirected to a URL that is not http(s)",
    )


@pytest.mark.parametrize(
    ("doi", "agency", "datacite", "title"),
    [
        (
            "10.5281/zenodo.1196821",
            "doi_org_ra_10.5281.json",
            "datacite_api_dois_10.5281_zenodo.1196821.json",
            "Pspm-Sc4B: Scr, Ecg, Emg, Psr And Respiration Measurements",
        ),
        (
            "10.5281/zenodo.48440",
            "doi_org_ra_10.5281.json",
            "datacite_api_dois_10.5281_zenodo.48440.json",
            "Analysis Tools for Crossover Experiment of UI using Choice Architecture",
        ),
        (
            "10.48550/arxiv.1902.02534",
            "doi_org_ra_10.48550.json",
            "datacite_api_dois_10.48550_arxiv.1902.02534.json",
            "Crowdsourcing open citations with CROCI",
        ),
        (
            "10.48550/arxiv.2311.16162",
            "doi_org_ra_10.48550.json",
            "datacite_api_dois_10.48550_arxiv.2311.16162.json",
            "Leveraging Artificial Intelligence Technology for Mapping Research",
        ),
    ],
)
def test_datacite_api_when_doi_org_gives_no_csl_json(apis, doi, agency, datacite, title):
    prefix = doi.split("/")[0]
    apis.expect_request(f"/crossref/works/{doi}").respond_with_data(
        fixture(CROSSREF_404[0]), status=404, headers=CROSSREF_404[1]
    )
    apis.expect_request(f"/doi/{doi}").respond_with_data("Not Acceptable", status=406)
    apis.expect_request(f"/doi/ra/{prefix}").respond_with_data(
        fixture(agency),
        headers={"Content-Type": "application/json;charset=UTF-8", "Date": "Thu, 23 Jul 2026 06:11:13 GMT"},
    )
    apis.expect_request(f"/datacite/dois/{doi}").respond_with_data(
        fixture(datacite),
        headers={"Content-Type": "application/json; charset=utf-8", "Date": "Thu, 23 Jul 2026 06:10:25 GMT"},
    )
    resource = doi_resource(doi)

    summary = metadata_fetch(resource_ids=[resource.pk], client=client())

    assert summary.requests == {"Crossref": 1, "doi.org": 2, "DataCite": 1}
    resource.refresh_from_db()
    assert resource.title.startswith(title)
    assert (resource.metadata_state, resource.doi) == ("done", doi)


def test_unknown_doi_fails_with_the_reason(apis):
    doi = "10.1371/notarealdoi"
    apis.expect_request(f"/crossref/works/{doi}").respond_with_data(
        fixture(CROSSREF_404[0]), status=404, headers=CROSSREF_404[1]
    )
    apis.expect_request(f"/doi/{doi}").respond_with_data(
        "DOI Not Found", status=404, content_type="text/html"
    )
    apis.expect_request("/doi/ra/10.1371").respond_with_json([{"DOI": "10.1371", "RA": "Crossref"}])
    resource = doi_resource(doi)

    summary = metadata_fetch(resource_ids=[resource.pk], client=client())

    resource.refresh_from_db()
    assert (resource.metadata_state, resource.metadata_error) == ("failed", UNKNOWN_DOI)
    assert resource.metadata_error == "unknown DOI: neither Crossref nor doi.org knows it"
    assert (summary.failed, summary.requests) == (1, {"Crossref": 1, "doi.org": 2})


# --- Retries -------------------------------------------------------------------------------------


def test_429_with_retry_after_then_success(apis):
    doi = "10.1038/srep16696"
    apis.expect_oneshot_request(f"/crossref/works/{doi}").respond_with_data(
        "Too Many Requests", status=429, headers={"Retry-After": "1", **POLITE}
    )
    serve_crossref(apis, doi)
    resource = doi_resource(doi)
    sleeps = Sleeps(real=0.05)

    summary = metadata_fetch(resource_ids=[resource.pk], client=ApiClient(sleep=sleeps))

    assert summary.requests == {"Crossref": 2}
    assert sleeps[0] == 1.0  # the Retry-After, not the default backoff
    resource.refresh_from_db()
    assert resource.metadata_state == "done"
    assert resource.title.startswith("Single-molecule FRET studies")


def test_429_pushes_every_workers_next_request_back(apis):
    doi = "10.1038/srep16696"
    apis.expect_oneshot_request(f"/crossref/works/{doi}").respond_with_data(
        "Too Many Requests", status=429, headers={"Retry-After": "1"}
    )
    serve_crossref(apis, doi)
    started = time.monotonic()

    metadata_fetch(resource_ids=[doi_resource(doi).pk], client=client(real=0.05))

    # The injected sleep barely slept; the shared host slot still held the retry back a second
    # (a lower bound on the time taken: no load can make it shorter).
    assert time.monotonic() - started >= 0.95


def test_503_is_retried_with_backoff_then_the_failure_is_recorded(apis):
    doi = "10.1038/srep16696"
    apis.expect_request(f"/crossref/works/{doi}").respond_with_data("Service Unavailable", status=503)
    resource = doi_resource(doi)
    sleeps = Sleeps()

    summary = metadata_fetch(resource_ids=[resource.pk], client=ApiClient(sleep=sleeps))

    assert summary.requests == {"Crossref": 4}
    assert sleeps == [1.0, 2.0, 4.0]
    resource.refresh_from_db()
    assert (resource.metadata_state, resource.metadata_error) == (
        "failed",
        "Crossref answered HTTP 503 (4 attempts)",
    )


def test_transient_failure_before_the_last_attempt_stays_pending(apis):
    apis.expect_request("/api/query").respond_with_data("Bad Gateway", status=502)
    resource = arxiv_resource("1707.08567")

    summary = metadata_fetch(resource_ids=[resource.pk], final_attempt=False, client=client())

    assert (summary.pending, summary.failed, summary.requests) == ([resource.pk], 0, {"arXiv": 4})
    resource.refresh_from_db()
    assert (resource.metadata_state, resource.metadata_error) == (
        "pending",
        "arXiv answered HTTP 502 (4 attempts)",
    )


def test_read_timeout_is_retried_then_recorded(apis, settings):
    settings.HTTP_READ_TIMEOUT = 0.2
    settings.METADATA_RETRIES = 1

    def slow(request):
        time.sleep(0.6)
        return arxiv_replay(request)

    apis.expect_request("/api/query").respond_with_handler(slow)
    resource = arxiv_resource("1707.08567")

    summary = metadata_fetch(resource_ids=[resource.pk], client=client())

    assert summary.requests == {"arXiv": 2}
    resource.refresh_from_db()
    assert (resource.metadata_state, resource.metadata_error) == ("failed", "arXiv timed out (2 attempts)")
    # Let the server finish the answers nobody waited for, so they do not land in the next test's log.
    deadline = time.monotonic() + 5
    while len(apis.log) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)


# --- Tasks, the beat job, the command and the hook ------------------------------------------------


@pytest.fixture
def eager_retries():
    # Eager tasks retry in place (countdowns ignored) only when their errors do not propagate.
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = True


def test_task_retries_only_the_transient_failures_then_records_the_final_failure(
    apis, settings, eager_retries
):
    settings.METADATA_RETRIES = 0
    apis.expect_request("/crossref/works/10.1038/srep16696").respond_with_data("Unavailable", status=503)
    serve_crossref(apis, "10.1371/journal.pone.0033693")
    down, fine = doi_resource("10.1038/srep16696"), doi_resource("10.1371/journal.pone.0033693")

    metadata_fetch_task.delay(resource_ids=[down.pk, fine.pk])

    crossref = [r.path for r in requests_to(apis, "/crossref/works/")]
    assert crossref.count("/crossref/works/10.1038/srep16696") == MAX_RETRIES + 1
    assert crossref.count("/crossref/works/10.1371/journal.pone.0033693") == 1
    down.refresh_from_db()
    fine.refresh_from_db()
    assert (down.metadata_state, down.metadata_error) == ("failed", "Crossref answered HTTP 503 (1 attempt)")
    assert fine.metadata_state == "done"


def test_dispatcher_claims_pending_resources_once_and_gives_up_after_the_cap(apis):
    apis.expect_request("/api/query").respond_with_handler(arxiv_replay)
    serve_crossref(apis, "10.1038/srep16696")
    waiting = [arxiv_resource("1605.08386"), arxiv_resource("2104.12255"), doi_resource("10.1038/srep16696")]
    just_added = arxiv_resource("1707.08567")
    hopeless = arxiv_resource("1111.2011", metadata_attempts=5)
    page = ResourceFactory(url="https://example.org/notes")
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Resource.objects.exclude(pk=just_added.pk).update(updated_at=an_hour_ago)

    claimed = metadata_dispatch_pending()

    assert claimed == 3
    assert arxiv_id_lists(apis) == [["1605.08386", "2104.12255"]]
    for resource in waiting:
        resource.refresh_from_db()
        assert (resource.metadata_state, resource.metadata_attempts) == ("done", 1)
    hopeless.refresh_from_db()
    assert (hopeless.metadata_state, hopeless.metadata_error) == ("failed", "gave up after 5 attempts")
    just_added.refresh_from_db()
    page.refresh_from_db()
    assert (just_added.metadata_state, page.metadata_state) == ("pending", "pending")
    assert metadata_dispatch_pending() == 0


def test_a_claimed_resource_is_not_claimed_again(apis):
    resource = arxiv_resource("1605.08386")
    later = timezone.now() + timedelta(hours=1)

    first = metadata_claim_pending(now=later)
    second = metadata_claim_pending(now=later)  # another dispatcher at the same moment

    assert (first, second) == ([resource.pk], [])
    resource.refresh_from_db()
    assert resource.metadata_attempts == 1


def test_command_sync_prints_a_summary(apis):
    apis.expect_request("/api/query").respond_with_handler(arxiv_replay)
    arxiv_resource("1707.08567")
    arxiv_resource("0808.05394")
    done = arxiv_resource("1605.08386", metadata_state="done")
    ResourceFactory(url="https://example.org/page")
    out = StringIO()

    call_command("fetch_metadata", "--sync", stdout=out)

    assert out.getvalue() == (
        "Fetched metadata for 2 resources: 1 done (1 changed), 1 failed, 0 skipped.\n"
        "Requests made: arXiv 1.\n"
    )
    done.refresh_from_db()
    assert done.title == ""  # --pending (the default) leaves done resources alone

    out = StringIO()
    call_command("fetch_metadata", "--all", "--sync", stdout=out)
    assert out.getvalue().startswith("Fetched metadata for 3 resources: 2 done (1 changed), 1 failed")


def test_command_queues_tasks_for_the_worker(apis):
    apis.expect_request("/api/query").respond_with_handler(arxiv_replay)
    serve_crossref(apis, "10.1038/srep16696")
    arxiv_resource("1707.08567")
    doi_resource("10.1038/srep16696")
    out = StringIO()

    call_command("fetch_metadata", stdout=out)  # eager in tests: the queued tasks run on commit

    assert out.getvalue() == "Queued 2 resources in 2 tasks for the worker.\n"
    assert set(Resource.objects.values_list("metadata_state", flat=True)) == {"done"}


def test_adding_an_arxiv_link_queues_its_fetch_after_commit(apis, settings, member):
    settings.LIBRARY_AUTO_FETCH = True
    # The link check queued beside the fetch must not leave this machine.
    settings.LINKCHECK_EXCLUDED_HOSTS = ["arxiv.org", "example.org"]
    apis.expect_request("/api/query").respond_with_handler(arxiv_replay)

    resource, created = library.resource_add(url="https://arxiv.org/abs/2104.12255v1", by=member)

    resource.refresh_from_db()
    assert created and (resource.title, resource.metadata_state) == ("0", "done")
    library.resource_add(url="https://example.org/no-identifier", by=member)
    assert len(apis.log) == 1
