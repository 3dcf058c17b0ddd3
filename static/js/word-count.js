// Progressive enhancement: a live word count under long answers. The server counts and enforces the limit.
(function () {
  "use strict";
  function words(text) {
    var trimmed = text.trim();
    return trimmed ? trimmed.split(/\s+/).length : 0;
  }
  document.querySelectorAll("textarea[data-max-words]").forEach(function (area) {
    var output = document.getElementById(area.id + "-count");
    if (!output) { return; }
    var max = parseInt(area.getAttribute("data-max-words"), 10);
    var template = output.getAttribute("data-template") || "%(count)s / %(max)s";
    function update() {
      var count = words(area.value);
      output.textContent = template.replace("%(count)s", count).replace("%(max)s", max);
      output.classList.toggle("over-limit", count > max);
    }
    area.addEventListener("input", update);
    update();
  });
  // A second click on a submit button while the first submission is on its way does nothing.
  document.querySelectorAll("[data-prevent-double-submit]").forEach(function (button) {
    var form = button.form;
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      if (form.dataset.submitting === "1") { event.preventDefault(); return; }
      form.dataset.submitting = "1";
    });
  });
})();
