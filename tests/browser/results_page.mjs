// Drives Debian's chromium (headless, through playwright-core) against a results page.
// Orchestrated by test_results_browser.py, which owns the database rows:
//   argv: <page url> <submission id> <screenshot path>
//   stdout "READY" once the page is polling; then waits for "FLIPPED" on stdin
//   (the row is now done); exits 0 when every check passed.
import { chromium } from "playwright-core";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";

const [url, subId, shot] = process.argv.slice(2);
const log = (...a) => console.error("[browser]", ...a);
function check(cond, what) {
  if (!cond) throw new Error("check failed: " + what);
  log("ok:", what);
}
// page.waitForFunction evaluates its predicate from a string inside the page, which the
// page's CSP (no 'unsafe-eval') refuses, as it should: poll page.evaluate instead, which
// DevTools runs outside the page's policy.
async function waitForPage(page, predicate, arg, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await page.evaluate(predicate, arg)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${predicate}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const lines = readline.createInterface({ input: process.stdin });
const nextLine = () => new Promise((resolve) => lines.once("line", resolve));

const profile = fs.mkdtempSync(path.join(os.tmpdir(), "oj-chromium-"));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.OJ_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  viewport: { width: 390, height: 844 },  // a phone
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let status = 1;
try {
  const page = ctx.pages()[0] || (await ctx.newPage());
  const polls = [];
  let failedOnce = false;
  // The first poll fails at the network level: the page must carry on.
  await page.route("**/*.json*", (route) => {
    if (!failedOnce) {
      failedOnce = true;
      return route.abort("connectionreset");
    }
    return route.continue();
  });
  page.on("request", (r) => { if (r.url().includes(".json")) polls.push(Date.now()); });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  let dialogs = 0;
  page.on("dialog", (d) => { dialogs++; d.dismiss(); });

  // Every Content-Security-Policy violation the page reports (the policy allows only the
  // page's own assets: anything it needs beyond them shows up here).
  await page.addInitScript(() => {
    window.__ojCsp = [];
    document.addEventListener("securitypolicyviolation",
                              (e) => window.__ojCsp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });

  await page.goto(url, { waitUntil: "load" });
  const style = await page.evaluate(() => {
    const sheet = [...document.styleSheets].find((s) => (s.href || "").endsWith("src/bootstrap.min.css"));
    const badge = document.querySelector(".oj-sub .badge");
    const card = document.querySelector(".oj-sub");
    return {
      rules: sheet ? sheet.cssRules.length : 0,
      bodyFont: getComputedStyle(document.body).fontFamily,
      badgeWeight: getComputedStyle(badge).fontWeight,
      cardRadius: getComputedStyle(card).borderTopLeftRadius,
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      status: badge.textContent,
    };
  });
  log("style", JSON.stringify(style));
  check(style.rules > 100, "bootstrap.min.css loaded from src/");
  check(/system-ui/.test(style.bodyFont), "Bootstrap's font stack applies to body");
  check(style.badgeWeight === "700", "Bootstrap's .badge style applies");
  check(style.cardRadius !== "0px", "Bootstrap's .card style applies");
  check(style.overflow <= 0, "no horizontal scrolling on a phone-sized screen");
  check(style.status.startsWith("Queued"), "the submission shows as queued");
  check(await page.evaluate(() => typeof window.bootstrap === "object"), "bootstrap.min.js loaded");
  check(await page.evaluate(() => [...document.styleSheets].some(
          (s) => /src\/oj\.css/.test(s.href || "") && s.cssRules.length > 0)),
        "oj.css loaded from src/");

  // Wait until a poll has failed and a later one succeeded (still queued).
  await waitForPage(page, () => Number(document.getElementById("oj").dataset.polls || 0) >= 2,
                    null, 60000);
  check(failedOnce, "a failed poll did not stop the polling");
  console.log("READY");
  check((await nextLine()) === "FLIPPED", "the test flipped the row");
  const flippedAt = Date.now();

  const card = page.locator(`#sub-${subId}`);
  await waitForPage(page, (id) => {
    const c = document.getElementById("sub-" + id);
    return c && c.dataset.status === "done";
  }, subId, 60000);
  check((await card.locator(".oj-status").textContent()) === "Done", "status reads Done without a reload");
  check((await card.locator(".oj-summary").textContent()).includes("Score 4 / 5"), "score shown");
  await card.locator("summary").click();
  check(await card.locator("details").evaluate((d) => d.open), "details expand");
  check((await card.locator("pre.oj-log").textContent()).includes("<script>alert(1)</script>"),
        "log shown as text");
  check(await page.evaluate(() => !window.__ojPwned) && dialogs === 0, "the log's markup did not run");
  await waitForPage(page, () => document.getElementById("oj").dataset.state === "stopped",
                    null, 60000);
  const navigations = await page.evaluate(() => performance.getEntriesByType("navigation").length);
  check(navigations === 1, "no reload happened");
  fs.mkdirSync(path.dirname(shot), { recursive: true });
  await page.screenshot({ path: shot, fullPage: true });
  log("screenshot", shot);

  // Polling has stopped: watch for longer than the longest backoff step that could be
  // pending (jittered 2 s doubling; the page was fetching at most every few seconds).
  const seen = polls.length;
  await page.waitForTimeout(6000);
  check(polls.length === seen, `no polls after nothing is pending (${polls.length - seen} more)`);
  check(errors.length === 0, "no page errors: " + errors.join("; "));
  const violations = await page.evaluate(() => window.__ojCsp.slice());
  check(violations.length === 0, "the page needed nothing its policy refuses: " + violations.join("; "));
  // The control: an inline script is what the policy refuses, so the listener does see one.
  const inline = await page.evaluate(async () => {
    const reported = new Promise((r) => document.addEventListener("securitypolicyviolation", r, { once: true }));
    const s = document.createElement("script");
    s.textContent = "window.__ojInline = 1";
    document.head.append(s);
    await reported;
    return { ran: window.__ojInline === 1, reported: window.__ojCsp.length };
  });
  check(!inline.ran && inline.reported === 1, "an inline script is refused and reported");
  log(`${polls.length} polls; done shown ${((Date.now() - flippedAt) / 1000).toFixed(1)} s after the flip`);
  status = 0;
} catch (e) {
  log(String(e && e.stack || e));
} finally {
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
  lines.close();
}
process.exit(status);
