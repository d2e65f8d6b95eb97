"""Link parsing: one canonical URL per paper, video or page, the identifiers in it, and its kind.

No database: resources.services.links is plain Python.
"""

import dataclasses
from pathlib import Path

import pytest

from resources.models import Resource
from resources.services.links import (
    KINDS,
    InvalidLink,
    ParsedLink,
    find_urls,
    infer_kind,
    parse_arxiv,
    parse_doi,
    parse_link,
)

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"

ARXIV = "https://arxiv.org/abs/1707.08567"
GW_REVIEW = "https://doi.org/10.1088/2632-2153/abb93a"
SPLITTING = "https://doi.org/10.1002/sam.11583"
DEEPLIZARD_VIDEO = "https://www.youtube.com/watch?v=gZmobeGL0Yg"
DEEPLIZARD_LIST = "PLZbbT5o_s2xq7LwI2y8_QtvuXZedL6tQU"
ZOOM_RECORDING = (
    "https://arizona.zoom.us/rec/share/"
    "Dlw7c0U8NlcV6wk06-Q1VCJn3voCtxZKg7QR95QfZt0ODQciHCXVUG5UOaxUa1s1.-YKdxs77niFmVIii"
)


def test_kinds_match_resource_kind_choices():
    assert set(KINDS) == set(Resource.Kind.values)


def test_parsed_link_is_frozen():
    parsed = parse_link(ARXIV)

    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.url = "https://example.org/"


def test_invalid_link_is_a_value_error():
    assert issubclass(InvalidLink, ValueError)


# --- arXiv ----------------------------------------------------------------------------------


def test_parse_link_arxiv_pdf_with_version_and_abs_are_one_resource():
    pdf = parse_link("https://arxiv.org/pdf/1707.08567v2")
    abs_page = parse_link("https://arxiv.org/abs/1707.08567")

    assert pdf == ParsedLink(url=ARXIV, arxiv_id="1707.08567", arxiv_version=2, kind="paper")
    assert abs_page == ParsedLink(url=ARXIV, arxiv_id="1707.08567", arxiv_version=None, kind="paper")


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("https://arxiv.org/abs/1707.08567", None),
        ("https://arxiv.org/abs/1707.08567v2", 2),
        ("https://arxiv.org/abs/1707.08567v12", 12),
        ("https://arxiv.org/abs/1707.08567/", None),
        ("https://arxiv.org/abs/1707.08567?context=cs", None),
        ("https://arxiv.org/abs/1707.08567#comments", None),
        ("https://arxiv.org/pdf/1707.08567", None),
        ("https://arxiv.org/pdf/1707.08567v2", 2),
        ("https://arxiv.org/pdf/1707.08567.pdf", None),
        ("https://arxiv.org/pdf/1707.08567v2.pdf", 2),
        ("https://arxiv.org/html/1707.08567v3", 3),
        ("https://arxiv.org/html/1707.08567v3/#S2", 3),
        ("https://arxiv.org/html/1707.08567v3/x1.png", 3),
        ("https://arxiv.org/format/1707.08567", None),
        ("http://arxiv.org/abs/1707.08567", None),
        ("https://ARXIV.ORG/abs/1707.08567", None),
        ("https://www.arxiv.org/abs/1707.08567", None),
        ("http://export.arxiv.org/abs/1707.08567", None),
        ("https://export.arxiv.org/pdf/1707.08567v1", 1),
        ("http://fr.arxiv.org/abs/1707.08567", None),
        ("http://de.arxiv.org/pdf/1707.08567v2", 2),
        ("http://lanl.arxiv.org/abs/1707.08567", None),
        ("https://arxiv.org/abs/1707.08567.", None),
        ("arXiv:1707.08567", None),
        ("arxiv:1707.08567v2", 2),
        ("ARXIV:1707.08567", None),
        ("arXiv: 1707.08567", None),
        ("arXiv:1707.08567 [cs.LG]", None),
        ("arXiv:1707.08567v2 [stat.ML].", 2),
        ("1707.08567", None),
        ("1707.08567v4", 4),
        ("10.48550/arXiv.1707.08567", None),
        ("doi:10.48550/ARXIV.1707.08567", None),
        ("https://doi.org/10.48550/arXiv.1707.08567", None),
        ("http://dx.doi.org/10.48550/arxiv.1707.08567", None),
        ("https://doi.org/10.48550%2FarXiv.1707.08567", None),
        ("<https://arxiv.org/abs/1707.08567>", None),
        ("  https://arxiv.org/abs/1707.08567 \n", None),
    ],
)
def test_parse_link_arxiv_every_form_gives_one_id(text, version):
    parsed = parse_link(text)

    assert parsed == ParsedLink(url=ARXIV, arxiv_id="1707.08567", arxiv_version=version, kind="paper")


@pytest.mark.parametrize(
    ("text", "arxiv_id", "version"),
    [
        ("https://arxiv.org/abs/2303.18223", "2303.18223", None),
        ("https://arxiv.org/pdf/2007.06823.pdf", "2007.06823", None),
        ("https://arxiv.org/abs/0704.0001", "0704.0001", None),
        ("https://arxiv.org/abs/1412.9999v1", "1412.9999", 1),
        ("https://arxiv.org/abs/1501.00001", "1501.00001", None),
        ("https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001", None),
        ("https://arxiv.org/abs/hep-th/9901001v3", "hep-th/9901001", 3),
        ("https://arxiv.org/pdf/astro-ph/0601001v1.pdf", "astro-ph/0601001", 1),
        ("https://arxiv.org/pdf/astro-ph/0601001", "astro-ph/0601001", None),
        ("http://xxx.lanl.gov/abs/quant-ph/0201082", "quant-ph/0201082", None),
        ("http://xxx.lanl.gov/pdf/quant-ph/0201082v2", "quant-ph/0201082", 2),
        ("https://arxiv.org/abs/math.GT/0309136", "math/0309136", None),
        ("https://arxiv.org/abs/math.GT/0309136v2", "math/0309136", 2),
        ("arXiv:math.GT/0309136", "math/0309136", None),
        ("arXiv:cond-mat.mes-hall/0501001", "cond-mat/0501001", None),
        ("arXiv:hep-th/9108001", "hep-th/9108001", None),
        ("arXiv:math/0703001", "math/0703001", None),
        ("hep-th/9901001v2", "hep-th/9901001", 2),
        ("10.48550/arXiv.hep-th/9901001", "hep-th/9901001", None),
        ("https://arxiv.org/abs/cs/0101001", "cs/0101001", None),
    ],
)
def test_parse_link_arxiv_ids_new_and_old_style(text, arxiv_id, version):
    parsed = parse_link(text)

    assert parsed == ParsedLink(
        url=f"https://arxiv.org/abs/{arxiv_id}", arxiv_id=arxiv_id, arxiv_version=version, kind="paper"
    )


IMPOSSIBLE_ARXIV_IDS = [
    ("1713.00001", "no month 13"),
    ("1700.00001", "no month 00"),
    ("0612.0001", "April 2007"),
    ("0703.0001", "April 2007"),
    ("1501.0001", "five digits"),
    ("1412.00001", "four digits"),
    ("1707.00000", "start at 1"),
    ("foo-th/9901001", "no arXiv archive “foo-th”"),
    ("hep-th/0901001", "to 0703"),
    ("hep-th/0704001", "to 0703"),
    ("hep-th/9107001", "9108"),
    ("hep-th/9913001", "no month 13"),
    ("hep-th/9901000", "start at 001"),
]


@pytest.mark.parametrize(("arxiv_id", "reason"), IMPOSSIBLE_ARXIV_IDS)
@pytest.mark.parametrize(
    "template",
    [
        "arXiv:{}",
        "{}",
        "https://arxiv.org/abs/{}",
        "https://arxiv.org/pdf/{}v2.pdf",
        "https://doi.org/10.48550/arXiv.{}",
    ],
)
def test_parse_link_arxiv_impossible_ids_refused(template, arxiv_id, reason):
    with pytest.raises(InvalidLink) as error:
        parse_link(template.format(arxiv_id))

    assert f"“{arxiv_id}" in str(error.value)
    assert "is not a possible arXiv identifier" in str(error.value)
    assert reason in str(error.value)


@pytest.mark.parametrize(("arxiv_id", "reason"), IMPOSSIBLE_ARXIV_IDS)
def test_parse_arxiv_impossible_ids_give_none(arxiv_id, reason):
    assert parse_arxiv(f"arXiv:{arxiv_id}") is None
    assert parse_arxiv(f"https://arxiv.org/abs/{arxiv_id}") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("https://arxiv.org/abs/1707.08567v0", "versions run from v1"),
        ("arXiv:1707.08567v0", "versions run from v1"),
        ("https://arxiv.org/abs/garbage", "“garbage” is not an arXiv identifier"),
        ("https://arxiv.org/abs/1707.085671", "is not an arXiv identifier"),
        ("https://arxiv.org/pdf/hep-th/990100", "is not an arXiv identifier"),
        ("arXiv:", "Give the arXiv identifier"),
        ("arXiv: .", "Give the arXiv identifier"),
        ("arXiv:nonsense", "is not an arXiv identifier"),
    ],
)
def test_parse_link_arxiv_malformed_ids_refused(text, message):
    with pytest.raises(InvalidLink, match=message):
        parse_link(text)


@pytest.mark.parametrize(
    "url",
    [
        "https://arxiv.org/",
        "https://arxiv.org/list/hep-th/new",
        "https://arxiv.org/a/einstein_a_1",
        "https://arxiv.org/abs/",
    ],
)
def test_parse_link_arxiv_pages_without_an_id_stay_urls(url):
    assert parse_link(url) == ParsedLink(url=url, kind="paper")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://arxiv.org/pdf/1707.08567v2", ("1707.08567", 2)),
        ("arXiv:hep-th/9901001", ("hep-th/9901001", None)),
        ("2303.18223", ("2303.18223", None)),
        ("doi:10.48550/arXiv.2303.18223", ("2303.18223", None)),
        ("https://arxiv.org/list/hep-th/new", None),
        ("https://example.org/1707.08567", None),
        ("doi:10.1088/2632-2153/abb93a", None),
        ("not a link", None),
        ("", None),
    ],
)
def test_parse_arxiv_returns_id_and_version_or_none(text, expected):
    assert parse_arxiv(text) == expected


# --- DOI ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "https://iopscience.iop.org/article/10.1088/2632-2153/abb93a",
        "https://doi.org/10.1088/2632-2153/ABB93A",
        "doi:10.1088/2632-2153/abb93a",
        "http://dx.doi.org/10.1088/2632-2153/abb93a",
    ],
)
def test_parse_link_doi_acceptance_forms_give_one_url(text):
    parsed = parse_link(text)

    assert parsed == ParsedLink(url=GW_REVIEW, doi="10.1088/2632-2153/abb93a", kind="paper")


@pytest.mark.parametrize(
    "text",
    ["https://onlinelibrary.wiley.com/doi/full/10.1002/sam.11583", "https://doi.org/10.1002%2Fsam.11583"],
)
def test_parse_link_doi_wiley_and_percent_encoded_are_one(text):
    assert parse_link(text) == ParsedLink(url=SPLITTING, doi="10.1002/sam.11583", kind="paper")


@pytest.mark.parametrize(
    ("text", "doi"),
    [
        ("https://iopscience.iop.org/article/10.1088/2632-2153/abb93a/pdf", "10.1088/2632-2153/abb93a"),
        ("https://iopscience.iop.org/article/10.1088/2632-2153/abb93a/meta", "10.1088/2632-2153/abb93a"),
        ("http://iopscience.iop.org/article/10.1088/2632-2153/abb93a#references", "10.1088/2632-2153/abb93a"),
        ("https://onlinelibrary.wiley.com/doi/abs/10.1002/sam.11583", "10.1002/sam.11583"),
        ("https://onlinelibrary.wiley.com/doi/pdf/10.1002/sam.11583", "10.1002/sam.11583"),
        ("https://onlinelibrary.wiley.com/doi/epdf/10.1002/sam.11583", "10.1002/sam.11583"),
        ("https://onlinelibrary.wiley.com/doi/10.1002/sam.11583", "10.1002/sam.11583"),
        ("https://onlinelibrary.wiley.com/doi/10.1002/sam.11583/full", "10.1002/sam.11583"),
        ("https://onlinelibrary.wiley.com/doi/10.1002/sam.11583/abstract", "10.1002/sam.11583"),
        ("https://onlinelibrary.wiley.com/doi/full/10.1002/sam.11583?af=R", "10.1002/sam.11583"),
        ("https://agupubs.onlinelibrary.wiley.com/doi/full/10.1029/2020GL087870", "10.1029/2020gl087870"),
        ("https://link.springer.com/article/10.1007/s10994-021-05946-3", "10.1007/s10994-021-05946-3"),
        (
            "https://link.springer.com/content/pdf/10.1007/s10994-021-05946-3.pdf",
            "10.1007/s10994-021-05946-3",
        ),
        ("https://link.springer.com/chapter/10.1007/978-3-030-58452-8_13", "10.1007/978-3-030-58452-8_13"),
        ("https://journals.aps.org/prd/abstract/10.1103/PhysRevD.102.063015", "10.1103/physrevd.102.063015"),
        ("https://journals.aps.org/prd/pdf/10.1103/PhysRevD.102.063015", "10.1103/physrevd.102.063015"),
        ("https://dl.acm.org/doi/10.1145/3292500.3330701", "10.1145/3292500.3330701"),
        ("https://dl.acm.org/doi/abs/10.1145/3292500.3330701", "10.1145/3292500.3330701"),
        ("https://dl.acm.org/doi/pdf/10.1145/3292500.3330701", "10.1145/3292500.3330701"),
        ("https://pubs.acs.org/doi/10.1021/acs.jcim.0c00479", "10.1021/acs.jcim.0c00479"),
        ("https://pubs.acs.org/doi/full/10.1021/acs.jcim.0c00479", "10.1021/acs.jcim.0c00479"),
        ("https://www.science.org/doi/10.1126/science.aaw1147", "10.1126/science.aaw1147"),
        ("https://www.science.org/doi/full/10.1126/science.aaw1147", "10.1126/science.aaw1147"),
        (
            "https://journals.plos.org/plosone/article?id=10.1371/journal.pone.0033693",
            "10.1371/journal.pone.0033693",
        ),
        (
            "https://journals.plos.org/plosone/article?id=10.1371%2Fjournal.pone.0033693",
            "10.1371/journal.pone.0033693",
        ),
        (
            "https://www.tandfonline.com/doi/full/10.1080/01621459.2017.1285773",
            "10.1080/01621459.2017.1285773",
        ),
        (
            "https://www.tandfonline.com/doi/abs/10.1080/01621459.2017.1285773",
            "10.1080/01621459.2017.1285773",
        ),
        ("https://www.pnas.org/doi/10.1073/pnas.1907373117", "10.1073/pnas.1907373117"),
        ("https://doi.org/10.1002/sam.11583", "10.1002/sam.11583"),
        ("http://doi.org/10.1002/sam.11583", "10.1002/sam.11583"),
        ("https://dx.doi.org/10.1002/SAM.11583", "10.1002/sam.11583"),
        ("https://DOI.ORG/10.1002/sam.11583", "10.1002/sam.11583"),
        ("https://doi.org/10.1002/sam.11583#abstract", "10.1002/sam.11583"),
        ("https://doi.org/10.1002/sam.11583?utm_source=x", "10.1002/sam.11583"),
        ("doi:10.1002/sam.11583", "10.1002/sam.11583"),
        ("DOI:10.1002/sam.11583", "10.1002/sam.11583"),
        ("doi: 10.1002/sam.11583", "10.1002/sam.11583"),
        ("10.1002/sam.11583", "10.1002/sam.11583"),
        ("10.1002/SAM.11583", "10.1002/sam.11583"),
        ("<doi:10.1002/sam.11583>", "10.1002/sam.11583"),
    ],
)
def test_parse_link_doi_forms(text, doi):
    parsed = parse_link(text)

    assert parsed == ParsedLink(url=f"https://doi.org/{doi}", doi=doi, kind="paper")


@pytest.mark.parametrize(
    "text",
    [
        "doi:10.1002/sam.11583.",
        "doi:10.1002/sam.11583,",
        "doi:10.1002/sam.11583;",
        "doi:10.1002/sam.11583:",
        "10.1002/sam.11583)",
        "10.1002/sam.11583]",
        "10.1002/sam.11583).",
        '10.1002/sam.11583"',
        "https://doi.org/10.1002/sam.11583.",
        "https://onlinelibrary.wiley.com/doi/full/10.1002/sam.11583).",
    ],
)
def test_parse_link_doi_trailing_punctuation_not_swallowed(text):
    assert parse_link(text).doi == "10.1002/sam.11583"


@pytest.mark.parametrize(
    ("text", "doi", "url"),
    [
        (
            "doi:10.1016/S0140-6736(97)11096-0",
            "10.1016/s0140-6736(97)11096-0",
            "https://doi.org/10.1016/s0140-6736(97)11096-0",
        ),
        (
            "10.1016/S0140-6736(97)11096-0).",
            "10.1016/s0140-6736(97)11096-0",
            "https://doi.org/10.1016/s0140-6736(97)11096-0",
        ),
        (
            "doi:10.1002/(SICI)1097-4636(199706)35:4<405::AID-JBM1>3.0.CO;2-N",
            "10.1002/(sici)1097-4636(199706)35:4<405::aid-jbm1>3.0.co;2-n",
            "https://doi.org/10.1002/(sici)1097-4636(199706)35:4%3C405::aid-jbm1%3E3.0.co;2-n",
        ),
        (
            "https://doi.org/10.1002/%28SICI%291097-4636%28199706%2935%3A4%3C405%3A%3AAID-JBM1%3E3.0.CO%3B2-N",
            "10.1002/(sici)1097-4636(199706)35:4<405::aid-jbm1>3.0.co;2-n",
            "https://doi.org/10.1002/(sici)1097-4636(199706)35:4%3C405::aid-jbm1%3E3.0.co;2-n",
        ),
        ("doi:10.1000/a#b?c", "10.1000/a#b?c", "https://doi.org/10.1000/a%23b%3Fc"),
    ],
)
def test_parse_link_doi_with_brackets_and_reserved_characters(text, doi, url):
    assert parse_link(text) == ParsedLink(url=url, doi=doi, kind="paper")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("https://doi.org/10.5281/zenodo.4267573", "dataset"),
        ("doi:10.5281/ZENODO.4267573", "dataset"),
        ("https://doi.org/10.6084/m9.figshare.12345", "dataset"),
        ("https://doi.org/10.5061/dryad.abc123", "dataset"),
        ("https://doi.org/10.1038/s41586-021-03819-2", "paper"),
    ],
)
def test_parse_link_doi_kind_dataset_for_data_registrants(text, kind):
    assert parse_link(text).kind == kind


def test_parse_link_doi_zenodo_keeps_the_doi():
    assert parse_link("doi:10.5281/zenodo.4267573") == ParsedLink(
        url="https://doi.org/10.5281/zenodo.4267573", doi="10.5281/zenodo.4267573", kind="dataset"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://www.nature.com/articles/s41586-021-03819-2",
        "https://academic.oup.com/mnras/article/500/2/1633/5960169",
        "https://ieeexplore.ieee.org/document/8578843",
        "https://www.sciencedirect.com/science/article/pii/S0370269321000435",
        "https://www.biorxiv.org/content/10.1101/2020.03.01.972000v1",
    ],
)
def test_parse_link_publisher_pages_without_doi_path_stay_urls(url):
    assert parse_link(url) == ParsedLink(url=url, kind="paper")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("doi:10.12/abc", "is not a DOI"),
        ("doi:11.1000/abc", "is not a DOI"),
        ("doi:10.1000/", "is not a DOI"),
        ("doi:", "Give the DOI"),
        ("doi:10.1000", "is not a DOI"),
        ("doi:10.1000/" + "x" * 300, "longer than 300"),
    ],
)
def test_parse_link_doi_malformed_refused(text, message):
    with pytest.raises(InvalidLink, match=message):
        parse_link(text)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.doi.org/the-identifier/what-is-a-doi/",
        "https://doi.org/",
        "https://journals.aps.org/prd/",
        "https://onlinelibrary.wiley.com/journal/19321872",
    ],
)
def test_parse_link_doi_hosts_without_a_doi_stay_urls(url):
    parsed = parse_link(url)

    assert parsed.url == url
    assert parsed.doi == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://iopscience.iop.org/article/10.1088/2632-2153/abb93a/pdf", "10.1088/2632-2153/abb93a"),
        ("doi:10.1002/SAM.11583.", "10.1002/sam.11583"),
        ("10.1002/sam.11583", "10.1002/sam.11583"),
        ("https://doi.org/10.48550/arXiv.2303.18223", "10.48550/arxiv.2303.18223"),
        ("https://arxiv.org/abs/2303.18223", None),
        ("https://www.nature.com/articles/s41586-021-03819-2", None),
        ("https://example.org/", None),
        ("javascript:alert(1)", None),
        ("doi:10.12/abc", None),
        ("", None),
    ],
)
def test_parse_doi_returns_lower_case_doi_or_none(text, expected):
    assert parse_doi(text) == expected


# --- YouTube --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"https://www.youtube.com/watch?v=gZmobeGL0Yg&list={DEEPLIZARD_LIST}",
        "https://www.youtube.com/watch?v=gZmobeGL0Yg",
        "https://youtube.com/watch?v=gZmobeGL0Yg",
        "http://www.youtube.com/watch?v=gZmobeGL0Yg",
        "https://m.youtube.com/watch?v=gZmobeGL0Yg&feature=share",
        "https://WWW.YOUTUBE.COM/watch?v=gZmobeGL0Yg",
        "https://www.youtube.com/watch?v=gZmobeGL0Yg&t=42s",
        "https://www.youtube.com/watch?feature=youtu.be&v=gZmobeGL0Yg",
        f"https://www.youtube.com/watch?v=gZmobeGL0Yg&list={DEEPLIZARD_LIST}&index=2&t=10s",
        "https://www.youtube.com/watch?v=gZmobeGL0Yg#t=30",
        "https://youtu.be/gZmobeGL0Yg",
        "https://youtu.be/gZmobeGL0Yg?si=abc",
        "https://youtu.be/gZmobeGL0Yg?t=10",
        f"https://youtu.be/gZmobeGL0Yg?list={DEEPLIZARD_LIST}",
        "https://www.youtube.com/embed/gZmobeGL0Yg",
        "https://www.youtube.com/embed/gZmobeGL0Yg?start=5&rel=0",
        "https://www.youtube-nocookie.com/embed/gZmobeGL0Yg",
        "https://youtube-nocookie.com/embed/gZmobeGL0Yg",
        "https://www.youtube.com/shorts/gZmobeGL0Yg",
        "https://www.youtube.com/live/gZmobeGL0Yg?si=xyz",
        "https://www.youtube.com/v/gZmobeGL0Yg",
    ],
)
def test_parse_link_youtube_video_forms_give_one_url(url):
    parsed = parse_link(url)

    assert parsed == ParsedLink(url=DEEPLIZARD_VIDEO, youtube_id="gZmobeGL0Yg", kind="video")


@pytest.mark.parametrize(
    "url",
    [
        f"https://www.youtube.com/playlist?list={DEEPLIZARD_LIST}",
        f"https://youtube.com/playlist?list={DEEPLIZARD_LIST}&si=abc",
        f"https://m.youtube.com/playlist?list={DEEPLIZARD_LIST}",
        f"https://www.youtube.com/watch?list={DEEPLIZARD_LIST}",
        f"https://www.youtube.com/embed/videoseries?list={DEEPLIZARD_LIST}",
    ],
)
def test_parse_link_youtube_playlists_stay_playlists(url):
    parsed = parse_link(url)

    assert parsed == ParsedLink(url=f"https://www.youtube.com/playlist?list={DEEPLIZARD_LIST}", kind="video")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.youtube.com/channel/UCYO_jab_esuFRV4b17AJtAw",
            "https://www.youtube.com/channel/UCYO_jab_esuFRV4b17AJtAw",
        ),
        ("https://www.youtube.com/@3blue1brown", "https://www.youtube.com/@3blue1brown"),
        ("https://www.youtube.com/@3blue1brown?si=abc", "https://www.youtube.com/@3blue1brown"),
        ("https://www.youtube.com/c/deeplizard/videos", "https://www.youtube.com/c/deeplizard/videos"),
        ("https://youtube.com/user/sentdex", "https://youtube.com/user/sentdex"),
        ("https://www.youtube.com/", "https://www.youtube.com/"),
    ],
)
def test_parse_link_youtube_channels_stay_as_they_are(url, expected):
    assert parse_link(url) == ParsedLink(url=expected, kind="video")


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/watch?v=abc",
        "https://www.youtube.com/watch?v=gZmobeGL0Yg)",
        "https://youtu.be/gZmobeGL0YgXX",
        "https://www.youtube.com/embed/short",
        "https://www.youtube.com/playlist?list=PL<script>",
    ],
)
def test_parse_link_youtube_impossible_ids_refused(url):
    with pytest.raises(InvalidLink, match="is not a YouTube"):
        parse_link(url)


# --- Generic normalisation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.ORG/Path/To", "https://example.org/Path/To"),
        ("http://example.org/a", "http://example.org/a"),
        ("http://example.org:80/a", "http://example.org/a"),
        ("https://example.org:443/a", "https://example.org/a"),
        ("http://example.org:443/a", "http://example.org:443/a"),
        ("https://example.org:80/a", "https://example.org:80/a"),
        ("https://example.org:8443/a", "https://example.org:8443/a"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org./a", "https://example.org/a"),
        ("https://example.org/a?", "https://example.org/a"),
        ("https://example.org/a?&", "https://example.org/a"),
        ("https://example.org/a#", "https://example.org/a"),
        ("https://example.org/a#section-2", "https://example.org/a#section-2"),
        ("  https://example.org/a \t\n", "https://example.org/a"),
        ("<https://example.org/a>", "https://example.org/a"),
        ("https://example.org/search?q=a+b&x=%2F", "https://example.org/search?q=a+b&x=%2F"),
        ("https://example.org/a b", "https://example.org/a%20b"),
        ("https://example.org/ä?q=ü#ö", "https://example.org/%C3%A4?q=%C3%BC#%C3%B6"),
        ("https://example.org/%7euser/a%2fb", "https://example.org/~user/a%2Fb"),
        ("https://example.org/100%", "https://example.org/100%25"),
        ("https://Bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://例え.テスト/", "https://xn--r8jz45g.xn--zckzah/"),
        ("https://[2001:DB8::1]:8080/a", "https://[2001:db8::1]:8080/a"),
        ("http://127.0.0.1:8000/a", "http://127.0.0.1:8000/a"),
        (
            "https://drive.google.com/file/d/14dd_Z2erJhppzOAN2hZ3v69DCED_7Y83/view?usp=sharing",
            "https://drive.google.com/file/d/14dd_Z2erJhppzOAN2hZ3v69DCED_7Y83/view?usp=sharing",
        ),
    ],
)
def test_normalise_url_generic(url, expected):
    assert parse_link(url).url == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a?utm_source=x", "https://example.org/a"),
        ("https://example.org/a?utm_source=x&utm_medium=y&utm_campaign=z", "https://example.org/a"),
        ("https://example.org/a?utm_content=x&utm_term=y&utm_id=1", "https://example.org/a"),
        ("https://example.org/a?UTM_Source=x&q=1", "https://example.org/a?q=1"),
        ("https://example.org/a?b=2&utm_campaign=z&a=1", "https://example.org/a?b=2&a=1"),
        ("https://example.org/a?fbclid=IwAR0abc", "https://example.org/a"),
        ("https://example.org/a?gclid=Cj0abc&page=2", "https://example.org/a?page=2"),
        ("https://example.org/a?mc_cid=1&mc_eid=2", "https://example.org/a"),
        ("https://www.instagram.com/p/abc/?igshid=xyz", "https://www.instagram.com/p/abc/"),
        ("https://twitter.com/x/status/1?ref_src=twsrc%5Etfw", "https://twitter.com/x/status/1"),
        ("https://example.org/a?utm_source=x#top", "https://example.org/a#top"),
        ("https://example.org/a?si=abc", "https://example.org/a?si=abc"),
        ("https://example.org/a?ref=home", "https://example.org/a?ref=home"),
        ("https://example.org/a?utm=keep", "https://example.org/a?utm=keep"),
    ],
)
def test_normalise_url_tracking_parameters_removed(url, expected):
    assert parse_link(url).url == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://arxiv.org/pdf/1707.08567v2.pdf", ARXIV),
        ("doi:10.1002/sam.11583", SPLITTING),
        ("https://youtu.be/gZmobeGL0Yg?si=abc", DEEPLIZARD_VIDEO),
    ],
)
def test_normalise_url_applies_identifier_canonical_forms(url, expected):
    assert parse_link(url).url == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("javascript:alert(1)", "Only http and https links can be added"),
        ("JavaScript:alert(1)", "Only http and https links can be added"),
        ("ftp://ftp.example.org/pub/file.txt", "Only http and https links can be added"),
        ("mailto:ada@example.org", "Only http and https links can be added"),
        ("file:///etc/passwd", "Only http and https links can be added"),
        ("data:text/html,<b>hi</b>", "Only http and https links can be added"),
        ("https://user:pass@example.org/", "user name or password"),
        ("https://user@example.org/", "user name or password"),
        ("https://example.org@evil.example/", "user name or password"),
        ("https://", "no host name"),
        ("http:///path", "no host name"),
        ("https://?q=1", "no host name"),
        ("example.org/page", "Start the link with http:// or https://"),
        ("www.youtube.com/watch?v=gZmobeGL0Yg", "Start the link with http:// or https://"),
        ("neurovis.mitchcrowe.com/", "Start the link with http:// or https://"),
        ("localhost:8000/a", "Start the link with http:// or https://"),
        ("//example.org/a", "Start the link with http:// or https://"),
        ("", "Enter a link"),
        ("   \n", "Enter a link"),
        ("<>", "Enter a link"),
        ("https://exa mple.org/", "not a valid host name"),
        ("https://ex!ample.org/", "not a valid host name"),
        ("https://example..org/", "not a valid host name"),
        ("https://[::1/", "host is not valid"),
        ("https://[not-ipv6]/", "host is not valid"),
        ("https://[fe80::1%25eth0]/", "not a valid host name"),
        ("https://[v1.future]/", "not a valid host name"),
        ("https://example.org:99999/", "port"),
        ("https://example.org:http/", "port"),
        ("https://example.org/a\nb", "control characters"),
        ("https://example.org/a\x00", "control characters"),
    ],
)
def test_parse_link_refuses(text, message):
    with pytest.raises(InvalidLink, match=message):
        parse_link(text)


def test_parse_link_refuses_non_strings():
    with pytest.raises(InvalidLink, match="Enter a link"):
        parse_link(None)


def test_parse_link_length_limit_is_2000_characters():
    at_limit = "https://example.org/" + "a" * (2000 - len("https://example.org/"))

    assert parse_link(at_limit).url == at_limit
    with pytest.raises(InvalidLink, match="longer than 2000 characters"):
        parse_link(at_limit + "a")


def test_parse_link_length_limit_applies_after_escaping():
    # 600 "é" are 1,200 characters typed but 3,600 once percent-encoded.
    with pytest.raises(InvalidLink, match="longer than 2000 characters"):
        parse_link("https://example.org/" + "é" * 600)


@pytest.mark.parametrize(
    "text",
    [
        "https://arxiv.org/pdf/1707.08567v2.pdf",
        "arXiv:math.GT/0309136v2",
        "https://onlinelibrary.wiley.com/doi/full/10.1002/sam.11583",
        "doi:10.1002/(SICI)1097-4636(199706)35:4<405::AID-JBM1>3.0.CO;2-N",
        "doi:10.1000/a#b?c",
        f"https://www.youtube.com/watch?v=gZmobeGL0Yg&list={DEEPLIZARD_LIST}",
        f"https://www.youtube.com/embed/videoseries?list={DEEPLIZARD_LIST}",
        "https://www.youtube.com/@3blue1brown?si=abc",
        "HTTP://Example.ORG:80/a b?utm_source=x&q=ü#frag",
        "https://例え.テスト/",
        "https://example.org/100%",
        "https://[2001:DB8::1]:8080/a",
    ],
)
def test_parse_link_canonical_url_parses_to_itself(text):
    parsed = parse_link(text)

    again = parse_link(parsed.url)

    assert again.url == parsed.url
    assert dataclasses.replace(again, arxiv_version=parsed.arxiv_version) == parsed


# --- Kinds ----------------------------------------------------------------------------------


INFER_KIND_CASES = [
    # paper
    ("https://arxiv.org/abs/1706.03762", "paper"),
    ("https://doi.org/10.1088/2632-2153/abb93a", "paper"),
    ("https://iopscience.iop.org/article/10.1088/2632-2153/abb93a", "paper"),
    ("https://onlinelibrary.wiley.com/doi/full/10.1002/sam.11583", "paper"),
    ("https://link.springer.com/article/10.1007/s10994-021-05946-3", "paper"),
    ("https://www.nature.com/articles/s41586-021-03819-2", "paper"),
    ("https://www.science.org/doi/10.1126/science.aaw1147", "paper"),
    ("https://www.sciencedirect.com/science/article/pii/S0370269321000435", "paper"),
    ("https://journals.aps.org/prd/abstract/10.1103/PhysRevD.102.063015", "paper"),
    ("https://dl.acm.org/doi/10.1145/3292500.3330701", "paper"),
    ("https://ieeexplore.ieee.org/document/8578843", "paper"),
    ("https://openreview.net/forum?id=YicbFdNTTy", "paper"),
    (
        "https://proceedings.neurips.cc/paper/2017/hash/3f5ee243547dee91fbd053c1c4a845aa-Abstract.html",
        "paper",
    ),
    ("https://papers.nips.cc/paper/7181-attention-is-all-you-need", "paper"),
    ("https://aclanthology.org/N19-1423/", "paper"),
    ("https://www.biorxiv.org/content/10.1101/2020.03.01.972000v1", "paper"),
    ("https://www.medrxiv.org/content/10.1101/2020.04.01.20050617v1", "paper"),
    ("https://jmlr.org/papers/v21/20-074.html", "paper"),
    ("https://proceedings.mlr.press/v119/chen20j.html", "paper"),
    ("https://www.semanticscholar.org/paper/Attention-is-All-you-Need-Vaswani/204e3073", "paper"),
    ("https://ui.adsabs.harvard.edu/abs/2020MLS&T...2a1001C/abstract", "paper"),
    ("https://academic.oup.com/mnras/article/500/2/1633/5960169", "paper"),
    ("https://example.org/papers/double-descent.pdf", "paper"),
    ("https://example.org/papers/DOUBLE-DESCENT.PDF", "paper"),
    # video
    ("https://www.youtube.com/watch?v=gZmobeGL0Yg", "video"),
    ("https://youtu.be/KuXjwB4LzSA", "video"),
    ("https://www.youtube.com/channel/UCYO_jab_esuFRV4b17AJtAw", "video"),
    ("https://www.youtube.com/playlist?list=PLZbbT5o_s2xq7LwI2y8_QtvuXZedL6tQU", "video"),
    ("https://vimeo.com/76979871", "video"),
    ("https://player.vimeo.com/video/76979871", "video"),
    # notebook
    ("https://colab.research.google.com/drive/1-fRuqPqNqaaZCrunZEFm2wvJW5-gqNOi", "notebook"),
    ("https://github.com/rndsrc/dl/blob/main/segformer.ipynb", "notebook"),
    ("https://example.org/lesson.ipynb", "notebook"),
    ("https://nbviewer.org/github/fastai/fastbook/blob/master/01_intro.ipynb", "notebook"),
    ("https://nbviewer.jupyter.org/url/example.org/x", "notebook"),
    ("https://www.kaggle.com/code/alexisbcook/titanic-tutorial", "notebook"),
    # slides
    ("https://docs.google.com/presentation/d/1mCce6SR5UxdZwcaD26Gpz7PUJFszrYucOJ4CWcEGZ2U/edit", "slides"),
    ("https://example.org/talks/backprop.pptx", "slides"),
    ("https://example.org/talks/backprop.ppt", "slides"),
    ("https://example.org/talks/backprop.key", "slides"),
    ("https://www.slideshare.net/user/deep-learning-intro", "slides"),
    ("https://speakerdeck.com/user/deep-learning-intro", "slides"),
    # recording
    ("https://arizona.zoom.us/rec/share/Dlw7c0U8NlcV6wk06", "recording"),
    ("https://zoom.us/rec/play/abc123", "recording"),
    # code
    ("https://github.com/google-research/jaxpruner", "code"),
    ("https://github.com/AlexandreAdam/score_models/tree/master", "code"),
    ("https://github.com/huggingface/transformers/tree/main/examples/", "code"),
    ("https://github.com/karpathy", "code"),
    ("https://gist.github.com/karpathy/d4dee566867f8291f086", "code"),
    ("https://gitlab.com/gitlab-org/gitlab", "code"),
    ("https://bitbucket.org/atlassian/python-bitbucket", "code"),
    ("https://pypi.org/project/score-models/", "code"),
    # dataset
    ("https://www.kaggle.com/datasets/zalando-research/fashionmnist", "dataset"),
    ("https://huggingface.co/datasets/mnist", "dataset"),
    ("https://zenodo.org/records/4267573", "dataset"),
    ("https://zenodo.org/record/4267573", "dataset"),
    ("https://doi.org/10.5281/zenodo.4267573", "dataset"),
    ("https://archive.ics.uci.edu/dataset/53/iris", "dataset"),
    ("https://data.gov/", "dataset"),
    ("https://catalog.data.gov/dataset/electric-vehicle-population-data", "dataset"),
    ("https://www.data.gov.uk/dataset/abc", "dataset"),
    # course
    ("https://www.coursera.org/learn/machine-learning", "course"),
    ("https://www.edx.org/course/machine-learning-with-python", "course"),
    ("https://www.udemy.com/course/machinelearning/", "course"),
    ("https://www.udacity.com/course/intro-to-machine-learning--ud120", "course"),
    ("https://course.fast.ai/", "course"),
    ("https://www.fast.ai/", "course"),
    ("https://www.deeplearning.ai/courses/", "course"),
    ("https://ocw.mit.edu/courses/6-036-introduction-to-machine-learning-fall-2020/", "course"),
    ("https://www.khanacademy.org/math/linear-algebra", "course"),
    # tutorial
    ("https://pytorch.org/tutorials/", "tutorial"),
    ("https://www.tensorflow.org/tutorials/quickstart/beginner", "tutorial"),
    ("https://scikit-learn.org/stable/tutorial/machine_learning_map/index.html", "tutorial"),
    ("https://realpython.com/python-ai-neural-network/", "tutorial"),
    ("https://machinelearningmastery.com/gentle-introduction-to-the-adam-optimizer/", "tutorial"),
    ("https://dennybritz.com/posts/wildml/recurrent-neural-networks-tutorial-part-1/", "tutorial"),
    # article
    ("https://medium.com/@karpathy/yes-you-should-understand-backprop-e2f06eab496b", "article"),
    ("https://towardsdatascience.com/understanding-gans-1c2f3e5a3d8a", "article"),
    ("https://distill.pub/2017/momentum/", "article"),
    ("https://importai.substack.com/p/import-ai-300", "article"),
    ("https://openai.com/blog/chatgpt", "article"),
    ("https://example.org/blog/2024/double-descent/", "article"),
    # other
    ("https://huggingface.co/", "other"),
    ("https://www.kaggle.com/", "other"),
    ("https://playground.tensorflow.org/", "other"),
    ("https://drive.google.com/file/d/14dd_Z2erJhppzOAN2hZ3v69DCED_7Y83/view?usp=sharing", "other"),
    ("https://www.asimovinstitute.org/neural-network-zoo/", "other"),
    ("https://zoom.us/j/123456789", "other"),
    ("https://lilianweng.github.io/", "other"),
    ("https://www.doi.org/the-identifier/what-is-a-doi/", "other"),
]


@pytest.mark.parametrize(("url", "kind"), INFER_KIND_CASES)
def test_infer_kind(url, kind):
    assert infer_kind(url) == kind


def test_infer_kind_covers_every_kind():
    kinds = {kind for _, kind in INFER_KIND_CASES}

    assert kinds == set(KINDS)


@pytest.mark.parametrize("text", ["", "not a url", "https://[broken", "javascript:alert(1)"])
def test_infer_kind_never_raises(text):
    assert infer_kind(text) == "other"


# --- Finding URLs in text -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(see https://x.org/a).", ["https://x.org/a"]),
        ("See https://x.org/a.", ["https://x.org/a"]),
        ("Is it https://x.org/a?", ["https://x.org/a"]),
        ("Wow https://x.org/a!", ["https://x.org/a"]),
        (
            "https://x.org/a, https://x.org/b; https://x.org/c: done",
            ["https://x.org/a", "https://x.org/b", "https://x.org/c"],
        ),
        ("https://x.org/a?b=1&c=2.", ["https://x.org/a?b=1&c=2"]),
        (
            "https://en.wikipedia.org/wiki/Python_(programming_language)",
            ["https://en.wikipedia.org/wiki/Python_(programming_language)"],
        ),
        (
            "(https://en.wikipedia.org/wiki/Python_(programming_language)).",
            ["https://en.wikipedia.org/wiki/Python_(programming_language)"],
        ),
        (
            "[x](https://en.wikipedia.org/wiki/Bias_(statistics))",
            ["https://en.wikipedia.org/wiki/Bias_(statistics)"],
        ),
        ('"https://x.org/a"', ["https://x.org/a"]),
        ("'https://x.org/a'", ["https://x.org/a"]),
        ("“https://x.org/a”", ["https://x.org/a"]),
        ("**https://x.org/a**", ["https://x.org/a"]),
        ("_https://x.org/a_", ["https://x.org/a"]),
        ("<https://x.org/a>", ["https://x.org/a"]),
        ("[https://x.org/a](https://x.org/a)", ["https://x.org/a"]),
        ("[1](https://x.org/a), [2](https://x.org/b)", ["https://x.org/a", "https://x.org/b"]),
        ('[see](https://x.org/a "Title")', ["https://x.org/a"]),
        ("https://x.org/a https://x.org/a", ["https://x.org/a"]),
        ("HTTPS://X.ORG/A", ["HTTPS://X.ORG/A"]),
        (
            "https://web.archive.org/web/2020/https://x.org/a",
            ["https://web.archive.org/web/2020/https://x.org/a"],
        ),
        ("| https://x.org/a | https://x.org/b |", ["https://x.org/a", "https://x.org/b"]),
        ("ftp://x.org and x.org/a and mailto:ada@example.org", []),
        ("www.example.org/page", []),
        ("https:// is not a link", []),
        ("xhttps://x.org/a", []),
        ("", []),
    ],
)
def test_find_urls(text, expected):
    assert find_urls(text) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            '- quote from Christine Simpson: "https://www.youtube.com/watch?v=gZmobeGL0Yg&list='
            "PLZbbT5o_s2xq7LwI2y8_QtvuXZedL6tQU\n  that\u2019s a deep learning playlist of the basics",
            [f"https://www.youtube.com/watch?v=gZmobeGL0Yg&list={DEEPLIZARD_LIST}"],
        ),
        (
            "- https://iopscience.iop.org/article/10.1088/2632-2153/abb93a GW ML review 2020",
            ["https://iopscience.iop.org/article/10.1088/2632-2153/abb93a"],
        ),
        (
            "  - ~~[GW ML September rev.](https://iopscience.iop.org/article/10.1088/2632-2153/abb93a)~~ "
            "same GW rev from May 2020 w/HUnter that I already have",
            ["https://iopscience.iop.org/article/10.1088/2632-2153/abb93a"],
        ),
        (
            "Topics include Deep Double Descent ([1](https://arxiv.org/abs/1912.02292), "
            "[2](https://arxiv.org/abs/1812.11118), [3](https://arxiv.org/abs/2303.14151)).",
            [
                "https://arxiv.org/abs/1912.02292",
                "https://arxiv.org/abs/1812.11118",
                "https://arxiv.org/abs/2303.14151",
            ],
        ),
        (
            "- Paper on dataset splitting: [https://onlinelibrary.wiley.com/doi/full/10.1002/sam.11583]"
            "(https://onlinelibrary.wiley.com/doi/full/10.1002/sam.11583)",
            ["https://onlinelibrary.wiley.com/doi/full/10.1002/sam.11583"],
        ),
        ("- Tinker with neural network in browser: [neurovis.mitchcrowe.com/](neurovis.mitchcrowe.com/)", []),
        (
            "CyVerse researcher trained participants on using CACAO "
            "[https://cacao.jetstream-cloud.org/](https://cacao.jetstream-cloud.org/)",
            ["https://cacao.jetstream-cloud.org/"],
        ),
        (
            "- Zoom recording: [link](https://arizona.zoom.us/rec/share/Dlw7c0U8NlcV6wk06-Q1VCJn3voCtxZKg7QR95"
            "QfZt0ODQciHCXVUG5UOaxUa1s1.-YKdxs77niFmVIii)",
            [
                "https://arizona.zoom.us/rec/share/Dlw7c0U8NlcV6wk06-Q1VCJn3voCtxZKg7QR95QfZt0ODQciHCXVUG5UOaxUa1s1"
                ".-YKdxs77niFmVIii"
            ],
        ),
        (
            "- Explanation of convolution: [But what is a convolution?](https://youtu.be/KuXjwB4LzSA?si=5h5E6JAt7zz1lXLn)",
            ["https://youtu.be/KuXjwB4LzSA?si=5h5E6JAt7zz1lXLn"],
        ),
        (
            "- pytorch website for good tutorials: https://pytorch.org/tutorials/",
            ["https://pytorch.org/tutorials/"],
        ),
        (
            "- https://scikit-learn.org/stable/tutorial/machine_learning_map/index.html for a nice pic",
            ["https://scikit-learn.org/stable/tutorial/machine_learning_map/index.html"],
        ),
        ("- Zoom recording: [link needed]", []),
    ],
)
def test_find_urls_on_sample_lines(line, expected):
    assert find_urls(line) == expected


# --- The sample documents -------------------------------------------------------------------

SAMPLE_SPOT_CHECKS = {
    "https://drive.google.com/file/d/14dd_Z2erJhppzOAN2hZ3v69DCED_7Y83/view?usp=sharing": (
        "https://drive.google.com/file/d/14dd_Z2erJhppzOAN2hZ3v69DCED_7Y83/view?usp=sharing",
        "other",
    ),
    "https://colab.research.google.com/drive/1-fRuqPqNqaaZCrunZEFm2wvJW5-gqNOi": (
        "https://colab.research.google.com/drive/1-fRuqPqNqaaZCrunZEFm2wvJW5-gqNOi",
        "notebook",
    ),
    ZOOM_RECORDING: (ZOOM_RECORDING, "recording"),
    "https://www.youtube.com/watch?v=aircAruvnKk&list=PLZHQObOWTQDNU6R1_67000Dx_ZCJB-3pi": (
        "https://www.youtube.com/watch?v=aircAruvnKk",
        "video",
    ),
    "https://youtu.be/KuXjwB4LzSA?si=5h5E6JAt7zz1lXLn": (
        "https://www.youtube.com/watch?v=KuXjwB4LzSA",
        "video",
    ),
    "https://docs.google.com/presentation/d/1mCce6SR5UxdZwcaD26Gpz7PUJFszrYucOJ4CWcEGZ2U/edit?usp=sharing": (
        "https://docs.google.com/presentation/d/1mCce6SR5UxdZwcaD26Gpz7PUJFszrYucOJ4CWcEGZ2U/edit?usp=sharing",
        "slides",
    ),
    "https://onlinelibrary.wiley.com/doi/full/10.1002/sam.11583": (SPLITTING, "paper"),
    "https://github.com/google-research/jaxpruner": ("https://github.com/google-research/jaxpruner", "code"),
    "https://arxiv.org/pdf/2007.06823.pdf": ("https://arxiv.org/abs/2007.06823", "paper"),
    "https://github.com/rndsrc/dl/blob/main/segformer.ipynb": (
        "https://github.com/rndsrc/dl/blob/main/segformer.ipynb",
        "notebook",
    ),
    "https://dennybritz.com/posts/wildml/recurrent-neural-networks-tutorial-part-1/": (
        "https://dennybritz.com/posts/wildml/recurrent-neural-networks-tutorial-part-1/",
        "tutorial",
    ),
    "https://arxiv.org/abs/1706.03762": ("https://arxiv.org/abs/1706.03762", "paper"),
    "https://pypi.org/project/score-models/": ("https://pypi.org/project/score-models/", "code"),
    "https://huggingface.co/": ("https://huggingface.co/", "other"),
    f"https://www.youtube.com/watch?v=gZmobeGL0Yg&list={DEEPLIZARD_LIST}": (DEEPLIZARD_VIDEO, "video"),
    "https://pytorch.org/tutorials/": ("https://pytorch.org/tutorials/", "tutorial"),
    "https://www.youtube.com/channel/UCYO_jab_esuFRV4b17AJtAw": (
        "https://www.youtube.com/channel/UCYO_jab_esuFRV4b17AJtAw",
        "video",
    ),
    "https://scikit-learn.org/stable/tutorial/machine_learning_map/index.html": (
        "https://scikit-learn.org/stable/tutorial/machine_learning_map/index.html",
        "tutorial",
    ),
    "https://iopscience.iop.org/article/10.1088/2632-2153/abb93a": (GW_REVIEW, "paper"),
    "https://www.asimovinstitute.org/neural-network-zoo/": (
        "https://www.asimovinstitute.org/neural-network-zoo/",
        "other",
    ),
}


def _sample_urls() -> list[str]:
    if not SAMPLES.is_dir():
        pytest.skip(f"no sample documents at {SAMPLES}")
    urls = []
    for path in sorted(SAMPLES.glob("*.md")):
        urls += [url for url in find_urls(path.read_text(encoding="utf-8")) if url not in urls]
    return urls


def test_find_urls_in_samples_finds_every_spot_checked_link_whole():
    urls = _sample_urls()

    assert set(SAMPLE_SPOT_CHECKS) <= set(urls)
    assert [url for url in urls if "](" in url or url.endswith((")", "]", ".", ",", "~"))] == []


def test_parse_link_every_sample_url_parses_with_a_kind():
    urls = _sample_urls()

    parsed = {url: parse_link(url) for url in urls}

    assert len(urls) >= 40
    assert {link.kind for link in parsed.values()} <= set(KINDS)
    assert {link.kind for link in parsed.values()} >= {
        "paper",
        "video",
        "notebook",
        "slides",
        "recording",
        "code",
        "tutorial",
        "other",
    }
    assert all(parse_link(link.url).url == link.url for link in parsed.values())


@pytest.mark.parametrize(("url", "expected"), SAMPLE_SPOT_CHECKS.items())
def test_parse_link_sample_spot_checks(url, expected):
    parsed = parse_link(url)

    assert (parsed.url, parsed.kind) == expected
