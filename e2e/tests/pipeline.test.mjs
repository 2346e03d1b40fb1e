// The stage gate on the kanban board: a salesperson creates a deal from the
// customer page, drags its card onto the next stage and is refused with the
// missing checklist items listed; she ticks them on the opportunity page,
// drags again, and the card lands in the next column with the counts updated.
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

/** Drags a card onto a column with real mouse moves (SortableJS listens to them). */
async function drag(page, card, column) {
  const from = await card.boundingBox();
  const to = await column.boundingBox();
  await page.mouse.move(from.x + from.width / 2, from.y + 12);
  await page.mouse.down();
  await page.mouse.move(from.x + from.width / 2 + 10, from.y + 20, { steps: 5 });
  await page.mouse.move(to.x + to.width / 2, to.y + 40, { steps: 15 });
  await page.mouse.move(to.x + to.width / 2, to.y + 50, { steps: 5 });
  await page.mouse.up();
}

test("drag onto the next stage: refused with the missing items, ticked, moved", async () => {
  const ctx = await browser.newContext({ locale: "zh-CN", viewport: { width: 1366, height: 900 } });
  const page = await ctx.newPage();
  await signIn(page, server.base, "li.na", "salesflow-demo");

  // A new deal from the customer page: the customer is filled in.
  await page.goto(`${server.base}/customers/1`);
  await Promise.all([page.waitForURL(/\/opportunities\/new/), page.click("#customer-opportunities a.btn")]);
  assert.match(await page.textContent("#customer_id option:checked"), /上海华信科技有限公司/);
  // A field error keeps what was typed.
  await page.fill("#amount", "约12万");
  await page.click("#main form.form button[type=submit]");
  assert.ok(await page.isVisible("#amount-error"));
  assert.ok(await page.isVisible("#name-error"));
  assert.equal(await page.inputValue("#amount"), "约12万");
  // The amount as Chinese users write it: 12万 is 120,000.
  await page.fill("#name", "华信 CRM 二期");
  await page.fill("#amount", "12万");
  await Promise.all([page.waitForURL(/\/opportunities\/\d+$/), page.click("#main form.form button[type=submit]")]);
  assert.equal((await page.textContent("[data-testid=amount]")).trim(), "¥120,000.00");
  const dealUrl = page.url();
  assert.match(await page.textContent("[data-testid=stage-path] [aria-current=step]"), /电话邀约/);

  // The board: the card sits in G; dropping it on F is refused.
  await page.goto(`${server.base}/board`);
  const columns = page.locator("[data-testid=column]");
  const g = columns.nth(0);
  const f = columns.nth(1);
  const card = g.locator("[data-testid=card]", { hasText: "华信 CRM 二期" });
  await card.waitFor();
  const fCount = Number(await page.locator(".kcol").nth(1).locator("[data-testid=count]").textContent());
  await drag(page, card, f);
  const msg = page.locator("[data-testid=board-msg]");
  await msg.waitFor({ state: "visible" });
  const text = await msg.textContent();
  assert.match(text, /暂不能移动此卡片/);
  const missing = await msg.locator("li").allTextContents();
  assert.ok(missing.length > 0, "the refusal lists the missing items");
  for (const m of missing) assert.match(m, /未完成|Not done/);
  // The card snapped back into G.
  assert.equal(await g.locator("[data-testid=card]", { hasText: "华信 CRM 二期" }).count(), 1);
  assert.equal(await f.locator("[data-testid=card]", { hasText: "华信 CRM 二期" }).count(), 0);

  // Tick every required item of the current stage (htmx, no reload).
  await page.goto(dealUrl);
  const current = page.locator(".stage-current");
  for (;;) {
    const open = current.locator(".check-item:not(.done)", { has: page.locator(".req") });
    if ((await open.count()) === 0) break;
    const before = await current.locator(".check-item.done").count();
    await open.first().locator("[data-testid=tick]").click();
    await page.waitForFunction((n) => document.querySelectorAll(".stage-current .check-item.done").length > n, before);
  }
  // Every missing item named in the refusal is now ticked.
  const done = await current.locator(".check-item.done .check-text").allTextContents();
  for (const m of missing) {
    const item = m.replace(/^未完成：/, "").replace(/（[^（]*）$/, "").trim();
    assert.ok(done.some((d) => d.includes(item)), `ticked: ${item}`);
  }

  // Drag again: it moves, and both columns' counts change.
  await page.goto(`${server.base}/board`);
  const card2 = g.locator("[data-testid=card]", { hasText: "华信 CRM 二期" });
  await card2.waitFor();
  await drag(page, card2, f);
  await f.locator("[data-testid=card]", { hasText: "华信 CRM 二期" }).waitFor();
  await page.waitForFunction((n) => Number(document.querySelectorAll(".kcol")[1].querySelector("[data-testid=count]").textContent) === n + 1, fCount);
  assert.ok(await msg.isHidden());
  // After a reload it is still in F, and the history says who moved it.
  await page.reload();
  assert.equal(await f.locator("[data-testid=card]", { hasText: "华信 CRM 二期" }).count(), 1);
  await page.goto(dealUrl);
  assert.match(await page.textContent("[data-testid=stage-path] [aria-current=step]"), /上门拜访/);
  assert.match(await page.textContent("[data-testid=history]"), /李娜/);
  await ctx.close();
});

test("at 1440 px every board column is reachable: stage chips with counts, a shadow where more is", async () => {
  const ctx = await browser.newContext({ locale: "en", viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  await signIn(page, server.base, "li.na", "salesflow-demo");
  await page.goto(`${server.base}/board`);
  const chips = page.locator("[data-testid=board-stages] [data-jump]");
  assert.equal(await chips.count(), await page.locator(".kcol").count());
  assert.equal(await chips.count(), 8);
  // More columns than fit: the hint and the right-hand shadow show.
  await page.waitForFunction(() => document.querySelector("[data-scroll-frame]").classList.contains("more-right"));
  assert.ok(await page.isVisible("[data-scroll-hint]"));
  // The last chip brings the last column into view.
  const last = page.locator(".kcol").last();
  const board = await page.locator("#board").boundingBox();
  assert.ok((await last.boundingBox()).x > board.x + board.width, "the last column starts off screen");
  await chips.last().click();
  await page.waitForFunction(() => {
    const b = document.getElementById("board").getBoundingClientRect();
    const cols = document.querySelectorAll(".kcol");
    const r = cols[cols.length - 1].getBoundingClientRect();
    return r.right <= b.right + 1 && r.left >= b.left - 1;
  });
  await page.waitForFunction(() => document.querySelector("[data-scroll-frame]").classList.contains("more-left"));
  // The English stage path shows whole stage names.
  await page.goto(`${server.base}/opportunities/1`);
  const cut = await page.$$eval("[data-testid=stage-path] .step-label", (labels) =>
    labels.filter((l) => l.scrollWidth > l.clientWidth + 1 || l.getBoundingClientRect().right > l.parentElement.getBoundingClientRect().right).map((l) => l.textContent));
  assert.deepEqual(cut, []);
  await ctx.close();
});
