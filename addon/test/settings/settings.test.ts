import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_INGRESS_TRUSTED, loadSettings, SettingsError } from '../../src/settings.js';

describe('settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-settings-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function withOptions(options: Record<string, unknown>, env: Record<string, string> = {}): ReturnType<typeof loadSettings> {
    const file = join(dir, 'options.json');
    writeFileSync(file, JSON.stringify(options));
    return loadSettings({ WA_DATA_DIR: dir, WA_OPTIONS_FILE: file, ...env });
  }

  it('has the documented defaults without options', () => {
    const settings = loadSettings({ WA_DATA_DIR: dir, WA_OPTIONS_FILE: join(dir, 'absent.json') });
    assert.equal(settings.port, 8066);
    assert.equal(settings.ingressPort, 8099);
    assert.deepEqual(settings.ingressTrusted, [...DEFAULT_INGRESS_TRUSTED]);
    assert.ok(settings.ingressTrusted.includes('172.30.32.2'), "Home Assistant's ingress proxy");
    assert.equal(settings.sendRatePerMinute, 12);
    assert.equal(settings.sendBurst, 3);
    assert.equal(settings.sendWaitReconnectingSeconds, 60);
    assert.equal(settings.journalMaxEvents, 50_000);
    assert.equal(settings.journalMaxAgeDays, 7);
    assert.equal(settings.mediaCacheMaxMb, 200);
    assert.equal(settings.mediaUploadMaxMb, 64);
    assert.equal(settings.markOnline, false);
    assert.equal(settings.supervisor, null);
  });

  it('reads every add-on option from options.json', () => {
    const settings = withOptions({
      log_level: 'debug',
      api_key: 'from-the-options',
      send_rate_per_minute: 6,
      send_burst: 2,
      send_jitter_mean_ms: 2500,
      send_jitter_sigma_ms: 900,
      send_wait_reconnecting_seconds: 30,
      journal_max_events: 2000,
      journal_max_age_days: 3,
      media_cache_max_mb: 50,
      media_upload_max_mb: 16,
      mark_online: true,
    });
    assert.equal(settings.logLevel, 'debug');
    assert.equal(settings.apiKey, 'from-the-options');
    assert.equal(settings.sendRatePerMinute, 6);
    assert.equal(settings.sendBurst, 2);
    assert.equal(settings.sendJitterMeanMs, 2500);
    assert.equal(settings.sendJitterSigmaMs, 900);
    assert.equal(settings.sendWaitReconnectingSeconds, 30);
    assert.equal(settings.journalMaxEvents, 2000);
    assert.equal(settings.journalMaxAgeDays, 3);
    assert.equal(settings.mediaCacheMaxMb, 50);
    assert.equal(settings.mediaUploadMaxMb, 16);
    assert.equal(settings.markOnline, true);
  });

  it('lets environment variables override the options', () => {
    const settings = withOptions({ send_rate_per_minute: 6 }, { WA_SEND_RATE_PER_MINUTE: '0', WA_INGRESS_PORT: '18099' });
    assert.equal(settings.sendRatePerMinute, 0, 'development can turn pacing off');
    assert.equal(settings.ingressPort, 18099);
  });

  it('refuses out-of-range values and names the option', () => {
    assert.throws(() => withOptions({ send_burst: 0 }), (err: unknown) => err instanceof SettingsError && /send_burst/.test(err.message));
    assert.throws(() => withOptions({ media_upload_max_mb: 'lots' }), /media_upload_max_mb/);
    assert.throws(() => withOptions({}, { WA_INGRESS_PORT: '8066' }), /WA_INGRESS_PORT must differ/);
  });

  it('trusts no address for the web page when WA_INGRESS_TRUSTED is empty', () => {
    assert.deepEqual(withOptions({}, { WA_INGRESS_TRUSTED: '' }).ingressTrusted, []);
    assert.deepEqual(withOptions({}, { WA_INGRESS_TRUSTED: ' 10.0.0.1 , ::1' }).ingressTrusted, ['10.0.0.1', '::1']);
  });

  it('knows how to reach the Supervisor only inside the add-on', () => {
    assert.deepEqual(withOptions({}, { SUPERVISOR_TOKEN: 't0ken' }).supervisor, { url: 'http://supervisor', token: 't0ken' });
    assert.deepEqual(withOptions({}, { SUPERVISOR_TOKEN: 't0ken', SUPERVISOR_URL: 'http://127.0.0.1:9/' }).supervisor, {
      url: 'http://127.0.0.1:9',
      token: 't0ken',
    });
  });
});
