// Typeset the TeX that meetings/markdown.py leaves in .arithmatex elements:
// <span class="arithmatex">\(...\)</span> inline, <div class="arithmatex">\[...\]</div>
// display. Needs vendor/katex/katex.min.js loaded first. No eval, no inline
// script, so it works under a strict Content-Security-Policy.
(function () {
  "use strict";

  var DELIMITERS = /^\\[([]([\s\S]*)\\[)\]]$/;

  function texOf(element) {
    var text = element.textContent.trim();
    var match = DELIMITERS.exec(text);
    return match ? match[1] : text;
  }

  function renderMath(root) {
    if (typeof window.katex === "undefined") {
      return;
    }
    var scope = root || document;
    var elements = scope.querySelectorAll(".arithmatex");
    Array.prototype.forEach.call(elements, function (element) {
      // Already typeset, or inside another math element that owns it.
      if (element.hasAttribute("data-math-rendered")) {
        return;
      }
      if (element.parentElement && element.parentElement.closest(".arithmatex")) {
        return;
      }
      var displayMode = element.tagName === "DIV";
      window.katex.render(texOf(element), element, {
        displayMode: displayMode,
        throwOnError: false,
      });
      element.setAttribute("data-math-rendered", "");
    });
  }

  window.clubsiteRenderMath = renderMath;

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      renderMath(document);
    });
  } else {
    renderMath(document);
  }
})();
