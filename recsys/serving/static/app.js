// Recruiter page: calls /v1/role-list and /v1/shortlist with the key typed in (kept in localStorage).
// The audit view of a shown shortlist is audit.js (auditor keys only).
"use strict";
const $ = (id) => document.getElementById(id);
let autoAudit = false;  // deep link &audit=1: audit the first shortlist shown
let autoCandidate = null;  // deep link &candidate=ID: open that candidate's view
$("key").value = localStorage.getItem("recsys-key") || "";

async function call(method, path, body) {
  const key = $("key").value.trim();
  localStorage.setItem("recsys-key", key);
  const res = await fetch(path, {
    method,
    headers: { "Authorization": "Bearer " + key, "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json();
  if (!res.ok) {
    const d = data.detail;
    throw new Error(res.status + ": " + (typeof d === "string" ? d : JSON.stringify(d)));
  }
  return data;
}

function text(tag, value, cls) {
  const el = document.createElement(tag);
  el.textContent = value;
  if (cls) el.className = cls;
  return el;
}

async function loadRoles() {
  try {
    const data = await call("GET", "/v1/role-list?limit=1000");
    const sel = $("role");
    sel.length = 1;
    for (const r of data.roles) sel.add(new Option(r.title + " (" + r.role_id + ")", r.role_id));
    $("status").textContent = data.roles.length + " roles loaded.";
  } catch (e) { $("status").textContent = "Error: " + e.message; }
}

function reasons(r) {
  const div = document.createElement("div");
  if (!r) return div;
  if (r.matched_skills.length) div.append(text("div", "✓ " + r.matched_skills.join(", "), "ok"));
  if (r.missing_skills.length) div.append(text("div", "✗ missing: " + r.missing_skills.join(", "), "miss"));
  if (r.verified_credentials.length) div.append(text("div", "Verified: " + r.verified_credentials.join(", ")));
  for (const f of r.top_features) {
    div.append(text("div", (f.contribution >= 0 ? "+" : "") + f.contribution.toFixed(3) + " " + f.meaning));
  }
  return div;
}

function fairnessNote(f) {
  if (!f) return "";
  const num = (x) => (x === null || x === undefined ? "n/a" : x.toFixed(3));
  return " Re-ranked by " + f.attribute + ": lowest impact ratio " +
    num(f.min_impact_ratio_before) + " → " + num(f.min_impact_ratio_after) + ", NDCG cost " +
    num(f.ndcg_cost) + (f.feasible ? "." : " (constraint not met in this pool).");
}

async function shortlist() {
  const role = $("role").value, jd = $("jd").value.trim();
  const body = { k: Number($("k").value), retention_weight: Number($("w").value) };
  if (role) body.role_id = role; else body.job_description = jd;
  const attribute = $("fair-attr").value.trim();  // off unless an attribute is named
  if (attribute) body.fairness = { attribute, min_ratio: Number($("fair-ratio").value) };
  $("status").textContent = "Ranking…";
  try {
    const data = await call("POST", "/v1/shortlist", body);
    const tbody = $("results").querySelector("tbody");
    tbody.replaceChildren();
    for (const row of data.results) {
      const tr = document.createElement("tr");
      const moved = row.original_rank && row.original_rank !== row.rank;
      const who = document.createElement("td");
      const open = text("button", row.candidate_id, "who");
      open.type = "button";
      open.title = "Gaps, credential path and rank with it";
      open.addEventListener("click", () => showPathway(row.candidate_id, role));
      who.append(open);
      tr.append(text("td", moved ? row.rank + " (was " + row.original_rank + ")" : row.rank),
        who,
        text("td", row.score.toFixed(3), "num"), text("td", row.fit.toFixed(3), "num"),
        text("td", row.retention.toFixed(2), "num"));
      const why = document.createElement("td");
      why.append(reasons(row.reasons));
      tr.append(why);
      tbody.append(tr);
    }
    $("results").hidden = false;
    $("status").textContent = data.results.length + " candidates, model " +
      (data.manifest.version || "?") + ", " + data.manifest.elapsed_ms + " ms." +
      fairnessNote(data.manifest.fairness);
    auditReady(body, autoAudit);
    autoAudit = false;
    if (autoCandidate) showPathway(autoCandidate, role);
    autoCandidate = null;
  } catch (e) { $("status").textContent = "Error: " + e.message; }
}

$("load-roles").addEventListener("click", loadRoles);
$("go").addEventListener("click", shortlist);

// Deep link: /?role=ROLE_ID&k=20 (key from localStorage, or &key= for kiosk/testing) runs at once;
// &audit=1 then audits it (auditor keys); &candidate=ID opens that candidate's view (pathway.js).
(function autorun() {
  const q = new URLSearchParams(location.search);
  if (q.get("key")) $("key").value = q.get("key");
  if (q.get("k")) $("k").value = q.get("k");
  if (q.get("fair")) $("fair-attr").value = q.get("fair");
  if (q.get("ratio")) $("fair-ratio").value = q.get("ratio");
  autoAudit = q.get("audit") === "1";
  autoCandidate = q.get("candidate");
  if (q.get("role")) {
    $("role").add(new Option(q.get("role"), q.get("role")));
    $("role").value = q.get("role");
    shortlist();
  }
})();
