// Candidate view of the recruiter page: POST /v1/pathways for a shortlisted candidate and the
// picked role — gaps, the cheapest credential path and the rank before/after (re-scored by the
// model) — and POST /v1/moves for the internal roles the person reaches.
"use strict";

function names(labels, ids) {
  return ids.length ? ids.map((i) => labels[i] || i).join(", ") : "—";
}

function line(label, value, cls) {
  const div = document.createElement("div");
  const b = document.createElement("b");
  b.textContent = label + ": ";
  div.append(b, document.createTextNode(value));
  if (cls) div.className = cls;
  return div;
}

async function showPathway(candidateId, roleId) {
  const view = document.getElementById("candidate-view");
  const out = document.getElementById("pathway");
  view.hidden = false;
  document.getElementById("candidate-title").textContent = candidateId + (roleId ? " for " + roleId : "");
  out.replaceChildren();
  if (!roleId) {
    out.append(line("Pathway", "pick an indexed role: a pasted job description has no shortlist to re-rank"));
  } else {
    out.append(line("Pathway", "computing…"));
    try {
      const p = await call("POST", "/v1/pathways", { candidate_id: candidateId, role_id: roleId });
      const L = p.labels;
      out.replaceChildren(
        line("Rank in this role's shortlist", p.rank_before + " → " + p.rank_after +
          " with the credentials below (of " + (p.pool + 1) + ")", "rank"),
        line("Fit", p.fit_before.toFixed(3) + " → " + p.fit_after.toFixed(3)),
        line("P(stay 12m)", p.retention_before.toFixed(2) + " → " + p.retention_after.toFixed(2)),
        line("Verified skills", names(L, p.verified), "ok"),
        line("Claimed, not verified", names(L, p.claimed_unverified)),
        line("Absent", names(L, p.absent), "miss"),
        line("Contracts not covered", names(L, p.missing_contracts), "miss"),
        line("Credential path", names(L, p.credentials) + " (cost " + p.cost + ", " + p.method + ")", "path"),
      );
      if (p.uncovered_skills.length || p.uncovered_contracts.length) {
        out.append(line("No credential covers", names(L, p.uncovered_skills.concat(p.uncovered_contracts))));
      }
    } catch (e) { out.replaceChildren(line("Error", e.message, "miss")); }
  }
  const moves = document.getElementById("moves");
  moves.replaceChildren(line("Internal moves", "computing…"));
  try {
    const m = await call("POST", "/v1/moves", { candidate_id: candidateId, max_new: 2, k: 5 });
    moves.replaceChildren(text("h3", "Internal roles within two credentials"));
    for (const mv of m.moves) {
      moves.append(line(mv.title + " (" + mv.role_id + ")",
        "value " + mv.value.toFixed(3) + "; " +
        (mv.credentials.length ? "take " + names(mv.labels, mv.credentials) : "no credential needed") +
        (mv.contracts_unlocked.length ? "; unlocks " + names(mv.labels, mv.contracts_unlocked) : "")));
    }
    if (!m.moves.length) moves.append(text("div", "None within two credentials."));
  } catch (e) { moves.replaceChildren(line("Moves", e.message, "miss")); }
}
