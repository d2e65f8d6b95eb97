"""The metadata parsers on the real recorded API bodies in tests/fixtures (see SOURCES.md there)."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from resources.services.http import retry_after_seconds
from resources.services.metadata.parsers import (
    ArxivError,
    ParseError,
    arxiv_pdf_url,
    collapse,
    date_from_iso,
    date_from_parts,
    parse_arxiv_feed,
    parse_crossref_work,
    parse_csl,
    parse_datacite,
    parse_registration_agency,
    strip_jats,
    strip_markup,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# --- arXiv Atom ----------------------------------------------------------------------------------


def test_arxiv_feed_single_entry_every_field():
    feed = parse_arxiv_feed(fixture("arxiv_api_2026_1605.08386.xml"))

    assert feed.total_results == 1
    assert feed.errors == []
    assert feed.entries == {
        "1605.08386": {
            "title": "Heat-bath random walks with Markov bases",
            "authors": [{"name": "Caprice Stanley"}, {"name": "Tobias Windisch"}],
            "abstract": feed.entries["1605.08386"]["abstract"],
            "published_date": date(2016, 5, 26),
            "published_date_precision": "day",
            "updated_date": date(2016, 5, 26),
            "venue": "",
            "publisher": "",
            "container_type": "",
            "primary_category": "math.CO",
            "categories": ["math.CO", "math.ST"],
            "comment": "20 pages, 3 figures",
            "journal_ref": "",
            "doi": "",
            "arxiv_version": 1,
            "pdf_url": "https://arxiv.org/pdf/1605.08386v1",
        }
    }
    abstract = feed.entries["1605.08386"]["abstract"]
    assert abstract.startswith("Graphs on lattice points are studied whose edges come from a finite set")
    assert abstract.endswith("is an expander in fixed dimension.")


def test_arxiv_title_zero_is_a_real_title():
    feed = parse_arxiv_feed(fixture("arxiv_api_2026_2104.12255v1_title_zero.xml"))

    entry = feed.entries["2104.12255"]
    assert entry["title"] == "0"
    assert entry["authors"] == [{"name": "Quan Thoi Minh Nguyen"}]
    assert entry["abstract"].startswith("What is the funniest number in cryptography? 0.")
    assert (entry["published_date"], entry["arxiv_version"]) == (date(2021, 4, 20), 1)
    assert (entry["primary_category"], entry["categories"]) == ("cs.CR", ["cs.CR"])
    assert entry["comment"] == ""


def test_arxiv_many_authors_in_order():
    entry = parse_arxiv_feed(fixture("arxiv_api_2026_1707.08567.xml")).entries["1707.08567"]

    assert entry["title"] == (
        "Proceedings of Workshop AEW10: Concepts in Information Theory and Communications"
    )
    assert len(entry["authors"]) == 34
    assert entry["authors"][0] == {"name": "Kees A. Schouhamer Immink"}
    assert entry["authors"][-1] == {"name": "Hirosuke Yamamoto"}
    assert {"name": "Dirk Wübben"} in entry["authors"]
    assert entry["comment"] == "44 pages, editors for the proceedings: Yanling Chen and A. J. Han Vinck"
    assert (entry["primary_category"], entry["categories"]) == ("cs.IT", ["cs.IT"])
    assert entry["published_date"] == entry["updated_date"] == date(2017, 7, 27)


def test_arxiv_old_style_id_with_journal_ref_and_affiliations():
    feed = parse_arxiv_feed(fixture("arxiv_api_2026_astro-ph_0601001_oldstyle.xml"))

    entry = feed.entries["astro-ph/0601001"]
    assert entry["title"] == (
        "Frequency of Hot Jupiters and Very Hot Jupiters from the OGLE-III Transit Surveys "
        "Toward the Galactic Bulge and Carina"
    )
    assert [a["name"] for a in entry["authors"]] == [
        "Andrew Gould",
        "Susan Dorsher",
        "B. Scott Gaudi",
        "Andrzej Udalski",
    ]
    # Leading spaces gone, entities decoded.
    assert entry["abstract"].startswith("We derive the frequencies of hot Jupiters (HJs)")
    assert "Gould & Morgan (2003)" in entry["abstract"]
    assert "V_max<17.5" in entry["abstract"]
    assert entry["journal_ref"] == "ActaAstron.56:1-50,2006"
    assert entry["comment"].startswith("62 pages including 16 figures and 9 tables.")
    assert (entry["primary_category"], entry["categories"]) == ("astro-ph", ["astro-ph"])
    assert (entry["published_date"], entry["arxiv_version"]) == (date(2006, 1, 2), 1)
    assert entry["pdf_url"] == "https://arxiv.org/pdf/astro-ph/0601001v1"


def test_arxiv_old_style_versioned_id():
    entry = parse_arxiv_feed(fixture("arxiv_api_2026_quant-ph_0201082v1_oldstyle_versioned.xml")).entries[
        "quant-ph/0201082"
    ]

    assert entry["title"] == (
        "Quantum Computers and Quantum Computer Languages: Quantum Assembly Language and Quantum C Language"
    )
    assert entry["authors"] == [{"name": "Stephen Blaha"}]
    assert (entry["primary_category"], entry["categories"]) == ("quant-ph", ["quant-ph", "cs.PL"])
    assert (entry["published_date"], entry["published_date_precision"]) == (date(2002, 1, 18), "day")
    assert entry["arxiv_version"] == 1
    assert entry["comment"] == "32 pages"


def test_arxiv_legacy_entry_with_doi_journal_ref_and_wrapped_text():
    feed = parse_arxiv_feed(fixture("arxiv_api_legacy2016_1111.2011v2_with_doi_journalref.xml"))

    entry = feed.entries["1111.2011"]
    assert entry["title"] == (
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert "\n" not in entry["abstract"] and "  " not in entry["abstract"]
    assert entry["abstract"].startswith(
        "Theoretical description of anisotropic systems, such as layered superc"
    )
    assert entry["abstract"].endswith("extra dimension to the theory describing a single node.")
    assert entry["authors"] == [
        {"name": "James M. Murray"},
        {"name": "Adrian Del Maestro"},
        {"name": "Zlatko Tesanovic"},
    ]
    # The published version: lower-cased as the library keys DOIs.
    assert entry["doi"] == "10.1103/physrevb.85.115117"
    assert entry["journal_ref"] == "Phys. Rev. B 85, 115117 (2012)"
    assert entry["comment"] == "8 pages, 3 figures. Published version"
    assert entry["published_date"] == date(2011, 11, 8)
    assert entry["updated_date"] == date(2012, 4, 2)
    assert entry["arxiv_version"] == 2
    assert entry["primary_category"] == "cond-mat.str-el"
    assert entry["categories"] == ["cond-mat.str-el", "cond-mat.stat-mech"]
    assert entry["pdf_url"] == "https://arxiv.org/pdf/1111.2011v2"


def test_arxiv_legacy_feed_with_ten_entries_keys_them_by_id_without_version():
    feed = parse_arxiv_feed(fixture("arxiv_api_legacy2016_search_au_del_maestro_multi.xml"))

    assert list(feed.entries) == [
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
    assert feed.total_results == 31
    assert feed.entries["1201.4869"]["title"] == "A Luttinger Liquid Core Inside Helium-4 Filled Nanopores"
    assert feed.entries["1303.6954"]["arxiv_version"] == 2
    assert feed.entries["0807.2873"]["doi"] == "10.1016/j.aop.2008.08.003"
    assert feed.entries["0807.2873"]["journal_ref"] == "Annals of Physics 324, 523 (2009)."
    assert all(entry["doi"] for entry in feed.entries.values())


def test_arxiv_batch_leaves_out_the_impossible_id():
    feed = parse_arxiv_feed(fixture("arxiv_api_2026_idlist_0808.05394_1707.08567_multi_one_invalid.xml"))

    assert list(feed.entries) == ["1707.08567"]
    assert feed.errors == []
    assert feed.total_results == 1


@pytest.mark.parametrize(
    "name", ["arxiv_api_2026_0000.0000_empty_feed.xml", "arxiv_api_2026_0808.05394_invalid_number.xml"]
)
def test_arxiv_empty_feed_has_no_entries_and_no_errors(name):
    feed = parse_arxiv_feed(fixture(name))

    assert (feed.entries, feed.errors, feed.total_results) == ({}, [], 0)


def test_arxiv_error_entry_names_the_bad_id():
    feed = parse_arxiv_feed(fixture("arxiv_api_2026_error_id_abc_http400.xml"))

    assert feed.entries == {}
    assert feed.errors == [ArxivError(message="incorrect id format for abc", arxiv_id="abc")]


@pytest.mark.parametrize(
    "name", ["arxiv_abs_html_1902.02534_2026.html", "arxiv_abs_html_1902.02534_2024.html"]
)
def test_arxiv_abstract_page_is_not_metadata(name):
    # Metadata comes from the API, never from scraping the page (which blocks robots anyway).
    with pytest.raises(ParseError):
        parse_arxiv_feed(fixture(name))


# --- Crossref /works ------------------------------------------------------------------------------

CROSSREF = [
    # file, title start, authors, first author, last author, date, precision, venue, publisher, type
    (
        "crossref_works_10.1371_journal.pone.0033693.json",
        "Methylphenidate Exposure Induces Dopamine Neuron Loss",
        6,
        {"given": "Shankar", "family": "Sadasivan"},
        {"given": "Richard J.", "family": "Smeyne"},
        date(2012, 3, 21),
        "day",
        "PLoS ONE",
        "Public Library of Science (PLoS)",
        "journal-article",
    ),
    (
        "crossref_works_10.1016_j.neurobiolaging.2010.03.024.json",
        "Human umbilical cord blood-derived mesenchymal stem cells improve neuropathology",
        11,
        {"given": "Hyun Ju", "family": "Lee"},
        {"given": "Jae-sung", "family": "Bae"},
        date(2012, 3, 1),
        "month",
        "Neurobiology of Aging",
        "Elsevier BV",
        "journal-article",
    ),
    (
        "crossref_works_10.1002_jor.1100150407.json",
        "Growth hormone secretagogue increases muscle strength during remobilization",
        12,
        {"given": "Richard L.", "family": "Lieber"},
        None,
        date(1997, 7, 1),
        "month",
        "Journal of Orthopaedic Research",
        "Wiley",
        "journal-article",
    ),
    (
        "crossref_works_10.1038_srep16696.json",
        "Single-molecule FRET studies on alpha-synuclein oligomerization of Parkinson\u2019s disease",
        8,
        {"given": "Laura", "family": "Tosatto"},
        None,
        date(2015, 11, 19),
        "day",
        "Scientific Reports",
        "Springer Science and Business Media LLC",
        "journal-article",
    ),
    (
        "crossref_works_10.1109_icdcsw.2003.1203662.json",
        "Accurate and explicit differentiation of wireless and congestion losses",
        2,
        {"given": "V.", "family": "Arya"},
        {"given": "T.", "family": "Turletti"},
        None,  # "issued": {"date-parts": [[null]]}, and no published date at all
        "",
        "23rd International Conference on Distributed Computing Systems Workshops, 2003. Proceedings.",
        "IEEE",
        "proceedings-article",
    ),
    (
        "crossref_works_10.3892_ijo_00000353.json",
        "Human bladder cancer cells undergo cisplatin-induced apoptosis",
        1,
        {"given": "", "family": "Stravopodis"},
        None,
        date(2009, 6, 26),
        "day",
        "International Journal of Oncology",
        "Spandidos Publications",
        "journal-article",
    ),
    (
        "crossref_works_10.1145_3184558.3186235_proceedings_papis2019.json",
        "DL-Learner Structured Machine Learning on Semantic Web Data",
        4,
        {"given": "Lorenz", "family": "Bühmann"},
        {"given": "Simon", "family": "Bin"},
        date(2018, 1, 1),
        "year",
        "Companion of the The Web Conference 2018 on The Web Conference 2018 - WWW '18",
        "ACM Press",
        "proceedings-article",
    ),
    (
        "crossref_works_10.32396_usurj.v1i1.55_jats_abstract_papis2019.json",
        "Industrial Potential of Polyhydroxyalkanoate Bioplastic: A Brief Review",
        1,
        {"given": "Matthew", "family": "Bernard"},
        None,
        date(2014, 2, 27),
        "day",
        "USURJ: University of Saskatchewan Undergraduate Research Journal",
        "University of Saskatchewan Library",
        "journal-article",
    ),
]


DOIS = {
    "crossref_works_10.1371_journal.pone.0033693.json": "10.1371/journal.pone.0033693",
    "crossref_works_10.1016_j.neurobiolaging.2010.03.024.json": "10.1016/j.neurobiolaging.2010.03.024",
    "crossref_works_10.1002_jor.1100150407.json": "10.1002/jor.1100150407",
    "crossref_works_10.1038_srep16696.json": "10.1038/srep16696",
    "crossref_works_10.1109_icdcsw.2003.1203662.json": "10.1109/icdcsw.2003.1203662",
    "crossref_works_10.3892_ijo_00000353.json": "10.3892/ijo_00000353",
    "crossref_works_10.1145_3184558.3186235_proceedings_papis2019.json": "10.1145/3184558.3186235",
    "crossref_works_10.32396_usurj.v1i1.55_jats_abstract_papis2019.json": "10.32396/usurj.v1i1.55",
}


@pytest.mark.parametrize(
    ("name", "title", "count", "first", "last", "published", "precision", "venue", "publisher", "kind"),
    CROSSREF,
    ids=[row[0] for row in CROSSREF],
)
def test_crossref_work(name, title, count, first, last, published, precision, venue, publisher, kind):
    data = parse_crossref_work(fixture(name))

    assert data["title"].startswith(title)
    assert len(data["authors"]) == count
    assert data["authors"][0] == first
    if last:
        assert data["authors"][-1] == last
    assert (data["published_date"], data["published_date_precision"]) == (published, precision)
    assert data["venue"] == venue
    assert data["publisher"] == publisher
    assert data["container_type"] == kind
    assert data["doi"] == DOIS[name]


def test_crossref_proceedings_have_their_container_type():
    acm = parse_crossref_work(fixture("crossref_works_10.1145_3184558.3186235_proceedings_papis2019.json"))
    ieee = parse_crossref_work(fixture("crossref_works_10.1109_icdcsw.2003.1203662.json"))

    assert acm["container_type"] == ieee["container_type"] == "proceedings-article"
    assert acm["doi"] == "10.1145/3184558.3186235"
    assert ieee["doi"] == "10.1109/icdcsw.2003.1203662"


def test_crossref_jats_abstract_is_plain_text():
    data = parse_crossref_work(fixture("crossref_works_10.1002_jor.1100150407.json"))

    abstract = data["abstract"]
    assert abstract.startswith("Twenty\u2010two beagles were divided into two equal groups")
    assert abstract.endswith("during rehabilitation after prolonged inactivity.")
    assert "(p < 0.001)" in abstract and "(p > 0.7)" in abstract
    assert "<" not in abstract.replace("p < 0", "") and "jats" not in abstract
    assert not abstract.startswith("Abstract")


@pytest.mark.parametrize(
    ("name", "start"),
    [
        ("crossref_works_10.1038_srep16696.json", "Oligomers of alpha-synuclein are toxic to cells"),
        (
            "crossref_works_10.32396_usurj.v1i1.55_jats_abstract_papis2019.json",
            "In the international community, human dependence on plastic is increasing.",
        ),
    ],
)
def test_crossref_other_jats_abstracts(name, start):
    abstract = parse_crossref_work(fixture(name))["abstract"]

    assert abstract.startswith(start)
    assert "jats:" not in abstract and "\n" not in abstract


@pytest.mark.parametrize(
    "name",
    [
        "crossref_works_10.1371_journal.pone.0033693.json",
        "crossref_works_10.1016_j.neurobiolaging.2010.03.024.json",
        "crossref_works_10.3892_ijo_00000353.json",
    ],
)
def test_crossref_work_without_abstract(name):
    assert parse_crossref_work(fixture(name))["abstract"] == ""


def test_crossref_404_body_is_not_a_work():
    assert fixture("crossref_works_404_10.1371_notarealdoi.txt") == b"Resource not found."
    with pytest.raises(ParseError):
        parse_crossref_work(fixture("crossref_works_404_10.1371_notarealdoi.txt"))


# --- CSL JSON (doi.org content negotiation, Crossref transform) -----------------------------------


def test_csl_datacite_zenodo_record():
    data = parse_csl(fixture("doi_org_csljson_datacite_10.5281_zenodo.8242099.json"))

    assert data["title"] == "Shield bugs (nymphs)"
    assert data["authors"] == [
        {"given": "Lars", "family": "Willighagen"},
        {"given": "Vasily Georgievich", "family": "Puchkov"},
    ]
    assert (data["published_date"], data["published_date_precision"]) == (date(2023, 8, 12), "day")
    assert data["abstract"] == "Translation of Puchkov, VG (1961). Shchytnyky. Fauna of Ukraine 21(1)"
    assert (data["publisher"], data["venue"], data["container_type"]) == ("Zenodo", "", "article")
    # The upper-case "10.5281/ZENODO.8242099" as the library keys it.
    assert data["doi"] == "10.5281/zenodo.8242099"


def test_csl_crossref_posted_content_names_its_server():
    data = parse_csl(fixture("doi_org_csljson_crossref_10.1101_2021.08.15.21262067_posted_content.json"))

    assert data["title"].startswith("Significant reduction in humoral immunity among healthcare workers")
    assert len(data["authors"]) == 17
    assert data["authors"][0] == {"given": "David H.", "family": "Canaday"}
    assert (data["published_date"], data["published_date_precision"]) == (date(2021, 8, 18), "day")
    assert data["container_type"] == "posted-content"
    assert data["venue"] == "medRxiv"
    assert data["publisher"] == "Cold Spring Harbor Laboratory"
    assert data["abstract"].startswith("High COVID-19 mortality among nursing home (NH) residents")


def test_csl_crossref_1957_article_with_markup_in_title():
    data = parse_csl(fixture("doi_org_csljson_crossref_10.1021_ja01577a030.json"))

    assert data["title"] == "Correlation of the Base Strengths of Amines1"
    assert data["authors"] == [{"given": "H. K.", "family": "Hall", "suffix": "Jr."}]
    assert (data["published_date"], data["published_date_precision"]) == (date(1957, 10, 1), "month")
    assert data["venue"] == "Journal of the American Chemical Society"
    assert data["publisher"] == "American Chemical Society (ACS)"
    assert data["doi"] == "10.1021/ja01577a030"


def test_csl_crossref_transform():
    data = parse_csl(fixture("crossref_transform_csljson_10.1126_science.169.3946.635.json"))

    assert data["title"] == "The Structure of Ordinary Water"
    assert data["authors"] == [{"given": "Henry S.", "family": "Frank"}]
    assert (data["published_date"], data["published_date_precision"]) == (date(1970, 8, 14), "day")
    assert (data["venue"], data["container_type"]) == ("Science", "journal-article")
    assert data["abstract"].startswith("The train of thought pursued in this article")
    assert data["doi"] == "10.1126/science.169.3946.635"


def test_csl_one_item_list_is_read_as_the_item():
    assert parse_csl(b'[{"title": "T", "type": "article"}]')["title"] == "T"


# --- DataCite and doi.org's agency lookup ---------------------------------------------------------

DATACITE = [
    # file, title start, authors, first author, date, precision, publisher, type
    (
        "datacite_api_dois_10.48550_arxiv.1902.02534.json",
        "Crowdsourcing open citations with CROCI",
        3,
        {"given": "Ivan", "family": "Heibi"},
        date(2019, 1, 1),
        "year",
        "arXiv",
        "posted-content",
    ),
    (
        "datacite_api_dois_10.48550_arxiv.2311.16162.json",
        "Leveraging Artificial Intelligence Technology for Mapping Research",
        10,
        {"given": "Hui", "family": "Yin"},
        date(2023, 1, 1),
        "year",
        "arXiv",
        "posted-content",
    ),
    (
        "datacite_api_dois_10.5281_zenodo.1196821.json",
        "Pspm-Sc4B: Scr, Ecg, Emg, Psr And Respiration Measurements",
        6,
        {"given": "Matthias", "family": "Staib"},
        date(2018, 3, 14),
        "day",
        "Zenodo",
        "dataset",
    ),
    (
        "datacite_api_dois_10.5281_zenodo.48440.json",
        "Analysis Tools for Crossover Experiment of UI using Choice Architecture",
        1,
        {"given": "Kristian", "family": "Garza"},
        date(2016, 3, 27),
        "day",
        "Zenodo",
        "software",
    ),
]


@pytest.mark.parametrize(
    ("name", "title", "count", "first", "published", "precision", "publisher", "kind"),
    DATACITE,
    ids=[row[0] for row in DATACITE],
)
def test_datacite_record(name, title, count, first, published, precision, publisher, kind):
    data = parse_datacite(fixture(name))

    assert data["title"].startswith(title)
    assert len(data["authors"]) == count
    assert data["authors"][0] == first
    assert (data["published_date"], data["published_date_precision"]) == (published, precision)
    assert (data["publisher"], data["container_type"]) == (publisher, kind)
    assert data["abstract"] and "<br>" not in data["abstract"]
    assert data["doi"] == name.removeprefix("datacite_api_dois_").removesuffix(".json").replace("_", "/", 1)


@pytest.mark.parametrize("name", ["doi_org_ra_10.48550.json", "doi_org_ra_10.5281.json"])
def test_registration_agency(name):
    assert parse_registration_agency(fixture(name)) == "DataCite"


def test_registration_agency_status_for_an_unknown_doi():
    body = b'[{"DOI": "10.9999/nothing", "status": "DOI does not exist"}]'
    assert parse_registration_agency(body) == "DOI does not exist"


# --- Every fixture file is read by some test above ------------------------------------------------


def test_every_fixture_file_is_parsed_here():
    source = Path(__file__).read_text()
    names = sorted(p.name for p in FIXTURES.iterdir() if p.is_file() and p.name != "SOURCES.md")
    assert names, f"no fixtures in {FIXTURES}"
    assert [name for name in names if name not in source] == []


# --- Helpers --------------------------------------------------------------------------------------


def test_collapse_and_strip_markup():
    assert (
        collapse("  Quantum Criticality for\n  Extended Nodes ") == "Quantum Criticality for Extended Nodes"
    )
    assert collapse("0") == "0"
    assert strip_markup("H<sub>2</sub>O: x < y &amp; <i>z</i>") == "H2O: x < y & z"
    assert strip_markup("<b>Bold</b> <script>alert(1)</script>") == "Bold alert(1)"


def test_strip_jats_keeps_section_headings_of_structured_abstracts():
    text = (
        "<jats:sec><jats:title>Background</jats:title><jats:p>One <jats:italic>two</jats:italic>.</jats:p>"
        "</jats:sec><jats:sec><jats:title>Results</jats:title><jats:p>p &lt; 0.05</jats:p></jats:sec>"
    )
    assert strip_jats(text) == "Background: One two.\n\nResults: p < 0.05"
    assert strip_jats("<jats:title>Abstract</jats:title><jats:p>A.</jats:p><jats:p>B.</jats:p>") == "A.\n\nB."
    assert strip_jats("") == ""


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ({"date-parts": [[2012, 3, 21]]}, (date(2012, 3, 21), "day")),
        ({"date-parts": [[1997, 7]]}, (date(1997, 7, 1), "month")),
        ({"date-parts": [[2018]]}, (date(2018, 1, 1), "year")),
        ({"date-parts": [[None]]}, (None, "")),
        ({"date-parts": [["2009", "6", "26"]]}, (date(2009, 6, 26), "day")),
        ([2012, 2, 30], (date(2012, 2, 1), "month")),
        ([2012, 13], (date(2012, 1, 1), "year")),
        (None, (None, "")),
    ],
)
def test_date_from_parts(parts, expected):
    assert date_from_parts(parts) == expected


def test_date_from_iso():
    assert date_from_iso("2016-05-26T17:59:46Z") == (date(2016, 5, 26), "day")
    assert date_from_iso("2019-02") == (date(2019, 2, 1), "month")
    assert date_from_iso("2023") == (date(2023, 1, 1), "year")
    assert date_from_iso("") == (None, "")


def test_arxiv_pdf_url_is_built_from_the_id():
    assert arxiv_pdf_url("1707.08567") == "https://arxiv.org/pdf/1707.08567"
    assert arxiv_pdf_url("astro-ph/0601001", 3) == "https://arxiv.org/pdf/astro-ph/0601001v3"


def test_retry_after_seconds_and_http_dates():
    now = datetime(2026, 6, 16, 13, 34, 19, tzinfo=UTC)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Tue, 16 Jun 2026 13:34:49 GMT", now=now) == 30.0
    assert retry_after_seconds("Tue, 16 Jun 2026 13:00:00 GMT", now=now) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
