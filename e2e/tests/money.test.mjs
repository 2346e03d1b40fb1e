// A sales manager opens an order that still owes money, records a payment
// on its page: too much is refused with the bound, a part is taken and the
// outstanding amount drops by it; then the receivables page shows the
// team's customers with their aging, and the home page its overdue figures.
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

/** The exact amount of a `.money` inside `locator` (its title when shortened), as a number. */
async function amount(locator) {
  const money = locator.locator(".money").first();
  const text = (await money.getAttribute("title")) ?? (await money.textContent());
  return Number(text.replace(/[^0-9.-]/g, ""));
}

test("record a payment on an order page, see the outstanding change, see the receivables", async () => {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await signIn(page, server.base, "zhang.wei", "salesflow-demo");

  // An order that still owes something, from the list's filter.
  await page.goto(`${server.base}/orders?collection=owing`);
  await Promise.all([page.waitForURL(/\/orders\/\d+$/), page.locator("table.cards tbody tr a.strong").first().click()]);
  const orderUrl = page.url();
  const before = await amount(page.getByTestId("order-outstanding"));
  assert.ok(before > 100, `owes ${before}`);

  // Too much: the form comes back with the bound, nothing recorded.
  await Promise.all([page.waitForURL(/\/payments\/new$/), page.getByTestId("record-payment").click()]);
  await page.fill("#amount", String(before + 1));
  await Promise.all([page.waitForLoadState("load"), page.click("#main form.form button[type=submit]")]);
  assert.match(await page.textContent(".field-error"), /超过订单未收金额/);

  // 100 by bank transfer: back on the order, 100 less outstanding.
  await page.fill("#amount", "100");
  await page.fill("#reference", "ICBC-E2E-0001");
  await Promise.all([page.waitForURL(/\/orders\/\d+/), page.click("#main form.form button[type=submit]")]);
  assert.equal(page.url().split("#")[0], orderUrl);
  const after = await amount(page.getByTestId("order-outstanding"));
  assert.equal(Math.round((before - after) * 100), 10000);
  assert.match(await page.getByTestId("payments-table").textContent(), /ICBC-E2E-0001/);

  // The receivables page: customers with their aging, something over 90 days.
  await page.click("nav a[href='/receivables']");
  await page.waitForURL(/\/receivables$/);
  assert.match(await page.textContent("h1"), /应收账款/);
  assert.ok((await page.locator("[data-testid=receivables-table] tbody tr").count()) > 1);
  assert.ok((await amount(page.getByTestId("receivables-totals").locator(".stat").nth(4))) > 0, "90+ receivables");

  // The home page's overdue collections link to the orders behind them.
  await page.goto(`${server.base}/`);
  const overdue = page.getByTestId("home-overdue-collections");
  assert.ok(Number(await overdue.locator(".stat-value").textContent()) > 0);
  await Promise.all([page.waitForURL(/collection=overdue/), overdue.click()]);
  assert.ok((await page.locator("table.cards tbody tr a.strong").count()) > 0);
  await context.close();
});

test("the home page's figures hold their amounts whole at desktop and phone width", async () => {
  for (const viewport of [{ width: 1440, height: 900 }, { width: 390, height: 844 }]) {
    const context = await browser.newContext({ viewport, locale: "zh-CN" });
    const page = await context.newPage();
    await signIn(page, server.base, "admin", ADMIN_PASSWORD);
    await page.goto(`${server.base}/`);
    await page.waitForSelector("[data-testid=home-collections] .money");
    const cut = await page.$$eval(".stat .stat-value", (values) =>
      values
        .filter((v) => {
          const card = v.closest(".stat").getBoundingClientRect();
          return v.scrollWidth > v.clientWidth + 1 || v.getBoundingClientRect().right > card.right - 1;
        })
        .map((v) => v.textContent.trim()),
    );
    assert.deepEqual(cut, [], `figures cut at ${viewport.width} px`);
    await context.close();
  }
});
