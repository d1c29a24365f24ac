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
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { BrowserWalk, PHONE, UI_TIMEOUT_MS } from './browser-walk.mjs';
import { Develop, ROOT } from './develop-process.mjs';

const ARTIFACTS = join(ROOT, 'artifacts', 'assist-walk');
const ALICE = '+4917612345678';
const ALICE_JID = '4917612345678@s.whatsapp.net';

describe('a person lets a contact talk to the home through the real UI', { timeout: 300_000 }, () => {
  const walk = new BrowserWalk(ARTIFACTS);
  let env;
  let haUrl;
  let addonUrl;
  let develop;
  let page;

  const screenshot = (name) => walk.screenshot(name);
  const simulate = (...args) => walk.simulate(...args);
  const apiKey = () => walk.apiKey();
  const addon = async (path) => {
    const response = await fetch(`${addonUrl}${path}`, { headers: { Authorization: `Bearer ${apiKey()}` } });
    assert.equal(response.status, 200, `${path} answers`);
    return response.json();
  };
  const flowDialog = () => walk.flowDialog();
  const flowDialogTitled = (title) => walk.flowDialogTitled(title);
  const waitUntil = async (condition, what, within = UI_TIMEOUT_MS) => {
    const deadline = Date.now() + within;
    while (Date.now() < deadline) {
      const result = await condition();
      if (result) return result;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.fail(`timed out waiting for ${what}`);
  };

  const step = (name, fn) => walk.step(name, fn);

  before(async () => {
    await walk.prepare('wa-assist-walk-');
    ({ env, haUrl, addonUrl } = walk);
  });

  after(() => walk.finish(develop, ['home-assistant.log']));

  step('scripts/develop --simulator serves Home Assistant and the add-on', async () => {
    develop = new Develop(env, join(ARTIFACTS, 'develop.log'));
    await develop.ready();
    page = await walk.openBrowser({ width: 1280, height: 900 });
  });

  step('logs in, adds WhatsApp and links the phone', async () => {
    await walk.logIn();
    await walk.confirmHttpSettings();
    await page.goto(`${haUrl}/config/integrations/dashboard`);
    await page.getByRole('button', { name: 'Add integration' }).click();
    await walk.chooseWhatsApp();
    await walk.connectToAddon();
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
