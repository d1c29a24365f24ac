// The add-on's web page. Every URL is relative: Home Assistant serves this page under
// /api/hassio_ingress/<token>/. Text from WhatsApp (chat names) is only ever set as textContent.
'use strict';

const $ = (id) => document.getElementById(id);
const FALLBACK_POLL_MS = 15_000;

let apiKey = null;

function formatTime(iso) {
  const date = new Date(iso);
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay ? date.toLocaleTimeString() : date.toLocaleString();
}

function show(element, visible) {
  element.hidden = !visible;
}

function problem(message) {
  $('problem').textContent = message ?? '';
  show($('problem'), Boolean(message));
}

async function call(path, options = {}) {
  const response = await fetch(path, { credentials: 'same-origin', ...options });
  if (response.status === 401) {
    // Signed out (the key changed): the page itself shows the sign-in form.
    location.reload();
    throw new Error('Signed out.');
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error?.message ?? `The add-on answered ${response.status}.`);
  return body;
}

function post(path, body = {}) {
  return call(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

function render(view) {
  document.body.dataset.state = view.state;
  $('version').textContent = `Add-on ${view.version}`;
  $('state-label').textContent = view.state_label;
  $('since').textContent = `Since ${formatTime(view.since)}`;

  show($('account-row'), view.account !== null);
  if (view.account) $('account').textContent = view.account.name ? `${view.account.name} (${view.account.phone})` : view.account.phone;

  const disconnect = view.last_disconnect;
  show($('disconnect-row'), disconnect !== null && view.state !== 'connected');
  if (disconnect) {
    $('disconnect-reason').textContent = disconnect.reason.charAt(0).toUpperCase() + disconnect.reason.slice(1);
    $('disconnect-at').textContent = `at ${formatTime(disconnect.at)}`;
    $('disconnect-explanation').textContent = disconnect.explanation;
  }

  const linked = view.state === 'connected' || view.state === 'reconnecting';
  show($('logout'), linked);
  show($('restart'), linked);
  show($('relink'), view.state === 'logged_out');

  show($('pairing'), view.state === 'pairing');
  const image = $('qr-image');
  if (view.qr) {
    const source = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(view.qr.svg)}`;
    if (image.getAttribute('src') !== source) image.setAttribute('src', source);
    image.dataset.expiresAt = view.qr.expires_at;
  }
  show($('qr'), view.qr !== null);
  show($('pairing-code-box'), view.pairing_code !== null);
  if (view.pairing_code) $('pairing-code').textContent = view.pairing_code.replace(/^(.{4})(.{4})$/, '$1-$2');

  const list = $('events');
  list.replaceChildren(
    ...view.events.map((event) => {
      const item = document.createElement('li');
      item.dataset.type = event.type;
      const time = document.createElement('time');
      time.dateTime = event.at;
      time.textContent = formatTime(event.at);
      const summary = document.createElement('span');
      summary.textContent = event.summary;
      item.append(time, summary);
      return item;
    }),
  );
  show($('no-events'), view.events.length === 0);
}

async function refresh() {
  try {
    render(await call('api/state'));
    problem(null);
  } catch (err) {
    problem(`Cannot reach the add-on: ${err.message}`);
  }
}

function follow() {
  const stream = new EventSource('api/stream');
  stream.onmessage = (message) => {
    render(JSON.parse(message.data));
    problem(null);
  };
  stream.onerror = () => {
    // The browser retries by itself unless the server refused; then start over after a pause.
    if (stream.readyState === EventSource.CLOSED) {
      problem('Lost the connection to the add-on; retrying…');
      setTimeout(() => {
        void refresh();
        follow();
      }, 3_000);
    }
  };
}

function confirmAction(title, text, label) {
  const dialog = $('confirm');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = label;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
}

async function act(button, path) {
  button.disabled = true;
  try {
    render(await post(path));
    problem(null);
  } catch (err) {
    problem(err.message);
  } finally {
    button.disabled = false;
  }
}

async function loadKey() {
  apiKey ??= (await call('api/key')).api_key;
  return apiKey;
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain http outside Home Assistant has no clipboard API.
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  const copied = document.execCommand('copy');
  area.remove();
  if (!copied) throw new Error('The browser did not allow copying; use Show and copy the key by hand.');
}

function wire() {
  $('logout').addEventListener('click', async () => {
    const confirmed = await confirmAction(
      'Log out of WhatsApp?',
      'This unlinks Home Assistant from your WhatsApp account and deletes its keys. To use it again you will have to link your phone again.',
      'Log out',
    );
    if (confirmed) await act($('logout'), 'api/logout');
  });
  $('restart').addEventListener('click', async () => {
    const confirmed = await confirmAction(
      'Reconnect to WhatsApp?',
      'The connection drops for a few seconds and is opened again. The link to your phone stays.',
      'Reconnect',
    );
    if (confirmed) await act($('restart'), 'api/restart');
  });
  $('relink').addEventListener('click', () => act($('relink'), 'api/restart'));

  $('pairing-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = event.target.querySelector('button');
    button.disabled = true;
    try {
      const { code } = await post('api/pairing-code', { phone_number: $('phone').value });
      $('pairing-code').textContent = code.replace(/^(.{4})(.{4})$/, '$1-$2');
      show($('pairing-code-box'), true);
      problem(null);
    } catch (err) {
      problem(err.message);
    } finally {
      button.disabled = false;
    }
  });

  $('show-key').addEventListener('click', async () => {
    const button = $('show-key');
    if (button.dataset.shown === 'true') {
      $('api-key').textContent = '••••••••••••••••••••••••';
      button.dataset.shown = 'false';
      button.textContent = 'Show';
      return;
    }
    try {
      $('api-key').textContent = await loadKey();
      button.dataset.shown = 'true';
      button.textContent = 'Hide';
    } catch (err) {
      problem(err.message);
    }
  });
  $('copy-key').addEventListener('click', async () => {
    try {
      await copyText(await loadKey());
      $('copied').textContent = 'Copied.';
      setTimeout(() => ($('copied').textContent = ''), 2_000);
    } catch (err) {
      problem(err.message);
    }
  });
}

wire();
void refresh();
follow();
// A proxy that buffers the stream must not leave the page stale for long.
setInterval(() => {
  if (document.visibilityState === 'visible') void refresh();
}, FALLBACK_POLL_MS);
