"""schemathesis against the live schema, in-process, with a member's token.

Every operation gets positive and negative examples (examples, coverage and fuzzing phases,
seeded and derandomised so runs repeat), and must answer: no 5xx, only documented status
codes and content types, bodies that match the schema, and no invalid input accepted.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from meetings.models import ResearchItem
from meetings.services import queue
from meetings.services.tokens import api_token_create
from resources.models import ReadingList, ReadingListItem
from tests.factories import MeetingFactory, ResourceFactory, SeriesFactory, TalkFactory

pytestmark = [pytest.mark.api_fuzz]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
SEED = 20261121
MAX_EXAMPLES = 15


@pytest.fixture
def member_token(member):
    return api_token_create(user=member, name="schemathesis")[1]


@pytest.fixture
def _keep_test_connection():
    """As Django's test client does: requests must not close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_data(_keep_test_connection, series, private_series, member, other_member, organiser):
    """A little of everything, so that generated requests meet real rows as well as missing ones."""
    meeting = MeetingFactory(series=series, title="Attention", agenda="Read https://arxiv.org/abs/1706.03762")
    MeetingFactory(series=private_series, title="Secret")
    TalkFactory(meeting=meeting, speaker=member, title="Transformers")
    resource = ResourceFactory(title="Attention is all you need", notes="A classic.")
    resource.tags.add("nlp")
    ResearchItem.objects.create(meeting=meeting, text="Find the code", text_html="<p>Find the code</p>")
    reading_list = ReadingList.objects.create(title="Intro to ML", created_by=organiser)
    ReadingListItem.objects.create(reading_list=reading_list, resource=resource, position=1)
    SeriesFactory(name="Members' club", slug="members-club", visibility="members", organisers=[member])
    suggested = queue.suggestion_create(
        series=series, url="arXiv:2106.09685", by=member, pitch="LoRA"
    ).suggestion
    queue.suggestion_comment_add(suggestion=suggested, by=other_member, body="See https://example.org/code")


# Loaded when the module is collected (schemathesis' lazy fixture loader does not work with
# pytest 9); building the schema needs Django set up, not the database.
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/schema/?format=json",
    WSGIHandler(),
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
                # The member's token is sent on every request; do not generate other credentials.
                "with-security-parameters": False,
            },
        }
    ),
)


def auth_headers(token: str) -> dict:
    # schemathesis calls the WSGI app itself, which (unlike an HTTP client) does not undo the
    # site's gzip: ask for the body as it is.
    return {"Authorization": f"Token {token}", "Accept-Encoding": "identity"}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_matches_its_schema(case, fuzz_data, member_token):
    case.call_and_validate(headers=auth_headers(member_token), checks=CHECKS)


def test_api_stateful_links_hold(fuzz_data, member_token):
    """Chains of calls along the links schemathesis infers (create, then read, tick, drop...)."""
    headers = auth_headers(member_token)

    class Machine(schema.as_state_machine()):
        # Every scenario starts from the same rows: hypothesis replays scenarios and needs the
        # same answers to the same requests.
        def setup(self):
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, headers=headers)

    Machine.run(
        settings=settings(
            max_examples=MAX_EXAMPLES,
            stateful_step_count=8,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
