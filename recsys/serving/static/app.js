// Recruiter page: the API key, the role list, the query (a role or a job description with its
// skills), filters and the deep links.  The shortlist table, CSV export and saved shortlists are
// table.js; the candidate view pathway.js; the audit view audit.js.
//
// The key is sent only as an Authorization header and kept in sessionStorage (this tab, until it
// closes); a link never carries it.  Deep links: /?role=ID[&k=N][&candidate=ID][&audit=1]
// [&fair=ATTR&ratio=R] ranks at once, /?saved=ID reopens a saved shortlist; both wait for a key.
"use strict";
let scopes = [];
let roles = [], rolesTruncated = false;
let readSkills = null;  // [{skill_id, label, source}] once read (then sent as required_skills)
const picked = { skill: new Map(), cred: new Map(), add: new Map() };  // label shown → id
let autoAudit = false, autoCandidate = null;

// ------------------------------------------------------------------ the key
$("key-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const value = $("key").value.trim();
  if (!value) { needKey("Type a key first."); return; }
  sessionStorage.setItem(KEY, value);
  $("key").value = "";
  start();
});
$("forget-key").addEventListener("click", () => {
  sessionStorage.removeItem(KEY);
  scopes = [];
  needKey("Key forgotten for this tab.");
});

async function start() {
  if (!sessionStorage.getItem(KEY)) { needKey("Enter your API key to start."); return; }
  try {
    scopes = (await call("GET", "/v1/whoami")).scopes;
  } catch (e) { if (!(e instanceof KeyError)) $("key-status").textContent = "Error: " + e.message; return; }
  $("key").placeholder = "set for this tab";
  $("key-status").textContent = "Key set for this tab (" + scopes.join(", ") + ").";
  await loadRoles();
  deepLink();
}

// ------------------------------------------------------------------ roles
async function loadRoles(q) {
  try {
    const data = await call("GET", "/v1/role-list?limit=1000" + (q ? "&q=" + encodeURIComponent(q) : ""));
    if (!q) { roles = data.roles; rolesTruncated = roles.length >= 1000; }
    showRoles(q ? data.roles : roles, $("role-q").value.trim());
  } catch (e) { if (!(e instanceof KeyError)) say("Error: " + e.message); }
}

function showRoles(list, q) {
  const sel = $("role"), keep = sel.value, needle = (q || "").toLowerCase();
  const shown = needle ? list.filter((r) => (r.title + " " + r.role_id).toLowerCase().includes(needle)) : list;
  sel.replaceChildren(...shown.map((r) => new Option(r.title + " (" + r.role_id + ")", r.role_id)));
  if (shown.some((r) => r.role_id === keep)) sel.value = keep;
  else if (shown.length) sel.selectedIndex = 0;
  $("role-count").textContent = shown.length + " of " + (rolesTruncated ? "1000+" : roles.length) + " roles" +
    (needle ? " match “" + q + "”" : "") + ".";
}

let roleTimer = null;
$("role-q").addEventListener("input", () => {
  const q = $("role-q").value.trim();
  clearTimeout(roleTimer);
  if (rolesTruncated && q) roleTimer = setTimeout(() => loadRoles(q), 250);  // ask the server
  else showRoles(roles, q);
});

// Enter (or a double click) on a role ranks it, as the Shortlist button does
$("role").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); $("query-form").requestSubmit(); } });
$("role").addEventListener("dblclick", () => $("query-form").requestSubmit());

function selectRole(id) {
  if (![...$("role").options].some((o) => o.value === id)) $("role").add(new Option(id, id));
  $("role").value = id;
  setMode("role");
}

// ------------------------------------------------------------------ a role or a job description
function mode() { return document.querySelector("input[name=mode]:checked").value; }
function setMode(m) {
  document.querySelector("input[name=mode][value=" + m + "]").checked = true;
  $("by-role").hidden = m !== "role";
  $("by-jd").hidden = m !== "jd";
}
for (const r of document.querySelectorAll("input[name=mode]")) r.addEventListener("change", () => setMode(mode()));

$("read-skills").addEventListener("click", async () => {
  const jd = $("jd").value.trim();
  if (!jd) { say("Paste a job description first."); $("jd").focus(); return; }
  say("Reading skills…");
  try {
    readSkills = (await call("POST", "/v1/skills/extract", { job_description: jd })).skills;
    showChips();
    $("skills-box").hidden = false;
    say(readSkills.length + " required skills read; remove or add some, then Shortlist.");
  } catch (e) { if (!(e instanceof KeyError)) say("Error: " + e.message); }
});
$("jd").addEventListener("input", () => {  // another text: its skills are read again
  if (readSkills) { readSkills = null; $("skills-box").hidden = true; say("The job description changed: its skills will be read again."); }
});

function showChips() {
  const ul = $("skill-chips");
  ul.replaceChildren();
  readSkills.forEach((s, i) => {
    const li = text("li", s.label, s.source === "occupation" ? "occupation" : "");
    if (s.source === "occupation") li.title = "expected for the job's occupation (not named in the text)";
    const x = text("button", "×");
    x.type = "button";
    x.setAttribute("aria-label", "Remove " + s.label);
    x.addEventListener("click", () => {
      readSkills.splice(i, 1);
      showChips();
      say("Removed " + s.label + ".");
      $("skill-add").focus();
    });
    li.append(x);
    ul.append(li);
  });
  if (!readSkills.length) ul.append(text("li", "none: the search requires no skill"));
}

function suggest(input, list, kind, path, label) {
  let timer = null;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q.length < 2 || picked[kind].has(q)) return;
    timer = setTimeout(async () => {
      try {
        const data = await call("GET", path + "?limit=20&q=" + encodeURIComponent(q));
        const items = data.skills || data.credentials;
        list.replaceChildren(...items.map((it) => {
          const shown = label(it);
          picked[kind].set(shown, it.skill_id || it.credential_id);
          return new Option(shown);
        }));
      } catch (e) { if (!(e instanceof KeyError)) say("Error: " + e.message); }
    }, 200);
  });
}
const skillLabel = (s) => s.label, credLabel = (c) => c.name + " — " + c.issuer;
suggest($("skill-add"), $("skill-options"), "add", "/v1/skills", skillLabel);
suggest($("f-skill"), $("f-skill-options"), "skill", "/v1/skills", skillLabel);
suggest($("f-cred"), $("f-cred-options"), "cred", "/v1/credentials", credLabel);

$("skill-add-go").addEventListener("click", () => {
  const shown = $("skill-add").value.trim(), id = picked.add.get(shown);
  if (!id) { say("Pick a skill from the suggestions (type two letters or more)."); $("skill-add").focus(); return; }
  if (!readSkills.some((s) => s.skill_id === id)) readSkills.push({ skill_id: id, label: shown, source: "added" });
  $("skill-add").value = "";
  showChips();
  say("Added " + shown + ".");
});
$("skill-add").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); $("skill-add-go").click(); } });

// ------------------------------------------------------------------ the query
function filters() {
  const f = {}, where = $("f-location").value.trim();
  if (where) f[$("f-remote").checked ? "location_or_remote" : "location"] = where;
  for (const [kind, input] of [["skill", $("f-skill")], ["cred", $("f-cred")]]) {
    const shown = input.value.trim();
    if (!shown) continue;
    const id = picked[kind].get(shown);
    if (!id) throw new Error("Pick the " + (kind === "skill" ? "skill" : "credential") + " filter from its suggestions: “" + shown + "” is not one.");
    if (kind === "skill") f.skills = id;
    else f[$("f-verified").checked ? "verified_credentials" : "credentials"] = id;
  }
  if ($("f-employees").checked) f.is_employee = true;
  return f;
}

function query() {
  const body = { k: Number($("k").value), retention_weight: Number($("w").value) };
  if (mode() === "role") {
    if (!$("role").value) throw new Error("Pick a role (or switch to a job description).");
    body.role_id = $("role").value;
  } else {
    const jd = $("jd").value.trim();
    if (!jd) throw new Error("Paste a job description (or switch to an open role).");
    body.job_description = jd;
    if (readSkills) body.required_skills = readSkills.map((s) => s.skill_id);
  }
  const f = filters();
  if (Object.keys(f).length) body.filters = f;
  const attribute = $("fair-attr").value.trim();  // off unless an attribute is named
  if (attribute) body.fairness = { attribute, min_ratio: Number($("fair-ratio").value) };
  return body;
}

function fairnessNote(f) {
  if (!f) return "";
  const num = (x) => (x === null || x === undefined ? "n/a" : x.toFixed(3));
  return " Re-ranked by " + f.attribute + ": lowest impact ratio " +
    num(f.min_impact_ratio_before) + " → " + num(f.min_impact_ratio_after) + ", NDCG cost " +
    num(f.ndcg_cost) + (f.feasible ? "." : " (constraint not met in this pool).");
}

async function shortlist(body, focus) {
  say("Ranking…");
  const t0 = performance.now();
  try {
    const data = await call("POST", "/v1/shortlist", body);
    await showRanking(body, data.results, data.manifest, null);
    // the address bar: a link to this query for a role (never the key), the bare page for a JD
    const q = body.role_id ? "?" + new URLSearchParams({ role: body.role_id, k: body.k }) : "";
    history.replaceState(null, "", "/" + q);
    say(data.results.length + " candidates, model " + (data.manifest.version || "?") + ", ranked in " +
      Math.round(data.manifest.elapsed_ms) + " ms, shown in " + Math.round(performance.now() - t0) + " ms." +
      fairnessNote(data.manifest.fairness));
    if (focus) $("results-head").focus();
    auditReady(body, autoAudit);
    autoAudit = false;
    openAuto();
  } catch (e) { if (!(e instanceof KeyError)) say("Error: " + e.message); }
}

function openAuto() {
  if (!autoCandidate) return;
  const row = shownRows().find((r) => r.candidate_id === autoCandidate) || { candidate_id: autoCandidate };
  autoCandidate = null;
  showCandidate(row, currentRole());
}

$("query-form").addEventListener("submit", (e) => {
  e.preventDefault();
  let body;
  try { body = query(); } catch (err) { say(err.message); return; }
  shortlist(body, true);
});

// ------------------------------------------------------------------ deep links
let linked = false;
function deepLink() {
  if (linked) return;
  linked = true;
  const q = new URLSearchParams(location.search);
  if (q.get("k")) $("k").value = q.get("k");
  if (q.get("fair")) $("fair-attr").value = q.get("fair");
  if (q.get("ratio")) $("fair-ratio").value = q.get("ratio");
  autoAudit = q.get("audit") === "1";
  autoCandidate = q.get("candidate");
  if (q.get("saved")) { openSaved(q.get("saved")); return; }
  if (q.get("role")) {
    selectRole(q.get("role"));
    let body;
    try { body = query(); } catch (err) { say(err.message); return; }
    shortlist(body, false);
  }
}

setMode("role");
start();
