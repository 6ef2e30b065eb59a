// Helpers shared by the recruiter page's scripts (loaded first): $, text, say and call, which
// sends the API key kept in sessionStorage as an Authorization header (never in a URL).
"use strict";
const $ = (id) => document.getElementById(id);
const KEY = "recsys-key";
localStorage.removeItem(KEY);  // where an older page kept it: never again

class KeyError extends Error {}

async function call(method, path, body) {
  const key = sessionStorage.getItem(KEY);
  if (!key) { needKey("Enter your API key to continue."); throw new KeyError("no API key"); }
  const res = await fetch(path, {
    method,
    headers: { "Authorization": "Bearer " + key, "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  let data = null;
  try { data = await res.json(); } catch (e) { data = { detail: res.statusText }; }
  if (res.status === 401) {
    sessionStorage.removeItem(KEY);
    needKey("The key was refused (" + data.detail + "): enter it again.");
    throw new KeyError(data.detail);
  }
  if (!res.ok) {
    const d = data.detail;
    const said = typeof d === "string" ? d
      : Array.isArray(d) ? d.map((e) => (e && e.msg) || JSON.stringify(e)).join("; ")
      : JSON.stringify(d);
    throw new Error(res.status + ": " + said);
  }
  return data;
}

function text(tag, value, cls) {
  const el = document.createElement(tag);
  el.textContent = value;
  if (cls) el.className = cls;
  return el;
}

function say(message) { $("status").textContent = message; }

function needKey(message) {
  $("key-status").textContent = message;
  $("key").focus();
}

