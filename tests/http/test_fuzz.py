"""Every HTTP API fuzzed from its own OpenAPI document with schemathesis, in process (ASGI):
each service's app built as its composition root builds it (tests/http/apps.py), on a real
Postgres, its document loaded from its own `/openapi.json`, and every operation sent requests
generated from it, schema-valid ones and schema-invalid ones, with an officer's (or, for
signing, intake's service) token so they reach past the 401. Every answer must pass
schemathesis's checks: never a 5xx; only a status the operation declares, with the declared
content type, headers and schema; a schema-invalid request refused with a 4xx, a schema-valid
one never refused as invalid; a secured operation refusing a request without its token (and
one with a wrong token), and a method the path does not have answered 405.

Reproducible: hypothesis is derandomized (the same cases every run) and keeps no example
database; MAX_EXAMPLES per operation and mode keeps the file near a minute on two cores."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS
from schemathesis.python import asgi
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_runtime.rate_limits import RateLimitSettings
from tests.http.apps import NAMES, build, isolated_databases

MAX_EXAMPLES = 25  # per operation and generation mode
CHECK_NAMES = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
               "response_headers_conformance", "response_schema_conformance",
               "negative_data_rejection", "ignored_auth",
               "unsupported_method")
# The rate limits installed as the composition roots install them, generous enough that the
# fuzzer is never refused (schemathesis's client has no address a `rate_limit_exempt` names).
GENEROUS = RateLimitSettings(rate_limit_lookups="100000/minute",
                             rate_limit_guesses_per_code="100000/minute",
                             rate_limit_writes="100000/minute",
                             rate_limit_reads="100000/minute")


# Refusals no JSON Schema can state, answered 422 with this rule's own message: a procedure
# code the catalogue does not hold (the catalogue is data, not the document), an integer in
# the free-form `data` beyond what a JSON float carries exactly (stated in its description),
# a postal delivery without an address (a rule between two fields), a document naming a file
# that was never uploaded (the store is data too), a report period that ends before it starts
# and an access-log query naming neither a dossier nor an officer (rules between parameters);
# and a file whose bytes are no PDF, JPEG or PNG (judged from them). Any other refusal of a
# schema-valid request is still a mismatch.
NOT_STORED = "which is not stored; upload it first"
FILING_REFUSALS = ("is not in the catalogue", "exceeds safe integer domain for JSON floats",
                   "delivery.address is required when", NOT_STORED,
                   # format: email, at a domain that takes no mail
                   "is a special-use or reserved name")
SEMANTIC_REFUSALS = {"POST /api/dossiers": FILING_REFUSALS,
                "POST /api/officer/dossiers": FILING_REFUSALS,  # the desk's: the same body
                "POST /api/dossiers/{code}/supplement": (NOT_STORED,),
                "GET /api/reports": ("to: must not be before from",),
                "GET /api/file-reads": ("dossier or officer: name one",),
                # The service index of an agency or field the catalogue does not have.
                "GET /api/index": ("in the catalogue",),
                # 415: what the bytes are (sniffed), and the part's declared type against it.
                "POST /api/files": ("is declared as", "(judged by its content)")}


def schema_valid_accepted(ctx, response, case):
    """schemathesis's positive_data_acceptance, but for the rules of SEMANTIC_REFUSALS."""
    rules = SEMANTIC_REFUSALS.get(case.operation.label, ())
    if response.status_code in (415, 422) and any(rule in response.json().get("detail", "")
                                           for rule in rules):
        return None
    return CHECKS.get_one("positive_data_acceptance")(ctx, response, case)


@dataclass
class Report:
    cases: int = 0
    failures: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
async def databases(infra) -> Iterator[dict[str, tuple[async_sessionmaker, str]]]:
    made, engines = await isolated_databases(infra, "fuzz")
    yield made
    # The apps ran on schemathesis's event loop thread: their connections belong to it.
    portal = asgi._get_portal()
    for engine in engines:
        portal.call(engine.dispose)


def checks() -> list[Callable]:
    return [CHECKS.get_one(name) for name in CHECK_NAMES] + [schema_valid_accepted]


def fuzz(operation: schemathesis.APIOperation, mode: GenerationMode, headers: dict[str, str],
         report: Report) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink], print_blob=False,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                     HealthCheck.data_too_large])
    def one(case: schemathesis.Case) -> None:
        report.cases += 1
        # The generated token is replaced by a valid one, but only where the case has one: a
        # negative case may leave it out on purpose, and must then be refused (401).
        if case.headers and "Authorization" in case.headers:
            case.headers["Authorization"] = headers["Authorization"]
        case.call_and_validate(checks=checks())

    try:
        one()
    except Unsatisfiable:
        # Nothing to make invalid (no parameters, no body): no negative case exists.
        assert mode is GenerationMode.NEGATIVE, operation.label
    except (Exception, BaseExceptionGroup) as error:  # every operation's, not only the first
        report.failures.append(f"{operation.label} ({mode.value}): {error}")


@pytest.mark.parametrize("name", NAMES)
def test_every_operation_holds_to_its_document(databases, name):
    sessions, topic = databases[name]
    app, token = build(name, sessions, topic, rate_limits=GENEROUS)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    report = Report()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode, headers, report)
    print(f"{name}: {len(operations)} operations, {report.cases} cases")
    assert not report.failures, "\n\n".join(report.failures)
