// The commissioning page: plain JavaScript, every asset served by the controller.
// Data only ever goes into the page as text (textContent), never as HTML.
"use strict";

const API = "/page/api";
let csrf = null;
let timers = [];

function $(sel) { return document.querySelector(sel); }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : String(c ?? ""));
  return node;
}

async function call(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  const res = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (res.status === 401 && path !== API + "/auth") { showAuth("login"); }
  if (!res.ok) {
    const err = new Error((data && data.message) || res.statusText);
    err.status = res.status;
    throw err;
  }
  return data;
}

function fmt(value, digits, unit) {
  if (value === null || value === undefined) return "–";
  return Number(value).toFixed(digits) + (unit ? " " + unit : "");
}

function showAuth(state) {
  timers.forEach(clearInterval); timers = [];
  $("#app").hidden = true; $("#logout").hidden = true;
  $("#auth").hidden = false;
  $("#setup-form").hidden = state !== "setup";
  $("#login-form").hidden = state !== "login";
}

function showApp() {
  $("#auth").hidden = true; $("#app").hidden = false; $("#logout").hidden = false;
  refreshLive(); refreshTables(); refreshConfig(); refreshScan();
  timers.push(setInterval(refreshLive, 1000));
  timers.push(setInterval(refreshTables, 5000));
}

async function start() {
  const auth = await call("GET", API + "/auth");
  if (auth.state === "in") { csrf = auth.csrf; showApp(); } else showAuth(auth.state);
}

async function submitAuth(ev, path, body) {
  ev.preventDefault();
  $("#auth-error").textContent = "";
  try {
    const res = await call("POST", API + path, body());
    csrf = res.csrf; showApp();
  } catch (e) { $("#auth-error").textContent = e.message; }
}

let contactors = {};

async function refreshLive() {
  try {
    const [siteDoc, evses, tests] = await Promise.all([
      call("GET", API + "/v1/site"), call("GET", API + "/v1/evses"),
      call("GET", API + "/contactors")]);
    $("#site-name").textContent = siteDoc.name;
    const ready = $("#site-ready");
    ready.textContent = siteDoc.ready ? "READY" : "starting";
    ready.className = "badge " + (siteDoc.ready ? "ok" : "wait");
    $("#site-clock").textContent = "site time " + siteDoc.now.replace("T", " ").slice(0, 19);
    $("#pending").hidden = siteDoc.pending.length === 0;
    $("#pending").textContent = "Not up yet: " + siteDoc.pending.join(", ");
    contactors = Object.fromEntries(tests.map(t => [t.evse_uid, t]));
    renderEvses(evses);
    await refreshLoad();
  } catch (e) { /* shown by the next refresh or the login form */ }
}

// Cards and table rows are updated in place, never rebuilt: a click (or a
// test's measurement) that spans a refresh lands on the element it began on.
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function newCard(uid) {
  const field = (name, cls) => [el("dt", {}, name), el("dd", { class: cls })];
  const button = el("button", { class: "contactor-test", "data-evse": uid },
    "Test contactor");
  button.addEventListener("click", () => testContactor(uid));
  return el("div", { class: "evse", "data-evse": uid },
    el("h3", {}),
    el("dl", {}, ...field("status", "status"), ...field("power", "power"),
      ...field("currents", "currents"), ...field("meter", "meter"),
      ...field("read", "age"), ...field("limit", "limit"),
      ...field("session", "session")),
    button, el("div", { class: "refusal" }));
}

// Why an EVSE waiting for power (SUSPENDED_EVSE) offers nothing, in words.
const WAITING = {
  no_headroom: "the site's fuse is full",
  resume_delay: "resuming shortly (paused moments ago)",
  no_surplus: "not enough solar surplus",
  surplus_unknown: "no reading of the solar surplus",
  waiting_for_cheap_hour: "waiting for a cheaper hour",
  no_demand: "the car did not ask (offered again later)",
  failsafe: "the grid meter is silent (failsafe)",
  limit: "a 0 A limit",
};

function statusText(e) {
  if (e.phase !== "SUSPENDED_EVSE") {
    return e.status + " / " + e.phase + (e.fault ? " (" + e.fault + ")" : "");
  }
  const why = e.waiting_reason;
  return e.status + " / waiting for power"
    + (why ? ": " + (WAITING[why] || why) + " (" + why + ")" : "");
}

function fillCard(card, e) {
  const d = e.draw;
  const s = e.session;
  const test = contactors[e.uid] || { available: false, refusal: null };
  const at = cls => card.querySelector("." + cls);
  const className = "evse " + e.status;
  if (card.className !== className) card.className = className;
  setText(card.querySelector("h3"), e.uid + (e.evse_id ? " · " + e.evse_id : ""));
  setText(at("status"), statusText(e));
  setText(at("power"), d ? fmt(d.power_w, 0, "W") : "–");
  setText(at("currents"), d ? d.currents_a.map(a => fmt(a, 1)).join(" / ") + " A" : "–");
  setText(at("meter"), fmt(e.meter_wh, 0, "Wh"));
  setText(at("age"), d ? fmt(d.age_s, 1, "s ago") : "–");
  setText(at("limit"), fmt(e.limit_a, 1, "A") + " (offered " + fmt(e.offered_a, 1, "A") + ")");
  setText(at("session"), s ? (s.token_uid || "?") + ", " + fmt(s.energy_wh, 0, "Wh") : "none");
  at("contactor-test").disabled = !test.available || test.refusal !== null;
  setText(at("refusal"), test.available ? (test.refusal || "") : "no separate contactor");
}

function keep(box, nodes) {
  // the children in this order, touching the DOM only when they differ
  const now = [...box.children];
  if (now.length !== nodes.length || nodes.some((n, i) => now[i] !== n)) {
    box.replaceChildren(...nodes);
  }
}

function renderEvses(evses) {
  const box = $("#evses");
  const cards = new Map([...box.children].map(c => [c.dataset.evse, c]));
  const order = evses.map(e => cards.get(e.uid) || newCard(e.uid));
  evses.forEach((e, i) => fillCard(order[i], e));
  keep(box, order);
}

async function testContactor(uid) {
  const msg = $("#contactor-message");
  if (!window.confirm("Close the contactor of " + uid + " for a moment? "
      + "Nobody may touch the outlet's wiring.")) return;
  msg.className = ""; msg.textContent = "testing " + uid + "…";
  try {
    const res = await call("POST", API + "/contactors/" + encodeURIComponent(uid) + "/test",
      { confirm: true });
    msg.className = "ok"; msg.textContent = uid + ": " + res.message;
  } catch (e) { msg.className = "bad"; msg.textContent = uid + ": refused: " + e.message; }
}

function fillTable(sel, rows) {
  const body = document.querySelector(sel + " tbody");
  const old = [...body.children];
  keep(body, rows.map((cells, i) => {
    const same = old[i] && old[i].children.length === cells.length;
    const tr = same ? old[i] : el("tr", {}, ...cells.map(() => el("td", {})));
    cells.forEach((c, j) => setText(tr.children[j], String(c ?? "")));
    return tr;
  }));
}

async function refreshTables() {
  try {
    const [ses, tok, sync] = await Promise.all([
      call("GET", API + "/v1/sessions?limit=20"), call("GET", API + "/v1/tokens?limit=50"),
      call("GET", API + "/v1/sync")]);
    $("#sessions-total").textContent = ses.total + " in all, the first 20 shown";
    fillTable("#sessions", ses.sessions.map(s => [s.evse_uid, s.token_uid || "", s.start,
      s.end || "running", s.kwh.toFixed(3), s.status, s.stop_reason || ""]));
    $("#tokens-total").textContent = tok.total + " in all";
    fillTable("#tokens", tok.tokens.map(t => [t.uid, t.type, t.contract_id, t.whitelist,
      t.valid ? "yes" : "no", t.blocked ? "BLOCKED" : "", t.source]));
    $("#sync-summary").textContent = !sync.enabled ? "No OCPI uplink on this site."
      : (sync.registered ? "Registered with " + sync.peer : "Not registered")
        + "; " + sync.queued + " queued"
        + (sync.last_success ? "; last accepted " + sync.last_success : "")
        + (sync.last_error ? "; last error: " + sync.last_error.error : "");
    fillTable("#backlog", sync.backlog.map(b => [b.module, b.queued, b.blocked, b.dead,
      b.oldest || ""]));
    fillTable("#dead", sync.dead_letters.map(d => [d.key, d.attempts, d.reason || ""]));
  } catch (e) { /* next round */ }
}

async function refreshConfig() {
  try {
    const c = await call("GET", API + "/config");
    $("#config-running").textContent = "Running: " + c.running.evses + " EVSE(s) on bus(es) "
      + c.running.buses.join(", ") + "; " + c.running.note + ".";
    const boot = c.boot_check;
    $("#config-boot-note").textContent = boot.text === null
      ? "Boot-time check (" + boot.path + "): " + boot.note
      : "Boot-time check of site.toml (" + boot.path + ")"
        + (boot.rejected ? ": REJECTED, the last good file is running" : ":");
    $("#config-boot-note").className = boot.rejected ? "error" : "";
    $("#config-boot").textContent = boot.text || "";
  } catch (e) { /* next time */ }
}

async function refreshLoad() {
  const l = await call("GET", API + "/load");
  $("#load").hidden = !l.enabled;
  if (!l.enabled) return;
  const amps = v => v ? v.map(a => Number(a).toFixed(1)).join(" / ") : "–";
  // one phase: the circuit's load (house + setpoints) against its limit
  const phase = (c, p) => (c.load_a ? Number(c.load_a[p]).toFixed(1) : "–")
    + " / " + Number(c.limit_a[p]);
  fillTable("#circuits", l.circuits.map(c => [c.id + (c.metered ? " (metered)" : ""),
    phase(c, 0), phase(c, 1), phase(c, 2), amps(c.measured_a), c.evses.join(", ")]));
  const circuit = {};  // each EVSE's own circuit: the last (deepest) that holds it
  l.circuits.forEach(c => c.evses.forEach(uid => { circuit[uid] = c.id; }));
  fillTable("#setpoints", l.setpoints.map(s => [s.evse_uid, circuit[s.evse_uid] || "",
    Number(s.current_a).toFixed(1), s.why]));
  $("#failsafe").hidden = l.failsafe.length === 0;
  $("#failsafe").textContent = "FAILSAFE: no reading from the meter of " + l.failsafe.join(", ");
}

let scanPoll = null;

function renderScan(s) {
  const bar = $("#scan-progress");
  bar.max = Math.max(1, s.total); bar.value = s.probed;
  const what = { idle: "no scan yet", probing: "probing", identifying: "identifying",
    done: "done", failed: "failed" }[s.phase] || s.phase;
  $("#scan-status").textContent = s.phase === "idle" ? what
    : s.where + ": " + what + ", " + s.probed + " of " + s.total + " unit(s) probed"
      + (s.unit ? " (unit " + s.unit + ")" : "") + ", " + s.found.length + " found"
      + (s.unprobed.length ? "; NOT PROBED: " + s.unprobed.map(u => "unit " + u.unit
        + " (" + u.why + ")").join(", ") : "")
      + (s.error ? ": " + s.error : "");
  fillTable("#scan-found", s.found.map(f => [f.unit,
    f.profile || (f.garbled ? "(garbled answers)" : "?"), f.kind || "", f.model || "",
    f.others.join(", ")]));
  $("#scan-snippet").textContent = s.snippet;
  $("#scan-start").disabled = s.running;
}

async function refreshScan() {
  try { renderScan(await call("GET", API + "/scan")); } catch (e) { /* next time */ }
}

async function startScan(ev) {
  ev.preventDefault();
  const transport = $("#scan-transport").value;
  const body = { transport, first_unit: Number($("#scan-first").value),
    last_unit: Number($("#scan-last").value) };
  if (transport === "rtu") {
    body.device = $("#scan-device").value; body.baud = Number($("#scan-baud").value);
  } else { body.host = $("#scan-host").value; body.port = Number($("#scan-port").value); }
  $("#scan-start").disabled = true;
  scanPoll = setInterval(refreshScan, 250);
  try { renderScan(await call("POST", API + "/scan", body)); }
  catch (e) { $("#scan-status").textContent = "scan refused: " + e.message; }
  finally { clearInterval(scanPoll); $("#scan-start").disabled = false; }
}

document.addEventListener("DOMContentLoaded", () => {
  $("#scan-form").addEventListener("submit", startScan);
  $("#setup-form").addEventListener("submit", ev => submitAuth(ev, "/setup",
    () => ({ code: $("#setup-code").value, password: $("#setup-password").value })));
  $("#login-form").addEventListener("submit", ev => submitAuth(ev, "/login",
    () => ({ password: $("#login-password").value })));
  $("#logout").addEventListener("click", async () => {
    try { await call("POST", API + "/logout"); } finally { csrf = null; showAuth("login"); }
  });
  start();
});
