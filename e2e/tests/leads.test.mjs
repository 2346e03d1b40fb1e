// A salesperson qualifies leads and converts them in Chinese: one into a new
// customer, one into the existing customer the duplicate check finds.
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

test("find a lead by two characters, qualify it and convert it into a new customer", async () => {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await signIn(page, server.base, "li.na", "salesflow-demo");
  await page.click("nav >> text=线索");
  await page.waitForURL(/\/leads$/);
  await page.fill("#q", "文博");
  await page.waitForFunction(() => document.querySelectorAll("#lead-rows tr").length === 1 &&
    document.querySelector("#lead-rows").textContent.includes("许文博"));
  await Promise.all([page.waitForURL(/\/leads\/\d+$/), page.click("#lead-rows >> text=许文博")]);
  assert.match(await page.textContent("[data-testid=lead-status]"), /已联系/);

  // Disqualifying without a reason is refused under the field.
  await page.click("[data-testid=mark-disqualified]");
  assert.match(await page.textContent("#disqualify_reason-error"), /必填/);

  await Promise.all([page.waitForLoadState("load"), page.click("[data-testid=mark-qualified]")]);
  assert.match(await page.textContent("[data-flash]"), /状态已更新/);
  assert.match(await page.textContent("[data-testid=lead-status]"), /已确认/);
  assert.match(await page.textContent("[data-testid=convert-plan]"), /将新建客户[\s\S]*温州正泰电器经销部/);

  await Promise.all([page.waitForURL(/\/customers\/\d+$/), page.click("[data-testid=convert]")]);
  assert.match(await page.textContent("[data-flash]"), /线索已转化/);
  assert.match(await page.textContent("h1"), /温州正泰电器经销部/);
  assert.match(await page.textContent("main"), /许文博/, "the lead is the customer's contact now");
  await context.close();
});

test("a new lead of a known company warns, then joins that customer when converted", async () => {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await signIn(page, server.base, "li.na", "salesflow-demo");
  await page.goto(`${server.base}/leads/new`);
  await page.fill("#name", "陈晓东");
  await page.fill("#company", "上海华信科技");
  await page.fill("#mobile", "13811112222");
  await page.click("#main form.form button[type=submit]");
  const warning = await page.textContent("[data-testid=duplicates]");
  assert.match(warning, /上海华信科技有限公司/);
  assert.equal(await page.inputValue("#name"), "陈晓东", "the form keeps what was typed");
  await page.check("#allow_duplicate");
  await Promise.all([page.waitForURL(/\/leads\/\d+$/), page.click("#main form.form button[type=submit]")]);
  assert.match(await page.textContent("[data-flash]"), /线索已创建/);

  await Promise.all([page.waitForLoadState("load"), page.click("[data-testid=mark-qualified]")]);
  assert.match(await page.textContent("[data-testid=convert-plan]"), /已有客户[\s\S]*上海华信科技有限公司/);
  await Promise.all([page.waitForURL(/\/customers\/\d+$/), page.click("[data-testid=convert]")]);
  assert.match(await page.textContent("h1"), /上海华信科技有限公司/);
  assert.match(await page.textContent("main"), /陈晓东/);

  // The lead is marked converted in the list.
  await page.goto(`${server.base}/leads?tab=converted`);
  assert.match(await page.textContent("#lead-rows"), /陈晓东/);
  await context.close();
});
