// sohoa review: keyboard shortcuts and field highlighting. Everything also works without JavaScript.
(function () {
  "use strict";
  function click(id) {
    var el = document.getElementById(id);
    if (el) { el.click(); return true; }
    return false;
  }
  document.addEventListener("keydown", function (ev) {
    var ctrl = ev.ctrlKey || ev.metaKey;
    if (ctrl && ev.key === "Enter") {
      if (click("btn-approve") || click("batch-save")) { ev.preventDefault(); }
    } else if (ctrl && (ev.key === "s" || ev.key === "S")) {
      if (click("btn-save") || click("batch-save")) { ev.preventDefault(); }
    } else if (ev.altKey && (ev.key === "k" || ev.key === "K")) {
      if (click("btn-skip")) { ev.preventDefault(); }
    } else if (ev.altKey && (ev.key === "r" || ev.key === "R")) {
      var reason = document.getElementById("reason");
      if (reason) { reason.focus(); ev.preventDefault(); }
    }
  });
  function highlight(boxId, on) {
    var box = document.getElementById(boxId);
    if (!box) { return; }
    box.classList.toggle("active", on);
    if (on && box.scrollIntoView) { box.scrollIntoView({block: "nearest", inline: "nearest"}); }
  }
  document.addEventListener("focusin", function (ev) {
    var id = ev.target && ev.target.getAttribute && ev.target.getAttribute("data-box");
    if (id) { highlight(id, true); }
  });
  document.addEventListener("focusout", function (ev) {
    var id = ev.target && ev.target.getAttribute && ev.target.getAttribute("data-box");
    if (id) { highlight(id, false); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("record-form");
    if (form && !document.getElementById("conflict")) {
      var first = null;
      ["tr.conf-low input.value", "tr.conf-mid input.value", "input.value"].some(function (sel) {
        first = form.querySelector(sel);
        return first !== null;
      });
      if (first && !first.readOnly) { first.focus(); first.select(); }
    }
    var row = document.querySelector(".row-box");
    if (row && row.scrollIntoView) { row.scrollIntoView({block: "center"}); }
  });
})();
