"""The HTTP contract as documented: strict request types, one 422 shape, every refusal in the
OpenAPI description, and nothing of the served model on the open routes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from serving_world import some_role, tiny_bundle

from recsys.recommender import Recommender
from recsys.serving.api import create_app
from recsys.serving.settings import ServeConfig

KEY = {"Authorization": "Bearer k"}


@pytest.fixture(scope="module")
def client():
    app = create_app(
        str(tiny_bundle()), api_keys=["k"], settings=ServeConfig(saved_shortlists=None)
    )
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def role():
    return some_role(Recommender.load(tiny_bundle()))


@pytest.mark.parametrize("k", ["10", True, 2.5, None, [3]])
def test_k_must_be_an_int_not_a_string_bool_or_float(client, role, k):
    r = client.post("/v1/shortlist", json={"role_id": role, "k": k}, headers=KEY)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][-1] == "k"


@pytest.mark.parametrize(
    "body",
    [
        {"k": 5},  # neither role_id nor job_description
        {"role_id": "x", "job_description": "Python", "k": 5},  # both
        {"role_id": "x", "k": 100_000},  # over max_k: our check, not pydantic's
        {"role_id": "x", "k": 5, "colour": "blue"},  # an unknown field
        {"job_description": "Python", "required_skills": ["no-such-skill"], "k": 3},
    ],
)
def test_every_422_has_the_documented_shape(client, body):
    r = client.post("/v1/shortlist", json=body, headers=KEY)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, list) and detail
    assert all({"loc", "msg", "type"} <= set(d) and isinstance(d["msg"], str) for d in detail)


def test_open_routes_say_nothing_of_the_model_and_v1_model_needs_a_key(client):
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}
    assert client.get("/v1/model").status_code == 401
    served = client.get("/v1/model", headers=KEY).json()
    assert {"version", "encoder", "index_sha256", "recsys"} <= set(served)


def test_the_openapi_description_lists_every_refusal_of_the_v1_routes(client):
    spec = client.get("/openapi.json").json()
    assert "ErrorResponse" in spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            codes = set(operation["responses"])
            if path.startswith("/v1/"):
                assert {"401", "403", "404", "413", "429"} <= codes, (path, codes)
                takes_input = "requestBody" in operation or operation.get("parameters")
                assert ("422" in codes) == bool(takes_input), (path, codes)
    assert "exactly one of" in spec["components"]["schemas"]["ShortlistRequest"]["description"]
