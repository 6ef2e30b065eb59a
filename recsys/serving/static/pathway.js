// Candidate view of the recruiter page (a modal dialog: Escape or Close returns to the row):
// GET /v1/candidates/{id} (résumé, credentials with their state, work history, claimed skills),
// the shortlist row's reasons (why this fit; why this retention), POST /v1/pathways for the
// picked role (gaps, the cheapest credential path, rank before/after, re-scored by the model) and
// POST /v1/moves (internal roles the person reaches).  Uses call and text from app.js.
"use strict";

// The model's answer explains fit (reasons.top_features) and retention (reasons.retention_factors:
// Cox contributions, > 0 keeps the person longer).  This slot shows the first non-empty list among
// the reasons whose key starts with "retention": contributions like top_features, or plain lines.
const RETENTION_SLOT = "retention_factors";

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

function section(title, ...children) {
  const s = document.createElement("section");
  s.append(text("h3", title), ...children);
  return s;
}

function contributions(list) {
  const ul = document.createElement("ul");
  for (const f of list) {
    if (typeof f !== "object" || typeof f.contribution !== "number") {
      ul.append(text("li", typeof f === "object" ? f.meaning || JSON.stringify(f) : String(f)));
      continue;
    }
    const sign = f.contribution >= 0 ? "+" : "";
    ul.append(text("li", sign + f.contribution.toFixed(3) + " " + (f.meaning || f.feature) +
      (f.value === null || f.value === undefined ? "" : " (value " + Number(f.value).toFixed(2) + ")")));
  }
  return ul;
}

function whyFit(row) {
  const rs = row.reasons;
  if (!rs) return [text("p", "No reasons in this answer (open it from a ranked shortlist).", "note")];
  const out = [];
  if (row.score !== undefined) {
    out.push(text("p", "Rank " + row.rank + ": score " + row.score.toFixed(3) + " = P(fit) " + fix(row.fit_probability, 3) +
      " combined with P(stay 12 months) " + row.retention.toFixed(2) + "."));
  }
  out.push(text("p", "What moved the fit most (the model's feature contributions):"), contributions(rs.top_features));
  out.push(line("Required skills matched", rs.matched_skills.join(", ") || "—", "ok"));
  out.push(line("Required skills missing", rs.missing_skills.join(", ") || "—", "miss"));
  out.push(line("Verified credentials that count", rs.verified_credentials.join(", ") || "—"));
  if (rs.missing_inputs && rs.missing_inputs.length) out.push(line("Unknown inputs", rs.missing_inputs.join(", ")));
  return out;
}

function whyRetention(row) {
  const rs = row.reasons || {};
  const key = [RETENTION_SLOT, ...Object.keys(rs)].find((k) => k.startsWith("retention") && Array.isArray(rs[k]) && rs[k].length);
  const slot = document.createElement("div");
  slot.id = "retention-why";
  slot.dataset.slot = "reasons." + RETENTION_SLOT;
  if (key) slot.append(contributions(rs[key]));
  else {
    slot.className = "slot";
    const baseline = (rs.missing_inputs || []).some((m) => m.startsWith("retention inputs"));
    slot.textContent = (baseline
      ? "Too little is known about this person for the retention model: P(stay 12m) "
      : "The answer gives no retention factors (reasons." + RETENTION_SLOT + "); P(stay 12m) ") +
      (row.retention === undefined ? "—" : row.retention.toFixed(2)) +
      (baseline ? " is the documented baseline (Kaplan–Meier of past hires)." : " is the retention model's survival estimate.");
  }
  return slot;
}

function credentialTable(creds, asOf) {
  if (!creds.length) return text("p", "No credentials recorded.");
  const t = document.createElement("table");
  t.append(text("caption", "States as of " + asOf + " (the model's reference day)."));
  const head = document.createElement("tr");
  for (const h of ["Credential", "Issuer", "Issued", "Expires", "State"]) {
    const th = text("th", h);
    th.scope = "col";
    head.append(th);
  }
  t.append(head);
  const word = { verified: "verified", unverified: "not verified", expired: "expired", not_yet_valid: "not yet valid" };
  for (const c of creds) {
    const tr = document.createElement("tr");
    tr.append(text("td", c.name), text("td", c.issuer), text("td", c.issued_at || "—"),
      text("td", c.expires_at || "never"), text("td", word[c.state] || c.state, "state-" + c.state));
    t.append(tr);
  }
  return t;
}

function workHistory(jobs) {
  if (!jobs.length) return text("p", "No work history recorded.");
  const ul = document.createElement("ul");
  for (const j of jobs) ul.append(text("li", j.title + ", " + (j.started_at || "?") + " – " + (j.ended_at || "now")));
  return ul;
}

let candidateOpener = null;
const dialog = document.getElementById("candidate-view");
document.getElementById("close-candidate").addEventListener("click", () => dialog.close());
dialog.addEventListener("close", () => { if (candidateOpener && candidateOpener.isConnected) candidateOpener.focus(); });

async function showCandidate(row, roleId, from) {
  candidateOpener = from || document.activeElement;
  const out = document.getElementById("profile");
  document.getElementById("candidate-title").textContent = row.headline || row.candidate_id;
  out.replaceChildren(text("p", "Loading the profile…"));
  if (!dialog.open) dialog.showModal();
  document.getElementById("candidate-title").focus();
  showPathway(row.candidate_id, roleId);
  try {
    const p = await call("GET", "/v1/candidates/" + encodeURIComponent(row.candidate_id));
    document.getElementById("candidate-title").textContent = p.headline || p.candidate_id;
    const facts = [p.candidate_id, (p.location || "location unknown") + (p.open_to_remote ? " (open to remote)" : ""),
      p.years_experience === null ? "experience unknown" : p.years_experience.toFixed(1) + " years' experience",
      p.is_employee ? "employee" + (p.current_role ? " (" + p.current_role + ")" : "") : "external"];
    const resume = text("div", p.resume_text || "(no résumé text)", "resume");
    resume.tabIndex = 0;  // scrollable: reachable by keyboard
    resume.setAttribute("role", "region");
    resume.setAttribute("aria-label", "Résumé");
    out.replaceChildren(text("p", facts.join(" · "), "facts"),
      section("Why this fit", ...whyFit(row)),
      section("Why this retention", whyRetention(row)),
      section("Credentials", credentialTable(p.credentials, p.as_of)),
      section("Work history", workHistory(p.history)),
      section("Claimed skills", text("p", p.skills.map((s) => s.label).join(", ") || "—")),
      section("Résumé", resume));
  } catch (e) { out.replaceChildren(line("Error", e.message, "miss")); }
}

async function showPathway(candidateId, roleId) {
  const out = document.getElementById("pathway");
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
