// Takes screenshots of every page at desktop and phone width in both
// languages, for people to look at: node screenshots.mjs [outdir]
import { mkdirSync } from "node:fs";
import { startServer, launchBrowser, signIn, ADMIN_PASSWORD } from "./lib.mjs";

const out = process.argv[2] || "shots";
mkdirSync(out, { recursive: true });
const pages = ["/", "/customers", "/customers?scope=pool", "/customers?scope=closed", "/activities", "/activities?archive=visits", "/customers/1", "/contacts/1", "/customers/1?edit_contact=1#contact-form", "/customers/new", "/contacts", "/tasks", "/leads", "/leads/7", "/leads/new", "/admin/users", "/admin/users/new", "/admin/users/5", "/admin/departments", "/admin/roles", "/admin/roles/3",
  "/admin/api-tokens", "/admin/outbox", "/admin/audit", "/admin/settings", "/admin/picklists", "/account/password", "/nope",
  "/opportunities", "/opportunities/new", "/opportunities/1", "/board", "/admin/pipelines", "/admin/pipelines/1", "/admin/stages/1/edit",
  "/reports/funnel", "/reports/forecast", "/search?q=%E5%8D%8E%E4%BF%A1", "/help", "/help#stage-gates", "/handover?from=6",
  "/products", "/products/1", "/products/new", "/stock",
  "/orders", "/orders/1", "/orders/new", "/approvals", "/admin/approval-rules", "/suppliers", "/suppliers/new",
  "/purchase-orders", "/purchase-orders/1", "/purchase-orders/new", "/warehouses", "/product-categories",
  "/quotes", "/quotes/1", "/quotes/new?customer_id=1", "/quotes/new?opportunity_id=1", "/quotes?status=expired", "/quotes/1/print", "/quotes/1/versions/1", "/quotes/1/compare",
  "/receivables", "/orders/8", "/orders/8/payments/new", "/orders/8/plan", "/orders/8/invoices/new", "/orders?collection=overdue",
  "/returns", "/returns/1", "/returns/new?order_id=4", "/customers/4", "/returns?customer_id=4",
  "/contracts", "/contracts?expiring=1", "/contracts/2", "/contracts/new", "/contracts/2/print"];
// A salesperson's own pages (the home page is per role).
const salesPages = ["/"];
// SHOTS_ONLY=word,word: only the pages whose path contains one of them.
const only = (process.env.SHOTS_ONLY || "").split(",").filter(Boolean);
const chosen = only.length ? pages.filter((p) => only.some((w) => p.includes(w))) : pages;
const sizes = { desktop: { width: 1440, height: 900 }, phone: { width: 390, height: 844 } };

const server = await startServer({ demo: true });
const browser = await launchBrowser();
try {
  // One more deal, entered through the form as a user would.
  {
    const ctx = await browser.newContext({ locale: "zh-CN" });
    const page = await ctx.newPage();
    await signIn(page, server.base, "admin", ADMIN_PASSWORD);
    await page.goto(`${server.base}/opportunities/new?customer_id=1`);
    await page.fill("#name", "华信 CRM 二期");
    await page.fill("#amount", "120000");
    await page.fill("#next_step", "安排技术交流会");
    await Promise.all([page.waitForURL(/\/opportunities\/\d+$/), page.click("#main form.form button[type=submit]")]);
    await ctx.close();
  }
  for (const locale of ["zh-CN", "en"]) {
    for (const [size, viewport] of Object.entries(sizes)) {
      const ctx = await browser.newContext({ locale, viewport });
      const page = await ctx.newPage();
      await page.goto(`${server.base}/login`);
      await page.screenshot({ path: `${out}/${locale}-${size}-login.png` });
      // The guide before signing in.
      await page.goto(`${server.base}/help`);
      await page.screenshot({ path: `${out}/${locale}-${size}-public-help.png` });
      await signIn(page, server.base, "admin", ADMIN_PASSWORD);
      for (const p of chosen) {
        await page.goto(`${server.base}${p}`);
        const name = p === "/" ? "home" : p.slice(1).replace(/[/?=&#%]/g, "_");
        await page.screenshot({ path: `${out}/${locale}-${size}-${name}.png`, fullPage: size === "desktop" });
      }
      await ctx.close();
      if (!chosen.includes("/")) continue;
      const rep = await browser.newContext({ locale, viewport });
      const repPage = await rep.newPage();
      await signIn(repPage, server.base, "zhang.wei", "salesflow-demo");
      for (const p of salesPages) {
        await repPage.goto(`${server.base}${p}`);
        const name = p === "/" ? "home" : p.slice(1).replace(/[/?=&#%]/g, "_");
        await repPage.screenshot({ path: `${out}/${locale}-${size}-sales-${name}.png`, fullPage: size === "desktop" });
      }
      await rep.close();
      // A warehouse user's home: orders to ship, low stock, arriving goods.
      const wh = await browser.newContext({ locale, viewport });
      const whPage = await wh.newPage();
      await signIn(whPage, server.base, "zheng.qiang", "salesflow-demo");
      await whPage.goto(`${server.base}/`);
      await whPage.screenshot({ path: `${out}/${locale}-${size}-warehouse-home.png`, fullPage: size === "desktop" });
      await wh.close();
    }
  }
} finally {
  await browser.close();
  await server.stop();
}
console.log(`screenshots in ${out}/`);
