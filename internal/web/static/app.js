// Vigie's only script. Every page works without it; it adds a confirmation
// before destructive actions, the mobile menu toggle and small comforts.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Forms with data-confirm ask before submitting (archive, delete, revoke…).
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      e.preventDefault();
    }
  });

  // Mobile navigation: the button opens and closes the menu.
  var toggle = document.querySelector(".nav-toggle");
  var menu = document.getElementById("main-nav");
  if (toggle && menu) {
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", String(!open));
      menu.classList.toggle("open", !open);
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && menu.classList.contains("open")) {
        toggle.setAttribute("aria-expanded", "false");
        menu.classList.remove("open");
        toggle.focus();
      }
    });
  }

  // A secret shown once is selected on focus, ready to copy.
  document.querySelectorAll("[data-select]").forEach(function (el) {
    el.addEventListener("focus", function () { el.select(); });
  });

  // Service level: with "24×7" ticked the hours of each day do not count,
  // so they are greyed out and left alone (the server ignores them too).
  var always = document.getElementById("f-always_open");
  var week = document.getElementById("week-table");
  if (always && week) {
    var sync = function () {
      week.classList.toggle("is-disabled", always.checked);
      week.querySelectorAll("input").forEach(function (input) { input.disabled = always.checked; });
    };
    always.addEventListener("change", sync);
    sync();
  }

  // After a failed submission, move focus to the error summary so that
  // keyboard and screen-reader users land on what needs fixing.
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }
  // Reply templates: choosing one inserts its body (placeholders already
  // filled by the server) at the cursor of the reply box.
  document.querySelectorAll("select[data-insert-into]").forEach(function (sel) {
    var box = document.getElementById(sel.dataset.insertInto);
    if (!box) { return; }
    sel.addEventListener("change", function () {
      var text = sel.value;
      if (!text) { return; }
      var start = box.selectionStart || 0, end = box.selectionEnd || 0;
      if (box.value === "") { start = end = 0; }
      box.value = box.value.slice(0, start) + text + box.value.slice(end);
      box.selectionStart = box.selectionEnd = start + text.length;
      sel.value = "";
      box.focus();
    });
  });
  // Copy buttons (install commands, enrollment token): the text of the
  // element named by data-copy goes to the clipboard; the button says so.
  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    var target = document.getElementById(btn.dataset.copy);
    if (!target || !navigator.clipboard) { btn.hidden = true; return; }
    var label = btn.textContent;
    btn.addEventListener("click", function () {
      var text = "value" in target && target.tagName === "INPUT" ? target.value : target.textContent;
      navigator.clipboard.writeText(text.trim()).then(function () {
        btn.textContent = btn.dataset.copied || label;
        window.setTimeout(function () { btn.textContent = label; }, 2000);
      });
    });
  });

  // Asset form: show only the fields of the chosen kind (the server reads
  // only those; without the script every field stays visible).
  document.querySelectorAll("[data-kind-fields]").forEach(function (set) {
    var kind = document.getElementById(set.dataset.kindFields);
    if (!kind) { return; }
    var sync = function () {
      set.querySelectorAll("[data-kinds]").forEach(function (el) {
        el.classList.toggle("is-hidden", el.dataset.kinds.split(" ").indexOf(kind.value) < 0);
      });
    };
    kind.addEventListener("change", sync);
    sync();
  });
})();
