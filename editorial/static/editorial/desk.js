// The change form says when someone else saved this record since it was opened:
// on load (a page restored by Back, or a refused save), every 20 seconds and when
// the window regains focus, before more is typed; and who else is editing it.
(function () {
  "use strict";
  var notice = document.getElementById("desk-freshness");
  var base = document.querySelector("input[name=base_revision]");
  // Who marked the record as being edited since the page was opened, if anyone.
  var editing = document.getElementById("desk-editing-live");
  if (!notice || !base || !base.value) {
    return;
  }
  function check() {
    fetch(notice.dataset.latestUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (editing && data) {
          editing.textContent = data.editing;
          editing.hidden = !data.editing;
        }
        if (data && data.latest_revision && String(data.latest_revision) !== base.value) {
          if (notice.textContent !== data.message) {
            notice.textContent = data.message;
          }
          notice.hidden = false;
        }
      })
      .catch(function () {});
  }
  check();
  window.setInterval(check, 20000);
  window.addEventListener("focus", check);
  window.addEventListener("pageshow", check);
})();
