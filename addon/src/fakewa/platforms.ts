/**
 * Which companion platforms WhatsApp accepts for pairing by code. Production refuses a
 * `companion_platform_display` that is not "<browser> (<operating system>)" with names it knows,
 * so Baileys' `browser: [os, browser, version]` must name a real browser and a real system.
 */
const KNOWN_BROWSERS = new Set(['Chrome', 'Firefox', 'Safari', 'Edge', 'Opera', 'IE', 'Desktop']);
const KNOWN_SYSTEMS = new Set(['Windows', 'Mac OS', 'Linux', 'Ubuntu', 'ChromeOS', 'Android', 'iOS']);

const DISPLAY_FORM = /^(?<browser>[^()]+) \((?<system>[^()]+)\)$/;

export function isCanonicalPlatformDisplay(display: string): boolean {
  const match = DISPLAY_FORM.exec(display);
  const browser = match?.groups?.browser;
  const system = match?.groups?.system;
  return browser !== undefined && system !== undefined && KNOWN_BROWSERS.has(browser) && KNOWN_SYSTEMS.has(system);
}
