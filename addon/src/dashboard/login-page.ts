/**
 * The sign-in form shown, with status 401, to a browser that opens the dashboard from outside Home
 * Assistant without the API key. It works without JavaScript; every URL is relative so it also works
 * under a proxy prefix.
 */
export function loginPage(failed: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>WhatsApp add-on: sign in</title>
<link rel="icon" href="static/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="static/dashboard.css">
</head>
<body>
<main class="page narrow">
  <header class="masthead">
    <img src="static/icon.svg" alt="" width="40" height="40">
    <h1>WhatsApp</h1>
  </header>
  <section class="card">
    <h2>Sign in</h2>
    <p>This page is opened from outside Home Assistant. Enter the add-on's API key to continue: the
    <code>api_key</code> option in the add-on's <em>Configuration</em> tab or, if you left that empty, the
    file <code>api_key</code> in the add-on's data directory. The sign-in lasts 12 hours.</p>
    <form method="post" action="login" class="stack">
      <label for="api_key">API key</label>
      <input id="api_key" name="api_key" type="password" autocomplete="current-password" required autofocus>
      ${failed ? '<p class="error" role="alert">That key is not right. Check it and try again.</p>' : ''}
      <button type="submit" class="primary">Sign in</button>
    </form>
  </section>
</main>
</body>
</html>
`;
}
