"""The recruiter page's routes: candidate cards and profiles, skill and credential look-ups, a job
description's skills, saved shortlists, and API docs served without a CDN.

Thin shells over :mod:`recsys.catalogue` (``Recommender.candidate_cards`` / ``candidate_profile`` /
``skill_catalogue`` / ``credential_catalogue`` / ``jd_skills``) and
:class:`recsys.serving.saved.SavedShortlists`; every ``/v1`` route needs a recruiter key:

=====================================  ===========================================================
``POST /v1/candidate-cards``           ``{"candidate_ids": [...]}`` → cards (headline, location,
                                       remote, years, employee) and the ids not known
``GET /v1/candidates/{id}``            the profile: résumé, claimed skills, credentials (verified /
                                       unverified / expired), work history
``GET /v1/skills?q=``                  taxonomy skills whose label contains ``q`` (pickers)
``GET /v1/credentials?q=``             catalogue credentials whose name or issuer contains ``q``
``POST /v1/skills/extract``            ``{"job_description"}`` → the required skills a shortlist
                                       reads from it (edit them, send ``required_skills``)
``POST /v1/saved-shortlists``          ``{"query": <a /v1/shortlist body>, "title", "note",
                                       "view"}``: ranks it and keeps the answer → ``{id, link}``
``GET /v1/saved-shortlists[/{id}]``    the newest saved shortlists / one of them as saved
=====================================  ===========================================================

``/docs`` (Swagger UI) and ``/redoc`` load their scripts from ``/static/docs/``: the files the
``fastapi-offline`` package ships (part of the ``serve`` extra), so both work with no network.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from recsys.serving.auth import Caller
from recsys.serving.saved import SavedShortlists
from recsys.serving.schemas import ShortlistRequest

DOCS_ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")
MAX_CARDS = 1000


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CardsRequest(_Request):
    candidate_ids: list[str] = Field(..., max_length=MAX_CARDS, description="at most 1000 ids")


class Card(BaseModel):
    candidate_id: str
    headline: str
    location: str
    open_to_remote: bool
    years_experience: float | None = Field(None, description="None: unknown")
    is_employee: bool
    current_role_id: str | None = None
    current_role: str | None = Field(None, description="the current role's title")


class CardsResponse(BaseModel):
    cards: list[Card] = Field(description="in the order asked")
    unknown: list[str] = Field(description="ids not in the served data (e.g. erased since)")


class Skill(BaseModel):
    skill_id: str
    label: str


class ReadSkill(Skill):
    source: str = Field(description="'text' (found in it) or 'occupation' (a short JD completed)")


class HeldCredential(BaseModel):
    credential_id: str
    name: str
    issuer: str
    level: int | None
    issued_at: str | None
    expires_at: str | None
    verified: bool
    state: str = Field(description="verified | unverified | expired | not_yet_valid (as_of)")


class Job(BaseModel):
    title: str
    occupation: str | None
    started_at: str | None
    ended_at: str | None = Field(None, description="None: current")


class Profile(Card):
    resume_text: str
    skills: list[Skill] = Field(description="claimed skills")
    credentials: list[HeldCredential]
    history: list[Job] = Field(description="newest first")
    as_of: str = Field(description="the model's reference day: credential states are read then")


class SkillsResponse(BaseModel):
    skills: list[Skill]


class ExtractRequest(_Request):
    job_description: str = Field(..., min_length=1)


class ExtractResponse(BaseModel):
    skills: list[ReadSkill]


class CredentialsResponse(BaseModel):
    credentials: list[dict[str, Any]] = Field(description="{credential_id, name, issuer, level}")


class SaveRequest(_Request):
    query: ShortlistRequest = Field(description="a POST /v1/shortlist body: ranked and kept")
    title: str = Field("", max_length=200)
    note: str = Field("", max_length=2000)
    view: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="how the page shows it, e.g. {'sort': 'fit'}"
    )


class Saved(BaseModel):
    id: str
    link: str = Field(description="the page's link to it (no key in it)")
    rows: int


class SavedSummary(BaseModel):
    id: str
    created_at: str
    owner: str = Field(description="fingerprint of the saving key (never the key)")
    title: str
    rows: int


class SavedList(BaseModel):
    saved: list[SavedSummary]


class SavedShortlist(BaseModel):
    id: str
    created_at: str
    owner: str
    title: str
    note: str
    query: dict[str, Any]
    view: dict[str, Any]
    manifest: dict[str, Any]
    results: list[dict[str, Any]] = Field(description="the rows as ranked then (erased: removed)")


def docs_folder() -> Path:
    """The folder of Swagger UI's and ReDoc's files (the ``fastapi_offline`` package's)."""
    return Path(str(resources.files("fastapi_offline"))) / "static"


def add_page_routes(
    app: FastAPI,
    recruiter: Callable[..., Any],
    current: Callable[[Request], Any],
    answer: Callable[[ShortlistRequest, Request, Caller], dict[str, Any]],
    saved: SavedShortlists | None,
) -> None:
    """Register the page's routes on ``app`` (see the module doc).  ``recruiter`` is the scope
    dependency, ``current`` the served recommender, ``answer`` runs a ``/v1/shortlist`` body as
    that route does (limits, event log, fairness view); ``saved`` None: saving is off (409)."""

    def book() -> SavedShortlists:
        if saved is None:
            raise HTTPException(
                409,
                "Saved shortlists are off on this service: set saved_shortlists (a folder) in "
                "configs/serve.yaml.",
            )
        return saved

    @app.post("/v1/candidate-cards", response_model=CardsResponse)
    def candidate_cards(
        body: CardsRequest, request: Request, _: Caller = Depends(recruiter)
    ) -> Any:
        """Short cards of candidates (a shortlist's rows), in the order asked."""
        cards = current(request).candidate_cards(body.candidate_ids)
        known = {c["candidate_id"] for c in cards}
        return {"cards": cards, "unknown": [c for c in body.candidate_ids if c not in known]}

    @app.get("/v1/candidates/{candidate_id}", response_model=Profile)
    def candidate_profile(
        candidate_id: str, request: Request, _: Caller = Depends(recruiter)
    ) -> Any:
        """A candidate's résumé, claimed skills, credentials with their state and work history."""
        return current(request).candidate_profile(candidate_id)

    @app.get("/v1/skills", response_model=SkillsResponse)
    def skills(
        request: Request, q: str = "", limit: int = 20, _: Caller = Depends(recruiter)
    ) -> Any:
        """Taxonomy skills whose label contains ``q`` (for the skill pickers)."""
        limit = min(max(limit, 1), 200)
        return {"skills": current(request).skill_catalogue(q, limit=limit)}

    @app.get("/v1/credentials", response_model=CredentialsResponse)
    def credentials(
        request: Request, q: str = "", limit: int = 20, _: Caller = Depends(recruiter)
    ) -> Any:
        """Catalogue credentials whose name or issuer contains ``q`` (the credential filter)."""
        limit = min(max(limit, 1), 200)
        return {"credentials": current(request).credential_catalogue(q, limit=limit)}

    @app.post("/v1/skills/extract", response_model=ExtractResponse)
    def extract(body: ExtractRequest, request: Request, _: Caller = Depends(recruiter)) -> Any:
        """The required skills a shortlist reads from this job description; send an edited list
        back as ``required_skills`` in ``/v1/shortlist``."""
        return {"skills": current(request).jd_skills(body.job_description)}

    @app.post("/v1/saved-shortlists", response_model=Saved)
    def save(body: SaveRequest, request: Request, caller: Caller = Depends(recruiter)) -> Any:
        """Rank ``query`` and keep the answer under a new id; the link reopens it on the page."""
        store = book()
        result = answer(body.query, request, caller)
        query = body.query.model_dump(exclude_none=True)
        sid = store.save(
            query, result, title=body.title, note=body.note, view=body.view, owner=caller.key_id
        )
        return {"id": sid, "link": f"/?saved={sid}", "rows": len(result["results"])}

    @app.get("/v1/saved-shortlists", response_model=SavedList)
    def saved_list(limit: int = 50, _: Caller = Depends(recruiter)) -> Any:
        """The newest saved shortlists."""
        return {"saved": book().recent(min(max(limit, 1), 500))}

    @app.get("/v1/saved-shortlists/{shortlist_id}", response_model=SavedShortlist)
    def saved_one(shortlist_id: str, _: Caller = Depends(recruiter)) -> Any:
        """One saved shortlist as it was ranked (404 if there is none)."""
        return book().get(shortlist_id)

    # ------------------------------------------------------------------ docs without a CDN
    @app.get("/static/docs/{name}", include_in_schema=False)
    def docs_asset(name: str) -> FileResponse:
        if name not in DOCS_ASSETS:
            raise HTTPException(404, f"No docs asset {name!r}.")
        try:
            folder = docs_folder()
        except ModuleNotFoundError:
            raise HTTPException(
                503, "The API docs' files come with the serve extra: pip install 'recsys[serve]'."
            ) from None
        return FileResponse(folder / name)

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API docs",
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_js_url="/static/docs/swagger-ui-bundle.js",
            swagger_css_url="/static/docs/swagger-ui.css",
            swagger_favicon_url="/static/docs/favicon.png",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - ReDoc",
            redoc_js_url="/static/docs/redoc.standalone.js",
            redoc_favicon_url="/static/docs/favicon.png",
            with_google_fonts=False,
        )
