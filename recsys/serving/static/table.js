// The shortlist table of the recruiter page: rows joined with candidate cards
// (POST /v1/candidate-cards), sorted by a column, shown a page at a time; CSV export of every row
// (formula-safe); saving (POST /v1/saved-shortlists) and reopening (GET …/{id}) a shortlist by a
// link that carries no key.  Uses $, call, text and say from app.js when it runs.
"use strict";
const view = { query: null, rows: [], sorted: [], manifest: null, saved: null,
  sort: "rank", dir: 1, page: 0 };
const NUMERIC = new Set(["rank", "years_experience", "score", "fit", "fit_probability", "retention"]);

function shownRows() { return view.rows; }
function currentRole() { return view.query ? view.query.role_id || null : null; }
function pageSize() { return Number($("page-size").value); }

// rows of a ranking (the API's results) joined with their cards; ids without a card are dropped
async function showRanking(query, results, manifest, saved) {
  const ids = results.map((r) => r.candidate_id);
  const cards = ids.length ? await call("POST", "/v1/candidate-cards", { candidate_ids: ids }) : { cards: [], unknown: [] };
  const byId = new Map(cards.cards.map((c) => [c.candidate_id, c]));
  view.rows = results.filter((r) => byId.has(r.candidate_id)).map((r) => Object.assign({}, byId.get(r.candidate_id), r));
  view.gone = cards.unknown.length;
  view.query = query;
  view.manifest = manifest;
  // what P(fit) is the probability of, in the model's own words (manifest.scores)
  const meaning = manifest && manifest.scores ? manifest.scores.fit_probability : "";
  $("fit-head").title = meaning || "";
  view.saved = saved;
  view.page = 0;
  if (saved && saved.view && saved.view.sort) { view.sort = saved.view.sort; view.dir = Number(saved.view.dir) || 1; }
  else { view.sort = "rank"; view.dir = 1; }
  resort();
  $("results-section").hidden = false;
  $("share").hidden = true;
  $("save-status").textContent = "";
  banner();
  render();
}

function sortValue(row, key) {
  const v = row[key];
  if (NUMERIC.has(key)) return v === null || v === undefined ? -Infinity : v;
  return (v || "").toString().toLowerCase();
}

function resort() {
  const key = view.sort, dir = view.dir;
  view.sorted = view.rows.slice().sort((a, b) => {
    const x = sortValue(a, key), y = sortValue(b, key);
    return (x < y ? -1 : x > y ? 1 : a.rank - b.rank) * (x === y ? 1 : dir);
  });
}

const fix = (x, d) => (x === null || x === undefined ? "—" : x.toFixed(d));

function why(r) {  // two short lines; the candidate view has the rest
  const div = document.createElement("div");
  const rs = r.reasons;
  if (!rs) return div;
  const need = rs.matched_skills.length + rs.missing_skills.length;
  const verified = rs.verified_credentials.length ? " · " + rs.verified_credentials.length + " verified credential(s)" : "";
  if (need) div.append(text("div", "✓ " + rs.matched_skills.length + " of " + need + " required skills" + verified, "ok"));
  if (rs.missing_skills.length) {
    div.append(text("div", "✗ missing " + rs.missing_skills.slice(0, 2).join(", ") +
      (rs.missing_skills.length > 2 ? " +" + (rs.missing_skills.length - 2) + " more" : ""), "miss"));
  }
  return div;
}

function rowOf(r) {
  const tr = document.createElement("tr");
  const moved = r.original_rank && r.original_rank !== r.rank;
  const who = document.createElement("td");
  const open = text("button", r.headline || r.candidate_id, "who");
  open.type = "button";
  open.dataset.candidate = r.candidate_id;
  open.addEventListener("click", () => showCandidate(r, currentRole(), open));
  who.append(open, text("span", r.candidate_id, "cid"));
  if (r.is_employee) who.append(text("span", "employee", "badge"));
  tr.append(text("td", moved ? r.rank + " (was " + r.original_rank + ")" : r.rank), who,
    text("td", (r.location || "—") + (r.open_to_remote ? " · remote ok" : "")),
    text("td", r.years_experience === null ? "—" : r.years_experience.toFixed(1) + " y", "num"),
    text("td", fix(r.score, 3), "num"), text("td", fix(r.fit_probability, 2), "num"), text("td", fix(r.retention, 2), "num"));
  const cell = document.createElement("td");
  cell.className = "why";
  cell.append(why(r));
  tr.append(cell);
  return tr;
}

function render() {
  const size = pageSize(), pages = Math.max(1, Math.ceil(view.sorted.length / size));
  view.page = Math.min(Math.max(view.page, 0), pages - 1);
  const start = view.page * size, part = view.sorted.slice(start, start + size);
  const frag = document.createDocumentFragment();
  for (const r of part) frag.append(rowOf(r));
  $("results").querySelector("tbody").replaceChildren(frag);
  for (const th of document.querySelectorAll("#results th[data-sort]")) {
    if (th.dataset.sort === view.sort) th.setAttribute("aria-sort", view.dir > 0 ? "ascending" : "descending");
    else th.removeAttribute("aria-sort");
  }
  const what = view.query && view.query.role_id ? "role " + view.query.role_id : "the job description";
  $("results-caption").textContent = view.rows.length + " candidates for " + what + ", sorted by " +
    view.sort.replace("_", " ") + (view.dir > 0 ? " (ascending)" : " (descending)") +
    ". Choose a candidate to see their profile, reasons and path.";
  $("page-info").textContent = view.sorted.length
    ? "Rows " + (start + 1) + "–" + (start + part.length) + " of " + view.sorted.length + " (page " + (view.page + 1) + " of " + pages + ")"
    : "No candidates.";
  $("prev-page").disabled = view.page === 0;
  $("next-page").disabled = view.page >= pages - 1;
}

for (const th of document.querySelectorAll("#results th[data-sort]")) {
  th.querySelector("button").addEventListener("click", () => {
    const key = th.dataset.sort;
    // first click: best first (scores high to low, rank and names A to Z)
    if (view.sort === key) view.dir = -view.dir;
    else { view.sort = key; view.dir = ["score", "fit", "retention", "years_experience"].includes(key) ? -1 : 1; }
    view.page = 0;
    resort();
    render();
  });
}
$("prev-page").addEventListener("click", () => { view.page -= 1; render(); });
$("next-page").addEventListener("click", () => { view.page += 1; render(); });
$("page-size").addEventListener("change", () => { view.page = 0; render(); });

// ------------------------------------------------------------------ CSV
// A cell starting with = + - @ tab or CR is prefixed with ' so a spreadsheet never runs it as a
// formula (CSV injection); numbers are written as numbers.
function csvCell(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

const CSV_COLUMNS = ["rank", "candidate_id", "headline", "location", "open_to_remote", "years_experience",
  "is_employee", "current_role", "score", "fit", "fit_probability", "retention", "matched_skills", "missing_skills",
  "verified_credentials", "why"];

function csvText(rows) {
  const lines = [CSV_COLUMNS.join(",")];
  for (const r of rows) {
    const rs = r.reasons || { matched_skills: [], missing_skills: [], verified_credentials: [], top_features: [] };
    const value = {
      ...r, matched_skills: rs.matched_skills.join("; "), missing_skills: rs.missing_skills.join("; "),
      verified_credentials: rs.verified_credentials.join("; "),
      why: rs.top_features.map((f) => f.meaning).join("; "),
    };
    lines.push(CSV_COLUMNS.map((c) => csvCell(value[c])).join(","));
  }
  return "\ufeff" + lines.join("\r\n") + "\r\n";  // BOM: spreadsheets read it as UTF-8
}

$("export-csv").addEventListener("click", () => {
  const blob = new Blob([csvText(view.sorted)], { type: "text/csv;charset=utf-8" });
  const a = document.createElement("a");
  const what = (view.query && view.query.role_id) || "job-description";
  a.href = URL.createObjectURL(blob);
  a.download = "shortlist-" + what.replace(/[^\w-]+/g, "_") + "-" + new Date().toISOString().slice(0, 10) + ".csv";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  $("save-status").textContent = "Exported " + view.sorted.length + " rows as CSV.";
});

// ------------------------------------------------------------------ saved shortlists
$("save-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!view.query) return;
  $("save-status").textContent = "Saving…";
  const body = { query: view.query, title: $("save-title").value.trim(),
    view: { sort: view.sort, dir: view.dir, page_size: pageSize() } };
  try {
    const got = await call("POST", "/v1/saved-shortlists", body);
    const link = location.origin + got.link;
    history.replaceState(null, "", got.link);
    $("share-link").value = link;
    $("share").hidden = false;
    $("save-status").textContent = "Saved " + got.rows + " rows. Anyone with an API key can open the link.";
    $("share-link").focus();
    $("share-link").select();
  } catch (err) { if (!(err instanceof KeyError)) $("save-status").textContent = "Error: " + err.message; }
});

$("copy-link").addEventListener("click", async () => {
  try { await navigator.clipboard.writeText($("share-link").value); $("save-status").textContent = "Link copied."; }
  catch (e) { $("share-link").select(); $("save-status").textContent = "Select the link and copy it (Ctrl+C)."; }
});

async function openSaved(id) {
  say("Opening the saved shortlist…");
  try {
    const s = await call("GET", "/v1/saved-shortlists/" + encodeURIComponent(id));
    if (s.view && s.view.page_size) $("page-size").value = String(s.view.page_size);
    fillForm(s.query);
    await showRanking(s.query, s.results, s.manifest, s);
    say("Saved shortlist opened: " + view.rows.length + " candidates.");
    openAuto();
  } catch (e) { if (!(e instanceof KeyError)) say("Error: " + e.message); }
}

function fillForm(q) {
  if (q.role_id) selectRole(q.role_id);
  else { setMode("jd"); $("jd").value = q.job_description || ""; }
  if (q.k) $("k").value = q.k;
  if (q.retention_weight !== undefined) $("w").value = q.retention_weight;
}

function banner() {
  const b = $("saved-banner"), s = view.saved;
  b.hidden = !s;
  if (!s) return;
  const m = s.manifest || {};
  b.replaceChildren(text("strong", "Saved shortlist" + (s.title ? ": " + s.title : "")),
    text("span", " — saved " + s.created_at.replace("T", " ") + " by key " + s.owner + ", model " +
      (m.version || "?") + ". It shows the ranking as it was then" +
      (view.gone ? "; " + view.gone + " candidate(s) no longer in the data are left out" : "") + ". "));
  if (s.note) b.append(text("p", "Note: " + s.note));
  const again = text("button", "Rank again now");
  again.type = "button";
  again.addEventListener("click", () => shortlist(s.query, true));
  b.append(again);
}
