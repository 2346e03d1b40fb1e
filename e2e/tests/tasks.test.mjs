// A manager gives a salesperson a task with a Chinese title; it shows in
// the salesperson's week calendar, and one click completes it.
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

test("assign a task, see it in the week calendar, complete it in one click", async () => {
  const manager = await browser.newContext({ locale: "zh-CN" });
  let page = await manager.newPage();
  await signIn(page, server.base, "zhang.wei", "salesflow-demo");
  await page.goto(`${server.base}/tasks/new`);
  // Field-level errors keep what was typed.
  await page.fill("#title", "回访华信：确认交货计划");
  const due = await page.inputValue("#due_at");
  await page.fill("#start_at", "2099-01-01");
  await page.click("#main form.form button[type=submit]");
  assert.match(await page.textContent("#due_at-error"), /截止日期不能早于开始日期/);
  assert.equal(await page.inputValue("#title"), "回访华信：确认交货计划");

  await page.fill("#start_at", "");
  await page.fill("#due_at", due);
  await page.selectOption("#assignee_id", { label: "李娜" });
  await page.selectOption("#priority", "urgent");
  // The related customer is found by two characters of its name.
  await page.fill("#customer_q", "华信");
  await page.waitForFunction(() => document.querySelector("#related").textContent.includes("上海华信科技有限公司"));
  await page.selectOption("#related", { label: "上海华信科技有限公司" });
  await Promise.all([page.waitForURL(/\/tasks\/\d+$/), page.click("#main form.form button[type=submit]")]);
  assert.match(await page.textContent("h1"), /回访华信：确认交货计划/);
  await manager.close();

  // The salesperson sees it in her week (at phone width: a list of days).
  const salesperson = await browser.newContext({ locale: "zh-CN", viewport: { width: 390, height: 844 } });
  page = await salesperson.newPage();
  await signIn(page, server.base, "li.na", "salesflow-demo");
  await page.goto(`${server.base}/calendar?view=week&date=${due}`);
  const day = page.locator(`.cal-day[data-date="${due}"]`);
  assert.match(await day.textContent(), /回访华信：确认交货计划/);

  await page.goto(`${server.base}/tasks`);
  const row = page.locator("tr.task-row", { hasText: "回访华信：确认交货计划" });
  await row.locator("[data-testid=complete]").click();
  await page.waitForFunction(() =>
    [...document.querySelectorAll("tr.task-row")].some((r) => r.textContent.includes("回访华信") && r.classList.contains("closed")));
  // Done for good: after a reload it is no longer among the open tasks.
  await page.reload();
  assert.equal(await page.locator("tr.task-row", { hasText: "回访华信：确认交货计划" }).count(), 0);
  await salesperson.close();
});
