// A salesperson keeps a saved view of her leads, chooses the task list's
// columns and marks tasks done in bulk, at phone width.
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

test("save a view of the leads, choose task columns and mark tasks done in bulk", async () => {
  const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  page.on("dialog", (d) => d.accept());
  await signIn(page, server.base, "li.na", "salesflow-demo");

  // A view of her leads with high intention, kept under a name.
  await page.goto(`${server.base}/leads?owner=mine&intention=high`);
  await page.click("[data-testid=views-bar] summary >> text=保存当前视图");
  await page.fill("#view-name", "我的高意向线索");
  await Promise.all([page.waitForNavigation(), page.click("[data-testid=views-bar] form[action='/views'] button[type=submit]")]);
  assert.equal(await page.locator(".view-chip.on").count(), 1, "the saved view is the one shown");
  await page.goto(`${server.base}/leads`);
  await Promise.all([page.waitForURL(/intention=high/), page.click(".view-chip >> text=我的高意向线索")]);
  assert.equal(await page.locator(".view-chip.on").count(), 1);

  // The task list with the customer column added.
  await page.goto(`${server.base}/tasks`);
  await page.click("[data-testid=views-bar] summary >> text=显示列");
  await page.check("input[name=columns][value=customer]");
  await Promise.all([page.waitForURL(/\/tasks/), page.click("[data-testid=views-bar] form[action='/columns/tasks'] button.primary")]);
  assert.ok((await page.textContent("thead")).includes("客户"));

  // Select every open task and mark them done in one go.
  const open = await page.locator("#task-rows tr.task-row").count();
  assert.ok(open >= 1, "the demo gives her open tasks");
  assert.equal(await page.isVisible("#bulk-form"), false, "the bar shows once rows are selected");
  await page.check("[data-select-all]");
  assert.equal(await page.isVisible("#bulk-form"), true);
  await page.selectOption("#bulk-action", "mark_done");
  await Promise.all([page.waitForURL(/\/tasks/), page.click("#bulk-form button[type=submit]")]);
  assert.equal(await page.locator("#task-rows tr.task-row").count(), 0, "no open task left");
  await context.close();
});
