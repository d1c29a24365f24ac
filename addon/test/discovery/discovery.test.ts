import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { SupervisorDiscovery } from '../../src/discovery.js';
import { startService } from '../helpers/service.js';
import { SupervisorStandIn } from '../helpers/supervisor.js';

const silent = pino({ level: 'silent' });

function logLines(output: string): Array<{ level: number; msg: string; err?: string }> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string; err?: string });
}

describe('Supervisor discovery from the running add-on', () => {
  const token = randomBytes(24).toString('hex');
  let supervisor: SupervisorStandIn;
  before(async () => {
    supervisor = await SupervisorStandIn.start(token);
  });
  after(() => supervisor.close());

  it('announces host, port and API key with the Supervisor token at start, and logs neither secret', async () => {
    const service = await startService({ env: { SUPERVISOR_TOKEN: token, SUPERVISOR_URL: supervisor.url } });
    try {
      const [post] = await supervisor.waitForPosts(1);
      const port = Number(new URL(service.url).port);
      assert.deepEqual(post!.body, { service: 'whatsapp_bridge', config: { host: 'a0d7b954-whatsapp', port, api_key: service.apiKey } });
      await service.waitFor('the discovery log line', async () => service.output.includes('announced the API to Home Assistant'));
      assert.ok(!service.output.includes(token), 'the Supervisor token is never logged');
      assert.ok(!service.output.includes(service.apiKey!), 'the API key is never logged');
    } finally {
      await service.dispose();
      supervisor.posts.length = 0;
    }
  });

  it('keeps trying when the Supervisor refuses, says so in the log, and succeeds later', async () => {
    supervisor.failNextPosts = 1;
    const service = await startService({ env: { SUPERVISOR_TOKEN: token, SUPERVISOR_URL: supervisor.url } });
    try {
      const posts = await supervisor.waitForPosts(2);
      assert.deepEqual(posts[0]!.body, posts[1]!.body, 'the retry announces the same thing');
      await service.waitFor('the discovery log line', async () => service.output.includes('announced the API to Home Assistant'));
      const warning = logLines(service.output).find((line) => line.msg.startsWith('could not announce the API to Home Assistant'));
      assert.equal(warning?.level, 40, 'a warning');
      assert.equal(warning?.err, 'POST /discovery answered 500: Home Assistant is still starting');
      assert.ok(!service.output.includes(token));
    } finally {
      await service.dispose();
      supervisor.posts.length = 0;
    }
  });

  it('stays quiet outside Home Assistant (no Supervisor token)', async () => {
    const service = await startService({ env: { SUPERVISOR_URL: supervisor.url } });
    try {
      await service.waitForState('pairing');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(supervisor.posts.length, 0);
    } finally {
      await service.dispose();
    }
  });
});

describe('SupervisorDiscovery', () => {
  const token = randomBytes(24).toString('hex');
  const fast = { firstDelayMs: 20, maxDelayMs: 40 };

  it('announces a new key in place of one still being retried', async () => {
    const supervisor = await SupervisorStandIn.start(token);
    try {
      supervisor.failNextPosts = 3;
      const discovery = new SupervisorDiscovery({ url: supervisor.url, token }, 8066, silent, fast);
      const first = discovery.announce('old-key');
      await supervisor.waitForPosts(1);
      await discovery.announce('new-key');
      await first;
      const settled = supervisor.posts.length;
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.equal(supervisor.posts.length, settled, 'the superseded announcement stopped retrying');
      const last = supervisor.posts.at(-1)!.body as { config: { api_key: string } };
      assert.equal(last.config.api_key, 'new-key');
    } finally {
      await supervisor.close();
    }
  });

  it('falls back to the container hostname when the Supervisor does not say', async () => {
    const supervisor = await SupervisorStandIn.start(token);
    try {
      supervisor.answerInfo = false;
      await new SupervisorDiscovery({ url: supervisor.url, token }, 8066, silent, fast).announce('key');
      const body = supervisor.posts[0]!.body as { config: { host: string } };
      assert.equal(body.config.host, hostname());
    } finally {
      await supervisor.close();
    }
  });

  it('stop() abandons an announcement the Supervisor keeps refusing', async () => {
    const supervisor = await SupervisorStandIn.start(token);
    try {
      supervisor.failNextPosts = 1_000;
      const discovery = new SupervisorDiscovery({ url: supervisor.url, token }, 8066, silent, fast);
      const announcing = discovery.announce('key');
      await supervisor.waitForPosts(2);
      discovery.stop();
      await announcing;
      const settled = supervisor.posts.length;
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.equal(supervisor.posts.length, settled);
    } finally {
      await supervisor.close();
    }
  });
});
