// Sign in through the real login page, switch the language, sign out.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signIn, ADMIN_PASSWORD } from "../lib.mjs";

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test("wrong password shows an error and stays on the login page", async () => {
  const page = await browser.newPage({ locale: "en-US" });
  await page.goto(`${server.base}/login`);
  await page.fill("#username", "admin");
  await page.fill("#password", "not-the-password");
  await page.click("button[type=submit]");
  await page.waitForSelector("[data-testid=login-error]");
  assert.match(await page.textContent("[data-testid=login-error]"), /Wrong username or password/);
  assert.equal(new URL(page.url()).pathname, "/login");
  await page.close();
});

test("sign in, switch language, sign out", async () => {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await page.goto(`${server.base}/`);
  // Not signed in: sent to the login page, in Chinese from Accept-Language.
  assert.equal(new URL(page.url()).pathname, "/login");
  assert.equal(await page.textContent("h1"), "登录");

  await signIn(page, server.base, "admin", ADMIN_PASSWORD);
  assert.equal(new URL(page.url()).pathname, "/");
  assert.match(await page.textContent("nav"), /用户管理/);

  // Switch to English: the page and the navigation follow.
  await Promise.all([page.waitForLoadState("load"), page.click("button.lang-btn[value=en]")]);
  await page.waitForFunction(() => document.documentElement.lang === "en");
  assert.match(await page.textContent("nav"), /Users/);
  assert.match(await page.textContent("h1"), /Welcome/);

  // The choice is kept for the account: a fresh visit is still English.
  await page.goto(`${server.base}/admin/users`);
  assert.equal(await page.textContent("h1"), "Users");

  // Sign out through the user menu.
  await page.click("details.user-menu summary");
  await Promise.all([page.waitForURL(/\/login/), page.click("[data-testid=logout]")]);
  assert.match(await page.textContent(".notice.success"), /signed out/);
  await page.goto(`${server.base}/admin/users`);
  assert.equal(new URL(page.url()).pathname, "/login");
  await context.close();
});
