// The everyday product (issue 11): the home page's figures open the lists
// behind them, the top bar's search by keyboard, 撞单 with the hand-over
// request, and money typed as Chinese users write it. Each test makes its
// own records through the API (demo company: 李娜 and 王芳 are salespeople
// in 华东, managed by 张伟).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signIn, apiAs } from "../lib.mjs";

const DEMO = "salesflow-demo";
let server, browser;
before(async () => {
  server = await startServer({ demo: true });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Yesterday in the company's time zone (Asia/Shanghai) as `YYYY-MM-DD`. */
function yesterday() {
  const d = new Date(Date.now() + 8 * 3600_000 - 86_400_000);
  return d.toISOString().slice(0, 10);
}

/** The figure of a home page stat. */
async function figure(page, testid) {
  return Number((await page.textContent(`[data-testid=${testid}] .stat-value`)).replace(/[^\d]/g, ""));
}

test("the home page's figures open the lists they count", async () => {
  const api = await apiAs(server.base, "li.na", DEMO);
  const customer = await api.ok("POST", "/customers", { name: "宁波甬江模具有限公司" });
  const task = await api.ok("POST", "/tasks", {
    title: "甬江模具：补寄样品",
    due_date: yesterday(),
    related_type: "customer",
    related_id: customer.id,
  });
  assert.ok(task.id);
  await api.ok("POST", "/opportunities", { name: "甬江模具 注塑线改造", customer_id: customer.id, amount: "260000" });

  const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await signIn(page, server.base, "li.na", DEMO);

  // Overdue tasks: the task list with "only overdue" ticked, as many rows as the figure.
  const overdue = await figure(page, "home-overdue-tasks");
  assert.ok(overdue >= 1, "the overdue task counts");
  await Promise.all([page.waitForURL(/\/tasks\?/), page.click("[data-testid=home-overdue-tasks]")]);
  const tasks = new URL(page.url()).searchParams;
  assert.equal(tasks.get("overdue"), "1");
  assert.equal(tasks.get("tab"), "mine");
  assert.equal(await page.isChecked("input[name=overdue]"), true, "the filter shows what the list holds");
  assert.equal(await page.locator("#task-rows [data-testid=task-row]").count(), overdue);
  assert.match(await page.textContent("#task-rows"), /甬江模具：补寄样品/);

  // Open deals: the deal list filtered on open, the caller's own.
  await page.goto(`${server.base}/`);
  const open = Number(
    (await page.textContent("[data-testid=home-open] .stat-label")).replace(/[^\d]/g, ""),
  );
  assert.ok(open >= 1);
  await Promise.all([page.waitForURL(/\/opportunities\?/), page.click("[data-testid=home-open]")]);
  const deals = new URL(page.url()).searchParams;
  assert.equal(deals.get("status"), "open");
  assert.equal(Number(deals.get("owner_id")), api.user.id);
  assert.equal(await page.inputValue("#f-status"), "open");
  assert.equal(await page.locator("#opportunity-rows tr.opp-row").count(), open);
  assert.match(await page.textContent("#opportunity-rows"), /甬江模具 注塑线改造/);

  // Stalled deals: the stalled filter ticked, as many rows as the figure.
  await page.goto(`${server.base}/`);
  const stalled = await figure(page, "home-stalled");
  await Promise.all([page.waitForURL(/\/opportunities\?/), page.click("[data-testid=home-stalled]")]);
  assert.equal(new URL(page.url()).searchParams.get("stalled"), "1");
  assert.equal(await page.isChecked("[data-testid=filter-stalled]"), true);
  assert.equal(await page.locator("#opportunity-rows tr.opp-row").count(), stalled);
  await context.close();
});

test("search by keyboard: / focuses, two characters, arrow down, Enter opens the record", async () => {
  const api = await apiAs(server.base, "li.na", DEMO);
  const customer = await api.ok("POST", "/customers", { name: "青岛鹦鹉螺海洋科技有限公司" });
  const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await signIn(page, server.base, "li.na", DEMO);

  await page.keyboard.press("/");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "global-q", "/ focuses the search");
  await page.keyboard.type("鹦鹉");
  await page.waitForSelector("#global-results .search-hit");
  await page.keyboard.press("ArrowDown");
  assert.match(
    await page.evaluate(() => document.activeElement?.textContent ?? ""),
    /青岛鹦鹉螺海洋科技有限公司/,
    "the arrow moves onto the first result",
  );
  await Promise.all([page.waitForURL(new RegExp(`/customers/${customer.id}$`)), page.keyboard.press("Enter")]);
  assert.match(await page.textContent("h1"), /青岛鹦鹉螺海洋科技有限公司/);
  await context.close();
});

test("撞单: another rep's customer is refused with the owner named, and the hand-over request reaches the manager", async () => {
  const owner = await apiAs(server.base, "li.na", DEMO);
  const customer = await owner.ok("POST", "/customers", { name: "苏州恒远精密机械有限公司" });
  const manager = await apiAs(server.base, "zhang.wei", DEMO);
  const before = (await manager.ok("GET", "/notifications")).filter((n) => n.link === `/customers/${customer.id}`);
  assert.equal(before.length, 0);

  const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await signIn(page, server.base, "wang.fang", DEMO);
  await page.goto(`${server.base}/customers/new`);
  await page.fill("#name", "苏州恒远精密机械");
  await page.click("#main form.form button[type=submit]");
  assert.match(await page.textContent("#name-error"), /李娜/, "the owner is named");
  assert.match(await page.textContent("#name-error"), /撞单/);
  assert.equal(await page.locator("[data-clash] input[name=allow_duplicate]").count(), 0, "no 'save anyway' for a salesperson");
  await page.fill("#handover-message", "客户主动来电，想由我跟进");
  await Promise.all([page.waitForLoadState("load"), page.click("[data-handover]")]);
  assert.match(await page.textContent("[data-flash]"), /移交/);

  // Nothing was created for 王芳, and 张伟 (李娜's manager) was told.
  const mine = await (await apiAs(server.base, "wang.fang", DEMO)).ok("GET", `/customers?q=${encodeURIComponent("恒远精密")}`);
  assert.equal(mine.items.length, 0);
  const notices = (await manager.ok("GET", "/notifications")).filter((n) => n.link === `/customers/${customer.id}`);
  assert.equal(notices.length, 1);
  assert.equal(notices[0].kind, "handover_request");
  assert.match(notices[0].title, /苏州恒远精密机械有限公司 · 王芳: 客户主动来电/);
  await context.close();
});

test("an amount typed as 30万 saves 300,000", async () => {
  const api = await apiAs(server.base, "li.na", DEMO);
  const customer = await api.ok("POST", "/customers", { name: "合肥徽商物流有限公司" });
  const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await signIn(page, server.base, "li.na", DEMO);
  await page.goto(`${server.base}/opportunities/new?customer_id=${customer.id}`);
  await page.fill("#name", "徽商物流 仓储系统");
  await page.fill("#amount", "30万");
  await Promise.all([page.waitForURL(/\/opportunities\/\d+$/), page.click("#main form.form button[type=submit]")]);
  assert.equal((await page.textContent("[data-testid=amount]")).trim(), "¥300,000.00");
  const id = Number(page.url().match(/\/opportunities\/(\d+)$/)[1]);
  const deal = await api.ok("GET", `/opportunities/${id}`);
  assert.equal(deal.amount, "300000.00");
  await context.close();
});

test("a contact's page takes a file, lists it and serves it back", async () => {
  const api = await apiAs(server.base, "li.na", DEMO);
  const customer = await api.ok("POST", "/customers", { name: "厦门鹭岛茶业有限公司" });
  const contact = await api.ok("POST", "/contacts", {
    customer_id: customer.id,
    name: "林晓燕",
    mobile: "13912345678",
    role: "decision_maker",
  });
  const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  await signIn(page, server.base, "li.na", DEMO);
  await page.goto(`${server.base}/customers/${customer.id}`);
  await Promise.all([page.waitForURL(new RegExp(`/contacts/${contact.id}$`)), page.click("[data-testid=contact-link]")]);
  assert.match(await page.textContent("h1"), /林晓燕/);
  await page.setInputFiles("#attachment-file", { name: "名片.txt", mimeType: "text/plain", buffer: Buffer.from("林晓燕 13912345678") });
  await Promise.all([page.waitForURL(/#attachments$/), page.click("#attachments button[type=submit]")]);
  assert.match(await page.textContent("[data-flash]"), /已上传|上传/);
  const link = page.locator("#attachments a", { hasText: "名片.txt" });
  assert.equal(await link.count(), 1);
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  assert.equal(download.suggestedFilename(), "名片.txt");
  const files = await api.ok("GET", `/contacts/${contact.id}/attachments`);
  assert.deepEqual(files.map((f) => f.file_name), ["名片.txt"]);
  await context.close();
});

test("help opens before signing in, from the login page", async () => {
  for (const [locale, label, title] of [["zh-CN", "帮助", "使用指南"], ["en", "Help", "User guide"]]) {
    const context = await browser.newContext({ locale });
    const page = await context.newPage();
    await page.goto(`${server.base}/login`);
    await Promise.all([page.waitForURL(/\/help$/), page.click(`[data-testid=help-link]:has-text("${label}")`)]);
    assert.equal(await page.textContent("h1"), title);
    assert.equal(await page.locator("#global-q").count(), 0, "no app frame before signing in");
    await Promise.all([page.waitForURL(/\/login/), page.click("[data-testid=help-sign-in]")]);
    await context.close();
  }
});
