// tenderpool's officer page: plain JavaScript over the JSON API, no dependencies.
"use strict";

const TEXT = {
  de: {
    skip: "Zum Inhalt", navigation: "Hauptnavigation", overview: "Übersicht", proposals: "Vorschläge", demand: "Bedarf",
    signOut: "Abmelden", signIn: "Anmelden", token: "Zugangstoken (JWT)", tokenHelp: "Ein Token erhalten Sie mit «tenderpool token --role officer» oder von Ihrem Identitätsdienst. Es bleibt nur in diesem Browser-Tab gespeichert.",
    budgetYear: "Budgetjahr", demandValue: "Bedarf", bundledValue: "gebündelt", share: "Anteil gebündelt", estimated: "Geschätzte Einsparung",
    realised: "Realisierte Einsparung", avoided: "Vermiedene Verfahren", byCategory: "Bedarf nach Kategorie (CHF)", byUnit: "Bedarf nach Einheit (CHF)",
    risks: "Risiken der Auftragsaufteilung", noRisks: "Keine Schwellenwerte durch Aufteilung unterschritten.", entity: "Rechtsträger", category: "Kategorie",
    total: "Summe", together: "Verfahren gemeinsam", alone: "je Einheit", generate: "Vorschläge erzeugen", status: "Status", all: "alle",
    title: "Titel", units: "Einheiten", value: "Wert", procedure: "Verfahren", neededBy: "Benötigt bis", tenderStartBy: "Ausschreibung spätestens",
    savings: "Einsparung", warnings: "Hinweise", lines: "Positionen nach Einheit", unit: "Einheit", quantity: "Menge", unitPrice: "Stückpreis",
    spec: "Spezifikation", timeline: "Zeitplan", assumptions: "Annahmen", decision: "Entscheid", history: "Verlauf", approve: "Genehmigen",
    reject: "Ablehnen", tender: "Ausschreibung erfasst", award: "Zuschlag erfasst", cancel: "Abbrechen", comment: "Kommentar", reason: "Begründung",
    reference: "Publikationsreferenz (z. B. simap)", supplier: "Anbieter", awardedValue: "Zuschlagswert (CHF)", back: "Zurück zur Liste",
    csv: "Als CSV herunterladen", unbundled: "Nicht gebündelt", volume: "Mengenrabatt", process: "Verfahrenskosten", none: "—",
    generated: "Vorschläge erzeugt", done: "Gespeichert", empty: "Keine Einträge.", reasonCode: { no_partner: "kein Partner", incompatible: "nicht kompatibel", outside_window: "ausserhalb Zeitfenster", too_few_units: "zu wenige Einheiten" },
    statuses: { draft: "Entwurf", submitted: "eingereicht", bundled: "gebündelt", withdrawn: "zurückgezogen", approved: "genehmigt", tendered: "ausgeschrieben", awarded: "vergeben", rejected: "abgelehnt", cancelled: "abgebrochen" },
    categories: { vehicle: "Fahrzeuge", printer: "Drucker", pc: "PCs" }, procedures: { direct: "freihändig", invitation: "Einladungsverfahren", open: "offenes Verfahren" },
    more: "weitere", page: "Seite", next: "Weiter", previous: "Zurück", ownDemand: "Ihr Bedarf nach Kategorie (CHF)",
  },
  en: {
    skip: "Skip to content", navigation: "Main navigation", overview: "Overview", proposals: "Proposals", demand: "Demand",
    signOut: "Sign out", signIn: "Sign in", token: "Access token (JWT)", tokenHelp: "Get a token with “tenderpool token --role officer” or from your identity provider. It is kept in this browser tab only.",
    budgetYear: "Budget year", demandValue: "Demand", bundledValue: "bundled", share: "Share bundled", estimated: "Estimated savings",
    realised: "Realised savings", avoided: "Procedures avoided", byCategory: "Demand by category (CHF)", byUnit: "Demand by unit (CHF)",
    risks: "Contract-splitting risks", noRisks: "No threshold is escaped by splitting.", entity: "Legal entity", category: "Category",
    total: "Total", together: "Procedure together", alone: "per unit", generate: "Generate proposals", status: "Status", all: "all",
    title: "Title", units: "Units", value: "Value", procedure: "Procedure", neededBy: "Needed by", tenderStartBy: "Publish by",
    savings: "Savings", warnings: "Warnings", lines: "Lines by unit", unit: "Unit", quantity: "Quantity", unitPrice: "Unit price",
    spec: "Spec", timeline: "Timeline", assumptions: "Assumptions", decision: "Decision", history: "History", approve: "Approve",
    reject: "Reject", tender: "Record tender", award: "Record award", cancel: "Cancel", comment: "Comment", reason: "Reason",
    reference: "Publication reference (e.g. simap)", supplier: "Supplier", awardedValue: "Awarded value (CHF)", back: "Back to the list",
    csv: "Download as CSV", unbundled: "Not bundled", volume: "Volume discount", process: "Process costs", none: "—",
    generated: "Proposals generated", done: "Saved", empty: "Nothing here.", reasonCode: { no_partner: "no partner", incompatible: "incompatible", outside_window: "outside the window", too_few_units: "too few units" },
    statuses: { draft: "draft", submitted: "submitted", bundled: "bundled", withdrawn: "withdrawn", approved: "approved", tendered: "tendered", awarded: "awarded", rejected: "rejected", cancelled: "cancelled" },
    categories: { vehicle: "Vehicles", printer: "Printers", pc: "PCs" }, procedures: { direct: "direct award", invitation: "invitation", open: "open procedure" },
    more: "more", page: "Page", next: "Next", previous: "Previous", ownDemand: "Your demand by category (CHF)",
  },
};

const state = { language: localStorage.getItem("tenderpool.language") || "de", token: sessionStorage.getItem("tenderpool.token") };
const t = (key) => TEXT[state.language][key] ?? key;
const $ = (selector) => document.querySelector(selector);

/** Swiss formatting: CHF 260'000 and 31.03.2027. */
const chf = (value) => (value === null || value === undefined ? t("none") : "CHF " + String(value).replace(/\B(?=(\d{3})+(?!\d))/g, "'"));
const date = (iso) => (iso ? iso.slice(0, 10).split("-").reverse().join(".") : t("none"));

function escape(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function claims() {
  try {
    return JSON.parse(atob(state.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  } catch {
    return {};
  }
}

function say(text, error = false) {
  const box = $("#message");
  box.hidden = !text;
  box.textContent = text || "";
  box.classList.toggle("error", error);
}

/** Calls the API; a problem document becomes an Error with its detail and every bad field. */
async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { authorization: "Bearer " + state.token, ...(options.body ? { "content-type": "application/json" } : {}), ...(options.headers || {}) },
  });
  if (response.status === 401) {
    signOut();
    throw new Error("401");
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({ detail: response.statusText }));
    const fields = (problem.errors || []).map((e) => `${e.field}: ${e.message}`).join("; ");
    throw new Error(`${problem.title || response.status}: ${problem.detail}${fields ? " (" + fields + ")" : ""}`);
  }
  return response.headers.get("content-type")?.includes("json") ? response.json() : response.text();
}

function signOut() {
  sessionStorage.removeItem("tenderpool.token");
  state.token = null;
  render();
}

function signInView() {
  $("#view").innerHTML = `
    <h1>${t("signIn")}</h1>
    <form id="signin">
      <label for="token">${t("token")}</label>
      <textarea id="token" name="token" required autocomplete="off" spellcheck="false"></textarea>
      <p>${t("tokenHelp")}</p>
      <button type="submit">${t("signIn")}</button>
    </form>`;
  $("#signin").addEventListener("submit", (event) => {
    event.preventDefault();
    state.token = $("#token").value.trim();
    sessionStorage.setItem("tenderpool.token", state.token);
    location.hash = "#/overview";
    render();
  });
}

/** A horizontal bar chart: rows of (label, value, part) with part drawn inside value. */
function barChart(rows, ariaLabel) {
  const width = 640, row = 26, left = 170, right = 110, max = Math.max(1, ...rows.map((r) => r.value));
  const scale = (value) => ((width - left - right) * value) / max;
  const bars = rows.map((r, i) => {
    const y = 8 + i * row;
    return `<text x="${left - 6}" y="${y + 15}" text-anchor="end">${escape(r.label)}</text>
      <rect x="${left}" y="${y}" width="${scale(r.value)}" height="18" fill="#9fc5e8"><title>${escape(r.label)}: ${chf(r.value)}</title></rect>
      <rect x="${left}" y="${y}" width="${scale(r.part || 0)}" height="18" fill="#0b5394"><title>${t("bundledValue")}: ${chf(r.part || 0)}</title></rect>
      <text x="${left + scale(r.value) + 6}" y="${y + 15}">${chf(r.value)}</text>`;
  });
  return `<svg class="chart" viewBox="0 0 ${width} ${16 + rows.length * row}" role="img" aria-label="${escape(ariaLabel)}">${bars.join("")}</svg>
    <div class="legend"><span><span class="swatch demand"></span>${t("demandValue")}</span><span><span class="swatch bundled"></span>${t("bundledValue")}</span></div>`;
}

function yearPicker(year) {
  const now = new Date().getFullYear();
  const options = [now - 1, now, now + 1, now + 2, now + 3, now + 4].map((y) => `<option ${y === year ? "selected" : ""}>${y}</option>`).join("");
  return `<label>${t("budgetYear")}<select id="year">${options}</select></label>`;
}

const currentYear = () => Number(sessionStorage.getItem("tenderpool.year")) || new Date().getFullYear() + 1;

async function overviewView() {
  const year = currentYear();
  const isUnit = claims().role === "unit";
  $("#view").innerHTML = `<h1>${t("overview")}</h1><div class="filters">${yearPicker(year)}</div><div id="overview"></div>`;
  $("#year").addEventListener("change", (e) => { sessionStorage.setItem("tenderpool.year", e.target.value); render(); });
  if (isUnit) {
    const page = await api(`/api/v1/demands?budget_year=${year}&limit=500`);
    const sums = {};
    for (const d of page.items) sums[d.category] = (sums[d.category] || 0) + d.estimated_value_chf;
    const bundled = {};
    for (const d of page.items.filter((d) => d.status === "bundled")) bundled[d.category] = (bundled[d.category] || 0) + d.estimated_value_chf;
    $("#overview").innerHTML = `<h2>${t("ownDemand")}</h2>` + barChart(Object.keys(TEXT.de.categories).map((c) => ({ label: t("categories")[c], value: sums[c] || 0, part: bundled[c] || 0 })), t("ownDemand"));
    return;
  }
  const [synergies, splitting] = await Promise.all([api(`/api/v1/reports/synergies?budget_year=${year}`), api(`/api/v1/reports/splitting?budget_year=${year}`)]);
  const totals = synergies.totals;
  const share = totals.demand_value_chf ? Math.round((100 * totals.bundled_value_chf) / totals.demand_value_chf) : 0;
  const units = [...synergies.by_unit].sort((a, b) => b.demand_value_chf - a.demand_value_chf);
  const risks = splitting.entries.filter((e) => e.threshold_crossed);
  $("#overview").innerHTML = `
    <div class="cards">
      <div class="card"><div class="label">${t("demandValue")}</div><div class="value">${chf(totals.demand_value_chf)}</div></div>
      <div class="card"><div class="label">${t("share")}</div><div class="value">${share} %</div></div>
      <div class="card"><div class="label">${t("estimated")}</div><div class="value">${chf(totals.estimated_savings_chf)}</div></div>
      <div class="card"><div class="label">${t("realised")}</div><div class="value">${chf(totals.realised_savings_chf)}</div></div>
      <div class="card"><div class="label">${t("avoided")}</div><div class="value">${totals.procedures_avoided}</div></div>
    </div>
    <h2>${t("byCategory")}</h2>
    ${barChart(synergies.by_category.map((c) => ({ label: t("categories")[c.category], value: c.demand_value_chf, part: c.bundled_value_chf })), t("byCategory"))}
    <h2>${t("byUnit")}</h2>
    ${barChart(units.slice(0, 15).map((u) => ({ label: u.unit_id, value: u.demand_value_chf, part: u.bundled_value_chf })), t("byUnit"))}
    ${units.length > 15 ? `<p>+ ${units.length - 15} ${t("more")}</p>` : ""}
    <h2>${t("risks")} (${risks.length})</h2>
    ${risks.length === 0 ? `<p>${t("noRisks")}</p>` : `<div class="table-wrap"><table>
      <thead><tr><th scope="col">${t("entity")}</th><th scope="col">${t("category")}</th><th scope="col" class="num">${t("total")}</th><th scope="col">${t("together")}</th><th scope="col">${t("units")} (${t("alone")})</th></tr></thead>
      <tbody>${risks.map((r) => `<tr><td>${escape(r.legal_entity_id)}</td><td>${t("categories")[r.category]}</td><td class="num">${chf(r.total_chf)}</td>
        <td>${t("procedures")[r.procedure_together]} (≥ ${chf(r.crossed_threshold_chf)})</td>
        <td>${r.units.map((u) => `${escape(u.unit_id)}: ${chf(u.value_chf)}`).join(", ")}</td></tr>`).join("")}</tbody></table></div>`}`;
}

const badge = (status) => `<span class="badge status-${status}">${t("statuses")[status] || status}</span>`;

async function proposalsView() {
  const status = sessionStorage.getItem("tenderpool.proposalStatus") || "";
  const canDecide = ["officer", "admin"].includes(claims().role);
  const query = new URLSearchParams({ limit: "500", budget_year: currentYear() });
  if (status) query.set("status", status);
  const page = await api(`/api/v1/proposals?${query}`);
  const options = ["", "draft", "approved", "tendered", "awarded", "rejected", "cancelled"]
    .map((s) => `<option value="${s}" ${s === status ? "selected" : ""}>${s ? t("statuses")[s] : t("all")}</option>`).join("");
  $("#view").innerHTML = `<h1>${t("proposals")}</h1>
    <div class="filters">${yearPicker(currentYear())}<label>${t("status")}<select id="status">${options}</select></label>
      ${canDecide ? `<button type="button" id="generate">${t("generate")}</button>` : ""}</div>
    ${page.items.length === 0 ? `<p>${t("empty")}</p>` : `<div class="table-wrap"><table>
      <thead><tr><th scope="col">${t("title")}</th><th scope="col">${t("status")}</th><th scope="col" class="num">${t("value")}</th><th scope="col">${t("procedure")}</th>
        <th scope="col">${t("tenderStartBy")}</th><th scope="col" class="num">${t("savings")}</th><th scope="col">${t("warnings")}</th></tr></thead>
      <tbody>${page.items.map((p) => `<tr><td><a href="#/proposals/${p.id}">${escape(p.title)}</a></td><td>${badge(p.status)}</td>
        <td class="num">${chf(p.estimated_value_chf)}</td><td>${t("procedures")[p.procedure]}</td><td>${date(p.tender_start_by)}</td>
        <td class="num">${chf(p.estimated_savings_chf)}</td><td class="warning">${p.warnings.map((w) => escape(w.code)).join(", ")}</td></tr>`).join("")}</tbody></table></div>`}`;
  $("#year").addEventListener("change", (e) => { sessionStorage.setItem("tenderpool.year", e.target.value); render(); });
  $("#status").addEventListener("change", (e) => { sessionStorage.setItem("tenderpool.proposalStatus", e.target.value); render(); });
  $("#generate")?.addEventListener("click", async () => {
    try {
      const result = await api("/api/v1/proposals/generate", { method: "POST", body: JSON.stringify({ budget_year: currentYear() }) });
      sessionStorage.setItem("tenderpool.unbundled", JSON.stringify(Object.fromEntries(result.unbundled.map((u) => [u.demand_id, u.reason]))));
      await render();
      say(`${t("generated")}: ${result.proposals.length}; ${t("unbundled")}: ${result.unbundled.length}`);
    } catch (error) {
      say(error.message, true);
    }
  });
}

const ACTIONS = {
  draft: [["approve", "comment", false], ["reject", "reason", true]],
  approved: [["tender", "reference", true], ["cancel", "reason", true]],
  tendered: [["award", "supplier", true], ["cancel", "reason", true]],
};

async function proposalView(id) {
  const proposal = await api(`/api/v1/proposals/${id}`);
  const role = claims().role;
  const canDecide = ["officer", "admin"].includes(role);
  const history = canDecide ? (await api(`/api/v1/audit?entity_id=${id}&limit=100`)).items : [];
  const byUnit = {};
  for (const line of proposal.lines) (byUnit[line.unit_id] ||= []).push(line);
  const actions = canDecide ? ACTIONS[proposal.status] || [] : [];
  $("#view").innerHTML = `<p><a href="#/proposals">${t("back")}</a></p>
    <h1>${escape(proposal.title)} ${badge(proposal.status)}</h1>
    <dl class="facts">
      <dt>${t("procedure")}</dt><dd>${t("procedures")[proposal.procedure]} — ${escape(proposal.procedure_reason)}${proposal.treaty_area ? " (WTO/GPA)" : ""}</dd>
      <dt>${t("value")}</dt><dd>${chf(proposal.estimated_value_chf)} · ${proposal.total_quantity} × · CPV ${escape(proposal.cpv)}</dd>
      <dt>${t("timeline")}</dt><dd>${t("tenderStartBy")}: <strong>${date(proposal.tender_start_by)}</strong> · ${t("neededBy")}: ${date(proposal.needed_by)}</dd>
      <dt>${t("spec")}</dt><dd>${Object.entries(proposal.spec).map(([k, v]) => `${escape(k)}: ${escape(v)}`).join(", ")}</dd>
      <dt>${t("units")}</dt><dd>${proposal.unit_ids.map(escape).join(", ")} (${escape(proposal.lead_entity_id)})</dd>
      <dt>${t("savings")}</dt><dd>${chf(proposal.estimated_savings_chf)} = ${t("volume")} ${chf(proposal.savings_breakdown.volume_discount_chf)} + ${t("process")} ${chf(proposal.savings_breakdown.process_cost_chf)}
        <details><summary>${t("assumptions")}</summary><ul>${proposal.savings_breakdown.assumptions.map((a) => `<li>${escape(a)}</li>`).join("")}</ul></details></dd>
      <dt>${t("warnings")}</dt><dd>${proposal.warnings.length ? `<ul>${proposal.warnings.map((w) => `<li class="warning"><strong>${escape(w.code)}</strong>: ${escape(w.message)}</li>`).join("")}</ul>` : t("none")}</dd>
      <dt>${t("decision")}</dt><dd>${proposal.decision ? `${escape(proposal.decision.action)} · ${escape(proposal.decision.by)} · ${date(proposal.decision.at)} ${escape(proposal.decision.reason || proposal.decision.comment || proposal.decision.reference || proposal.decision.supplier || "")}` : t("none")}</dd>
    </dl>
    ${actions.length ? `<div class="actions">${actions.map(([action, field, required]) => `
      <form data-action="${action}">
        <label>${t(field)}<input name="${field}" ${action === "award" ? "" : ""}></label>
        ${action === "award" ? `<label>${t("awardedValue")}<input name="awarded_value_chf" inputmode="numeric"></label>` : ""}
        <button type="submit" class="${action === "approve" || action === "tender" || action === "award" ? "" : "secondary"}">${t(action)}</button>
      </form>`).join("")}</div>` : ""}
    <h2>${t("lines")}</h2>
    <div class="table-wrap"><table><thead><tr><th scope="col">${t("unit")}</th><th scope="col" class="num">${t("quantity")}</th><th scope="col" class="num">${t("unitPrice")}</th><th scope="col">${t("neededBy")}</th></tr></thead>
      <tbody>${Object.entries(byUnit).map(([unit, lines]) => lines.map((l) => `<tr><td>${escape(unit)}</td><td class="num">${l.quantity}</td><td class="num">${chf(l.unit_price_chf)}</td><td>${date(l.needed_by)}</td></tr>`).join("")).join("")}</tbody></table></div>
    ${history.length ? `<h2>${t("history")}</h2><ol>${history.map((h) => `<li>${date(h.at)} ${escape(h.action)} · ${escape(h.actor)}${h.detail?.decision?.reason ? " · " + escape(h.detail.decision.reason) : ""}</li>`).join("")}</ol>` : ""}`;
  for (const form of document.querySelectorAll("form[data-action]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      const body = {};
      for (const [key, value] of Object.entries(data)) if (value !== "") body[key] = key === "awarded_value_chf" ? Number(value) : value;
      try {
        await api(`/api/v1/proposals/${id}/${form.dataset.action}`, { method: "POST", body: JSON.stringify(body), headers: { "if-match": `"${proposal.version}"` } });
        await render();
        say(t("done"));
      } catch (error) {
        say(error.message, true);
      }
    });
  }
}

async function demandView() {
  const status = sessionStorage.getItem("tenderpool.demandStatus") || "";
  const offset = Number(sessionStorage.getItem("tenderpool.demandOffset")) || 0;
  const query = new URLSearchParams({ limit: "100", offset: String(offset), budget_year: currentYear() });
  if (status) query.set("status", status);
  const page = await api(`/api/v1/demands?${query}`);
  const unbundled = JSON.parse(sessionStorage.getItem("tenderpool.unbundled") || "{}");
  const options = ["", "draft", "submitted", "bundled", "withdrawn"].map((s) => `<option value="${s}" ${s === status ? "selected" : ""}>${s ? t("statuses")[s] : t("all")}</option>`).join("");
  $("#view").innerHTML = `<h1>${t("demand")}</h1>
    <div class="filters">${yearPicker(currentYear())}<label>${t("status")}<select id="status">${options}</select></label>
      <button type="button" id="csv" class="secondary">${t("csv")}</button></div>
    ${page.items.length === 0 ? `<p>${t("empty")}</p>` : `<div class="table-wrap"><table>
      <thead><tr><th scope="col">${t("unit")}</th><th scope="col">${t("category")}</th><th scope="col">${t("spec")}</th><th scope="col" class="num">${t("quantity")}</th>
        <th scope="col" class="num">${t("value")}</th><th scope="col">${t("neededBy")}</th><th scope="col">${t("status")}</th><th scope="col">${t("unbundled")}</th></tr></thead>
      <tbody>${page.items.map((d) => `<tr><td>${escape(d.unit_id)}</td><td>${t("categories")[d.category]}</td><td>${Object.values(d.spec).map(escape).join(" · ")}</td>
        <td class="num">${d.quantity}</td><td class="num">${chf(d.estimated_value_chf)}</td><td>${date(d.needed_by)}</td><td>${badge(d.status)}</td>
        <td>${unbundled[d.id] ? t("reasonCode")[unbundled[d.id]] : ""}</td></tr>`).join("")}</tbody></table></div>
      <p>${t("page")} ${offset / 100 + 1} / ${Math.max(1, Math.ceil(page.total / 100))}
        <button type="button" id="previous" class="secondary" ${offset === 0 ? "disabled" : ""}>${t("previous")}</button>
        <button type="button" id="next" class="secondary" ${offset + 100 >= page.total ? "disabled" : ""}>${t("next")}</button></p>`}`;
  const move = (to) => { sessionStorage.setItem("tenderpool.demandOffset", String(to)); render(); };
  $("#previous")?.addEventListener("click", () => move(Math.max(0, offset - 100)));
  $("#next")?.addEventListener("click", () => move(offset + 100));
  $("#year").addEventListener("change", (e) => { sessionStorage.setItem("tenderpool.year", e.target.value); move(0); });
  $("#status").addEventListener("change", (e) => { sessionStorage.setItem("tenderpool.demandStatus", e.target.value); move(0); });
  $("#csv").addEventListener("click", async () => {
    try {
      const csv = await api(`/api/v1/demands?budget_year=${currentYear()}${status ? "&status=" + status : ""}`, { headers: { accept: "text/csv" } });
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
      link.download = `tenderpool-demand-${currentYear()}.csv`;
      link.click();
    } catch (error) {
      say(error.message, true);
    }
  });
}

async function render() {
  document.documentElement.lang = state.language;
  $("#language").textContent = state.language === "de" ? "English" : "Deutsch";
  for (const element of document.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  $("#nav").setAttribute("aria-label", t("navigation"));
  say("");
  const signedIn = Boolean(state.token);
  $("#nav").hidden = !signedIn;
  $("#signout").hidden = !signedIn;
  const who = claims();
  $("#who").textContent = signedIn ? `${who.sub || ""} (${who.role || ""}${who.unit ? ": " + who.unit : ""})` : "";
  if (!signedIn) return signInView();
  const [, view, id] = (location.hash || "#/overview").split("/");
  for (const link of document.querySelectorAll("#nav a")) link.toggleAttribute("aria-current", link.getAttribute("href") === `#/${view}`);
  if (document.querySelector('#nav a[aria-current]')) document.querySelector('#nav a[aria-current]').setAttribute("aria-current", "page");
  try {
    if (view === "proposals" && id) await proposalView(id);
    else if (view === "proposals") await proposalsView();
    else if (view === "demand") await demandView();
    else await overviewView();
  } catch (error) {
    if (error.message !== "401") say(error.message, true);
  }
}

// A sign-in link carries the token in the fragment, which never reaches the server.
const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
if (fragment.get("token")) {
  state.token = fragment.get("token");
  sessionStorage.setItem("tenderpool.token", state.token);
  const to = fragment.get("to") || "/overview";
  history.replaceState(null, "", location.pathname + "#" + (to.startsWith("/") ? to : "/overview"));
}
$("#language").addEventListener("click", () => {
  state.language = state.language === "de" ? "en" : "de";
  localStorage.setItem("tenderpool.language", state.language);
  render();
});
$("#signout").addEventListener("click", signOut);
window.addEventListener("hashchange", render);
render();
