// Every page: menus, the theme switch, forgetting drafts at sign-out, and maths (KaTeX is
// fetched only when the page has maths on it). No inline script anywhere, so a strict
// Content-Security-Policy (script-src 'self') holds. Everything works without it too.
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.add("js");
  var DRAFT_PREFIX = "clubsite:draft:";

  function storage() {
    try {
      return window.localStorage;
    } catch (e) {
      return null;
    }
  }

  // Drafts are keyed clubsite:draft:<member>:<meeting>:<kind>. Keys from before they named the
  // member (clubsite:draft:<meeting>:<kind>) could be offered to the next account on this
  // browser: forget them.
  function forgetDrafts(all) {
    var store = storage();
    if (!store) return;
    var doomed = [];
    for (var i = 0; i < store.length; i++) {
      var key = store.key(i);
      if (key && key.indexOf(DRAFT_PREFIX) === 0 && (all || key.split(":").length < 5)) doomed.push(key);
    }
    doomed.forEach(function (key) {
      store.removeItem(key);
    });
  }
  forgetDrafts(false);

  document.querySelectorAll("form[data-sign-out]").forEach(function (form) {
    form.addEventListener("submit", function () {
      forgetDrafts(true);
    });
  });

  // After a successful save the meeting page names the draft that is now stored.
  document.querySelectorAll("[data-clear-draft]").forEach(function (el) {
    var store = storage();
    if (store) store.removeItem(el.getAttribute("data-clear-draft"));
  });

  // ---- Menus: <details data-menu> disclosures; Escape and a click elsewhere close them.
  var menus = Array.prototype.slice.call(document.querySelectorAll("details[data-menu]"));
  function closeMenus(except) {
    menus.forEach(function (menu) {
      if (menu !== except) menu.open = false;
    });
  }
  menus.forEach(function (menu) {
    menu.addEventListener("toggle", function () {
      if (menu.open) closeMenus(menu);
    });
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  });
  document.addEventListener("click", function (event) {
    menus.forEach(function (menu) {
      if (menu.open && !menu.contains(event.target)) menu.open = false;
    });
  });

  // ---- Theme: applied at once; the choice is kept on the account (or a cookie) by the server.
  document.querySelectorAll("form[data-theme-form]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || !window.fetch) return;
      event.preventDefault();
      var data = new FormData(form);
      data.set("theme", button.value);
      fetch(form.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-Theme-Fetch": "1" },
      }).then(function (response) {
        if (!response.ok) {
          form.submit();
          return;
        }
        root.setAttribute("data-theme", button.value);
        var meta = document.querySelector('meta[name="color-scheme"]');
        if (meta) meta.content = button.value === "auto" ? "light dark" : button.value;
        form.querySelectorAll("button[name=theme]").forEach(function (other) {
          other.setAttribute("aria-pressed", other === button ? "true" : "false");
        });
        var menu = form.closest("details");
        if (menu) {
          menu.open = false;
          menu.querySelector("summary").focus();
        }
      });
    });
  });

  // ---- Maths: KaTeX (about 300 KB) is loaded only when there is something to typeset.
  var mathLoading = null;
  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }
  function ensureMath(scope) {
    scope = scope || document;
    if (!scope.querySelector(".arithmatex")) return;
    if (!mathLoading) {
      var body = document.body;
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = body.getAttribute("data-katex-css");
      document.head.appendChild(css);
      mathLoading = loadScript(body.getAttribute("data-katex-js")).then(function () {
        return loadScript(body.getAttribute("data-math-js"));
      });
    }
    mathLoading.then(function () {
      if (window.clubsiteRenderMath) window.clubsiteRenderMath(scope);
      if (window.clubsiteFocusableScrollers) window.clubsiteFocusableScrollers(scope);
      root.setAttribute("data-math-done", "");
    });
  }
  window.clubsiteEnsureMath = ensureMath;
  ensureMath(document);
  document.addEventListener("htmx:afterSettle", function (event) {
    ensureMath(event.target);
  });

  // ---- A box that scrolls sideways (wide maths, code, tables) can be scrolled from the keyboard.
  var SCROLLERS = ".markdown pre, .markdown div.arithmatex, .markdown table, .table-wrap, .diff, .conflict-side pre";
  function focusableScrollers(scope) {
    (scope || document).querySelectorAll(SCROLLERS).forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
      } else if (box.getAttribute("tabindex") === "0" && !box.matches("a, button, input, select, textarea")) {
        box.removeAttribute("tabindex");
      }
    });
  }
  window.clubsiteFocusableScrollers = focusableScrollers;
  focusableScrollers(document);
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      focusableScrollers(document);
    }, 150);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    focusableScrollers(event.target);
  });

  // ---- Ticking a research item swaps its row: keep focus on the new checkbox.
  var focusedId = null;
  document.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    focusedId = active && active.id ? active.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!focusedId) return;
    var again = document.getElementById(focusedId);
    var lost = !document.activeElement || document.activeElement === document.body;
    // Only when the swap dropped focus: never pull it back from where the person moved it.
    if (again && lost) again.focus();
    focusedId = null;
  });
})();
