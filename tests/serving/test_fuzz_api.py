"""Schemathesis against the app (in-process ASGI): generated requests for every documented /v1
operation, valid and invalid, with an admin key over a live store; no answer may be a 5xx or
disagree with the OpenAPI description (status code, content type, body schema, headers).

``/v1/admin/reload`` is left out (each valid case reloads the model for seconds; tests/serving/
test_admin.py covers it).  Examples per operation: ``RECSYS_FUZZ_EXAMPLES`` (default 25)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from serving_world import tiny_bundle

from recsys.serving.api import create_app
from recsys.serving.settings import ServeConfig

EXAMPLES = int(os.environ.get("RECSYS_FUZZ_EXAMPLES", "25"))
AUTH = {"Authorization": "Bearer fuzz-key"}
CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
)


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    from fastapi.testclient import TestClient
    from serving_world import tiny_store

    root = tmp_path_factory.mktemp("fuzz")
    tiny_store(root / "store")
    settings_ = ServeConfig(saved_shortlists=str(root / "saved"), event_log=str(root / "events"))
    app = create_app(
        str(tiny_bundle()),
        api_keys=["fuzz-key:admin+auditor"],
        settings=settings_,
        store=root / "store",
    )
    with TestClient(app):  # the lifespan: model and store loaded once
        yield schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path="/v1/admin/reload")


def _fuzz(operation, mode, ran: dict[str, int]) -> None:
    """EXAMPLES cases of ``operation`` in generation ``mode``, each called and checked."""
    from hypothesis import given

    label = f"{operation.label} ({mode.value})"
    ran[label] = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    def run(case):
        ran[label] += 1
        case.call_and_validate(headers=AUTH, checks=CHECKS)

    run()


def test_no_5xx_and_no_schema_violation(api_schema):
    """Every operation, EXAMPLES valid and EXAMPLES invalid cases (schemathesis' strategies run
    by hypothesis); the failures of all operations are reported together, with the count."""
    ran: dict[str, int] = {}
    failures: dict[str, str] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, ran)
            except Unsatisfiable:  # an operation that takes no input has no invalid one
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as err:  # noqa: BLE001 - all reported below
                failures[f"{operation.label} ({mode.value})"] = (
                    f"{type(err).__name__}: {str(err)[:1500]}"
                )
    print(f"schemathesis: {sum(ran.values())} cases over {len(ran) // 2} operations")
    assert len(ran) >= 30, sorted(ran)
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())
