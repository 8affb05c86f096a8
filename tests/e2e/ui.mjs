// End-to-end test of the officer's web page in headless Chromium: a real tenderpool server on
// loopback with the demo data; screenshots of each view go to tests/screenshots/.
// Run: node tests/e2e/ui.mjs BINARY   (BINARY: the tenderpool executable)
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const binary = process.argv[2];
assert.ok(binary, "usage: node ui.mjs BINARY");
const shots = join(dirname(fileURLToPath(import.meta.url)), "..", "screenshots");
mkdirSync(shots, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "tenderpool-ui-"));
const env = { ...process.env, DATABASE_URL: `sqlite://${join(work, "tp.db")}`, RUST_LOG: "error" };
delete env.TENDERPOOL_JWT_SECRET;
const port = 18600 + Math.floor(Math.random() * 300);
const base = `http://127.0.0.1:${port}`;
const token = (...args) => execFileSync(binary, ["token", ...args], { env, stdio: ["ignore", "pipe", "ignore"] }).toString().trim();

execFileSync(binary, ["seed", "--demo", "--year", "2030", "--demand-lines", "600"], { env, stdio: "ignore" });
const server = spawn(binary, ["serve", "--bind", `127.0.0.1:${port}`], { env, stdio: "ignore" });
let browser;
let passed = 0;
const step = async (name, run) => {
  await run();
  passed += 1;
  console.log(`ok - ${name}`);
};

try {
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`${base}/ready`)).ok) break; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const officer = token("--role", "officer", "--sub", "olivia");
  await page.addInitScript(() => sessionStorage.setItem("tenderpool.year", "2030"));

  await step("an officer signs in and sees the overview with charts", async () => {
    await page.goto(`${base}/ui/#token=${officer}`);
    await page.getByRole("heading", { name: "Übersicht" }).waitFor();
    assert.equal(await page.locator("svg.chart").count(), 2);
    assert.match(await page.locator(".card .value").first().innerText(), /^CHF \d{1,3}('\d{3})+$/);
    await page.getByRole("heading", { name: /Risiken der Auftragsaufteilung/ }).waitFor();
    await page.screenshot({ path: join(shots, "1-overview.png"), fullPage: true });
  });

  await step("the officer generates proposals", async () => {
    await page.getByRole("link", { name: "Vorschläge", exact: true }).click();
    await page.getByRole("button", { name: "Vorschläge erzeugen" }).click();
    await page.getByRole("status").filter({ hasText: "Vorschläge erzeugt" }).waitFor();
    assert.ok((await page.locator("tbody tr").count()) >= 5);
    await page.screenshot({ path: join(shots, "2-proposals.png"), fullPage: true });
  });

  await step("opens a proposal and approves it", async () => {
    await page.locator("tbody tr a").first().click();
    await page.getByText("Ausschreibung spätestens").waitFor();
    await page.screenshot({ path: join(shots, "3-proposal.png"), fullPage: true });
    await page.getByRole("button", { name: "Genehmigen" }).click();
    await page.locator("h1 .badge", { hasText: "genehmigt" }).waitFor();
    await page.getByRole("button", { name: "Ausschreibung erfasst" }).waitFor();
  });

  await step("rejecting without a reason shows the API's problem, with one it works", async () => {
    await page.getByRole("link", { name: "Zurück zur Liste" }).click();
    await page.locator("tbody tr", { hasText: "Entwurf" }).first().locator("a").click();
    await page.getByRole("button", { name: "Ablehnen" }).click();
    const problem = page.locator("#message.error");
    await problem.waitFor();
    assert.match(await problem.innerText(), /reason/);
    await page.screenshot({ path: join(shots, "4-reject-refused.png") });
    await page.getByLabel("Begründung").fill("Rahmenvertrag bis 2031");
    await page.getByRole("button", { name: "Ablehnen" }).click();
    await page.locator("h1 .badge", { hasText: "abgelehnt" }).waitFor();
  });

  await step("the language switches to English with Swiss formats kept", async () => {
    await page.getByRole("button", { name: "English" }).click();
    await page.getByRole("link", { name: "Back to the list" }).waitFor();
    assert.match(await page.locator("dl.facts").innerText(), /\d{2}\.\d{2}\.\d{4}/);
    await page.getByRole("button", { name: "Deutsch" }).click();
  });

  await step("the demand view lists demand and offers a CSV download", async () => {
    await page.getByRole("link", { name: "Bedarf", exact: true }).click();
    await page.getByRole("heading", { name: "Bedarf" }).waitFor();
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Als CSV herunterladen" }).click();
    assert.match((await download).suggestedFilename(), /tenderpool-demand-2030\.csv/);
    await page.screenshot({ path: join(shots, "5-demand.png"), fullPage: false });
  });

  await step("a unit clerk sees only the unit's own demand, on a phone", async () => {
    await page.getByRole("button", { name: "Abmelden" }).click();
    await page.getByRole("heading", { name: "Anmelden" }).waitFor();
    const clerk = await browser.newPage({ viewport: { width: 390, height: 900 } });
    await clerk.addInitScript(() => sessionStorage.setItem("tenderpool.year", "2030"));
    await clerk.goto(`${base}/ui/#token=${token("--role", "unit", "--unit", "kg", "--sub", "karin")}&to=/demand`);
    await clerk.getByRole("heading", { name: "Bedarf" }).waitFor();
    const units = await clerk.locator("tbody tr td:first-child").allInnerTexts();
    assert.ok(units.length > 0 && units.every((unit) => unit === "kg"), units.join(","));
    await clerk.screenshot({ path: join(shots, "6-unit-phone.png"), fullPage: false });
    await clerk.getByRole("link", { name: "Übersicht" }).click();
    await clerk.getByRole("heading", { name: "Ihr Bedarf nach Kategorie (CHF)" }).waitFor();
  });
  console.log(`${passed} passed, 0 failed`);
} catch (error) {
  console.log(`${passed} passed, 1 failed`);
  console.error(error);
  process.exitCode = 1;
} finally {
  await browser?.close();
  server.kill();
  rmSync(work, { recursive: true, force: true });
}
