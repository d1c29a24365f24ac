/**
 * The Assist walk: a person lets a contact talk to the home, in a real Home Assistant and a real browser.
 * `scripts/develop --simulator` runs on free ports with its own state folder (its configuration has Assist
 * and an input boolean "Heating"); headless Chromium logs in, adds WhatsApp and links the pretend phone,
 * adds Alice as a recipient with Home Assistant's agent chosen under "Answer with Assist", and Alice's
 * "turn on the heating" turns the heating on and is answered in her chat (the simulator's outbox).
 * Screenshots, the outbox and the logs land in artifacts/assist-walk/.
 *   node --test tests/e2e/assist-walk.test.mjs
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Develop, freePort, ROOT } from './develop-process.mjs';

const { chromium } = createRequire(join(ROOT, 'addon', 'package.json'))('playwright-core');

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
const ARTIFACTS = join(ROOT, 'artifacts', 'assist-walk');
const DEMO_USER = 'demo';
const DEMO_PASSWORD = 'demo-password';
const PHONE = '+15550000001';
const ALICE = '+4917612345678';
const ALICE_JID = '4917612345678@s.whatsapp.net';
const UI_TIMEOUT_MS = 20_000;

const runFile = promisify(execFile);

describe('a person lets a contact talk to the home through the real UI', { timeout: 300_000 }, () => {
  let stateDir;
  let env;
  let haUrl;
  let addonUrl;
  let develop;
  let context;
  let page;
  let failedStep = null;
  let shots = 0;
  const browserProblems = [];

  const screenshot = async (name) => {
    shots += 1;
    await page.screenshot({ path: join(ARTIFACTS, `${String(shots).padStart(2, '0')}-${name}.png`) });
  };
  const simulate = (...args) => runFile(join(ROOT, 'scripts', 'simulate'), args, { env });
  const apiKey = () => readFileSync(join(stateDir, 'addon-simulator', 'api_key'), 'utf8').trim();
  const addon = async (path) => {
    const response = await fetch(`${addonUrl}${path}`, { headers: { Authorization: `Bearer ${apiKey()}` } });
    assert.equal(response.status, 200, `${path} answers`);
    return response.json();
  };
  const flowDialog = () => page.locator('dialog-data-entry-flow');
  const flowDialogTitled = (title) => flowDialog().getByText(title, { exact: true });
  const waitUntil = async (condition, what, within = UI_TIMEOUT_MS) => {
    const deadline = Date.now() + within;
    while (Date.now() < deadline) {
      const result = await condition();
      if (result) return result;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.fail(`timed out waiting for ${what}`);
  };

  const step = (name, fn) =>
    it(name, async (t) => {
      if (failedStep) {
        t.skip(`needs "${failedStep}"`);
        return;
      }
      try {
        await fn();
      } catch (err) {
        failedStep = name;
        if (page) await screenshot('failed').catch(() => {});
        throw err;
      }
    });

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/bootstrap, which installs Debian's chromium`);
    rmSync(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    stateDir = mkdtempSync(join(tmpdir(), 'wa-assist-walk-'));
    const [haPort, addonPort, ingressPort] = [await freePort(), await freePort(), await freePort()];
    env = {
      ...process.env,
      HA_PORT: String(haPort),
      WA_PORT: String(addonPort),
      WA_INGRESS_PORT: String(ingressPort),
      DEVELOP_DIR: stateDir,
    };
    haUrl = `http://127.0.0.1:${haPort}`;
    addonUrl = `http://127.0.0.1:${addonPort}`;
  });

  after(async () => {
    await context?.close();
    await develop?.interrupt();
    writeFileSync(join(ARTIFACTS, 'browser-problems.log'), browserProblems.join('\n'));
    const log = join(stateDir, 'ha-simulator', 'home-assistant.log');
    if (existsSync(log)) copyFileSync(log, join(ARTIFACTS, 'home-assistant.log'));
    rmSync(stateDir, { recursive: true, force: true });
  });

  step('scripts/develop --simulator serves Home Assistant and the add-on', async () => {
    develop = new Develop(env, join(ARTIFACTS, 'develop.log'));
    await develop.ready();
    context = await chromium.launchPersistentContext(join(stateDir, 'chromium'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 900 },
      colorScheme: 'light',
      locale: 'en-US',
    });
    context.setDefaultTimeout(UI_TIMEOUT_MS);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error') browserProblems.push(`console: ${message.text()}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400) browserProblems.push(`${response.status()} ${response.url()}`);
    });
  });

  step('logs in, adds WhatsApp and links the phone', async () => {
    await page.goto(haUrl);
    await page.getByRole('textbox', { name: 'Username' }).fill(DEMO_USER);
    await page.getByRole('textbox', { name: 'Password' }).fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Welcome Demo').waitFor();
    const confirm = page.locator('dialog-http-pending-config').getByRole('button', { name: 'Confirm' });
    if (await confirm.waitFor({ timeout: 5_000 }).then(() => true, () => false)) {
      await confirm.click();
      await confirm.waitFor({ state: 'hidden' });
    }
    await page.goto(`${haUrl}/config/integrations/dashboard`);
    await page.getByRole('button', { name: 'Add integration' }).click();
    const addDialog = page.locator('dialog-add-integration');
    await addDialog.getByPlaceholder('Search for a brand name').fill('WhatsApp');
    await addDialog.getByRole('button', { name: 'WhatsApp', exact: true }).click();
    await flowDialogTitled('Connect to the WhatsApp app in Home Assistant').waitFor();
    await flowDialog().getByRole('textbox', { name: 'URL' }).fill(addonUrl);
    await flowDialog().getByRole('textbox', { name: 'API key' }).fill(apiKey());
    await flowDialog().getByRole('button', { name: 'Submit' }).click();
    await flowDialog().getByText('Scan a QR code with the phone').click();
    await flowDialog().locator('ha-qr-code canvas').waitFor({ state: 'visible' });
    await simulate('scan', PHONE);
    await flowDialogTitled('Name and assign').waitFor();
    await flowDialog().getByRole('button', { name: 'Skip and finish' }).click();
    await flowDialog().waitFor({ state: 'hidden' });
  });

  step('adds Alice as a recipient with Home Assistant answering her under "Answer with Assist"', async () => {
    await page.goto(`${haUrl}/config/integrations/integration/whatsapp_bridge`);
    await page.getByRole('button', { name: 'Add recipient' }).first().click();
    await flowDialogTitled('Add a recipient').waitFor();
    await flowDialog().getByText('A person', { exact: true }).click();
    await flowDialogTitled('Add a person').waitFor();
    await flowDialog().getByRole('textbox', { name: 'Name' }).fill('Alice');
    await flowDialog().getByRole('textbox', { name: 'Phone number' }).fill(ALICE);
    await flowDialog().getByText('Answer with Assist').first().click();
    // The agent picker offers "None" (Assist off) and every agent; its options carry no accessible role.
    await flowDialog().getByText('Home Assistant', { exact: true }).last().click();
    await screenshot('recipient-with-agent');
    await flowDialog().getByRole('button', { name: 'Submit' }).click();
    await flowDialog().getByText('Created configuration for Alice').or(flowDialog().getByText('Success')).first().waitFor();
    await screenshot('recipient-added');
    await flowDialog().getByRole('button', { name: 'Finish' }).click();
  });

  /** Runs `fn(hass)` in the page, with the frontend's own connection to Home Assistant. */
  const withHass = (fn, arg) =>
    page.evaluate(([source, value]) => new Function('hass', 'arg', `return (${source})(hass, arg)`)(
      document.querySelector('home-assistant').hass, value), [fn.toString(), arg]);

  step('exposes Heating to Assist, as its "Expose" toggle does', async () => {
    await withHass((hass) => hass.callWS({
      type: 'homeassistant/expose_entity',
      assistants: ['conversation'],
      entity_ids: ['input_boolean.heating'],
      should_expose: true,
    }));
  });

  step('Alice writes "turn on the heating": the heating turns on and she gets the answer as a reply', async () => {
    const before = (await addon('/v1/simulator/outbox')).messages.length;
    const { stdout } = await simulate('message', ALICE, 'turn on the heating');
    assert.match(stdout, /delivered/);
    const answer = await waitUntil(async () => {
      const { messages } = await addon('/v1/simulator/outbox');
      return messages.slice(before).find((m) => m.type === 'text' && m.to === ALICE_JID && m.reply_to);
    }, "the agent's answer in Alice's chat");
    const { messages } = await addon('/v1/simulator/outbox');
    writeFileSync(join(ARTIFACTS, 'outbox.json'), `${JSON.stringify(messages.slice(before), null, 2)}\n`);
    assert.ok(answer.text.length > 0, 'the answer says something');
    const typing = messages.slice(before).find((m) => m.type === 'presence' && m.to === ALICE_JID);
    assert.equal(typing?.state, 'composing', 'Alice saw that an answer was being written');
    console.log(`Alice got the reply: ${JSON.stringify(answer.text)}`);
    assert.doesNotMatch(answer.text, /not exposed|sorry/i);
    await waitUntil(() => withHass((hass) => hass.states['input_boolean.heating']?.state === 'on'), 'the heating to be on');
    // The account with its recipient Alice, who was just answered.
    await page.goto(`${haUrl}/config/integrations/integration/whatsapp_bridge`);
    await page.getByText('Alice', { exact: true }).first().waitFor();
    await screenshot('answered');
  });
});
