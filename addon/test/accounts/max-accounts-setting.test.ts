import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { loadSettings, SettingsError } from '../../src/settings.js';

describe('how many accounts the add-on serves (max_accounts, WA_MAX_ACCOUNTS)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-max-accounts-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function settingsWith(options: Record<string, unknown>, env: Record<string, string> = {}): ReturnType<typeof loadSettings> {
    const file = join(dir, 'options.json');
    writeFileSync(file, JSON.stringify(options));
    return loadSettings({ WA_DATA_DIR: dir, WA_OPTIONS_FILE: file, ...env });
  }

  it('is 5 unless set, reads the add-on option, and lets WA_MAX_ACCOUNTS override it', () => {
    assert.equal(settingsWith({}).maxAccounts, 5);
    assert.equal(settingsWith({ max_accounts: 3 }).maxAccounts, 3);
    assert.equal(settingsWith({ max_accounts: 3 }, { WA_MAX_ACCOUNTS: '20' }).maxAccounts, 20);
    assert.equal(settingsWith({}, { WA_MAX_ACCOUNTS: '1' }).maxAccounts, 1);
  });

  it('refuses anything but a whole number from 1 to 20, and says which setting', () => {
    for (const wrong of ['0', '21', '2.5', 'many']) {
      assert.throws(
        () => settingsWith({}, { WA_MAX_ACCOUNTS: wrong }),
        (err: unknown) => err instanceof SettingsError && /WA_MAX_ACCOUNTS/.test(err.message) && /from 1 to 20/.test(err.message),
        wrong,
      );
    }
    assert.throws(() => settingsWith({ max_accounts: 0 }), /max_accounts/);
  });
});
