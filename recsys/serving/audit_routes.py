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
from pydantic import BaseModel, Field

from recsys.serving.auth import Caller
from recsys.serving.schemas import ShortlistRequest


class AuditShortlistRequest(ShortlistRequest):
    """A ``/v1/shortlist`` query (its top ``k`` are the selected; ``fairness`` audits the list as
    re-ranked) and the attributes to audit."""

    attributes: list[str] | None = Field(
        None, description="protected attributes to audit (default: every one in the groups table)"
    )


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
        if body.required_skills is not None:
            raise HTTPException(
                422,
                "The audit reads a job description's skills itself: leave 'required_skills' out "
                "(the audit of an edited skill list is not supported yet).",
            )
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
