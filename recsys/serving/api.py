"""The HTTP service: a thin FastAPI shell over :class:`recsys.recommender.Recommender`.

``create_app(model_uri)`` returns the app; the recommender is loaded in the lifespan handler onto
``app.state.recommender``.  Every ``/v1`` route needs ``Authorization: Bearer <key>`` (keys from
``RECSYS_API_KEYS``, comma-separated, or a key file) whose scopes allow it (:mod:`recsys.serving.keys`:
``recruiter`` by default; ``/v1/audit/...`` needs ``auditor``, :mod:`recsys.serving.audit_routes`;
the store writes and ``/v1/admin/reload`` need ``admin``; ``GET /v1/whoami`` tells a key its scopes); ``/``, ``/healthz``, ``/readyz``, ``/metrics``,
``/docs`` and ``/redoc`` are open.  The recruiter page's own routes (candidate cards and profiles,
skill look-ups, saved shortlists, offline API docs) are :mod:`recsys.serving.page_routes`.  Limits: ``k`` ≤ 1000 (422), texts ≤ 50k characters and ≤ 10k pairs (413).

**Live data.**  With ``store`` (a :mod:`recsys.store` folder) the app serves
``Recommender.from_uri(model, store=store)``: every query ranks the store's current content, and
``POST /v1/candidates`` / ``POST /v1/roles`` (JSON Resume / schema.org JobPosting documents, or
table rows) and ``DELETE /v1/candidates/{id}`` (erasure) write to it.  A write runs in a thread of
its own (one at a time: it reads skills and embeds) while queries keep being answered, and is served
when it returns; writes of other workers or processes are served within ``store_poll_seconds`` plus
a rebuild.  Without a store the write routes answer 409.

``app_from_env()`` is the factory ``recsys serve --workers N`` hands to uvicorn: every worker process
builds its own app from ``RECSYS_SERVE_MODEL`` / ``RECSYS_SERVE_CONFIG`` / ``RECSYS_SERVE_KEY_FILE`` /
``RECSYS_SERVE_STORE`` and loads the model in its own lifespan (memory is N models).

``POST /v1/admin/reload`` (``admin`` keys) loads the model again (``models:/recsys@champion`` then
resolves to the newest champion) and swaps it in with one reference assignment: requests already
running keep the object they started with, new ones get the new model, none is dropped.  It loads
only the served model's URI, a registry URI (``models:/``, ``runs:/``) or a bundle under one of
``api.model_roots``; a model that fails to load or verify is refused (422) and the old one keeps
serving.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.exceptions import HTTPException as StarletteHTTPException

from recsys.eventlog import EventLog
from recsys.forking import collect_replaced, settle_heap
from recsys.serving.audit_routes import add_audit_routes
from recsys.serving.auth import Caller, KeyAuth
from recsys.serving.page_routes import add_page_routes
from recsys.serving.saved import SavedShortlists
from recsys.serving.schemas import (
    ErasedResponse,
    IngestResponse,
    MovesRequest,
    MovesResponse,
    PathwayRequest,
    PathwayResponse,
    ReloadRequest,
    RoleListResponse,
    RolesForRequest,
    ScoreRequest,
    ScoreResponse,
    ShortlistRequest,
    ShortlistResponse,
)
from recsys.serving.settings import (
    ApiConfig,
    ServeConfig,
    limit_torch_threads,
    read_api_keys,
)
from recsys.shortlist_fairness import recruiter_view

STATIC = Path(__file__).parent / "static"
ENV_MODEL, ENV_CONFIG, ENV_KEY_FILE, ENV_STORE, ENV_EVENT_LOG = (
    "RECSYS_SERVE_MODEL",
    "RECSYS_SERVE_CONFIG",
    "RECSYS_SERVE_KEY_FILE",
    "RECSYS_SERVE_STORE",
    "RECSYS_SERVE_EVENT_LOG",
)


class _Metrics:
    """Prometheus series of one app (own registry, so several apps can live in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "recsys_requests", "HTTP requests", ["route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "recsys_request_seconds",
            "Request latency",
            ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
            registry=self.registry,
        )
        self.reloads = Counter("recsys_model_reloads", "Model reloads", registry=self.registry)
        self.loaded_at = Gauge(
            "recsys_model_loaded_timestamp", "When the model was loaded", registry=self.registry
        )


class _Observe:
    """Pure ASGI middleware: the body limit, request counts and latency per route.

    The limit is enforced on the bytes actually received, chunked bodies included, before any
    route (authentication too) sees them: a declared ``Content-Length`` above it is refused at
    once, and a body that grows past it stops being read at the chunk that crosses it (413).

    (Not ``@app.middleware("http")``: Starlette's ``BaseHTTPMiddleware`` wraps every request in
    extra tasks and streams, a measurable share of a ~15 ms request.)
    """

    def __init__(self, app: Any, metrics: _Metrics, max_body_bytes: int) -> None:
        self.app, self.metrics, self.max_body_bytes = app, metrics, max_body_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_body_bytes:
            detail = (
                f"Request body must be at most {self.max_body_bytes} bytes. "
                f"Got {length.decode()} instead."
            )
            await JSONResponse({"detail": detail}, status_code=413)(scope, receive, send)
            return
        start, status, received = time.perf_counter(), 500, 0

        async def receiving() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLarge(self.max_body_bytes)
            return message

        async def sending(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receiving, sending)
        except _BodyTooLarge as err:  # raised outside a route's exception handling
            if status != 500:
                raise
            status = 413
            await JSONResponse({"detail": err.detail}, status_code=413)(scope, receive, send)
        finally:
            name = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(name, str(status)).inc()
            self.metrics.latency.labels(name).observe(time.perf_counter() - start)


class _BodyTooLarge(HTTPException):
    """A body that passed the limit while being read (413 wherever it is raised)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body must be at most {limit} bytes.")


def _json(payload: dict[str, Any]) -> Response:
    """The answer serialised once (``response_model`` stays the documented schema; re-validating
    50 explained rows per request would cost more than ranking them)."""
    return Response(json.dumps(payload, default=str), media_type="application/json")


def _load(model: str, settings: ServeConfig, trial: bool = False) -> Any:
    from recsys.recommender import Recommender

    rec = Recommender.from_uri(
        model,
        config=settings.recommender,
        store=settings.store,
        poll_seconds=settings.store_poll_seconds,
        paged=settings.store_paged,
        trial=trial,
    )
    # warmed here so that /readyz turns true only when the first request will be fast, and its
    # objects kept out of the collector's full collections (recsys.forking.settle_heap)
    rec.warmup()
    settle_heap()
    return rec


def _follow(rec: Any, start: bool = True) -> None:
    """Over a store, a served process follows it between requests too (an idle worker drops an
    erased person when a busy one does: :meth:`recsys.serving.live.LiveRecommender.follow`)."""
    from recsys.serving.live import LiveRecommender

    if isinstance(rec, LiveRecommender) and start:
        rec.follow()
    elif isinstance(rec, LiveRecommender):
        rec.unfollow()


def _live(rec: Any, settings: ServeConfig) -> Any:
    """``rec`` serving ``settings.store`` (a LiveRecommender as is, else wrapped when a store
    is set)."""
    from recsys.serving.live import LiveRecommender

    if isinstance(rec, LiveRecommender) or settings.store is None:
        return rec
    return LiveRecommender(
        rec, settings.store, poll_seconds=settings.store_poll_seconds, paged=settings.store_paged
    )


_ROWS_DOC = (
    'One {doc}, a list of them, or {{"rows": [...]}}: objects in the {kind} table\'s layout '
    "(recsys/data/schemas.py; optional columns may be left out).  Upserted by id; a bad record "
    "is listed in 'errors' and skipped, the rest are written."
)


def _body_doc(doc: str, kind: str) -> dict[str, Any]:
    """OpenAPI of a write route's free-form JSON body (read by ``read_documents``)."""
    schema = {"oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]}
    return {
        "requestBody": {
            "required": True,
            "description": _ROWS_DOC.format(doc=doc, kind=kind),
            "content": {"application/json": {"schema": schema}},
        }
    }


def _write(rec: Any, raw: bytes, kind: str) -> dict[str, Any]:
    """Parse a write body, read its records and ingest them (runs in the write thread)."""
    from recsys.ingest.records import read_documents

    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        why = f"{type(err).__name__}: {err}"[:200]
        raise HTTPException(400, f"The request body must be JSON (UTF-8). Got {why}.") from None
    try:
        result = read_documents(payload, kind=kind)
    except ValueError as err:
        raise HTTPException(422, str(err)) from None
    return rec.ingest(result).to_dict()


def _erase(rec: Any, candidate_id: str) -> int:
    """Erase one candidate (0 when the store has none of that id: nothing is compacted)."""
    if not len(rec.store.get("candidates", [candidate_id])):
        return 0
    return int(rec.erase([candidate_id]))


def create_app(
    model: str | None = None,
    *,
    recommender: Any = None,
    settings: ServeConfig | None = None,
    api_keys: Sequence[str] | Mapping[str, str | Iterable[str]] | None = None,
    store: str | Path | None = None,
) -> FastAPI:
    """The service for ``model`` (bundle folder, ``models:/…`` or ``runs:/…``).

    ``recommender`` (an already built one) skips loading; ``api_keys`` override the env/key file:
    entries ``KEY`` / ``KEY:SCOPE[+SCOPE]`` or a mapping key → scopes (:mod:`recsys.serving.keys`);
    ``store`` (a store folder or ``sqlite:///`` URI; default ``settings.store``) serves and writes
    that live store (see the module doc).
    """
    settings = settings or ServeConfig()
    if store is not None:
        settings = settings.model_copy(update={"store": str(store)})
    limits: ApiConfig = settings.api
    if model is None and recommender is None:
        raise ValueError("create_app needs a 'model' URI or a 'recommender'. Got neither.")
    keys = read_api_keys(limits, api_keys or None)
    if not keys:
        raise ValueError(
            f"No API keys configured: set {limits.api_keys_env}=key1,key2:auditor or give a key "
            "file (api.key_file in configs/serve.yaml, or --key-file)."
        )
    metrics = _Metrics()
    reload_limiter = anyio.CapacityLimiter(1)
    write_limiter = anyio.CapacityLimiter(1)  # writes: one at a time, outside the request pool

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        limit_torch_threads(limits.torch_threads)
        if limits.request_threads is not None:  # sync endpoints run in anyio's pool (default 40)
            anyio.to_thread.current_default_thread_limiter().total_tokens = limits.request_threads
        rec = _live(recommender, settings) if recommender is not None else _load(model, settings)
        app.state.recommender = rec
        _follow(rec)
        metrics.loaded_at.set_to_current_time()
        yield
        _follow(app.state.recommender, False)
        app.state.recommender = None
        if recommender is None:  # what this load froze goes back to the collector (a test's
            collect_replaced()  # app); a forked worker's shared pages are left as they are

    app = FastAPI(
        title="recsys",
        summary="Candidate–role shortlists with fit, retention and reasons.",
        version="1",
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc: page_routes, with their scripts served locally
        redoc_url=None,
    )
    app.state.recommender = None
    app.state.model_uri = model

    events = EventLog(Path(settings.event_log)) if settings.event_log else None
    auth = KeyAuth(keys, rate_limit=limits.rate_limit)
    authorised = auth.require("recruiter")  # the query routes (auditor and admin keys too)
    administers = auth.require("admin")  # the store writes and reload

    def current(request: Request) -> Any:
        rec = request.app.state.recommender
        if rec is None:
            raise HTTPException(503, "The model is not loaded yet.")
        return rec

    def live(request: Request) -> Any:
        from recsys.serving.live import LiveRecommender

        rec = current(request)
        if not isinstance(rec, LiveRecommender):
            raise HTTPException(
                409,
                "This service ranks a model's own world, not a live store: start it with a store "
                f"({ENV_STORE}, store: in configs/serve.yaml, or create_app(store=...)) to write "
                "candidates and roles.",
            )
        return rec

    async def write(request: Request, kind: str) -> Response:
        rec = live(request)
        raw = await request.body()  # within the limit: _Observe stops a longer one
        report = await anyio.to_thread.run_sync(_write, rec, raw, kind, limiter=write_limiter)
        return _json(report)

    def too_long(field: str, text: str | None) -> None:
        if text is not None and len(text) > limits.max_text_chars:
            raise HTTPException(
                413,
                f"The '{field}' field must be at most {limits.max_text_chars} characters. "
                f"Got {len(text)} instead.",
            )

    def check_k(k: int) -> None:
        if k > limits.max_k:
            raise HTTPException(
                422, f"The 'k' parameter must be an int in [1, {limits.max_k}]. Got {k} instead."
            )

    app.add_middleware(_Observe, metrics=metrics, max_body_bytes=limits.max_body_bytes)

    # 422 answers always have the documented shape (FastAPI's HTTPValidationError: a list of
    # {loc, msg, type}), whether pydantic or a check of ours refused the request
    @app.exception_handler(ValueError)
    async def value_error(request: Request, err: ValueError) -> JSONResponse:
        return JSONResponse({"detail": _invalid(str(err))}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> Response:
        if err.status_code == 422 and isinstance(err.detail, str):
            err = HTTPException(422, _invalid(err.detail), headers=err.headers)
        return await http_exception_handler(request, err)

    @app.exception_handler(KeyError)
    async def key_error(request: Request, err: KeyError) -> JSONResponse:
        return JSONResponse({"detail": str(err.args[0]) if err.args else "unknown id"}, 404)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> FileResponse:
        path = (STATIC / name).resolve()
        if path.parent != STATIC.resolve() or not path.is_file():
            raise HTTPException(404, f"No static file {name!r}.")
        return FileResponse(path)

    # probes and metrics are async: answered on the event loop even while every request
    # thread is busy ranking
    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        rec = request.app.state.recommender
        if rec is None:
            return JSONResponse({"status": "loading"}, status_code=503)
        return JSONResponse({"status": "ready"})  # open: what is served is /v1/model's to say

    @app.get("/metrics", response_class=PlainTextResponse)
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/v1/model")
    async def served_model(request: Request, _: Caller = Depends(authorised)) -> dict[str, Any]:
        """What is served: model name, version, run id, encoder, index sha256s, recsys version."""
        return current(request).describe()

    @app.get("/v1/whoami")
    async def whoami(caller: Caller = Depends(auth.caller)) -> dict[str, list[str]]:
        """The scopes of the key sent (never the key): the page shows what the key may use."""
        return {"scopes": sorted(caller.scopes)}

    add_audit_routes(app, auth.require("auditor"), current, check_k, too_long)

    def logged(kind: str, body: Any, result: Any, caller: Caller, id_col: str) -> None:
        if events is not None:  # after the answer is computed: a failed request logs nothing
            ids = result.frame[id_col].tolist()
            events.record(kind, body.model_dump(), result.manifest, ids, caller.key_id)

    def answer_shortlist(body: ShortlistRequest, request: Request, caller: Caller) -> Any:
        """A ``/v1/shortlist`` body answered (limits, event log, the fairness entry a
        recruiter may see); the saved-shortlist route ranks through this too."""
        too_long("job_description", body.job_description)
        check_k(body.k)
        fairness = body.fairness.model_dump(exclude_none=True) if body.fairness else None
        result = current(request).shortlist(
            role_id=body.role_id,
            job_description=body.job_description,
            k=body.k,
            filters=body.filters,
            retention_weight=body.retention_weight,
            fairness=fairness,
            required_skills=body.required_skills,
        )
        logged("shortlist", body, result, caller, "candidate_id")
        answer = result.to_dict()
        if fairness is not None and "auditor" not in caller.scopes:
            answer["manifest"]["fairness"] = recruiter_view(answer["manifest"]["fairness"])
        return answer

    @app.post("/v1/shortlist", response_model=ShortlistResponse)
    def shortlist(
        body: ShortlistRequest, request: Request, caller: Caller = Depends(authorised)
    ) -> Any:
        """Rank candidates for an indexed role or a free-text job description."""
        return _json(answer_shortlist(body, request, caller))

    saved = SavedShortlists(settings.saved_shortlists) if settings.saved_shortlists else None
    app.state.saved_shortlists = saved
    add_page_routes(app, authorised, current, answer_shortlist, saved)

    @app.post("/v1/roles-for", response_model=ShortlistResponse)
    def roles_for(
        body: RolesForRequest, request: Request, caller: Caller = Depends(authorised)
    ) -> Any:
        """Rank roles for a known candidate or a free-text résumé."""
        too_long("resume_text", body.resume_text)
        check_k(body.k)
        result = current(request).roles_for(
            candidate_id=body.candidate_id,
            resume_text=body.resume_text,
            k=body.k,
            filters=body.filters,
            retention_weight=body.retention_weight,
        )
        logged("roles_for", body, result, caller, "role_id")
        return _json(result.to_dict())

    @app.post("/v1/pathways", response_model=PathwayResponse)
    def pathways(body: PathwayRequest, request: Request, _: str = Depends(authorised)) -> Any:
        """A candidate's gaps for a role, the cheapest credentials closing them and the rank,
        fit and retention before and after (re-scored by the model)."""
        result = current(request).pathway(
            body.candidate_id, body.role_id, retention_weight=body.retention_weight
        )
        return _json(result.to_dict())

    @app.post("/v1/moves", response_model=MovesResponse)
    def moves(body: MovesRequest, request: Request, _: str = Depends(authorised)) -> Any:
        """Internal roles an employee reaches with at most ``max_new`` new credentials."""
        found = current(request).moves(body.candidate_id, max_new=body.max_new, k=body.k)
        return _json({"candidate_id": body.candidate_id, "moves": [m.to_dict() for m in found]})

    @app.post("/v1/score", response_model=ScoreResponse)
    def score(body: ScoreRequest, request: Request, _: str = Depends(authorised)) -> Any:
        """Fit, retention and combined score of explicit candidate–role pairs (no retrieval)."""
        if len(body.pairs) > limits.max_pairs:
            raise HTTPException(
                413,
                f"The 'pairs' field must hold at most {limits.max_pairs} pairs. "
                f"Got {len(body.pairs)} instead.",
            )
        import pandas as pd

        frame = pd.DataFrame([p.model_dump() for p in body.pairs])
        rec = current(request)
        scored = rec.score_pairs(frame, retention_weight=body.retention_weight)
        cols = ["candidate_id", "role_id", "fit", "fit_probability", "retention", "score"]
        return {"manifest": rec.describe(), "results": scored[cols].to_dict("records")}

    @app.get("/v1/role-list", response_model=RoleListResponse)
    def role_list(
        request: Request, q: str = "", limit: int = 200, _: str = Depends(authorised)
    ) -> Any:
        """Roles for the recruiter page's picker (title contains ``q``)."""
        return {"roles": current(request).role_catalogue(q, limit=min(max(limit, 1), 1000))}

    # writes are async: the body is read on the loop, the work runs in write_limiter's thread
    # (not the request pool), so queries keep being answered while a batch is read and embedded
    @app.post(
        "/v1/candidates",
        response_model=IngestResponse,
        openapi_extra=_body_doc("JSON Resume (jsonresume.org)", "candidates"),
    )
    async def put_candidates(request: Request, _: str = Depends(administers)) -> Response:
        """Add or update candidates in the live store; they are ranked as soon as this returns."""
        return await write(request, "candidates")

    @app.post(
        "/v1/roles",
        response_model=IngestResponse,
        openapi_extra=_body_doc("schema.org JobPosting (JSON-LD, '@graph' too)", "roles"),
    )
    async def put_roles(request: Request, _: str = Depends(administers)) -> Response:
        """Add or update roles in the live store (the query "roles for a candidate" is
        ``/v1/roles-for``)."""
        return await write(request, "roles")

    @app.delete("/v1/candidates/{candidate_id}", response_model=ErasedResponse)
    async def erase(candidate_id: str, request: Request, _: str = Depends(administers)) -> Any:
        """Erase a candidate: rows, history, holdings, vectors, read skills and the encoder's
        cached vectors of their texts; the store is compacted so no file keeps them."""
        rec = live(request)
        n = await anyio.to_thread.run_sync(_erase, rec, candidate_id, limiter=write_limiter)
        if not n:
            raise HTTPException(404, f"No candidate {candidate_id!r} in the store.")
        if saved is not None:  # and from every saved shortlist
            await anyio.to_thread.run_sync(saved.forget, [candidate_id], limiter=write_limiter)
        return {"erased": candidate_id}

    @app.post("/v1/admin/reload")
    async def reload(
        request: Request, body: ReloadRequest | None = None, _: str = Depends(administers)
    ) -> dict[str, Any]:
        """Load the model again (or ``body.model``) and swap it in without dropping requests.

        ``body.model``: a ``models:/`` or ``runs:/`` URI, or a bundle folder under one of the
        configured ``api.model_roots``.  A model that fails to load is refused (422) and the
        current one keeps serving."""
        served = request.app.state.model_uri
        uri = (body.model if body and body.model else None) or served
        if uri is None:
            raise HTTPException(409, "This app was started from an in-memory model: give 'model'.")
        if uri != served:
            reloadable(uri, limits.model_roots)
        # Loading runs in its own thread, outside the request pool (one thread by default), so
        # requests keep being answered by the old model meanwhile; one reload at a time.  The
        # bundle is verified (closed manifest, every sha256) and its native files parsed in a
        # child process before this one reads them: a file that crashes a parser ends the child.
        try:
            new = await anyio.to_thread.run_sync(_load, uri, settings, True, limiter=reload_limiter)
        except Exception as err:  # noqa: BLE001 - any failure leaves the old model serving
            raise HTTPException(
                422,
                f"Reload refused, the current model keeps serving: {type(err).__name__}: "
                f"{_first_line(err)}",
            ) from None
        old = request.app.state.recommender
        _follow(new)
        request.app.state.recommender = new
        _follow(old, False)
        request.app.state.model_uri = uri
        metrics.reloads.inc()
        metrics.loaded_at.set_to_current_time()
        answer = {
            "previous": old.describe() if old is not None else None,
            "current": new.describe(),
        }
        del old
        await anyio.to_thread.run_sync(collect_replaced, limiter=reload_limiter)
        return answer

    _document_refusals(app)
    return app


_REFUSALS = {
    401: "no API key, or an unknown one",
    403: "the key lacks the scope this route needs",
    404: "an unknown id",
    409: "the route needs what this service was not started with (a live store, a model URI)",
    413: "a body, text or list over its limit",
    429: "the key's rate limit is reached (Retry-After says when to try again)",
}


def _document_refusals(app: FastAPI) -> None:
    """List the refusals every ``/v1`` route may answer in the OpenAPI description (FastAPI's
    "extending OpenAPI" recipe: the generated schema, then these responses added to it)."""
    from fastapi.openapi.utils import get_openapi

    from recsys.serving.schemas import ErrorResponse

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                routes=app.routes,
            )
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            schemas["ErrorResponse"] = ErrorResponse.model_json_schema()
            ref = {"$ref": "#/components/schemas/ErrorResponse"}
            for path, operations in spec.get("paths", {}).items():
                if not path.startswith("/v1/"):
                    continue
                for operation in operations.values():
                    answers = operation.setdefault("responses", {})
                    if "requestBody" in operation:  # a body that is not UTF-8 JSON at all
                        answers.setdefault(
                            "400",
                            {
                                "description": "a body that cannot be parsed as JSON",
                                "content": {"application/json": {"schema": ref}},
                            },
                        )
                    if "requestBody" in operation and "422" not in answers:  # read by the route
                        invalid = {"$ref": "#/components/schemas/HTTPValidationError"}
                        answers["422"] = {
                            "description": "Validation Error",
                            "content": {"application/json": {"schema": invalid}},
                        }
                    for code, why in _REFUSALS.items():
                        answers.setdefault(
                            str(code),
                            {"description": why, "content": {"application/json": {"schema": ref}}},
                        )
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


REGISTRY_SCHEMES = ("models:/", "runs:/")


def reloadable(uri: str, roots: Sequence[Path]) -> None:
    """Refuse (403) a reload ``uri`` that is neither a registry URI nor a folder under ``roots``.

    Links are followed (``realpath``) before the comparison, so none leads out of a root; the
    answer is the same whether or not the path exists."""
    if uri.startswith(REGISTRY_SCHEMES):
        return
    text = uri.removeprefix("file://") if uri.startswith("file:///") else uri
    if "://" not in text and not text.startswith("file:"):
        path = Path(os.path.realpath(text))
        if any(path.is_relative_to(os.path.realpath(root)) for root in roots):
            return
    allowed = ", ".join(str(r) for r in roots) or "none configured"
    raise HTTPException(
        403,
        "A reload may load a models:/ or runs:/ URI, or a bundle under api.model_roots "
        f"({allowed}). Got another location.",
    )


def _invalid(message: str, loc: Sequence[str] = ("body",)) -> list[dict[str, Any]]:
    """A 422 ``detail`` in FastAPI's documented shape."""
    return [{"loc": list(loc), "msg": message, "type": "value_error"}]


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or "no message"
    return text if len(text) <= 2000 else text[:2000] + "…"


def app_from_env() -> FastAPI:
    """The app of one ``recsys serve --workers N`` worker (uvicorn factory; see the module doc)."""
    from recsys.serving.settings import load_serve_config

    model = os.environ.get(ENV_MODEL)
    if not model:
        raise ValueError(f"app_from_env needs {ENV_MODEL}=<model URI>. Got nothing.")
    settings = load_serve_config(os.environ.get(ENV_CONFIG) or None)
    if os.environ.get(ENV_KEY_FILE):
        settings.api.key_file = Path(os.environ[ENV_KEY_FILE])
    if os.environ.get(ENV_EVENT_LOG):
        chosen = os.environ[ENV_EVENT_LOG]
        settings.event_log = None if chosen.lower() == "off" else chosen
    return create_app(model, settings=settings, store=os.environ.get(ENV_STORE) or None)
