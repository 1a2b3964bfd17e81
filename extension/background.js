// The service worker: two context-menu items on selected text, and the hand-off of that text
// to the side panel, which calls the service and shows the result.

const MODE_BY_MENU_ITEM = { "realise-rewrite": "rewrite", "realise-lint": "lint" };

chrome.runtime.onInstalled.addListener(() => {
  // Menu items outlive the worker and survive updates; recreating them on top would fail on duplicate ids.
  chrome.contextMenus.removeAll(() => {
    chrome.contextMenus.create({ id: "realise-rewrite", title: "Realise this", contexts: ["selection"] });
    chrome.contextMenus.create({ id: "realise-lint", title: "Check this objective", contexts: ["selection"] });
  });
  chrome.sidePanel.setPanelBehavior({ openPanelOnActionClick: true });
});

/**
 * Opens the side panel and passes it the selection through chrome.storage.session: held in
 * memory only, readable by this extension's pages but not by content scripts or web pages.
 * The panel reads it when it loads and listens for the next one while it is open.
 * (tests/browser/test_extension.py calls this as Chrome would: menus are native UI.)
 */
function handOffSelection(info, tab) {
  const mode = MODE_BY_MENU_ITEM[info.menuItemId];
  if (!mode) return Promise.resolve();
  // Open before awaiting anything: Chrome allows sidePanel.open() only while the click's user gesture lasts.
  chrome.sidePanel.open({ tabId: tab.id }).catch((error) => console.error("realise: cannot open the side panel", error));
  return chrome.storage.session.set({ handoff: { id: crypto.randomUUID(), mode, text: info.selectionText } });
}

chrome.contextMenus.onClicked.addListener(handOffSelection);
