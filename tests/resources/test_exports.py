import json
from datetime import date
from pathlib import Path

import bibtexparser
import jsonschema
import pytest
from bibtexparser.middlewares import LatexDecodingMiddleware

from resources.models import ReadingList, ReadingListItem, Resource
from resources.services.exports import bibtex_export, citation_key, csljson_export, markdown_export
from tests.factories import ResourceFactory, local

pytestmark = pytest.mark.django_db

# The official CSL-JSON input schema, v1.0 (citation-style-language/schema, schemas/input/csl-data.json).
CSL_SCHEMA = json.loads((Path(__file__).parent / "csl-data.json").read_text(encoding="utf-8"))


# Real metadata, copied from the arXiv, Crossref and DataCite bodies in tests/fixtures.


def arxiv_aew10():
    resource = ResourceFactory(
        url="https://arxiv.org/abs/1707.08567",
        title="Proceedings of Workshop AEW10: Concepts in Information Theory and Communications",
        kind=Resource.Kind.PAPER,
        arxiv_id="1707.08567",
        arxiv_version=1,
        authors=[
            {"given": "Kees A. Schouhamer", "family": "Immink"},
            {"given": "Stan", "family": "Baggen"},
            {"given": "Peter H. N.", "family": "de With"},
            {"given": "Dirk", "family": "Wübben"},
        ],
        abstract='The 10th Asia-Europe workshop in "Concepts in Information Theory and Communications" AEW10 '
        "was held in Boppard, Germany on June 21-23, 2017.",
        published_date=date(2017, 7, 27),
        created_at=local(2024, 10, 7),
    )
    resource.primary_category = "cs.IT"  # not a column yet: the worker will store it later
    return resource


def arxiv_bethe_lattice():
    resource = ResourceFactory(
        url="https://arxiv.org/abs/1111.2011",
        title="Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit",
        kind=Resource.Kind.PAPER,
        arxiv_id="1111.2011",
        arxiv_version=2,
        doi="10.1103/PhysRevB.85.115117",
        venue="Phys. Rev. B 85, 115117 (2012)",
        authors=[
            {"given": "James M.", "family": "Murray"},
            {"given": "Adrian", "family": "Del Maestro"},
            {"given": "Zlatko", "family": "Tesanovic"},
        ],
        published_date=date(2011, 11, 8),
        created_at=local(2024, 10, 7),
    )
    resource.primary_category = "cond-mat.str-el"
    return resource


def plos_methylphenidate():
    return ResourceFactory(
        url="https://doi.org/10.1371/journal.pone.0033693",
        title="Methylphenidate Exposure Induces Dopamine Neuron Loss and Activation of Microglia "
        "in the Basal Ganglia of Mice",
        kind=Resource.Kind.PAPER,
        doi="10.1371/journal.pone.0033693",
        venue="PLoS ONE",
        authors=[
            {"given": "Shankar", "family": "Sadasivan"},
            {"given": "Brooks B.", "family": "Pond"},
            {"given": "Amar K.", "family": "Pani"},
            {"given": "Chunxu", "family": "Qu"},
            {"given": "Yun", "family": "Jiao"},
            {"given": "Richard J.", "family": "Smeyne"},
        ],
        published_date=date(2012, 3, 21),
        created_at=local(2024, 10, 7),
    )


def www18_dl_learner():
    resource = ResourceFactory(
        url="https://doi.org/10.1145/3184558.3186235",
        title="DL-Learner Structured Machine Learning on Semantic Web Data",
        kind=Resource.Kind.PAPER,
        doi="10.1145/3184558.3186235",
        venue="Companion of the The Web Conference 2018 on The Web Conference 2018  - WWW '18",
        authors=[
            {"given": "Lorenz", "family": "Bühmann"},
            {"given": "Jens", "family": "Lehmann"},
            {"given": "Patrick", "family": "Westphal"},
            {"given": "Simon", "family": "Bin"},
        ],
        # Crossref gives only the year; the conference opened on 23 April.
        published_date=date(2018, 4, 23),
        created_at=local(2024, 10, 7),
    )
    resource.container_type = "proceedings-article"
    resource.publisher = "ACM Press"
    return resource


def zenodo_analysis_tools():
    resource = ResourceFactory(
        url="https://doi.org/10.5281/zenodo.48440",
        title="Analysis Tools for Crossover Experiment of UI using Choice Architecture",
        kind=Resource.Kind.CODE,
        doi="10.5281/zenodo.48440",
        authors=[{"given": "Kristian", "family": "Garza"}],
        published_date=date(2016, 3, 27),
        created_at=local(2024, 10, 7),
    )
    resource.publisher = "Zenodo"
    return resource


def neural_network_video():
    return ResourceFactory(
        url="https://www.youtube.com/watch?v=aircAruvnKk",
        title="But what is a neural network? | Deep learning chapter 1",
        kind=Resource.Kind.VIDEO,
        youtube_id="aircAruvnKk",
        authors=[{"name": "3Blue1Brown"}],
        created_at=local(2024, 10, 7),
    )


def parse(text):
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    return library


def fields(entry):
    return {field.key: field.value for field in entry.fields}


# BibTeX


def test_bibtex_export_arxiv_preprint_is_misc_with_eprint_archiveprefix_primaryclass():
    library = parse(bibtex_export([arxiv_aew10()]))

    [entry] = library.entries
    assert (entry.entry_type, entry.key) == ("misc", "immink2017proceedings")
    assert fields(entry) == {
        "author": "Immink, Kees A. Schouhamer and Baggen, Stan and de With, Peter H. N. and Wübben, Dirk",
        "title": "{Proceedings of Workshop AEW10: Concepts in Information Theory and Communications}",
        "year": "2017",
        "month": "jul",
        "eprint": "1707.08567",
        "archivePrefix": "arXiv",
        "primaryClass": "cs.IT",
        "url": "https://arxiv.org/abs/1707.08567",
    }


def test_bibtex_export_arxiv_without_metadata_omits_primaryclass_and_keys_by_arxiv_id():
    resource = ResourceFactory(
        url="https://arxiv.org/abs/astro-ph/0601001", title="", arxiv_id="astro-ph/0601001"
    )

    text = bibtex_export([resource])

    assert text == (
        "@misc{arxivastro-ph-0601001,\n"
        "  eprint = {astro-ph/0601001},\n"
        "  archivePrefix = {arXiv},\n"
        "  url = {https://arxiv.org/abs/astro-ph/0601001}\n"
        "}\n"
    )
    [entry] = parse(text).entries
    assert fields(entry) == {
        "eprint": "astro-ph/0601001",
        "archivePrefix": "arXiv",
        "url": "https://arxiv.org/abs/astro-ph/0601001",
    }


def test_bibtex_export_arxiv_with_doi_and_venue_is_article():
    [entry] = parse(bibtex_export([arxiv_bethe_lattice()])).entries

    assert (entry.entry_type, entry.key) == ("article", "murray2011quantum")
    assert fields(entry) == {
        "author": "Murray, James M. and Del Maestro, Adrian and Tesanovic, Zlatko",
        "title": "{Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large "
        "Connectivity Limit}",
        "journal": "Phys. Rev. B 85, 115117 (2012)",
        "year": "2011",
        "month": "nov",
        "doi": "10.1103/PhysRevB.85.115117",
        "eprint": "1111.2011",
        "archivePrefix": "arXiv",
        "primaryClass": "cond-mat.str-el",
        "url": "https://arxiv.org/abs/1111.2011",
    }


def test_bibtex_export_doi_journal_article_carries_doi_journal_year():
    [entry] = parse(bibtex_export([plos_methylphenidate()])).entries

    assert (entry.entry_type, entry.key) == ("article", "sadasivan2012methylphenidate")
    assert fields(entry) == {
        "author": "Sadasivan, Shankar and Pond, Brooks B. and Pani, Amar K. and Qu, Chunxu and Jiao, Yun "
        "and Smeyne, Richard J.",
        "title": "{Methylphenidate Exposure Induces Dopamine Neuron Loss and Activation of Microglia "
        "in the Basal Ganglia of Mice}",
        "journal": "PLoS ONE",
        "year": "2012",
        "month": "mar",
        "doi": "10.1371/journal.pone.0033693",
        "url": "https://doi.org/10.1371/journal.pone.0033693",
    }


def test_bibtex_export_proceedings_article_is_inproceedings_with_booktitle():
    [entry] = parse(bibtex_export([www18_dl_learner()])).entries

    assert (entry.entry_type, entry.key) == ("inproceedings", "buhmann2018dllearner")
    assert fields(entry) == {
        "author": "Bühmann, Lorenz and Lehmann, Jens and Westphal, Patrick and Bin, Simon",
        "title": "{DL-Learner Structured Machine Learning on Semantic Web Data}",
        "booktitle": "Companion of the The Web Conference 2018 on The Web Conference 2018 - WWW '18",
        "publisher": "ACM Press",
        "year": "2018",
        "month": "apr",
        "doi": "10.1145/3184558.3186235",
        "url": "https://doi.org/10.1145/3184558.3186235",
    }


def test_bibtex_export_doi_without_venue_is_misc_with_doi():
    [entry] = parse(bibtex_export([zenodo_analysis_tools()])).entries

    assert (entry.entry_type, entry.key) == ("misc", "garza2016analysis")
    assert fields(entry) == {
        "author": "Garza, Kristian",
        "title": "{Analysis Tools for Crossover Experiment of UI using Choice Architecture}",
        "publisher": "Zenodo",
        "year": "2016",
        "month": "mar",
        "doi": "10.5281/zenodo.48440",
        "url": "https://doi.org/10.5281/zenodo.48440",
    }


def test_bibtex_export_video_is_misc_with_howpublished_and_kind_note():
    text = bibtex_export([neural_network_video()])

    assert text == (
        "@misc{3blue1brownneural,\n"
        "  author = {{3Blue1Brown}},\n"
        "  title = {{But what is a neural network? | Deep learning chapter 1}},\n"
        "  howpublished = {\\url{https://www.youtube.com/watch?v=aircAruvnKk}},\n"
        "  year = {2024},\n"
        "  note = {Video},\n"
        "  url = {https://www.youtube.com/watch?v=aircAruvnKk}\n"
        "}\n"
    )
    [entry] = parse(text).entries
    assert entry.entry_type == "misc"
    assert fields(entry)["howpublished"] == "\\url{https://www.youtube.com/watch?v=aircAruvnKk}"


def test_bibtex_export_resource_without_authors_is_keyed_by_pk():
    resource = ResourceFactory(
        url="https://jalammar.github.io/illustrated-transformer/",
        title="The Illustrated Transformer",
        kind=Resource.Kind.TUTORIAL,
        created_at=local(2023, 2, 1),
    )

    [entry] = parse(bibtex_export([resource])).entries

    assert entry.key == f"resource{resource.pk}"
    assert fields(entry) == {
        "title": "{The Illustrated Transformer}",
        "howpublished": "\\url{https://jalammar.github.io/illustrated-transformer/}",
        "year": "2023",
        "note": "Tutorial",
        "url": "https://jalammar.github.io/illustrated-transformer/",
    }


def test_bibtex_export_keeps_the_given_order_and_unique_keys_for_same_author_and_year():
    herdman = [{"given": "C. M.", "family": "Herdman"}, {"given": "A.", "family": "Del Maestro"}]
    chemical = ResourceFactory(
        title="Quantum Monte Carlo measurement of the chemical potential of helium-4",
        authors=herdman,
        published_date=date(2013, 12, 20),
    )
    superfluid = ResourceFactory(
        title="Quantum Monte Carlo study of superfluid helium in nanopores",
        authors=herdman,
        published_date=date(2013, 3, 27),
    )
    entanglement = ResourceFactory(
        title="Particle partition entanglement of bosonic Luttinger liquids",
        authors=herdman,
        published_date=date(2013, 12, 19),
    )
    third = ResourceFactory(
        title="Quantum Monte Carlo, again", authors=herdman, published_date=date(2013, 1, 1)
    )

    library = parse(bibtex_export([chemical, superfluid, entanglement, third]))

    assert [entry.key for entry in library.entries] == [
        "herdman2013quantum",
        "herdman2013quantuma",
        "herdman2013particle",
        "herdman2013quantumb",
    ]
    assert [fields(entry)["url"] for entry in library.entries] == [
        chemical.url,
        superfluid.url,
        entanglement.url,
        third.url,
    ]


def test_bibtex_export_escapes_latex_specials_and_round_trips():
    title = "Fast {GAN}s & 100% of $x_1$ #1 ~ \\alpha"
    resource = ResourceFactory(
        title=title, authors=[{"given": "Jane", "family": "O'Brien & Sons"}], published_date=date(2020, 5, 1)
    )

    text = bibtex_export([resource, plos_methylphenidate()])

    [entry, after] = parse(text).entries
    assert entry.key == "obriensons2020fast"
    assert fields(entry)["title"] == (
        "{Fast \\{GAN\\}s \\& 100\\% of \\$x\\_1\\$ \\#1 \\textasciitilde{} \\textbackslash{}alpha}"
    )
    assert fields(entry)["author"] == "O'Brien \\& Sons, Jane"
    assert after.key == "sadasivan2012methylphenidate"
    decoded = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    assert decoded.entries[0].fields_dict["title"].value == title
    assert decoded.entries[0].fields_dict["author"].value == "O'Brien & Sons, Jane"


def test_bibtex_export_unbalanced_braces_and_carets_stay_valid():
    odd = ResourceFactory(title="A } closing {brace and x^2 @misc{evil,", published_date=date(2020, 1, 2))
    name_with_and = ResourceFactory(
        title="Ranking",
        authors=[{"given": "Smith", "family": "Johnson and Johnson"}, {"name": "Google DeepMind"}],
    )

    text = bibtex_export([odd, name_with_and, plos_methylphenidate()])

    library = parse(text)
    assert [entry.key for entry in library.entries] == [
        f"resource{odd.pk}",
        "johnsonandjohnsonranking",
        "sadasivan2012methylphenidate",
    ]
    assert fields(library.entries[0])["title"] == (
        "{A \\textbraceright{} closing \\textbraceleft{}brace and x\\textasciicircum{}2 "
        "@misc\\textbraceleft{}evil,}"
    )
    assert fields(library.entries[1])["author"] == "{Johnson and Johnson}, Smith and {Google DeepMind}"


def test_bibtex_export_of_nothing_is_empty():
    assert bibtex_export([]) == ""


def test_citation_key_folds_to_ascii_skips_stopwords_and_records_the_key():
    resource = ResourceFactory(
        title="On the Élan of Łukasiewicz Logic",
        authors=[{"given": "Søren", "family": "Ørsted-Łukasiewicz"}],
        published_date=date(2021, 6, 1),
    )
    taken = {"orstedlukasiewicz2021elan"}

    key = citation_key(resource, taken)

    assert key == "orstedlukasiewicz2021elana"
    assert taken == {"orstedlukasiewicz2021elan", "orstedlukasiewicz2021elana"}
    assert citation_key(resource, taken) == "orstedlukasiewicz2021elanb"


# CSL-JSON


def test_csljson_export_validates_against_the_csl_schema():
    resources = [
        arxiv_aew10(),
        arxiv_bethe_lattice(),
        plos_methylphenidate(),
        www18_dl_learner(),
        zenodo_analysis_tools(),
        neural_network_video(),
        ResourceFactory(title="Lecture 3 slides", kind=Resource.Kind.SLIDES),
        ResourceFactory(title="MNIST", kind=Resource.Kind.DATASET),
        ResourceFactory(title="Course notes", kind=Resource.Kind.COURSE),
    ]

    items = csljson_export(resources)

    jsonschema.validate(items, CSL_SCHEMA)
    assert [item["type"] for item in items] == [
        "article",
        "article-journal",
        "article-journal",
        "paper-conference",
        "software",
        "motion_picture",
        "speech",
        "dataset",
        "webpage",
    ]
    assert len({item["id"] for item in items}) == len(items)


def test_csljson_export_arxiv_preprint_item():
    [item] = csljson_export([arxiv_aew10()])

    assert item == {
        "id": "immink2017proceedings",
        "type": "article",
        "title": "Proceedings of Workshop AEW10: Concepts in Information Theory and Communications",
        "author": [
            {"family": "Immink", "given": "Kees A. Schouhamer"},
            {"family": "Baggen", "given": "Stan"},
            {"family": "de With", "given": "Peter H. N."},
            {"family": "Wübben", "given": "Dirk"},
        ],
        "issued": {"date-parts": [[2017, 7, 27]]},
        "number": "arXiv:1707.08567",
        "publisher": "arXiv",
        "abstract": 'The 10th Asia-Europe workshop in "Concepts in Information Theory and Communications" '
        "AEW10 was held in Boppard, Germany on June 21-23, 2017.",
        "URL": "https://arxiv.org/abs/1707.08567",
        "accessed": {"date-parts": [[2024, 10, 7]]},
    }


def test_csljson_export_journal_and_proceedings_items():
    journal, proceedings = csljson_export([plos_methylphenidate(), www18_dl_learner()])

    assert journal["type"] == "article-journal"
    assert journal["container-title"] == "PLoS ONE"
    assert journal["DOI"] == "10.1371/journal.pone.0033693"
    assert journal["issued"] == {"date-parts": [[2012, 3, 21]]}
    assert journal["author"][0] == {"family": "Sadasivan", "given": "Shankar"}
    assert "publisher" not in journal
    assert proceedings == {
        "id": "buhmann2018dllearner",
        "type": "paper-conference",
        "title": "DL-Learner Structured Machine Learning on Semantic Web Data",
        "author": [
            {"family": "Bühmann", "given": "Lorenz"},
            {"family": "Lehmann", "given": "Jens"},
            {"family": "Westphal", "given": "Patrick"},
            {"family": "Bin", "given": "Simon"},
        ],
        "issued": {"date-parts": [[2018, 4, 23]]},
        "container-title": "Companion of the The Web Conference 2018 on The Web Conference 2018  - WWW '18",
        "publisher": "ACM Press",
        "DOI": "10.1145/3184558.3186235",
        "URL": "https://doi.org/10.1145/3184558.3186235",
        "accessed": {"date-parts": [[2024, 10, 7]]},
    }


def test_csljson_export_literal_author_and_no_issued_date_for_undated_video():
    [item] = csljson_export([neural_network_video()])

    jsonschema.validate([item], CSL_SCHEMA)
    assert item == {
        "id": "3blue1brownneural",
        "type": "motion_picture",
        "title": "But what is a neural network? | Deep learning chapter 1",
        "author": [{"literal": "3Blue1Brown"}],
        "URL": "https://www.youtube.com/watch?v=aircAruvnKk",
        "accessed": {"date-parts": [[2024, 10, 7]]},
    }


def test_csljson_export_ids_match_bibtex_keys():
    resources = [plos_methylphenidate(), arxiv_aew10(), neural_network_video()]

    ids = [item["id"] for item in csljson_export(resources)]

    assert ids == [entry.key for entry in parse(bibtex_export(resources)).entries]


# Markdown


def test_markdown_export_lists_items_in_order_with_authors_year_tags_and_notes():
    reading_list = ReadingList.objects.create(
        title="Lecture 3 reading", description="Read the *first two* before Monday."
    )
    plos, aew10, video = plos_methylphenidate(), arxiv_aew10(), neural_network_video()
    video.tags.add("deep learning", "intro")
    plos.tags.add("neuroscience")
    items = [
        ReadingListItem.objects.create(
            reading_list=reading_list, resource=video, position=0, note="Start here."
        ),
        ReadingListItem.objects.create(
            reading_list=reading_list,
            resource=aew10,
            position=1,
            note="Skim the editors' preface.\n\nThen pick one chapter.",
        ),
        ReadingListItem.objects.create(reading_list=reading_list, resource=plos, position=2),
    ]

    text = markdown_export(reading_list, items)

    assert text == (
        "# Lecture 3 reading\n"
        "\n"
        "Read the *first two* before Monday.\n"
        "\n"
        "- [But what is a neural network? | Deep learning chapter 1](https://www.youtube.com/watch?v=aircAruvnKk)"
        " — 3Blue1Brown. #deep-learning #intro\n"
        "  Start here.\n"
        "- [Proceedings of Workshop AEW10: Concepts in Information Theory and Communications]"
        "(https://arxiv.org/abs/1707.08567) — Kees A. Schouhamer Immink et al., 2017.\n"
        "  Skim the editors' preface.\n"
        "\n"
        "  Then pick one chapter.\n"
        "- [Methylphenidate Exposure Induces Dopamine Neuron Loss and Activation of Microglia in the Basal "
        "Ganglia of Mice](https://doi.org/10.1371/journal.pone.0033693) — Shankar Sadasivan et al., 2012."
        " #neuroscience\n"
    )


def test_markdown_export_escapes_link_text_and_urls():
    reading_list = ReadingList.objects.create(title="Odd links")
    resource = ResourceFactory(
        url="https://en.wikipedia.org/wiki/Transformer_(deep_learning_architecture)",
        title="Transformer [deep_learning] *architecture*",
        authors=[{"given": "Ada", "family": "Lovelace"}, {"given": "Alan", "family": "Turing"}],
        published_date=date(2021, 1, 1),
    )
    odd = ResourceFactory(url="https://example.org/a)b", title="")
    items = [
        ReadingListItem.objects.create(reading_list=reading_list, resource=resource, position=0),
        ReadingListItem.objects.create(reading_list=reading_list, resource=odd, position=1),
    ]

    text = markdown_export(reading_list, items)

    assert text == (
        "# Odd links\n"
        "\n"
        "- [Transformer \\[deep\\_learning\\] \\*architecture\\*]"
        "(https://en.wikipedia.org/wiki/Transformer_(deep_learning_architecture))"
        " — Ada Lovelace and Alan Turing, 2021.\n"
        "- [https://example.org/a)b](https://example.org/a%29b)\n"
    )


def test_markdown_export_of_an_empty_list_is_its_heading():
    reading_list = ReadingList.objects.create(title="Intro to ML resources", description="")

    assert markdown_export(reading_list, []) == "# Intro to ML resources\n"


def test_exports_keep_a_year_only_date_to_the_year():
    resource = ResourceFactory(
        url="https://doi.org/10.1145/3184558.3186235",
        title="Proceedings paper",
        doi="10.1145/3184558.3186235",
        venue="Companion of the The Web Conference 2018",
        published_date=date(2018, 1, 1),
        published_date_precision="year",
        authors=[{"given": "Ada", "family": "Lovelace"}],
    )

    entry = bibtexparser.parse_string(bibtex_export([resource])).entries[0]
    item = csljson_export([resource])[0]

    assert entry.fields_dict["year"].value == "2018"
    assert "month" not in entry.fields_dict
    assert item["issued"] == {"date-parts": [[2018]]}
