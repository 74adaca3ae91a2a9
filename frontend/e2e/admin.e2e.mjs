// The embedded admin in headless Chromium (Debian's, through playwright-core:
// a test tool's own browser download cannot work here), against the real
// binary and the fake store. Run by frontend/e2e/e2e_test.go, which starts
// them and passes APP_URL, SHOP, TOKEN and ARTIFACTS.
import { chromium } from "playwright-core";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const { APP_URL, SHOP, TOKEN, ARTIFACTS, ORDER_A, ORDER_B } = process.env;
const fail = (msg) => { console.error("E2E FAIL:", msg); process.exit(1); };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // Shopify's CDN (App Bridge) is out of reach here; outside the admin the app
  // uses the id_token Shopify puts in its URL.
  await page.route("https://cdn.shopify.com/**", (r) => r.abort());
  page.on("pageerror", (e) => console.error("page error:", e.message));
  const base = `${APP_URL}/?shop=${SHOP}&id_token=${encodeURIComponent(TOKEN)}&locale=en`;

  // 1. The dashboard: the order that arrived by webhook awaits tracking.
  await page.goto(base);
  const stat = async (id) => Number((await page.locator(`#${id}`).textContent({ timeout: 15000 })).trim());
  for (let i = 0; (await stat("stat-awaiting")) < 1; i++) {
    if (i > 20) fail("the dashboard never showed the order awaiting tracking");
    await page.waitForTimeout(500);
    await page.reload();
  }
  const syncedBefore = await stat("stat-synced");
  await page.screenshot({ path: join(ARTIFACTS, "admin-dashboard.png"), fullPage: true });

  // 2. Import a CSV and watch the rows reach Shopify.
  await page.getByRole("tab", { name: "Import" }).click();
  const csv = `order,tracking_number\n${ORDER_A},RB556677887ES\n${ORDER_B},LX998877664CN\n#1002,\n`;
  await page.locator('input[type="file"]').setInputFiles({ name: "tracking.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  // The columns as understood come first; the merchant confirms.
  await page.locator("#import-confirm").waitFor({ timeout: 15000 });
  const format = await page.locator("#import-format").textContent();
  if (format.trim() !== "Format: Waybill's own columns") fail(`import format: ${format}`);
  const confirm = await page.locator("#import-confirm").textContent();
  if (confirm.trim() !== "Import 3 rows") fail(`import confirm: ${confirm}`);
  await page.locator("#import-confirm").click();
  await page.locator("#import-summary").waitFor({ timeout: 15000 });
  const summary = await page.locator("#import-summary").textContent();
  if (summary.trim() !== "Accepted: 2 · Duplicates: 0 · Rejected: 1") fail(`import summary: ${summary}`);
  await page.waitForFunction(() => document.querySelectorAll('[data-row-state="synced"]').length === 2, null, { timeout: 30000 })
    .catch(() => fail("the imported rows did not become synced"));
  await page.screenshot({ path: join(ARTIFACTS, "admin-import.png"), fullPage: true });

  // 3. Brand colour: the live preview follows before anything is saved.
  await page.getByRole("tab", { name: "Notifications" }).click();
  const preview = page.locator("#email-preview");
  await page.waitForFunction(() => (document.querySelector("#email-preview")?.getAttribute("srcdoc") || "").includes("#1f6feb"), null, { timeout: 15000 })
    .catch(() => fail("the preview never showed the default colour"));
  await page.locator("#accent-color").fill("#c2185b");
  await page.waitForFunction(() => (document.querySelector("#email-preview")?.getAttribute("srcdoc") || "").includes("#c2185b"), null, { timeout: 15000 })
    .catch(() => fail("the preview did not follow the new brand colour"));
  if (!(await preview.getAttribute("srcdoc")).includes("Your order #1001 is on its way") &&
      !(await preview.getAttribute("srcdoc")).includes("is on its way")) fail("the preview is not the shipped email");
  await page.screenshot({ path: join(ARTIFACTS, "admin-notifications.png"), fullPage: true });

  // 4. Back to the dashboard: the two pushes count as synced.
  await page.getByRole("tab", { name: "Dashboard" }).click();
  for (let i = 0; (await stat("stat-synced")) < syncedBefore + 2; i++) {
    if (i > 20) fail("the dashboard did not count the synced shipments");
    await page.waitForTimeout(500);
    await page.reload();
  }
  // 5. The same admin in Spanish.
  await page.goto(base.replace("locale=en", "locale=es"));
  await page.getByText("Esperando seguimiento").waitFor({ timeout: 15000 }).catch(() => fail("the Spanish dashboard did not render"));
  await page.screenshot({ path: join(ARTIFACTS, "admin-dashboard-es.png"), fullPage: true });
  writeFileSync(join(ARTIFACTS, "admin-e2e.ok"), "ok\n");
  console.log("E2E OK");
} finally {
  await browser.close();
}
