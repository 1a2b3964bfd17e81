// Where the service is and the key it wants. chrome.storage.local, not .sync: the API key is a
// secret and should stay on this machine, not travel to every browser of the account.

export const DEFAULT_SERVICE_URL = "http://127.0.0.1:8000";

export async function loadSettings() {
  const { serviceUrl, apiKey } = await chrome.storage.local.get(["serviceUrl", "apiKey"]);
  return { serviceUrl: serviceUrl || DEFAULT_SERVICE_URL, apiKey: apiKey || "" };
}

/** The URL as it is stored: http(s) only, no trailing slash (paths are appended). Throws on anything else. */
export function normaliseServiceUrl(text) {
  const url = new URL(text.trim());
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError("the service URL must start with http:// or https://");
  return url.href.replace(/\/+$/, "");
}

export async function saveSettings({ serviceUrl, apiKey }) {
  await chrome.storage.local.set({ serviceUrl: normaliseServiceUrl(serviceUrl), apiKey: apiKey.trim() });
}

/** What the server's REALISE_CORS_ORIGINS must list when the extension has no host permission for it. */
export function extensionOrigin() {
  return new URL(chrome.runtime.getURL("/")).origin;
}
