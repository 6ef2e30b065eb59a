// Audit view of the recruiter page: shown under a shortlist; usable with a key that holds the
// auditor scope (GET /v1/whoami says which scopes the key has), it renders the JSON of
// POST /v1/audit/shortlist: selection rates and impact ratios per category of each attribute,
// the 0.8 line, flags, excluded small categories and unknown counts.  Its functions use $, call
// and text from common.js.
"use strict";
let auditQuery = null;

async function auditReady(query, autorun) {
  auditQuery = query;
  $("audit-view").hidden = false;
  $("audit").replaceChildren();
  $("audit-go").disabled = true;
  let scopes;
  try { scopes = (await call("GET", "/v1/whoami")).scopes; }
  catch (e) { $("audit-status").textContent = "Error: " + e.message; return; }
  if (!scopes.includes("auditor")) {
    $("audit-status").textContent = "The audit needs an API key with the auditor scope; " +
      "this key has: " + scopes.join(", ") + ".";
    return;
  }
  $("audit-go").disabled = false;
  $("audit-status").textContent = "Audit the top " + query.k + " against the pool they were cut from.";
  if (autorun) await runAudit();
}

async function runAudit() {
  $("audit-status").textContent = "Auditing…";
  try { renderAudit(await call("POST", "/v1/audit/shortlist", auditQuery)); }
  catch (e) { $("audit-status").textContent = "Error: " + e.message; }
}

const fmt = (x, digits) => (x === null || x === undefined ? "—" : x.toFixed(digits));

function bar(ratio) {
  const outer = text("span", "", "bar"), fill = document.createElement("span");
  fill.style.width = Math.min(Math.max(ratio || 0, 0), 1) * 100 + "%";
  outer.append(fill);
  outer.title = "impact ratio " + fmt(ratio, 2) + " (dashed line: 0.8)";
  return outer;
}

function flagOf(row) {
  if (row.excluded) return ["excluded", "excluded (small)"];
  if (row.flagged) return ["flagged", "flagged"];
  if (row.four_fifths) return ["under", "under 0.8, not significant"];
  return ["", ""];
}

function auditTable(grouping, rows, scoring) {
  const table = document.createElement("table");
  table.className = "audit";
  const head = document.createElement("tr");
  for (const h of ["Category", "Applicants", "Selected", "Selection rate", "Impact ratio", "",
    "p (adj.)", "Scoring rate", "Scoring ratio", "Flag"]) {
    head.append(text("th", h, h && h !== "Category" && h !== "Flag" ? "num" : ""));
  }
  table.append(head);
  for (const r of rows) {
    const s = scoring.get(r.category) || {}, [cls, selected] = flagOf(r);
    const scored = s.flagged || s.four_fifths ? "scoring: " + flagOf(s)[1] : "";
    const flag = [selected, scored].filter(Boolean).join("; ");
    const tr = document.createElement("tr");
    tr.className = cls;
    tr.append(text("td", r.category), text("td", r.n, "num"), text("td", r.hits, "num"),
      text("td", fmt(r.rate, 3), "num"), text("td", fmt(r.impact_ratio, 2), "num"));
    const cell = document.createElement("td");
    if (!r.excluded) cell.append(bar(r.impact_ratio));
    tr.append(cell, text("td", fmt(r.p_adjusted, 3), "num"), text("td", fmt(s.rate, 3), "num"),
      text("td", fmt(s.impact_ratio, 2), "num"), text("td", flag));
    table.append(tr);
  }
  return table;
}

function renderAudit(data) {
  const a = data.audit, out = $("audit");
  out.replaceChildren();
  const low = a.summary.min_impact_ratio.selection;
  $("audit-status").textContent = "Pool of " + data.pool + " candidates, top " + data.k +
    " selected. Lowest selection impact ratio: " + (low ? fmt(low.impact_ratio, 2) + " (" +
    low.category + ", " + low.grouping + (low.flagged ? ", flagged" : "") + ")" : "none") +
    ". Flagged: " + a.summary.flagged + ".";
  const unknown = new Map(a.unknown.map((u) => [u.grouping, u]));
  const small = "under " + Math.round(a.params.min_share * 100) + "% of the pool";
  for (const g of [...new Set(a.rows.map((r) => r.grouping))]) {
    const mine = a.rows.filter((r) => r.grouping === g);
    const scoring = new Map(mine.filter((r) => r.measure === "scoring").map((r) => [r.category, r]));
    out.append(text("h3", g), auditTable(g, mine.filter((r) => r.measure === "selection"), scoring));
    const u = unknown.get(g);
    if (u) out.append(text("p", "Unknown " + g + ": " + u.pairs + " candidate(s) left out of the rates.", "note"));
    const ex = a.excluded.filter((e) => e.grouping === g);
    if (ex.length) {
      out.append(text("p", "Excluded (" + small + ", no impact ratio): " +
        ex.map((e) => e.category + " (" + e.n + ")").join(", ") + ".", "note"));
    }
  }
  if (a.notes.length) {
    const ul = document.createElement("ul");
    for (const n of a.notes) ul.append(text("li", n, "note"));
    out.append(ul);
  }
}

// this file loads before app.js (which may call auditReady at once), so not through its $
document.getElementById("audit-go").addEventListener("click", runAudit);
