// The options page: the service URL and API key, and access to that server.

import { extensionOrigin, loadSettings, normaliseServiceUrl, saveSettings } from "./settings.js";

const form = document.getElementById("options-form");
const urlInput = document.getElementById("service-url");
const keyInput = document.getElementById("api-key");
const status = document.getElementById("options-status");

document.getElementById("cors-setting").textContent = `REALISE_CORS_ORIGINS=${extensionOrigin()}`;

const saved = await loadSettings();
urlInput.value = saved.serviceUrl;
keyInput.value = saved.apiKey;

/**
 * Host permission for the server lets the side panel call it whatever its CORS settings.
 * Asked for on Save (a user gesture, which Chrome requires); declining is fine when the server
 * lists this extension in REALISE_CORS_ORIGINS.
 */
async function requestAccess(serviceUrl) {
  try {
    return await chrome.permissions.request({ origins: [`${new URL(serviceUrl).origin}/*`] });
  } catch (error) {
    console.warn("realise: host permission not granted", error);
    return false;
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  let serviceUrl;
  try {
    serviceUrl = normaliseServiceUrl(urlInput.value);
  } catch (error) {
    urlInput.setAttribute("aria-invalid", "true");
    status.textContent = `Not saved: ${error.message}.`;
    return;
  }
  urlInput.removeAttribute("aria-invalid");
  // Asked before the first await, while the click still counts as a user gesture.
  const access = requestAccess(serviceUrl);
  await saveSettings({ serviceUrl, apiKey: keyInput.value });
  urlInput.value = serviceUrl;
  status.textContent = "Saved.";
  // Chrome's permission prompt may stay open a while; the settings are saved meanwhile.
  status.textContent = (await access)
    ? "Saved. The extension may call this server."
    : `Saved. Without host permission, the server must allow ${extensionOrigin()} (REALISE_CORS_ORIGINS).`;
});
