// The add-on's web page. Every URL is relative: Home Assistant serves this page under
// /api/hassio_ingress/<token>/. Text from WhatsApp (chat names) and from Home Assistant (user names)
// is only ever set as textContent. The buttons follow the server's `can_manage`; the server refuses
// the actions anyway to anyone who may not manage the session.
'use strict';

const $ = (id) => document.getElementById(id);
const FALLBACK_POLL_MS = 15_000;

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
  const manage = view.can_manage === true;
  show($('logout'), manage && linked);
  show($('restart'), manage && linked);
  show($('relink'), manage && view.state === 'logged_out');

  show($('pairing'), manage && view.state === 'pairing');
  show($('pairing-locked'), !manage && (view.state === 'pairing' || view.state === 'logged_out'));
  renderAccess(view);
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

function renderAccess(view) {
  const { viewer } = view;
  let note;
  if (viewer.via === 'api_key') note = 'You are using the API key: you can link, reconnect and log out.';
  else if (view.can_manage) note = `${viewer.name ?? 'You'}, as a Home Assistant administrator, can link, reconnect and log out.`;
  else if (viewer.via === 'home_assistant')
    note = `${viewer.name ?? 'You'} can watch the connection here. Linking a phone, reconnecting and logging out are for Home Assistant administrators.`;
  else note = 'You can watch the connection here. To link, reconnect or log out, sign in with the API key.';
  $('access-note').textContent = note;
  show($('sign-in'), viewer.via === 'address');
  show($('sign-out'), viewer.signed_in === true);
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

  $('sign-out').addEventListener('click', async () => {
    const confirmed = await confirmAction(
      'Sign out everywhere?',
      'Every browser signed in with the API key is signed out, this one included.',
      'Sign out',
    );
    if (!confirmed) return;
    try {
      await post('api/sign-out');
    } catch (err) {
      problem(err.message);
      return;
    }
    location.reload();
  });
}

wire();
void refresh();
follow();
// A proxy that buffers the stream must not leave the page stale for long.
setInterval(() => {
  if (document.visibilityState === 'visible') void refresh();
}, FALLBACK_POLL_MS);
