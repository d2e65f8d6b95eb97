// The minutes editor: keeps an unsaved draft in this browser and offers it back,
// and renders maths in the live preview. Works without it (a plain form POST).
(function () {
  "use strict";

  function storage() {
    try {
      return window.localStorage;
    } catch (e) {
      return null; // private mode or storage disabled: drafts are simply not kept
    }
  }

  function readDraft(key) {
    var store = storage();
    if (!store) return null;
    try {
      var draft = JSON.parse(store.getItem(key) || "null");
      return draft && typeof draft.body === "string" ? draft : null;
    } catch (e) {
      return null;
    }
  }

  // After a successful save the meeting page names the draft that is now stored.
  document.querySelectorAll("[data-clear-draft]").forEach(function (el) {
    var store = storage();
    if (store) store.removeItem(el.getAttribute("data-clear-draft"));
  });

  var form = document.getElementById("minutes-form");
  if (!form) return;
  var key = form.getAttribute("data-draft-key");
  var textarea = form.querySelector("textarea[name=body]");
  var base = form.querySelector("input[name=base_revision]");
  var preview = document.getElementById("preview");
  var offer = document.getElementById("draft-offer");

  function saveDraft() {
    var store = storage();
    if (!store) return;
    try {
      store.setItem(
        key,
        JSON.stringify({ body: textarea.value, base: Number(base.value), savedAt: new Date().toISOString() })
      );
    } catch (e) {
      /* quota exceeded: keep typing, the server copy is the fallback */
    }
  }

  function refreshPreview() {
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  var draft = readDraft(key);
  if (draft && draft.body !== textarea.value) {
    offer.hidden = false;
    offer.querySelector("[data-draft-time]").textContent = new Date(draft.savedAt).toLocaleString();
    offer.querySelector("[data-draft-restore]").addEventListener("click", function () {
      textarea.value = draft.body;
      // Save against the revision the draft started from, so a newer save by
      // someone else shows the conflict view instead of being overwritten.
      if (!isNaN(draft.base)) base.value = String(draft.base);
      offer.hidden = true;
      refreshPreview();
      textarea.focus();
    });
    offer.querySelector("[data-draft-discard]").addEventListener("click", function () {
      var store = storage();
      if (store) store.removeItem(key);
      offer.hidden = true;
      textarea.focus();
    });
  }

  textarea.addEventListener("input", saveDraft);

  function renderMath() {
    if (window.clubsiteRenderMath && preview) window.clubsiteRenderMath(preview);
  }
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target === preview) renderMath();
  });
})();
