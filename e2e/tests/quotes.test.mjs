// From a quote to an approved order and its shipment: a salesperson makes
// a quote in the UI with a discount over the demo's threshold (10 %); it
// waits for approval; her manager (a second user) approves it from "my
// approvals"; she sends it, edits it into a v2 and compares the versions,
// sends it again and records the customer's acceptance, which makes a
// draft sales order; she submits the order (approved at once) and ships it.
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

const PASSWORD = "salesflow-demo";
const submit = (page, selector) => Promise.all([page.waitForLoadState("load"), page.click(selector)]);

test("quote → approval by the manager → sent → v2 compared → accepted → order approved → shipped", async () => {
  const rep = await browser.newContext({ locale: "zh-CN" });
  const page = await rep.newPage();
  await signIn(page, server.base, "li.na", PASSWORD);

  // From the customer's page: a new quote for it.
  await page.goto(`${server.base}/customers?q=${encodeURIComponent("上海华信科技")}`);
  await Promise.all([page.waitForURL(/\/customers\/\d+$/), page.click("a:has-text('上海华信科技有限公司')")]);
  const quotes = page.locator("[data-testid=customer-quotes]");
  await Promise.all([page.waitForURL(/\/quotes\/new/), quotes.locator("a:has-text('新建报价')").click()]);
  await page.fill("textarea[name=terms]", "款到发货，交期 2 周");
  await page.fill("input[name='lines[0].product_code']", "SEN-T100");
  await page.fill("input[name='lines[0].quantity']", "3");
  await page.fill("input[name='lines[0].discount_percent']", "15");
  // A bad line first: refused on its row, the form keeps what was typed.
  await page.fill("input[name='lines[1].product_code']", "SEN-T100");
  await page.fill("input[name='lines[1].quantity']", "0");
  await submit(page, "#main form.form button[type=submit]");
  assert.match(await page.textContent("form.form"), /必须大于零/);
  assert.equal(await page.inputValue("input[name='lines[0].discount_percent']"), "15");
  await page.fill("input[name='lines[1].product_code']", "");
  await page.fill("input[name='lines[1].quantity']", "");
  await Promise.all([page.waitForURL(/\/quotes\/\d+$/), page.click("#main form.form button[type=submit]")]);
  const quoteUrl = page.url();
  const number = (await page.textContent("h1")).trim().split(/\s+/)[0];
  assert.match(number, /^QT-\d{4}-\d{6}$/);
  assert.match(await page.textContent("[data-testid=quote-status]"), /草稿/);

  // 15 % off: the rule asks the manager first.
  await submit(page, "button:has-text('发送')");
  assert.match(await page.textContent("[data-testid=quote-status]"), /待审批/);

  // The manager approves it from "my approvals".
  const boss = await browser.newContext({ locale: "zh-CN" });
  const bp = await boss.newPage();
  await signIn(bp, server.base, "zhang.wei", PASSWORD);
  await bp.goto(`${server.base}/approvals`);
  await Promise.all([bp.waitForURL(/\/quotes\/\d+$/), bp.click(`a:has-text('${number}')`)]);
  await bp.fill("#comment", "同意，本季度重点客户");
  await submit(bp, "button:has-text('同意')");
  assert.match(await bp.textContent("[data-testid=quote-status]"), /已审批/);
  await boss.close();

  // Back to the rep: send it.
  await page.goto(quoteUrl);
  assert.match(await page.textContent("[data-testid=quote-status]"), /已审批/);
  await submit(page, "button:has-text('发送')");
  assert.match(await page.textContent("[data-testid=quote-status]"), /已发送/);

  // The customer asks for one more: a new version, compared with the first.
  await Promise.all([page.waitForURL(/\/edit$/), page.click("a:has-text('新建版本')")]);
  await page.fill("input[name='lines[0].quantity']", "4");
  await Promise.all([page.waitForURL(/\/quotes\/\d+$/), page.click("#main form.form button[type=submit]")]);
  assert.match(await page.textContent("h1"), /v2/);
  await Promise.all([page.waitForURL(/\/compare/), page.click("[data-testid=quote-versions] button:has-text('版本对比')")]);
  const row = page.locator("[data-testid=quote-compare] tbody tr").first();
  assert.equal(await row.getAttribute("data-change"), "changed");
  assert.match(await row.textContent(), /数量/);
  await page.goto(quoteUrl);
  // v2 has the same discount: approved again before it goes out.
  await submit(page, "button:has-text('发送')");
  assert.match(await page.textContent("[data-testid=quote-status]"), /待审批/);
  const boss2 = await browser.newContext({ locale: "zh-CN" });
  const bp2 = await boss2.newPage();
  await signIn(bp2, server.base, "zhang.wei", PASSWORD);
  await bp2.goto(quoteUrl);
  await submit(bp2, "button:has-text('同意')");
  await boss2.close();
  await page.goto(quoteUrl);
  await submit(page, "button:has-text('发送')");
  assert.match(await page.textContent("[data-testid=quote-status]"), /已发送/);

  // The printable page.
  await page.goto(`${quoteUrl}/print`);
  assert.match(await page.textContent("[data-testid=quote-print]"), new RegExp(number));
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator(".sidebar").isVisible(), false, "no navigation when printed");
  await page.emulateMedia({ media: "screen" });

  // Accepted: a draft order with the same lines.
  await page.goto(quoteUrl);
  await Promise.all([page.waitForURL(/\/orders\/\d+$/), page.click("button:has-text('客户接受')")]);
  assert.match(await page.textContent(".page-head"), /草稿/);
  assert.match(await page.textContent("[data-testid=order-quote]"), new RegExp(number));
  assert.equal(await page.locator("section.card", { hasText: "SEN-T100" }).count(), 1, "the quote's line");

  // Submitted: approved at once (under the order rules' amounts), then shipped.
  await submit(page, "button:has-text('提交')");
  assert.match(await page.textContent(".page-head"), /已审批/);
  await page.fill("#carrier", "顺丰速运");
  await page.fill("#tracking_number", "SF1400012345");
  await submit(page, "button:has-text('登记发货')");
  assert.match(await page.textContent(".page-head"), /已发货/);
  assert.match(await page.textContent("body"), /SF1400012345/);

  // The quote says accepted and links to the order.
  await page.goto(quoteUrl);
  assert.match(await page.textContent("[data-testid=quote-status]"), /已接受/);
  assert.match(await page.textContent("[data-testid=quote-order]"), /SO-\d{4}-\d{6}/);
  await rep.close();
});
