/**
 * The add-on's web page in a real Chromium, reached the way Home Assistant shows it: through an
 * ingress proxy that serves it under `/api/hassio_ingress/<token>/`. Screenshots land in
 * `artifacts/dashboard/` at the repository root.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { IngressStandIn, type IngressUser } from '../helpers/ingress.js';
import { startService, type RunningService } from '../helpers/service.js';
import { coreUser, SupervisorCoreStandIn } from './supervisor-core.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const ARTIFACTS = join(REPO_ROOT, 'artifacts', 'dashboard');
/** The ingress proxy's address; the browser itself comes from 127.0.0.1, which is not trusted. */
const INGRESS_PROXY = '127.0.0.2';
const PHONE = { width: 390, height: 844 };
const SUPERVISOR_TOKEN = 'supervisor-token-for-the-browser-test';
const ADMIN = coreUser('Ada', 'admin');
const CHILD = coreUser('Kid', 'user');

function ingressUser(user: typeof ADMIN): IngressUser {
  return { id: user.id, username: user.username ?? '', displayName: user.name };
}

/** The few browser globals the checks read; the add-on's TypeScript has no DOM library. */
interface PageGlobals {
  document: {
    documentElement: { scrollWidth: number };
    body: object;
    querySelector(selector: string): { getAttribute(name: string): string | null } | null;
  };
  innerWidth: number;
  getComputedStyle(element: object): { backgroundColor: string };
  fetch: typeof fetch;
  samePage?: boolean;
}

describe('the add-on web page in a real browser', { timeout: 90_000 }, () => {
  let service: RunningService;
  let supervisor: SupervisorCoreStandIn;
  let ingress: IngressStandIn;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/bootstrap, which installs Debian's chromium`);
    mkdirSync(ARTIFACTS, { recursive: true });
    supervisor = await SupervisorCoreStandIn.start(SUPERVISOR_TOKEN);
    supervisor.users = [ADMIN, CHILD];
    service = await startService({
      env: {
        WA_INGRESS_TRUSTED: INGRESS_PROXY,
        WA_SIMULATOR_QR_TTL_MS: '1500',
        WA_SIMULATOR_QR_CODES: '1000',
        WA_MAX_ACCOUNTS: '3',
        SUPERVISOR_URL: supervisor.url,
        SUPERVISOR_TOKEN,
      },
    });
    ingress = await IngressStandIn.start(service.dashboardUrl, INGRESS_PROXY);
    ingress.user = ingressUser(ADMIN);
    userDataDir = mkdtempSync(join(tmpdir(), 'wa-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: PHONE,
      colorScheme: 'light',
    });
    page = context.pages()[0] ?? (await context.newPage());
  });

  after(async () => {
    await context?.close();
    await ingress?.close();
    await service?.dispose();
    await supervisor?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  /** One account's card on the page. */
  const card = (id: string, on: Page = page): ReturnType<Page['locator']> => on.locator(`[data-account="${id}"]`);
  const stateOf = (id: string, on: Page = page): ReturnType<Page['locator']> => card(id, on).locator('.state-label');
  const qrSource = (id: string): Promise<string | null> => card(id).locator('.qr-image').getAttribute('src');
  const qrOf = (id: string): string => `[data-account="${id}"] .qr-image`;

  it('shows the QR code through ingress and redraws it when WhatsApp rotates it', async () => {
    const response = await page.goto(ingress.pageUrl);
    assert.equal(response?.status(), 200);
    await stateOf('default').filter({ hasText: 'Waiting to be linked' }).waitFor({ timeout: 10_000 });
    await card('default').locator('.qr-image').waitFor({ state: 'visible' });
    const first = await qrSource('default');
    assert.match(first ?? '', /^data:image\/svg\+xml/);
    await page.waitForFunction(
      ([selector, before]) => (globalThis as unknown as PageGlobals).document.querySelector(selector)?.getAttribute('src') !== before,
      [qrOf('default'), first] as const,
      { timeout: 10_000 },
    );
    assert.notEqual(await qrSource('default'), first);
    const fitsPhone = await page.evaluate(() => {
      const view = globalThis as unknown as PageGlobals;
      return view.document.documentElement.scrollWidth <= view.innerWidth;
    });
    assert.ok(fitsPhone, 'nothing scrolls sideways on a phone');
    await page.screenshot({ path: join(ARTIFACTS, 'pairing-phone.png'), fullPage: true });
  });

  it('links with a phone number: shows the code to type on the phone', async () => {
    await card('default').locator('summary', { hasText: 'Link with phone number instead' }).click();
    await card('default').locator('.phone').fill('+1 555 000-0001');
    await card('default').locator('.pairing-form button[type=submit]').click();
    await card('default').locator('.pairing-code').filter({ hasText: /^[A-Z0-9]{4}-[A-Z0-9]{4}$/ }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'pairing-code-phone.png'), fullPage: true });
  });

  it('turns to connected without a reload when the phone scans', async () => {
    await page.evaluate(() => {
      (globalThis as unknown as PageGlobals).samePage = true;
    });
    await service.json('POST', '/v1/simulator/scan', { phone: '+15550000001', name: 'Home' });
    await stateOf('default').filter({ hasText: 'Connected' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).samePage), true, 'the page was not reloaded');
    assert.equal(await card('default').locator('.linked').textContent(), 'Home (+15550000001)');
    assert.equal(await card('default').locator('.pairing').isVisible(), false, 'the QR code is gone');
    assert.equal(await card('default').locator('.remove').isVisible(), false, 'the default account cannot be deleted');
  });

  it('lists recent activity by kind and chat, never with the message text', async () => {
    await service.json('POST', '/v1/simulator/incoming', { from: '+15550000002', name: 'Alice', text: 'the door code is 4711' });
    await card('default').locator('.activity summary').click();
    const item = card('default').locator('.events li', { hasText: 'Received text message from Alice' });
    await item.waitFor({ timeout: 10_000 });
    assert.ok(!(await card('default').locator('.events').textContent())?.includes('4711'));
    assert.ok((await card('default').locator('.events li').count()) <= 20);
    await page.screenshot({ path: join(ARTIFACTS, 'connected-phone.png'), fullPage: true });
  });

  it('shows the API key nowhere, and says where it lives', async () => {
    assert.ok(!(await page.content()).includes(service.apiKey!), 'the key is not in the page');
    assert.equal(await page.locator('#api-key, #show-key, #copy-key').count(), 0, 'no way to reveal it');
    const status = await page.evaluate(async () => (await (globalThis as unknown as PageGlobals).fetch('api/key')).status);
    assert.equal(status, 404);
    await page.locator('summary', { hasText: 'Where is the API key?' }).click();
    await page.getByText('receives it by itself when it discovers the add-on').waitFor();
  });

  it('an administrator links another number: it gets its own QR code, then both show connected', async () => {
    await page.locator('#new-account-id').fill('office');
    await page.getByRole('button', { name: 'Link another number' }).click();
    await stateOf('office').filter({ hasText: 'Waiting to be linked' }).waitFor({ timeout: 15_000 });
    await card('office').locator('.qr-image').waitFor({ state: 'visible', timeout: 15_000 });
    const first = await qrSource('office');
    assert.match(first ?? '', /^data:image\/svg\+xml/);
    assert.equal(await card('default').locator('.qr-image').isVisible(), false, 'the linked account shows no QR code');
    await page.waitForFunction(
      ([selector, before]) => (globalThis as unknown as PageGlobals).document.querySelector(selector)?.getAttribute('src') !== before,
      [qrOf('office'), first] as const,
      { timeout: 10_000 },
    );
    await page.screenshot({ path: join(ARTIFACTS, 'second-account-pairing-phone.png'), fullPage: true });

    await service.json('POST', '/v1/accounts/office/simulator/scan', { phone: '+15550000002', name: 'Office' });
    await stateOf('office').filter({ hasText: 'Connected' }).waitFor({ timeout: 15_000 });
    assert.equal(await card('office').locator('.linked').textContent(), 'Office (+15550000002)');
    assert.equal(await stateOf('default').textContent(), 'Connected');
    assert.equal(await card('office').locator('.remove').isVisible(), true, 'an added account can be deleted');
    await page.screenshot({ path: join(ARTIFACTS, 'two-accounts-phone.png'), fullPage: true });
  });

  it('follows accounts added and deleted through the API while it is open', async () => {
    await service.json('POST', '/v1/accounts', { id: 'shop' });
    await stateOf('shop').waitFor({ timeout: 10_000 });
    assert.deepEqual(await page.locator('[data-account]').evaluateAll((cards) => cards.map((found) => found.getAttribute('data-account'))), [
      'default',
      'office',
      'shop',
    ]);
  });

  it('over the limit, says so plainly and adds nothing', async () => {
    await page.getByRole('button', { name: 'Link another number' }).click();
    const refusal = page.locator('#add-account-card .action-error');
    await refusal.filter({ hasText: 'already serves 3 accounts, its limit' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('[data-account]').count(), 3, 'no card was added');
    // QR codes rotate meanwhile; the refusal stays until the person does something else.
    await card('shop').locator('.qr-image').waitFor({ state: 'visible', timeout: 10_000 });
    const shopQr = await qrSource('shop');
    await page.waitForFunction(
      ([selector, before]) => (globalThis as unknown as PageGlobals).document.querySelector(selector)?.getAttribute('src') !== before,
      [qrOf('shop'), shopQr] as const,
      { timeout: 10_000 },
    );
    assert.equal(await refusal.isVisible(), true, 'the refusal is still there after a live update');
    await page.screenshot({ path: join(ARTIFACTS, 'account-limit-phone.png'), fullPage: true });

    await service.json('DELETE', '/v1/accounts/shop');
    await card('shop').waitFor({ state: 'detached', timeout: 10_000 });
  });

  it('shows a Home Assistant user who is not an administrator no buttons, and the server refuses them anyway', async () => {
    ingress.user = ingressUser(CHILD);
    const viewer = await context.newPage();
    try {
      await viewer.goto(ingress.pageUrl);
      await stateOf('default', viewer).filter({ hasText: 'Connected' }).waitFor({ timeout: 10_000 });
      await stateOf('office', viewer).filter({ hasText: 'Connected' }).waitFor({ timeout: 10_000 });
      await viewer.getByText('Linking a phone, reconnecting, logging out, adding and deleting accounts are for Home Assistant administrators').waitFor();
      for (const button of ['.logout', '.restart', '.relink', '.remove', '#add-account', '#sign-out']) {
        for (const match of await viewer.locator(button).all()) assert.equal(await match.isVisible(), false, `${button} is hidden`);
      }
      const refused = await viewer.evaluate(async () => {
        const view = globalThis as unknown as PageGlobals;
        const statuses: number[] = [];
        const actions: Array<[string, string]> = [
          ['POST', 'api/accounts/default/logout'],
          ['POST', 'api/accounts/default/restart'],
          ['POST', 'api/accounts'],
          ['DELETE', 'api/accounts/office'],
        ];
        for (const [method, path] of actions) {
          const response = await view.fetch(path, { method, headers: { 'Content-Type': 'application/json' }, body: '{}' });
          statuses.push(response.status);
        }
        return statuses;
      });
      assert.deepEqual(refused, [403, 403, 403, 403]);
      assert.equal((await service.json<{ state: string }>('GET', '/v1/session')).state, 'connected', 'still linked');
      const left = await service.json<{ accounts: Array<{ id: string }> }>('GET', '/v1/accounts');
      assert.deepEqual(left.accounts.map((account) => account.id), ['default', 'office'], 'nothing added or deleted');
      await viewer.screenshot({ path: join(ARTIFACTS, 'not-admin-phone.png'), fullPage: true });
    } finally {
      await viewer.close();
      ingress.user = ingressUser(ADMIN);
    }
  });

  it('deletes an added account only after confirmation', async () => {
    const remove = card('office').locator('.remove');
    await remove.click();
    const dialog = page.locator('#confirm');
    await dialog.waitFor({ state: 'visible' });
    assert.match((await dialog.textContent()) ?? '', /Delete the account “office”\?/);
    await page.screenshot({ path: join(ARTIFACTS, 'delete-confirm-phone.png') });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await card('office').count(), 1, 'cancel keeps the account');

    await remove.click();
    await dialog.getByRole('button', { name: 'Delete account' }).click();
    await card('office').waitFor({ state: 'detached', timeout: 15_000 });
    const left = await service.json<{ accounts: Array<{ id: string }> }>('GET', '/v1/accounts');
    assert.deepEqual(left.accounts.map((account) => account.id), ['default']);
  });

  it('logs out only after confirmation, then offers a fresh QR code', async () => {
    const logout = card('default').locator('.logout');
    await logout.click();
    const dialog = page.locator('#confirm');
    await dialog.waitFor({ state: 'visible' });
    await page.screenshot({ path: join(ARTIFACTS, 'logout-confirm-phone.png') });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await stateOf('default').textContent(), 'Connected', 'cancel keeps the link');

    await logout.click();
    await dialog.getByRole('button', { name: 'Log out' }).click();
    await stateOf('default').filter({ hasText: 'Waiting to be linked' }).waitFor({ timeout: 10_000 });
    await card('default').locator('.qr-image').waitFor({ state: 'visible' });
    assert.equal(await card('default').locator('.disconnect-reason').textContent(), 'Logged out');
    assert.equal((await service.json<{ state: string }>('GET', '/v1/session')).state, 'pairing');
    await page.screenshot({ path: join(ARTIFACTS, 'after-logout-phone.png'), fullPage: true });
  });

  it('follows the dark colour scheme', async () => {
    await service.json('POST', '/v1/simulator/scan', {});
    const dark = await context.newPage();
    try {
      await dark.setViewportSize({ width: 1024, height: 768 });
      await dark.emulateMedia({ colorScheme: 'dark' });
      await dark.goto(ingress.pageUrl);
      await stateOf('default', dark).filter({ hasText: 'Connected' }).waitFor({ timeout: 10_000 });
      const background = await dark.evaluate(() => {
        const view = globalThis as unknown as PageGlobals;
        return view.getComputedStyle(view.document.body).backgroundColor;
      });
      assert.equal(background, 'rgb(11, 20, 26)');
      await dark.screenshot({ path: join(ARTIFACTS, 'connected-dark-desktop.png'), fullPage: true });
    } finally {
      await dark.close();
    }
  });

  it('outside Home Assistant asks for the API key, then opens', async () => {
    const direct = await context.newPage();
    try {
      const response = await direct.goto(`${service.dashboardUrl}/`);
      assert.equal(response?.status(), 401);
      await direct.locator('#api_key').fill('not the key');
      await direct.getByRole('button', { name: 'Sign in' }).click();
      await direct.getByText('That key is not right').waitFor();
      await direct.screenshot({ path: join(ARTIFACTS, 'sign-in-phone.png'), fullPage: true });
      await direct.locator('#api_key').fill(service.apiKey!);
      await direct.getByRole('button', { name: 'Sign in' }).click();
      await stateOf('default', direct).filter({ hasText: 'Connected' }).waitFor({ timeout: 10_000 });
      assert.equal(await card('default', direct).locator('.restart').isVisible(), true, 'the key holder may manage the session');

      await direct.locator('#sign-out').click();
      await direct.locator('#confirm').getByRole('button', { name: 'Sign out' }).click();
      await direct.locator('#api_key').waitFor({ timeout: 10_000 });
    } finally {
      await direct.close();
    }
  });
});
