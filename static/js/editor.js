// The minutes editor: a textarea that grows with its text, a keyboard-friendly toolbar,
// Write / Preview tabs on narrow screens, an unsaved draft kept in this browser (per member
// and meeting) and offered back, a warning before leaving unsaved text, and the conflict
// view's "keep mine / theirs / both". Without it the page is a plain form that still saves.
(function () {
  "use strict";

  var form = document.getElementById("minutes-form");
  if (!form) return;
  var key = form.getAttribute("data-draft-key");
  var textarea = form.querySelector("textarea[name=body]");
  var base = form.querySelector("input[name=base_revision]");
  var preview = document.getElementById("preview");
  var offer = document.getElementById("draft-offer");
  var inConflict = form.hasAttribute("data-conflict");

  function storage() {
    try {
      return window.localStorage;
    } catch (e) {
      return null; // private mode or storage disabled: drafts are simply not kept
    }
  }

  function readDraft() {
    var store = storage();
    if (!store) return null;
    try {
      var draft = JSON.parse(store.getItem(key) || "null");
      return draft && typeof draft.body === "string" ? draft : null;
    } catch (e) {
      return null;
    }
  }

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

  // Something changed the text from a script: tell the preview, the draft and the height.
  function changed() {
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // ---- Grows with its content (the page scrolls, not the box).
  function grow() {
    var scrollY = window.scrollY;
    textarea.style.height = "auto";
    textarea.style.height = textarea.scrollHeight + 2 + "px";
    window.scrollTo(window.scrollX, scrollY);
  }
  textarea.addEventListener("input", grow);
  window.addEventListener("resize", grow);
  grow();

  // ---- Unsaved text: kept as a draft, and a warning before leaving the page.
  var savedText = inConflict ? null : textarea.value;
  var submitting = false;
  function dirty() {
    return !submitting && textarea.value !== savedText;
  }
  textarea.addEventListener("input", saveDraft);
  form.addEventListener("submit", function () {
    submitting = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty()) return;
    event.preventDefault();
    event.returnValue = "";
  });
  // My text exists only here until it is saved: in a conflict, or typed before this script ran.
  if (inConflict || textarea.value !== textarea.defaultValue) saveDraft();

  var draft = readDraft();
  if (!inConflict && draft && draft.body !== textarea.value) {
    offer.hidden = false;
    offer.querySelector("[data-draft-time]").textContent = new Date(draft.savedAt).toLocaleString();
    offer.querySelector("[data-draft-restore]").addEventListener("click", function () {
      textarea.value = draft.body;
      // Save against the revision the draft started from, so a newer save by someone
      // else is merged with it (or shown as a conflict) instead of being overwritten.
      if (!isNaN(draft.base)) base.value = String(draft.base);
      offer.hidden = true;
      changed();
      textarea.focus();
    });
    offer.querySelector("[data-draft-discard]").addEventListener("click", function () {
      var store = storage();
      if (store) store.removeItem(key);
      offer.hidden = true;
      textarea.focus();
    });
  }

  // ---- Toolbar: one tab stop, arrow keys move between buttons (the ARIA toolbar pattern).
  var toolbar = form.querySelector("[data-toolbar]");
  var researchPanel = document.querySelector("[data-research-panel]");

  function wrap(before, after, placeholder) {
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    var selected = textarea.value.slice(start, end) || placeholder;
    textarea.setRangeText(before + selected + after, start, end, "end");
    textarea.setSelectionRange(start + before.length, start + before.length + selected.length);
  }

  function prefixLines(prefix) {
    var value = textarea.value;
    var start = value.lastIndexOf("\n", textarea.selectionStart - 1) + 1;
    var end = textarea.selectionEnd;
    var lines = value.slice(start, end).split("\n");
    var text = lines
      .map(function (line) {
        return prefix + line;
      })
      .join("\n");
    textarea.setRangeText(text, start, end, "end");
    if (!value.slice(start, end)) textarea.setSelectionRange(start + prefix.length, start + prefix.length);
  }

  var formats = {
    bold: function () {
      wrap("**", "**", "bold text");
    },
    italic: function () {
      wrap("_", "_", "italic text");
    },
    link: function () {
      var start = textarea.selectionStart;
      var selected = textarea.value.slice(start, textarea.selectionEnd) || "link text";
      textarea.setRangeText("[" + selected + "](https://)", start, textarea.selectionEnd, "end");
      var url = start + selected.length + 3;
      textarea.setSelectionRange(url, url + 8);
    },
    code: function () {
      var selected = textarea.value.slice(textarea.selectionStart, textarea.selectionEnd);
      if (selected.indexOf("\n") >= 0) wrap("```\n", "\n```", "");
      else wrap("`", "`", "code");
    },
    math: function () {
      wrap("$", "$", "E = mc^2");
    },
    checklist: function () {
      prefixLines("- [ ] ");
    },
  };

  function toggleResearch(button) {
    var open = researchPanel.hidden;
    researchPanel.hidden = !open;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      var lines = researchPanel.querySelector("textarea");
      var selected = textarea.value.slice(textarea.selectionStart, textarea.selectionEnd).trim();
      if (selected && lines && !lines.value) lines.value = selected;
      if (lines) lines.focus();
    }
  }

  if (toolbar) {
    toolbar.hidden = false;
    var buttons = Array.prototype.slice.call(toolbar.querySelectorAll("button"));
    buttons.forEach(function (button, index) {
      button.addEventListener("click", function () {
        buttons.forEach(function (other) {
          other.tabIndex = other === button ? 0 : -1;
        });
        var name = button.getAttribute("data-format");
        if (name === "research") {
          toggleResearch(button);
          return;
        }
        textarea.focus();
        formats[name]();
        changed();
      });
      button.addEventListener("keydown", function (event) {
        var next = null;
        if (event.key === "ArrowRight") next = buttons[(index + 1) % buttons.length];
        else if (event.key === "ArrowLeft") next = buttons[(index - 1 + buttons.length) % buttons.length];
        else if (event.key === "Home") next = buttons[0];
        else if (event.key === "End") next = buttons[buttons.length - 1];
        if (!next) return;
        event.preventDefault();
        buttons.forEach(function (other) {
          other.tabIndex = other === next ? 0 : -1;
        });
        next.focus();
      });
    });
    textarea.addEventListener("keydown", function (event) {
      if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
      var name = { b: "bold", i: "italic", k: "link" }[event.key.toLowerCase()];
      if (!name) return;
      event.preventDefault();
      formats[name]();
      changed();
    });
  }
  if (researchPanel) {
    researchPanel.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      var button = toolbar && toolbar.querySelector('[data-format="research"]');
      researchPanel.hidden = true;
      if (button) {
        button.setAttribute("aria-expanded", "false");
        button.focus();
      }
    });
  }

  // ---- Write / Preview tabs on narrow screens; side by side on wide ones.
  var tabs = form.querySelector("[data-editor-tabs]");
  var panes = { write: document.getElementById("pane-write"), preview: document.getElementById("pane-preview") };
  var tabWrite = document.getElementById("tab-write");
  var tabPreview = document.getElementById("tab-preview");
  var narrow = window.matchMedia("(max-width: 59.99rem)");

  function select(which, focus) {
    var write = which === "write";
    tabWrite.setAttribute("aria-selected", write ? "true" : "false");
    tabPreview.setAttribute("aria-selected", write ? "false" : "true");
    tabWrite.tabIndex = write ? 0 : -1;
    tabPreview.tabIndex = write ? -1 : 0;
    panes.write.hidden = !write;
    panes.preview.hidden = write;
    if (focus) (write ? tabWrite : tabPreview).focus();
    if (write) grow();
  }

  function layout() {
    if (narrow.matches) {
      tabs.hidden = false;
      panes.write.setAttribute("role", "tabpanel");
      panes.write.setAttribute("aria-labelledby", "tab-write");
      panes.preview.setAttribute("role", "tabpanel");
      panes.preview.setAttribute("aria-labelledby", "tab-preview");
      select(tabPreview.getAttribute("aria-selected") === "true" ? "preview" : "write", false);
    } else {
      tabs.hidden = true;
      ["write", "preview"].forEach(function (name) {
        panes[name].hidden = false;
        panes[name].removeAttribute("role");
        panes[name].removeAttribute("aria-labelledby");
      });
      grow();
    }
  }
  if (tabs) {
    tabWrite.addEventListener("click", function () {
      select("write", false);
    });
    tabPreview.addEventListener("click", function () {
      select("preview", false);
    });
    tabs.addEventListener("keydown", function (event) {
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        event.preventDefault();
        select(tabWrite.getAttribute("aria-selected") === "true" ? "preview" : "write", true);
      }
    });
    if (narrow.addEventListener) narrow.addEventListener("change", layout);
    layout();
  }

  form.setAttribute("data-editor-ready", "");

  // ---- Maths in the live preview (KaTeX is fetched the first time there is some).
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target === preview && window.clubsiteEnsureMath) {
      window.clubsiteEnsureMath(preview);
    }
  });

  // ---- Conflict view: per overlapping hunk, keep mine, theirs or both. The text is only ever
  // changed where the hunk still stands as the page left it; hand edits are never replaced.
  var segmentsData = document.getElementById("merge-segments");
  if (!segmentsData) return;
  var segments = JSON.parse(segmentsData.textContent);
  var hunks = {};
  segments.forEach(function (segment, position) {
    if (segment.hunk === undefined) return;
    var before = position > 0 && segments[position - 1].same !== undefined ? segments[position - 1].same : "";
    var after =
      position < segments.length - 1 && segments[position + 1].same !== undefined ? segments[position + 1].same : "";
    hunks[segment.hunk] = {
      mine: segment.mine,
      theirs: segment.theirs,
      current: segment.mine,
      first: position === 0,
      last: position === segments.length - 1,
      prefix: before.slice(-200),
      suffix: after.slice(0, 200),
    };
  });

  function locate(hunk) {
    var text = textarea.value;
    var needle = hunk.prefix + hunk.current + hunk.suffix;
    var found = [];
    var from = 0;
    while (from <= text.length) {
      var at = text.indexOf(needle, from);
      if (at < 0) break;
      var okStart = hunk.prefix || !hunk.first || at === 0;
      var okEnd = hunk.suffix || !hunk.last || at + needle.length === text.length;
      if (okStart && okEnd) found.push(at);
      from = at + 1;
    }
    return found.length === 1 ? found[0] + hunk.prefix.length : -1;
  }

  function keepBoth(hunk) {
    var mine = hunk.mine;
    if (mine && mine.slice(-1) !== "\n" && hunk.theirs) mine += "\n";
    return mine + hunk.theirs;
  }

  var LABELS = { mine: "Keeping mine.", theirs: "Keeping theirs.", both: "Keeping both: mine, then theirs." };
  document.querySelectorAll("[data-hunk]").forEach(function (section) {
    var hunk = hunks[section.getAttribute("data-hunk")];
    var choices = section.querySelector("[data-hunk-choices]");
    var status = section.querySelector("[data-hunk-status]");
    if (!hunk || !choices) return;
    choices.hidden = false;
    choices.querySelectorAll("[data-choose]").forEach(function (button) {
      button.addEventListener("click", function () {
        var choice = button.getAttribute("data-choose");
        var replacement = choice === "mine" ? hunk.mine : choice === "theirs" ? hunk.theirs : keepBoth(hunk);
        var at = locate(hunk);
        if (at < 0) {
          status.textContent = "You have changed these lines in the editor: copy what you need by hand.";
          return;
        }
        textarea.setRangeText(replacement, at, at + hunk.current.length, "select");
        hunk.current = replacement;
        choices.querySelectorAll("[data-choose]").forEach(function (other) {
          other.setAttribute("aria-pressed", other === button ? "true" : "false");
        });
        status.textContent = LABELS[choice];
        changed();
      });
    });
  });
  var first = document.querySelector("[data-hunk]");
  if (first) {
    first.focus();
  }
})();
