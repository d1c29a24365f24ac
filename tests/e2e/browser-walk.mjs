/**
 * What the browser walks share: `scripts/develop --simulator` on free ports with a state folder of its
 * own, headless Chromium, numbered screenshots, steps that stop the walk at the first failure, and the
 * first steps every walk takes in Home Assistant (logging in, the WhatsApp setup dialog).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { promisify } from 'node:util';
import { freePort, ROOT } from './develop-process.mjs';

export const CHROMIUM = '/usr/bin/chromium';
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
export const DEMO_USER = 'demo';
export const DEMO_PASSWORD = 'demo-password';
/** The pretend phone the walks link. */
export const PHONE = '+15550000001';
export const UI_TIMEOUT_MS = 20_000;

const runFile = promisify(execFile);

export class BrowserWalk {
  /** Screenshots and logs land in `artifacts`, emptied when the walk starts. */
  constructor(artifacts) {
    this.artifacts = artifacts;
    this.failedStep = null;
    this.shots = 0;
    // Console errors and failed requests, kept for whoever debugs a failed walk.
    this.browserProblems = [];
    this.context = undefined;
    this.page = undefined;
  }

  /** Free ports and a fresh state folder (named `statePrefix…`) for scripts/develop. */
  async prepare(statePrefix) {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/bootstrap, which installs Debian's chromium`);
    rmSync(this.artifacts, { recursive: true, force: true });
    mkdirSync(this.artifacts, { recursive: true });
    this.stateDir = mkdtempSync(join(tmpdir(), statePrefix));
    const [haPort, addonPort, ingressPort] = [await freePort(), await freePort(), await freePort()];
    this.env = {
      ...process.env,
      HA_PORT: String(haPort),
      WA_PORT: String(addonPort),
      WA_INGRESS_PORT: String(ingressPort),
      DEVELOP_DIR: this.stateDir,
    };
    this.haUrl = `http://127.0.0.1:${haPort}`;
    this.addonUrl = `http://127.0.0.1:${addonPort}`;
  }

  /** Starts Chromium with the walk's own profile; console errors and failed responses are kept. */
  async openBrowser(viewport) {
    // playwright-core is a development package of the add-on, which has the only node_modules here.
    const { chromium } = createRequire(join(ROOT, 'addon', 'package.json'))('playwright-core');
    this.context = await chromium.launchPersistentContext(join(this.stateDir, 'chromium'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport,
      colorScheme: 'light',
      locale: 'en-US',
    });
    this.context.setDefaultTimeout(UI_TIMEOUT_MS);
    this.page = this.context.pages()[0] ?? (await this.context.newPage());
    this.page.on('console', (message) => {
      if (message.type() === 'error') this.browserProblems.push(`console: ${message.text()}`);
    });
    this.page.on('response', (response) => {
      if (response.status() >= 400) this.browserProblems.push(`${response.status()} ${response.url()}`);
    });
    return this.page;
  }

  /**
   * Closes the browser, stops scripts/develop, keeps the browser's problems and Home Assistant's
   * `haLogs` with the artifacts, and removes the state folder.
   */
  async finish(develop, haLogs) {
    await this.context?.close();
    await develop?.interrupt();
    writeFileSync(join(this.artifacts, 'browser-problems.log'), this.browserProblems.join('\n'));
    for (const log of haLogs) {
      const path = join(this.stateDir, 'ha-simulator', log);
      if (existsSync(path)) copyFileSync(path, join(this.artifacts, log));
    }
    rmSync(this.stateDir, { recursive: true, force: true });
  }

  async screenshot(name) {
    this.shots += 1;
    await this.page.screenshot({ path: join(this.artifacts, `${String(this.shots).padStart(2, '0')}-${name}.png`) });
  }

  /** One step of the walk; after a failed step the rest are skipped, since each builds on the one before. */
  step(name, fn) {
    return it(name, async (t) => {
      if (this.failedStep) {
        t.skip(`needs "${this.failedStep}"`);
        return;
      }
      try {
        await fn();
      } catch (err) {
        this.failedStep = name;
        if (this.page) await this.screenshot('failed').catch(() => {});
        throw err;
      }
    });
  }

  /** `scripts/simulate` against this walk's add-on. */
  simulate(...args) {
    return runFile(join(ROOT, 'scripts', 'simulate'), args, { env: this.env });
  }

  apiKey() {
    return readFileSync(join(this.stateDir, 'addon-simulator', 'api_key'), 'utf8').trim();
  }

  // Dialogs by their element: a dialog's content is slotted into it, so it is no descendant of the
  // `dialog` element inside, and Home Assistant 2026.10 gives that element no accessible name.
  flowDialog() {
    return this.page.locator('dialog-data-entry-flow');
  }

  flowDialogTitled(title) {
    return this.flowDialog().getByText(title, { exact: true });
  }

  addIntegrationDialog() {
    return this.page.locator('dialog-add-integration');
  }

  /** Logs in as the demo user; `whenFilled` runs once the form is filled in, before it is sent. */
  async logIn(whenFilled = async () => {}) {
    await this.page.goto(this.haUrl);
    await this.page.getByRole('textbox', { name: 'Username' }).fill(DEMO_USER);
    await this.page.getByRole('textbox', { name: 'Password' }).fill(DEMO_PASSWORD);
    await whenFilled();
    await this.page.getByRole('button', { name: 'Log in' }).click();
    await this.page.getByText('Welcome Demo').waitFor();
  }

  /** Home Assistant asks once to keep the HTTP settings scripts/develop wrote (its own port, loopback). */
  async confirmHttpSettings() {
    const confirm = this.page.locator('dialog-http-pending-config').getByRole('button', { name: 'Confirm' });
    if (await confirm.waitFor({ timeout: 5_000 }).then(() => true, () => false)) {
      await confirm.click();
      await confirm.waitFor({ state: 'hidden' });
    }
  }

  /** In the open "Add integration" dialog, picks WhatsApp and waits for its connection form. */
  async chooseWhatsApp() {
    // "Select brand": its search box has no label, only the hint a person reads in it.
    await this.addIntegrationDialog().getByPlaceholder('Search for a brand name').fill('WhatsApp');
    await this.addIntegrationDialog().getByRole('button', { name: 'WhatsApp', exact: true }).click();
    await this.flowDialogTitled('Connect to the WhatsApp app in Home Assistant').waitFor();
  }

  /** Fills in the connection form with this walk's add-on URL and API key and sends it. */
  async connectToAddon() {
    await this.flowDialog().getByRole('textbox', { name: 'URL' }).fill(this.addonUrl);
    await this.flowDialog().getByRole('textbox', { name: 'API key' }).fill(this.apiKey());
    await this.flowDialog().getByRole('button', { name: 'Submit' }).click();
  }
}
