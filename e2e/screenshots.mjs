// Takes screenshots of every page at desktop and phone width in both
// languages, for people to look at: node screenshots.mjs [outdir]
import { mkdirSync } from "node:fs";
import { startServer, launchBrowser, signIn, ADMIN_PASSWORD } from "./lib.mjs";

const out = process.argv[2] || "shots";
mkdirSync(out, { recursive: true });
const pages = ["/", "/customers", "/customers?scope=pool", "/customers?scope=closed", "/activities", "/activities?archive=visits", "/customers/1", "/customers/new", "/leads", "/leads/7", "/leads/new", "/admin/users", "/admin/users/new", "/admin/users/5", "/admin/departments", "/admin/roles", "/admin/roles/3",
  "/admin/api-tokens", "/admin/outbox", "/admin/audit", "/admin/settings", "/account/password", "/nope"];
const sizes = { desktop: { width: 1366, height: 768 }, phone: { width: 390, height: 844 } };

const server = await startServer({ demo: true });
const browser = await launchBrowser();
try {
  for (const locale of ["zh-CN", "en"]) {
    for (const [size, viewport] of Object.entries(sizes)) {
      const ctx = await browser.newContext({ locale, viewport });
      const page = await ctx.newPage();
      await page.goto(`${server.base}/login`);
      await page.screenshot({ path: `${out}/${locale}-${size}-login.png` });
      await signIn(page, server.base, "admin", ADMIN_PASSWORD);
      for (const p of pages) {
        await page.goto(`${server.base}${p}`);
        const name = p === "/" ? "home" : p.slice(1).replaceAll("/", "_");
        await page.screenshot({ path: `${out}/${locale}-${size}-${name}.png`, fullPage: size === "desktop" });
      }
      await ctx.close();
    }
  }
} finally {
  await browser.close();
  await server.stop();
}
console.log(`screenshots in ${out}/`);
