// Finishes Home Assistant's onboarding through its REST API, as the onboarding wizard in the browser
// would, so that a browser opening Home Assistant gets the login page and then the dashboard.
//   node scripts/lib/onboard-home-assistant.mjs <home-assistant-url> <username> <password>
// Creates that user (an administrator) when there is none yet; steps already done are skipped, so a
// second start of the same configuration changes nothing.

const [baseUrl, username, password] = process.argv.slice(2);
if (!password) {
  console.error('usage: onboard-home-assistant.mjs <home-assistant-url> <username> <password>');
  process.exit(2);
}
// The web UI identifies itself to Home Assistant's OAuth endpoints by its own address.
const clientId = new URL('/', baseUrl).href;

async function post(path, { json, form, token } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (form) {
    body = new URLSearchParams(form);
  } else {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json ?? {});
  }
  const response = await fetch(new URL(path, baseUrl), { method: 'POST', headers, body });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : {};
}

/** The user step hands out an authorization code; after it, the user logs in like the login page does. */
async function authorizationCode(userStepPending) {
  if (userStepPending) {
    const created = await post('/api/onboarding/users', {
      json: { client_id: clientId, name: 'Demo', username, password, language: 'en' },
    });
    return created.auth_code;
  }
  const flow = await post('/auth/login_flow', {
    json: { client_id: clientId, handler: ['homeassistant', null], redirect_uri: clientId },
  });
  const login = await post(`/auth/login_flow/${flow.flow_id}`, {
    json: { client_id: clientId, username, password },
  });
  if (login.type !== 'create_entry') throw new Error(`logging in as ${username} failed: ${JSON.stringify(login)}`);
  return login.result;
}

// Once onboarding is finished, Home Assistant no longer serves its API at all.
const statusResponse = await fetch(new URL('/api/onboarding', baseUrl));
const status = statusResponse.status === 404 ? [] : await statusResponse.json();
const pending = new Set(status.filter((step) => !step.done).map((step) => step.step));
if (pending.size === 0) {
  console.log('[develop] Home Assistant is already onboarded');
  process.exit(0);
}

const code = await authorizationCode(pending.has('user'));
const { access_token: token } = await post('/auth/token', {
  form: { grant_type: 'authorization_code', code, client_id: clientId },
});
// The remaining steps in the wizard's order; each only records that the user went past it.
if (pending.has('core_config')) await post('/api/onboarding/core_config', { token });
if (pending.has('analytics')) await post('/api/onboarding/analytics', { token });
if (pending.has('integration')) {
  await post('/api/onboarding/integration', {
    token,
    json: { client_id: clientId, redirect_uri: `${clientId}?auth_callback=1` },
  });
}
console.log(`[develop] Home Assistant onboarded with the user ${username}`);
