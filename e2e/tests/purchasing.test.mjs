// The warehouse keeper opens a product from the products list and reads
// its stock card; then places a purchase order for it and receives it in
// two parts: too much is refused with the line's error, the rest goes in,
// and the receipt shows on the stock card with the order's number.
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

test("products list → product page → stock card; a purchase order received in two parts", async () => {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await signIn(page, server.base, "zheng.qiang", "salesflow-demo");

  // Products list → the product's page with its stock card.
  await page.goto(`${server.base}/products?q=SEN-T100`);
  await Promise.all([page.waitForURL(/\/products\/\d+$/), page.click("a:has-text('SEN-T100')")]);
  assert.match(await page.textContent("h1"), /工业温度传感器/);
  const card = page.locator("section.card", { hasText: "库存卡片" });
  assert.ok((await card.locator("tbody tr").count()) > 5, "two years of movements");
  // The demo's purchase orders left their receipts on the card.
  assert.match(await card.textContent(), /PO-\d{4}-\d{6}/);

  // A new purchase order for it.
  await page.goto(`${server.base}/purchase-orders/new`);
  await page.selectOption("#supplier_id", { label: "上海精测传感器有限公司" });
  await page.locator("input[name=product_code]").nth(0).fill("SEN-T100");
  await page.locator("input[name=quantity]").nth(0).fill("10");
  await page.locator("input[name=unit_cost]").nth(0).fill("410");
  await Promise.all([page.waitForURL(/\/purchase-orders\/\d+$/), page.click("#main form.form button[type=submit]")]);
  const number = (await page.textContent("h1")).trim();
  assert.match(number, /^PO-\d{4}-\d{6}$/);
  assert.match(await page.textContent(".page-head"), /草稿/);
  await Promise.all([page.waitForLoadState("load"), page.click("button:has-text('下单')")]);
  assert.match(await page.textContent(".page-head"), /已下单/);

  // Too much: refused on the line, nothing received.
  await page.selectOption("#warehouse_id", { index: 1 });
  await page.fill("#receive-form input[name=quantity]", "11");
  await Promise.all([page.waitForLoadState("load"), page.click("#receive-form button[type=submit]")]);
  assert.match(await page.textContent("#receive-form .field-error"), /最多 10/);
  assert.match(await page.textContent(".page-head"), /已下单/);

  // Four now, six later.
  await page.selectOption("#warehouse_id", { index: 1 });
  await page.fill("#receive-form input[name=quantity]", "4");
  await Promise.all([page.waitForLoadState("load"), page.click("#receive-form button[type=submit]")]);
  assert.match(await page.textContent(".page-head"), /部分收货/);
  await page.selectOption("#warehouse_id", { index: 1 });
  await page.fill("#receive-form input[name=quantity]", "6");
  await Promise.all([page.waitForLoadState("load"), page.click("#receive-form button[type=submit]")]);
  assert.match(await page.textContent(".page-head"), /已收货/);
  assert.equal(await page.locator("#receive-form input[name=quantity]").count(), 0, "nothing left to receive");

  // The stock card shows both receipts with the order's number, newest first.
  await page.click("#receive-form a:has-text('SEN-T100')");
  await page.waitForURL(/\/products\/\d+$/);
  const rows = page.locator("section.card", { hasText: "库存卡片" }).locator("tbody tr");
  assert.match(await rows.nth(0).textContent(), new RegExp(`6[\\s\\S]*${number}`));
  assert.match(await rows.nth(1).textContent(), new RegExp(`4[\\s\\S]*${number}`));
  await context.close();
});
