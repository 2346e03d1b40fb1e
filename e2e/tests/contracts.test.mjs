// A return and a contract's life, as users go through them:
// - on a shipped demo order, "return goods": too much is refused on its
//   row, one unit is registered with its refund, then received back;
// - a new contract: refused with its end before its start, saved, submitted
//   for signing (signed at once below the approval threshold), executed,
//   amended (the first text stays readable as version 1), printed, completed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signIn, ADMIN_PASSWORD } from "../lib.mjs";

let server, browser;
before(async () => {
  server = await startServer({ demo: true });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const click = (page, selector) => Promise.all([page.waitForLoadState("load"), page.click(selector)]);

test("a return on a shipped order: refused beyond what shipped, registered, received", async () => {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await signIn(page, server.base, "admin", ADMIN_PASSWORD);
  await page.goto(`${server.base}/orders?status=shipped`);
  await Promise.all([page.waitForURL(/\/orders\/\d+$/), page.locator("table a.strong").first().click()]);
  const order = (await page.textContent("h1")).trim();
  await Promise.all([page.waitForURL(/\/returns\/new\?order_id=\d+$/), page.click(".page-head a:has-text('退货')")]);
  const qty = page.locator("input[name^=qty_]:not([disabled])").first();
  await qty.fill("99999");
  await page.fill("#reason", "包装破损，客户拒收");
  await click(page, "#main form.form button[type=submit]");
  assert.match(await page.textContent("#main .field-error"), /超过可退数量/);
  assert.equal(await page.inputValue("#reason"), "包装破损，客户拒收", "what was typed is kept");
  await page.locator("input[name^=qty_]:not([disabled])").first().fill("1");
  await Promise.all([page.waitForURL(/\/returns\/\d+$/), page.click("#main form.form button[type=submit]")]);
  assert.match(await page.textContent("h1"), /^RT-\d{4}-\d{6}$/);
  assert.match(await page.textContent(".page-head"), new RegExp(order));
  assert.match(await page.textContent(".page-head"), /已登记/);
  assert.match(await page.textContent("dl.details"), /¥[\d,]+\.\d\d/);
  await click(page, "button:has-text('确认收货')");
  assert.match(await page.textContent(".page-head"), /已收货/);
  // The order shows the return and the returned quantity.
  await page.click(`.page-head a:has-text('${order}')`);
  await page.waitForURL(/\/orders\/\d+$/);
  assert.match(await page.textContent("#returns"), /RT-\d{4}-\d{6}/);
  await context.close();
});

test("a contract from draft to signed, executing, amended, printed and completed", async () => {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await signIn(page, server.base, "admin", ADMIN_PASSWORD);
  await page.goto(`${server.base}/contracts?expiring=1`);
  assert.ok((await page.locator("table tbody tr a.strong").count()) > 0, "the demo has contracts ending soon");
  await page.goto(`${server.base}/contracts/new`);
  await page.selectOption("#customer_id", { index: 1 });
  await page.fill("#title", "E2E 年度维保合同");
  await page.fill("#amount", "80000");
  await page.fill("#terms", "一、季度巡检。\n二、按季度付款。");
  await page.fill("#signed_date", "2027-01-05");
  await page.fill("#start_date", "2027-01-10");
  await page.fill("#end_date", "2027-01-01");
  await click(page, "#main form.form button[type=submit]");
  assert.match(await page.textContent("#end_date-error"), /结束日期不能早于开始日期/);
  assert.equal(await page.inputValue("#title"), "E2E 年度维保合同");
  await page.fill("#end_date", "2027-12-31");
  await Promise.all([page.waitForURL(/\/contracts\/\d+$/), page.click("#main form.form button[type=submit]")]);
  assert.match(await page.textContent(".page-head"), /CT-\d{4}-\d{6}/);
  assert.match(await page.textContent(".page-head"), /草稿/);
  await click(page, "button:has-text('提交签署')");
  assert.match(await page.textContent(".page-head"), /已签署/);
  await click(page, "button:has-text('开始执行')");
  assert.match(await page.textContent(".page-head"), /执行中/);
  // Amended: a new version; the first stays readable.
  await Promise.all([page.waitForURL(/\/edit$/), page.click("a:has-text('变更合同')")]);
  await page.fill("#amount", "86000");
  await Promise.all([page.waitForURL(/\/contracts\/\d+$/), page.click("#main form.form button[type=submit]")]);
  assert.match(await page.textContent(".page-head"), /第 2 版/);
  assert.match(await page.textContent("dl.details"), /86,000\.00/);
  await Promise.all([page.waitForURL(/\/versions\/1$/), page.click("#versions a:has-text('第 1 版')")]);
  assert.match(await page.textContent("dl.details"), /80,000\.00/);
  await page.goBack();
  const id = page.url().match(/\/contracts\/(\d+)/)[1];
  await page.goto(`${server.base}/contracts/${id}/print`);
  assert.match(await page.textContent(".print-sheet"), /E2E 年度维保合同/);
  assert.match(await page.textContent(".print-sheet"), /甲方/);
  await page.goto(`${server.base}/contracts/${id}`);
  await click(page, "button:has-text('完成')");
  assert.match(await page.textContent(".page-head"), /已完成/);
  await context.close();
});
