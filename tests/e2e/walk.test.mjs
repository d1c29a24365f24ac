/**
 * The browser walk: a person's first day with the product, in a real Home Assistant and a real browser.
 * `scripts/develop --simulator` runs on free ports with its own state folder; headless Chromium logs in
 * as the demo user, adds the WhatsApp integration from the UI, links the pretend phone by "scanning" the
 * QR code, and watches the device and its entities react. Ends with Ctrl-C and a second start.
 * Screenshots of every step, the develop output, Home Assistant's logs and what went wrong in the
 * browser land in artifacts/walk/.
 *   node --test tests/e2e/walk.test.mjs
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { BrowserWalk, DEMO_PASSWORD, DEMO_USER, PHONE, UI_TIMEOUT_MS } from './browser-walk.mjs';
import { Develop, portAnswers, processesLeftBehind, ROOT } from './develop-process.mjs';

const ARTIFACTS = join(ROOT, 'artifacts', 'walk');
const CONTACT = '+4917612345678';
const DEVICE_NAME = 'WhatsApp';

/** Every file under `dir`, none when it does not exist. */
function filesIn(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('a person walks through the real Home Assistant UI', { timeout: 300_000 }, () => {
  const walk = new BrowserWalk(ARTIFACTS);
  let stateDir;
  let env;
  let addonUrl;
  let develop;
  let page;

  const screenshot = (name) => walk.screenshot(name);
  const simulate = (...args) => walk.simulate(...args);
  const flowDialog = () => walk.flowDialog();
  const flowDialogTitled = (title) => walk.flowDialogTitled(title);
  // The entity's details ("more info") open in the only dialog on the page.
  const detailsDialog = () => page.getByRole('dialog');
  // Relative times as Home Assistant words them: "Just now", "1 second ago", "12 seconds ago".
  const JUST_NOW = String.raw`(?:Just now|\d+ seconds? ago)`;
  const step = (name, fn) => walk.step(name, fn);

  before(async () => {
    await walk.prepare('wa-walk-');
    ({ stateDir, env, addonUrl } = walk);
  });

  // Home Assistant moves the previous log to `.1` when it starts again.
  after(() => walk.finish(develop, ['home-assistant.log.1', 'home-assistant.log']));

  step('scripts/develop --simulator serves Home Assistant and the add-on', async () => {
    develop = new Develop(env, join(ARTIFACTS, 'develop.log'));
    const seconds = await develop.ready();
    const [answered] = develop.output.match(/Home Assistant answered after \d+ s/) ?? [];
    assert.ok(answered, 'scripts/develop tells how long Home Assistant took');
    console.log(`${answered}; scripts/develop was ready after ${seconds.toFixed(1)} s`);
    assert.ok(develop.output.includes(`user ${DEMO_USER}, password ${DEMO_PASSWORD}`), 'the demo login is printed');
    assert.ok(develop.output.includes(addonUrl), 'the add-on URL is printed');
    page = await walk.openBrowser({ width: 1280, height: 800 });
    page.on('requestfailed', (request) => walk.browserProblems.push(`${request.failure()?.errorText} ${request.url()}`));
  });

  step('logs in as the demo user and lands on the dashboard, not the onboarding wizard', async () => {
    await walk.logIn(() => screenshot('login'));
    assert.ok(!page.url().includes('onboarding'), `landed on ${page.url()}`);
    await walk.confirmHttpSettings();
    await screenshot('dashboard');
  });

  step('finds WhatsApp under Settings → Devices & services → Add integration', async () => {
    await page.locator('ha-sidebar').getByText('Settings', { exact: true }).click();
    await page.getByText('Devices & services', { exact: true }).click();
    await page.getByRole('button', { name: 'Add integration' }).click();
    await walk.chooseWhatsApp();
    await screenshot('connect-form');
  });

  step('connects to the add-on with its URL and API key', async () => {
    await walk.connectToAddon();
    await flowDialogTitled('Link your WhatsApp account').waitFor();
    await screenshot('link-menu');
  });

  step('shows a QR code to scan', async () => {
    await flowDialog().getByText('Scan a QR code with the phone').click();
    const qr = flowDialog().locator('ha-qr-code canvas');
    await qr.waitFor({ state: 'visible' });
    const box = await qr.boundingBox();
    assert.ok(box && box.width >= 150 && box.height >= 150, `the QR code is big enough to scan: ${JSON.stringify(box)}`);
    await flowDialog().getByText('Settings → Linked devices → Link a device').waitFor();
    await screenshot('qr-code');
    // The dialog alone, as the README shows it (docs/walk-qr.png).
    await flowDialog().getByRole('dialog').screenshot({ path: join(ARTIFACTS, 'qr-dialog.png') });
  });

  step('finishes by itself once the phone has scanned the code', async () => {
    const { stdout } = await simulate('scan', PHONE);
    assert.match(stdout, /linked/);
    // Home Assistant's last setup step offers to name the new device and choose its area.
    await flowDialogTitled('Name and assign').waitFor();
    // Named after the account, never its number: WhatsApp gave the pretend phone no name.
    assert.equal(await flowDialog().getByRole('textbox', { name: 'Device name' }).inputValue(), DEVICE_NAME);
    await screenshot('device-created');
    await flowDialog().getByRole('button', { name: 'Skip and finish' }).click();
    await flowDialog().waitFor({ state: 'hidden' });
  });

  /**
   * Waits until what a screen reader would read in `locator` matches `expected`. Home Assistant spreads
   * an entity's name, state and time over several shadow roots; the accessibility tree joins them up.
   */
  const waitForReading = async (locator, expected) => {
    const deadline = Date.now() + UI_TIMEOUT_MS;
    let reading = '';
    while (Date.now() < deadline) {
      reading = await locator.ariaSnapshot({ timeout: 1_000 }).catch(() => '');
      if (expected.test(reading)) return;
      await page.waitForTimeout(250);
    }
    assert.fail(`the page does not read ${expected}:\n${reading}`);
  };
  const devicePage = () => page.locator('ha-config-device-page');

  step('lands on the new device and sees its connection sensor "Connected"', async () => {
    // Finishing the setup opens the device that it created.
    await page.waitForURL(/\/config\/devices\/device\//);
    await devicePage().getByText(DEVICE_NAME, { exact: true }).first().waitFor();
    await waitForReading(devicePage(), /- list: Connection Connected$/m);
    await waitForReading(devicePage(), /- list: Message Unknown$/m);
    await screenshot('device');
  });

  step('sees the message event entity update when a contact writes', async () => {
    const { stdout } = await simulate('message', CONTACT, 'heating on');
    assert.match(stdout, /delivered/);
    await waitForReading(devicePage(), new RegExp(`- list: Message ${JUST_NOW} Text$`, 'm'));
    await screenshot('message-received');
    await page.locator('hui-generic-entity-row', { hasText: 'Message' }).click();
    await waitForReading(detailsDialog(), new RegExp(`Message ${JUST_NOW} .+ Text`));
    await screenshot('message-details');
  });

  step('Home Assistant asked the internet for no brand image', async () => {
    // The demo is offline: Home Assistant's brands integration would ask its CDN for every icon the
    // pages showed. scripts/develop marks them known-missing; the integration's own icons come from its
    // brand folder. A failed attempt is logged, a successful one would leave the image in the cache.
    const haLog = readFileSync(join(stateDir, 'ha-simulator', 'home-assistant.log'), 'utf8');
    const attempts = haLog.split('\n').filter((line) => /brands.*(CDN|Domain name not found)/.test(line));
    assert.deepEqual(attempts.slice(0, 5), [], `${attempts.length} lookups of brand images on the internet`);
    const fetched = filesIn(join(stateDir, 'ha-simulator', '.cache', 'brands')).filter((path) => statSync(path).size > 0);
    assert.deepEqual(fetched.slice(0, 5), [], `${fetched.length} brand images fetched from the internet`);
  });

  step('Ctrl-C stops Home Assistant and the add-on', async () => {
    const result = await develop.interrupt();
    assert.ok(result, 'scripts/develop stopped within a minute');
    assert.equal(result.code, 130, `exit ${JSON.stringify(result)}`);
    assert.equal(await portAnswers(Number(env.HA_PORT)), false, 'Home Assistant still listens');
    assert.equal(await portAnswers(Number(env.WA_PORT)), false, 'the add-on still listens');
    assert.deepEqual(await processesLeftBehind(stateDir), [], 'processes left behind by scripts/develop');
  });

  step('a second start keeps the login, the integration and the linked phone', async () => {
    develop = new Develop(env, join(ARTIFACTS, 'develop-second-start.log'));
    await develop.ready();
    assert.match(develop.output, /already onboarded/);
    await page.reload();
    await waitForReading(devicePage(), /- list: Connection Connected$/m);
    await waitForReading(devicePage(), /- list: Message .+ ago Text$/m);
    await screenshot('device-after-restart');
  });
});
