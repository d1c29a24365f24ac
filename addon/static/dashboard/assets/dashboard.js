// The add-on's web page. Every URL is relative: Home Assistant serves this page under
// /api/hassio_ingress/<token>/. Text from WhatsApp (chat names) and from Home Assistant (user names)
// is only ever set as textContent. Each account has its own card; the buttons follow the server's
// `can_manage`, and the server refuses the actions anyway to anyone who may not manage the accounts.
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

// Actions are JSON: a form on another site cannot send that without the browser asking the add-on first.
function send(method, path, body = {}) {
  return call(path, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

function post(path, body = {}) {
  return send('POST', path, body);
}

function render(view) {
  $('version').textContent = `Add-on ${view.version}`;
  renderAccounts(view);
  const manage = view.can_manage === true;
  show($('add-account-card'), manage);
  const count = view.accounts.length;
  $('account-limit').textContent = `This add-on serves ${count} of at most ${view.max_accounts} accounts.`;
  renderAccess(view);
}

/** One card per account, kept across updates so an open form or a typed number survives a push. */
function renderAccounts(view) {
  const container = $('accounts');
  const cards = new Map([...container.children].map((card) => [card.dataset.account, card]));
  const wanted = view.accounts.map((account) => {
    const card = cards.get(account.id) ?? newCard(account.id);
    cards.delete(account.id);
    renderAccount(card, account, view.can_manage === true);
    return card;
  });
  for (const gone of cards.values()) gone.remove();
  const inOrder = wanted.every((card, index) => container.children[index] === card);
  if (!inOrder) container.append(...wanted);
}

function newCard(id) {
  const card = $('account-template').content.firstElementChild.cloneNode(true);
  card.dataset.account = id;
  card.setAttribute('aria-label', `Account ${id}`);
  card.querySelector('.account-title').textContent = id;
  return card;
}

function renderAccount(card, account, manage) {
  const part = (name) => card.querySelector(`.${name}`);
  card.dataset.state = account.state;
  part('state-label').textContent = account.state_label;
  part('since').textContent = `Since ${formatTime(account.since)}`;

  show(part('linked-row'), account.linked !== null);
  if (account.linked) part('linked').textContent = account.linked.name ? `${account.linked.name} (${account.linked.phone})` : account.linked.phone;

  const disconnect = account.last_disconnect;
  show(part('disconnect-row'), disconnect !== null && account.state !== 'connected');
  if (disconnect) {
    part('disconnect-reason').textContent = disconnect.reason.charAt(0).toUpperCase() + disconnect.reason.slice(1);
    part('disconnect-at').textContent = `at ${formatTime(disconnect.at)}`;
    part('disconnect-explanation').textContent = disconnect.explanation;
  }

  const linked = account.state === 'connected' || account.state === 'reconnecting';
  show(part('logout'), manage && linked);
  show(part('restart'), manage && linked);
  show(part('relink'), manage && account.state === 'logged_out');
  show(part('remove'), account.can_remove === true);

  show(part('pairing'), manage && account.state === 'pairing');
  show(part('pairing-locked'), !manage && (account.state === 'pairing' || account.state === 'logged_out'));
  const image = part('qr-image');
  if (account.qr) {
    const source = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(account.qr.svg)}`;
    if (image.getAttribute('src') !== source) image.setAttribute('src', source);
    image.dataset.expiresAt = account.qr.expires_at;
  }
  show(part('qr'), account.qr !== null);
  show(part('pairing-code-box'), account.pairing_code !== null);
  if (account.pairing_code) part('pairing-code').textContent = account.pairing_code.replace(/^(.{4})(.{4})$/, '$1-$2');

  part('events').replaceChildren(
    ...account.events.map((event) => {
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
  show(part('no-events'), account.events.length === 0);
}

function renderAccess(view) {
  const { viewer } = view;
  let note;
  if (viewer.via === 'api_key') note = 'You are using the API key: you can link, reconnect, log out, add and delete accounts.';
  else if (view.can_manage) note = `${viewer.name ?? 'You'}, as a Home Assistant administrator, can link, reconnect, log out, add and delete accounts.`;
  else if (viewer.via === 'home_assistant')
    note = `${viewer.name ?? 'You'} can watch the connections here. Linking a phone, reconnecting, logging out, adding and deleting accounts are for Home Assistant administrators.`;
  else note = 'You can watch the connections here. To link, reconnect, log out, add or delete accounts, sign in with the API key.';
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

/**
 * Why an action failed, shown in the card of the button that asked; it stays until the next action
 * there, while the live updates keep coming (the top banner is for the connection to the add-on).
 */
function actionError(button, message) {
  const place = button.closest('.card')?.querySelector('.action-error');
  if (!place) {
    problem(message);
    return;
  }
  place.textContent = message ?? '';
  show(place, Boolean(message));
}

async function act(button, path, method = 'POST', body = {}) {
  button.disabled = true;
  actionError(button, null);
  try {
    const view = await send(method, path, body);
    render(view);
    return view;
  } catch (err) {
    actionError(button, err.message);
    return null;
  } finally {
    button.disabled = false;
  }
}

const ACCOUNT_ACTIONS = {
  logout: async (id, button) => {
    const confirmed = await confirmAction(
      `Log out “${id}” of WhatsApp?`,
      'This unlinks Home Assistant from this WhatsApp number and deletes its keys. To use it again you will have to link the phone again.',
      'Log out',
    );
    if (confirmed) await act(button, accountPath(id, 'logout'));
  },
  restart: async (id, button) => {
    const confirmed = await confirmAction(
      `Reconnect “${id}” to WhatsApp?`,
      'The connection drops for a few seconds and is opened again. The link to the phone stays.',
      'Reconnect',
    );
    if (confirmed) await act(button, accountPath(id, 'restart'));
  },
  relink: (id, button) => act(button, accountPath(id, 'restart')),
  remove: async (id, button) => {
    const confirmed = await confirmAction(
      `Delete the account “${id}”?`,
      'Its number is unlinked from WhatsApp, and its keys, recent messages and media in the add-on are deleted. Home Assistant entries that use it stop working.',
      'Delete account',
    );
    if (confirmed) await act(button, accountPath(id), 'DELETE');
  },
};

function accountPath(id, action) {
  return `api/accounts/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;
}

function wire() {
  const container = $('accounts');
  container.addEventListener('click', (event) => {
    const button = event.target.closest('button');
    const card = button?.closest('[data-account]');
    const action = card && Object.keys(ACCOUNT_ACTIONS).find((name) => button.classList.contains(name));
    if (action) void ACCOUNT_ACTIONS[action](card.dataset.account, button);
  });

  container.addEventListener('submit', async (event) => {
    const form = event.target.closest('.pairing-form');
    if (!form) return;
    event.preventDefault();
    const card = form.closest('[data-account]');
    const button = form.querySelector('button');
    button.disabled = true;
    actionError(button, null);
    try {
      const { code } = await post(accountPath(card.dataset.account, 'pairing-code'), { phone_number: form.querySelector('.phone').value });
      card.querySelector('.pairing-code').textContent = code.replace(/^(.{4})(.{4})$/, '$1-$2');
      show(card.querySelector('.pairing-code-box'), true);
    } catch (err) {
      actionError(button, err.message);
    } finally {
      button.disabled = false;
    }
  });

  $('add-account-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = $('new-account-id').value.trim();
    const view = await act($('add-account'), 'api/accounts', 'POST', name ? { id: name } : {});
    if (!view) return;
    $('new-account-id').value = '';
    const card = [...container.children].find((candidate) => candidate.dataset.account === view.created);
    card?.scrollIntoView({ behavior: 'smooth', block: 'start' });
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
