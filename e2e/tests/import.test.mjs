// A salesperson imports customers from a small Chinese CSV: upload, check
// the guessed column mapping, dry run with a bad row, import, watch the
// progress reach 100 % and find an imported customer by two characters.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, launchBrowser, signIn } from "../lib.mjs";

let server, browser, dir;
before(async () => {
  server = await startServer({ demo: true });
  browser = await launchBrowser();
  dir = mkdtempSync(join(tmpdir(), "salesflow-e2e-import-"));
});
after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("upload, map, dry run, import and find the customers", async () => {
  const file = join(dir, "新客户名单.csv");
  writeFileSync(
    file,
    "\ufeff客户名称,等级,行业,省份,备注\n" +
      "温州瓯江阀门制造有限公司,A,制造业,浙江,展会认识\n" +
      "绍兴鉴湖黄酒有限公司,B,食品饮料,浙江,\n" +
      ",C,,,没有名称\n" +
      "嘉兴南湖电子,D,电子,浙江,等级不对\n",
  );
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await signIn(page, server.base, "li.na", "salesflow-demo");
  await page.goto(`${server.base}/customers`);
  await Promise.all([page.waitForURL(/\/imports\/new/), page.click("a[href='/imports/new?target=customers']")]);

  await page.setInputFiles("#file", file);
  await Promise.all([page.waitForURL(/\/imports\/\d+\/mapping$/), page.click("#main form button[type=submit]")]);
  assert.equal(await page.inputValue("#col_0"), "name", "客户名称 is guessed as the name");
  assert.equal(await page.inputValue("#col_1"), "grade");
  assert.match(await page.textContent("table"), /温州瓯江阀门制造有限公司/);

  await Promise.all([page.waitForURL(/\/imports\/\d+$/), page.click("button[value=dry_run]")]);
  await page.waitForSelector("#import-status[data-status=done]");
  assert.equal((await page.textContent("[data-testid=import-inserted]")).trim(), "2");
  assert.equal((await page.textContent("[data-testid=import-rejected]")).trim(), "2");
  const bad = await page.textContent("[data-testid=bad-rows]");
  assert.match(bad, /必填/);
  assert.match(bad, /等级/);

  await Promise.all([page.waitForURL(/\/imports\/\d+$/), page.click("text=立即导入")]);
  await page.waitForSelector("#import-status[data-status=done]");
  assert.equal((await page.textContent("[data-testid=import-percent]")).trim(), "100%");
  assert.equal(await page.getAttribute("progress", "value"), "100");

  await Promise.all([page.waitForURL(/\/customers$/), page.click("text=打开客户列表")]);
  await page.fill("#q", "瓯江");
  await page.waitForFunction(() => document.querySelectorAll("#customer-rows tr").length === 1 &&
    document.querySelector("#customer-rows").textContent.includes("温州瓯江阀门制造有限公司"));
  await context.close();
});
