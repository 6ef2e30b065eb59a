"""API keys with scopes: the env var, the key file and create_app's argument; old configs unchanged."""

from __future__ import annotations

import pytest

from recsys.serving.keys import ApiKeyError, given_keys, masked, parse_api_keys
from recsys.serving.settings import ApiConfig, read_api_keys

RECRUITER = frozenset({"recruiter"})
AUDITOR = frozenset({"auditor", "recruiter"})


def test_keys_without_scope_are_recruiter_keys_as_before(monkeypatch):
    monkeypatch.setenv("RECSYS_API_KEYS", "key1, key2,,")
    assert read_api_keys(ApiConfig()) == {"key1": RECRUITER, "key2": RECRUITER}


def test_scopes_in_the_env_var(monkeypatch):
    monkeypatch.setenv("RECSYS_API_KEYS", "rk,ak:auditor,both:auditor+admin,ad:admin")
    keys = read_api_keys(ApiConfig())
    assert keys["rk"] == RECRUITER
    assert keys["ak"] == AUDITOR  # an auditor may call what a recruiter may
    assert keys["both"] == {"auditor", "admin", "recruiter"}
    assert keys["ad"] == {"admin", "recruiter"}  # admin does not read group data


def test_key_file_lines_comments_and_line_numbers(monkeypatch, tmp_path):
    monkeypatch.delenv("RECSYS_API_KEYS", raising=False)
    path = tmp_path / "keys.txt"
    path.write_text("# team keys\nplain-key\n\n  audit-key : auditor  \n", "utf-8")
    keys = read_api_keys(ApiConfig(key_file=path))
    assert keys == {"plain-key": RECRUITER, "audit-key": AUDITOR}
    path.write_text("plain-key\nsecret-audit-key:auditr\n", "utf-8")
    with pytest.raises(ApiKeyError) as err:
        read_api_keys(ApiConfig(key_file=path))
    message = str(err.value)
    assert f"{path}, line 2 (key se…)" in message
    assert "recruiter, auditor, admin" in message and "'auditr'" in message
    assert "secret-audit-key" not in message


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ("supersecretkey:root", "found 'root'"),
        ("supersecretkey:", "found ''"),
        ("supersecretkey:auditor+", "found 'auditor+'"),
        (":auditor", "found an empty key"),
        ("super secret:auditor", "without spaces"),
    ],
)
def test_bad_entries_name_the_entry_not_the_key(monkeypatch, entry, says):
    monkeypatch.setenv("RECSYS_API_KEYS", f"ok-key,{entry}")
    with pytest.raises(ApiKeyError, match="RECSYS_API_KEYS entry 2") as err:
        read_api_keys(ApiConfig())
    assert says in str(err.value)
    assert "supersecretkey" not in str(err.value) and "super secret" not in str(err.value)


def test_given_keys_as_entries_or_mapping():
    assert given_keys(["a-key", "b-key:auditor"]) == {"a-key": RECRUITER, "b-key": AUDITOR}
    got = given_keys({"a-key": "recruiter", "b-key": ["auditor", "admin"], "c-key": "auditor"})
    assert got == {
        "a-key": RECRUITER,
        "b-key": {"auditor", "admin", "recruiter"},
        "c-key": AUDITOR,
    }
    with pytest.raises(ApiKeyError, match=r"api_keys entry 1 \(key lo…\).*found 'boss'"):
        given_keys({"long-secret": "boss"})
    with pytest.raises(ApiKeyError, match="without ':'"):
        given_keys({"long-secret:auditor": "auditor"})
    with pytest.raises(ApiKeyError, match="wrap one key in a list"):
        given_keys("a-single-key")


def test_a_key_listed_twice_gets_both_scopes_and_short_keys_are_not_shown():
    keys = parse_api_keys([("e1", "same-key"), ("e2", "same-key:auditor")])
    assert keys == {"same-key": AUDITOR}
    assert masked("abc") == "…" and masked("abcdefgh") == "ab…"


def test_each_key_has_its_own_rate_limit_and_429_says_when_to_retry():
    from fastapi.testclient import TestClient
    from serving_world import some_role, tiny_bundle

    from recsys.recommender import Recommender
    from recsys.serving.api import create_app
    from recsys.serving.settings import ServeConfig

    settings = ServeConfig(api={"rate_limit": "3/minute"}, saved_shortlists=None)
    app = create_app(str(tiny_bundle()), api_keys=["a-key", "b-key"], settings=settings)
    body = {"role_id": some_role(Recommender.load(tiny_bundle())), "k": 2}
    with TestClient(app) as client:
        a, b = ({"Authorization": f"Bearer {k}"} for k in ("a-key", "b-key"))
        codes = [client.post("/v1/shortlist", json=body, headers=a).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = client.get("/v1/whoami", headers=a)
        assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
        assert "Rate limit of this API key (3 per 1 minute)" in r.json()["detail"]
        assert client.post("/v1/shortlist", json=body, headers=b).status_code == 200  # its own
        assert client.get("/healthz").status_code == 200  # open routes are not counted


def test_a_rate_limit_that_does_not_parse_is_refused_at_configuration():
    import pydantic

    from recsys.serving.settings import ServeConfig

    with pytest.raises(pydantic.ValidationError, match="expected rates like '600/minute'"):
        ServeConfig(api={"rate_limit": "fast"})
