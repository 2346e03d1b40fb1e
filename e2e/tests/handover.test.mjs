// A manager hands part of a rep's work to another rep: the person picker
// found by pinyin initials, a selection, the preview's counts, then the
// counts moved (demo data: 张伟 manages 李娜 and 王芳 in 华东).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signIn } from "../lib.mjs";

let server, browser;
before(async () => {
  server = await startServer({ demo: true });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The count in a counts table's row for `label`. */
async function count(page, table, label) {
  const row = page.locator(`[data-testid=${table}] tr`, { hasText: label });
  return Number((await row.locator("td").textContent()).trim());
}

test("a manager hands over selected records after a preview", async () => {
  const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.on("dialog", (d) => d.accept());
  await signIn(page, server.base, "zhang.wei", "salesflow-demo");

  // The customer list offers the hand-over, and owner and team filters.
  await page.goto(`${server.base}/customers`);
  assert.equal(await page.locator("#f-owner").count(), 1, "an owner filter for a manager");
  await Promise.all([page.waitForURL(/\/handover/), page.click("[data-testid=handover-link]")]);

  // Whose records: 李娜, found by her pinyin initials.
  await Promise.all([page.waitForURL(/from=\d+/), page.fill("#ho-from-search", "ln")]);
  assert.equal(await page.locator("#ho-from option:checked").textContent(), "李娜");
  // To whom: 王芳, found by pinyin.
  await page.fill("#ho-to-search", "wangfang");
  await page.waitForFunction(() => document.querySelector("#ho-to option:checked")?.textContent === "王芳");

  // Only one customer, ticked.
  await page.check("[data-testid=mode-selected]");
  const customer = page.locator("label.pick", { hasText: "上海华信科技有限公司" });
  await customer.locator("input").check();
  await Promise.all([page.waitForSelector("[data-testid=handover-preview]"), page.click("[data-testid=handover-preview-button]")]);
  assert.equal(await count(page, "handover-preview", "客户"), 1);
  assert.equal(await count(page, "handover-preview", "线索"), 0);
  assert.equal(await count(page, "handover-preview", "进行中的商机"), 0);
  assert.equal(await count(page, "handover-preview", "未完成任务"), 0);

  // Run it: the counts moved match the preview.
  await Promise.all([page.waitForSelector("[data-testid=handover-moved]"), page.click("[data-testid=handover-run]")]);
  assert.equal(await count(page, "handover-moved", "客户"), 1);
  assert.equal(await count(page, "handover-moved", "线索"), 0);

  // The customer is 王芳's now; 李娜's other customers stay hers.
  await page.goto(`${server.base}/customers?q=${encodeURIComponent("上海华信")}`);
  assert.match(await page.textContent("#customer-rows"), /王芳/);
  await page.goto(`${server.base}/customers?q=${encodeURIComponent("杭州云帆")}`);
  assert.match(await page.textContent("#customer-rows"), /李娜/);
  await context.close();
});

test("a salesperson sees no hand-over, no owner filter and no bulk reassignment", async () => {
  const page = await browser.newPage({ locale: "zh-CN" });
  await signIn(page, server.base, "li.na", "salesflow-demo");
  await page.goto(`${server.base}/customers`);
  assert.equal(await page.locator("[data-testid=handover-link]").count(), 0);
  assert.equal(await page.locator("#f-owner").count(), 0);
  assert.equal(await page.locator("#bulk-action option[value=assign_owner]").count(), 0);
  await page.goto(`${server.base}/leads`);
  assert.equal(await page.locator("#owner").count(), 0);
  await page.close();
});
