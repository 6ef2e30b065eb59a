"""``POST /v1/audit/shortlist``: the adverse-impact audit of one shortlist, for auditor keys.

A thin shell over :func:`recsys.fairness.audit_shortlist` (what it ranks, selects and reads is
documented there and in docs/fairness.md).  Only keys with the ``auditor`` scope may call it
(others get 403): it reads the served data's ``groups`` table.  The answer holds aggregate counts,
rates and tests per category, never a candidate's attribute.

This is the one serving module that imports :mod:`recsys.fairness`, and only inside the route, so
a service that is never asked for an audit does not load it (nor scipy).  Nothing here feeds back
into ranking: tests/fairness/test_boundaries.py checks that no scoring module reaches this one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from recsys.serving.auth import Caller
from recsys.serving.schemas import FairnessOption


class AuditShortlistRequest(BaseModel):
    """A shortlist query (as ``/v1/shortlist``'s) and the attributes to audit."""

    model_config = ConfigDict(extra="forbid")

    role_id: str | None = Field(None, description="an indexed role")
    job_description: str | None = Field(None, description="free-text JD (used when no role_id)")
    k: int = Field(50, ge=1, description="the shortlist's length: its top k are selected")
    filters: dict[str, Any] | None = Field(None, description="candidate filters, as /v1/shortlist")
    retention_weight: float | None = Field(None, ge=0.0, le=1.0)
    attributes: list[str] | None = Field(
        None, description="protected attributes to audit (default: every one in the groups table)"
    )
    fairness: FairnessOption | None = Field(
        None, description="audit the list as re-ranked with this option (as /v1/shortlist's)"
    )

    @model_validator(mode="after")
    def _one_query(self) -> AuditShortlistRequest:
        if (self.role_id is None) == (self.job_description is None):
            raise ValueError("Give exactly one of 'role_id' or 'job_description'.")
        return self


class AuditShortlistResponse(BaseModel):
    pool: int = Field(description="candidates retrieved and scored: the applicants")
    k: int = Field(description="the top k of them are selected")
    manifest: dict[str, Any] = Field(description="the ranking's manifest (model, query, filters)")
    audit: dict[str, Any] = Field(
        description="recsys.fairness.AuditReport.to_dict(): params, summary, unknown, excluded, "
        "rows (rates, impact ratios, four-fifths and Fisher flags per category), notes"
    )


def add_audit_routes(
    app: FastAPI,
    auditor: Callable[..., Any],
    current: Callable[[Request], Any],
    check_k: Callable[[int], None],
    too_long: Callable[[str, str | None], None],
) -> None:
    """Register the audit routes on ``app``; ``auditor`` is the scope dependency, the others are
    :func:`recsys.serving.api.create_app`'s helpers (served recommender, request limits)."""

    @app.post("/v1/audit/shortlist", response_model=AuditShortlistResponse)
    def audit_shortlist_route(
        body: AuditShortlistRequest, request: Request, _: Caller = Depends(auditor)
    ) -> Any:
        """Selection and scoring rates, impact ratios, four-fifths and Fisher flags of a
        shortlist's top ``k`` against the pool it was cut from (auditor scope)."""
        from recsys.fairness import NoGroupDataError, audit_shortlist

        too_long("job_description", body.job_description)
        check_k(body.k)
        try:
            result = audit_shortlist(
                current(request),
                role_id=body.role_id,
                job_description=body.job_description,
                k=body.k,
                filters=body.filters,
                retention_weight=body.retention_weight,
                attributes=body.attributes,
                fairness=body.fairness.model_dump(exclude_none=True) if body.fairness else None,
            )
        except NoGroupDataError as err:
            raise HTTPException(409, str(err)) from None
        return result.to_dict()
