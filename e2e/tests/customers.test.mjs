// A salesperson creates a customer with a Chinese name and finds it again
// by two characters of its name.
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

test("create a customer with a Chinese name and find it by two characters", async () => {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await signIn(page, server.base, "li.na", "salesflow-demo");
  await page.goto(`${server.base}/customers/new`);
  await page.fill("#name", "");
  await page.click("#main form.form button[type=submit]");
  // Field-level error, nothing created.
  assert.match(await page.textContent("#name-error"), /必填/);

  await page.fill("#name", "成都蜀锦丝绸有限公司");
  await page.selectOption("#grade", "A");
  await page.fill("#credit_limit", "abc");
  await page.click("#main form.form button[type=submit]");
  assert.match(await page.textContent("#credit_limit-error"), /金额/);
  assert.equal(await page.inputValue("#name"), "成都蜀锦丝绸有限公司", "the form keeps what was typed");

  await page.fill("#credit_limit", "120000");
  await Promise.all([page.waitForURL(/\/customers\/\d+$/), page.click("#main form.form button[type=submit]")]);
  assert.match(await page.textContent("h1"), /成都蜀锦丝绸有限公司/);
  assert.match(await page.textContent(".record-head"), /¥120,000\.00/);

  await page.goto(`${server.base}/customers`);
  await page.fill("#q", "蜀锦");
  await page.waitForFunction(() => document.querySelectorAll("#customer-rows tr").length === 1 &&
    document.querySelector("#customer-rows").textContent.includes("成都蜀锦丝绸有限公司"));
  assert.match(new URL(page.url()).search, /q=/, "the search is in the address, so it can be shared");
  await context.close();
});

test("log a visit with a follow-up date and find the reminder", async () => {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await signIn(page, server.base, "li.na", "salesflow-demo");
  await page.goto(`${server.base}/customers`);
  await page.click("text=上海华信科技有限公司");
  await page.waitForSelector("#log-activity");
  await page.fill("#activity-subject", "");
  await page.click("#log-activity button[type=submit]");
  assert.match(await page.textContent("#activity-subject-error"), /必填/);

  await page.fill("#activity-subject", "上门拜访：演示方案");
  await page.fill("#activity-outcome", "客户认可方案，需要报价");
  await page.fill("#activity-next_step", "发送正式报价");
  // Follow up today: the reminder is due at once (or at 09:00 if that is later).
  const today = await page.inputValue("#activity-occurred_at");
  await page.fill("#activity-next_at", today.slice(0, 10));
  await Promise.all([page.waitForLoadState("load"), page.click("#log-activity button[type=submit]")]);
  assert.match(await page.textContent(".timeline"), /上门拜访：演示方案/);

  await page.goto(`${server.base}/notifications`);
  assert.match(await page.textContent(".notice-list"), /上海华信科技有限公司 · 发送正式报价/);
  await context.close();
});

test("select customers, tag them in one go, and keep the filter as a saved view", async () => {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await signIn(page, server.base, "li.na", "salesflow-demo");
  await page.goto(`${server.base}/customers?scope=mine`);
  assert.equal(await page.isVisible("#bulk-form"), false, "the bulk bar waits for a selection");
  const boxes = page.locator("#customer-rows [data-row-select]");
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  await page.waitForSelector("#bulk-form", { state: "visible" });
  const first = await page.locator("#customer-rows tr").nth(0).locator("a.strong").textContent();
  await page.selectOption("#bulk-action", "add_tag");
  await page.fill("#bulk-tag", "春季展会");
  page.once("dialog", (d) => d.accept());
  await Promise.all([page.waitForLoadState("load"), page.click("#bulk-form button[type=submit]")]);
  assert.match(await page.textContent("[data-flash]"), /已对所选行执行/);
  await page.goto(`${server.base}/customers?scope=mine&tag=${encodeURIComponent("春季展会")}`);
  assert.equal(await page.locator("#customer-rows tr").count(), 2);
  assert.match(await page.textContent("#customer-rows"), new RegExp(first.trim()));

  await page.click("text=保存当前视图");
  await page.fill("#view-name", "展会客户");
  await Promise.all([page.waitForLoadState("load"), page.click(".popover-body button[type=submit]")]);
  assert.match(await page.textContent(".views-bar"), /展会客户/);
  await page.goto(`${server.base}/customers`);
  await Promise.all([page.waitForLoadState("load"), page.click(".view-chip >> text=展会客户")]);
  assert.equal(await page.locator("#customer-rows tr").count(), 2);
  await context.close();
});
