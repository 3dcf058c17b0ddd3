// Progressive enhancement of forms: live word counts, one submission per click, file size before upload.
// The server counts, limits and checks everything again.
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
  // A file past the slot's limit is refused before it is sent (the server checks again while reading).
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    input.addEventListener("change", function () {
      var max = parseInt(input.getAttribute("data-max-bytes"), 10);
      var file = input.files && input.files[0];
      input.setCustomValidity(file && file.size > max ? input.getAttribute("data-too-large") : "");
      input.reportValidity();
    });
  });
})();
