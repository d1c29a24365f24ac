/**
 * scripts/develop on a busy machine. Each service runs in a session of its own, which the service only
 * gets once `setsid` has run; on a loaded machine that can take a moment. Until then the script must not
 * take the service for exited, and whatever happens it must leave nothing running when it stops.
 * Here `setsid` is made slow on purpose, as a loaded two-core machine makes it.
 *   node --test tests/e2e/develop.test.mjs
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Develop, freePort, processesLeftBehind, ROOT } from './develop-process.mjs';

const ARTIFACTS = join(ROOT, 'artifacts', 'develop');
const SETSID_DELAY_SECONDS = 3;

describe('scripts/develop --simulator when starting a service is slow', { timeout: 300_000 }, () => {
  let stateDir;
  let env;
  let develop;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    stateDir = mkdtempSync(join(tmpdir(), 'wa-develop-'));
    const slowBin = join(stateDir, 'bin');
    mkdirSync(slowBin);
    const setsid = join(slowBin, 'setsid');
    writeFileSync(setsid, `#!/bin/sh\nsleep ${SETSID_DELAY_SECONDS}\nexec /usr/bin/setsid "$@"\n`);
    chmodSync(setsid, 0o755);
    const [haPort, addonPort, ingressPort] = [await freePort(), await freePort(), await freePort()];
    env = {
      ...process.env,
      PATH: `${slowBin}:${process.env.PATH}`,
      HA_PORT: String(haPort),
      WA_PORT: String(addonPort),
      WA_INGRESS_PORT: String(ingressPort),
      DEVELOP_DIR: join(stateDir, 'develop'),
    };
  });

  after(async () => {
    await develop?.interrupt();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('waits for the services, and Ctrl-C leaves none of them running', async () => {
    develop = new Develop(env, join(ARTIFACTS, 'slow-start.log'));
    const notReady = await develop.ready().then(
      () => null,
      (err) => err,
    );
    const result = await develop.interrupt();
    assert.deepEqual(await processesLeftBehind(env.DEVELOP_DIR), [], 'processes left behind by scripts/develop');
    if (notReady) throw notReady;
    assert.equal(result?.code, 130, `Ctrl-C ends scripts/develop with 130: ${JSON.stringify(result)}`);
  });
});
