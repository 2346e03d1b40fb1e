// The phone layout (390×844): a record page starts with tap-to-call
// contacts, lists are cards with the amount in view, filters fold away,
// and the board swipes from stage to stage.
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

const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, locale: "zh-CN" };

async function phonePage() {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  await signIn(page, server.base, "li.na", "salesflow-demo");
  return { context, page };
}

/** The element lies wholly inside the viewport and its content is not cut. */
async function fullyVisible(locator) {
  return locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const inView = r.left >= 0 && r.top >= 0 && r.right <= window.innerWidth && r.bottom <= window.innerHeight;
    const uncut = el.scrollWidth <= el.clientWidth + 1 && getComputedStyle(el).display !== "none";
    return inView && uncut && r.width > 0;
  });
}

test("a customer page starts with a contact's working tel: link; the long forms wait behind buttons", async () => {
  const { context, page } = await phonePage();
  await page.goto(`${server.base}/customers?q=${encodeURIComponent("上海华信")}`);
  await Promise.all([page.waitForURL(/\/customers\/\d+$/), page.tap("text=上海华信科技有限公司")]);

  // The forms are folded: the button is there, the fields are not.
  assert.equal(await page.isVisible("#activity-subject"), false, "the visit form is folded on a phone");
  assert.equal(await page.isVisible("#contact-name"), false, "the contact form is folded on a phone");

  // Add a contact with an international number through the folded form.
  await page.tap("#contact-form [data-fold-toggle]");
  await page.waitForSelector("#contact-name", { state: "visible" });
  await page.fill("#contact-name", "马骁");
  await page.fill("#contact-mobile", "+86 138-0013 8888");
  await page.fill("#contact-email", "ma.xiao@huaxin-tech.cn");
  await Promise.all([page.waitForLoadState("load"), page.click("#contact-form button[type=submit]")]);

  const road = page.locator("[data-testid=road-card]");
  assert.ok(await road.isVisible(), "the road card is shown on a phone");
  const call = road.locator("li", { hasText: "马骁" }).locator("a[href^='tel:']");
  assert.equal(await call.getAttribute("href"), "tel:+8613800138888", "digits and the + only, so a tap dials");
  assert.ok(await fullyVisible(call), "the call button is on the first screen, not below the forms");
  const mail = road.locator("li", { hasText: "马骁" }).locator("a[href^='mailto:']");
  assert.equal(await mail.getAttribute("href"), "mailto:ma.xiao@huaxin-tech.cn");
  assert.match(await road.textContent(), /下一步/);
  assert.match(await road.textContent(), /最近拜访/);

  // The visit form opens on tap.
  await page.tap("[data-testid=log-activity-toggle]");
  assert.ok(await page.isVisible("#activity-subject"));
  await context.close();
});

test("lists are cards with the amount in view; the filters fold behind a button", async () => {
  const { context, page } = await phonePage();
  await page.goto(`${server.base}/opportunities?status=open`);
  const first = page.locator("#opportunity-rows tr.opp-row").first();
  await first.waitFor();
  assert.equal(await page.isVisible("[data-testid=opportunity-table] thead"), false, "no table header on a phone");
  const amount = first.locator("td[data-col=amount]");
  assert.match(await amount.textContent(), /¥|万/);
  assert.ok(await fullyVisible(amount), "the amount is inside the screen and not clipped");
  const stage = first.locator("td[data-col=stage]");
  assert.ok(await stage.isVisible(), "the card shows the stage");
  assert.ok(await first.locator("td[data-col=owner]").isVisible(), "the card shows the owner");
  // No sideways scrolling of the page.
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1));

  // Filters: folded, one tap opens them; the search box stays.
  assert.ok(await page.isVisible("#q"));
  // (A salesperson sees only their own deals: no owner filter, a stage filter.)
  assert.equal(await page.isVisible("#f-stage"), false, "the filter panel is folded");
  const toggle = page.locator("[data-testid=filter-toggle]");
  assert.equal(await toggle.getAttribute("aria-expanded"), "false");
  await toggle.tap();
  assert.ok(await page.isVisible("#f-stage"), "the filters open on tap");
  assert.equal(await toggle.getAttribute("aria-expanded"), "true");

  // The customer list too.
  await page.goto(`${server.base}/customers`);
  assert.equal(await page.isVisible("#grade"), false);
  await page.tap("[data-testid=filter-toggle]");
  assert.ok(await page.isVisible("#grade"));
  await context.close();
});

test("the board swipes from one stage to the next with the stage names and counts in view", async () => {
  const { context, page } = await phonePage();
  await page.goto(`${server.base}/board`);
  const board = page.locator("#board");
  await board.waitFor();
  const chips = page.locator("[data-testid=board-stages] .stage-chip");
  assert.ok((await chips.count()) >= 2);
  assert.match(await chips.first().textContent(), /\d/, "each chip shows its count");
  assert.ok(await chips.first().isVisible());

  const second = await page.evaluate(() => {
    const b = document.getElementById("board");
    const cols = b.querySelectorAll(".kcol");
    return { left: cols[1].offsetLeft - b.offsetLeft, stage: cols[1].getAttribute("data-stage") };
  });
  // A short swipe (less than a column) snaps to the next stage.
  await board.evaluate((b) => b.scrollBy({ left: 120, behavior: "instant" }));
  await page.waitForFunction(
    (left) => Math.abs(document.getElementById("board").scrollLeft - left) <= 2,
    second.left,
    { timeout: 5000 },
  );
  await page.waitForSelector(`.stage-chip.on[data-jump="${second.stage}"]`);
  await context.close();
});
