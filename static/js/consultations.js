// Progressive enhancement for the consultation form: the form works without this file.
(function () {
  "use strict";
  var MAX_FILES = 5;
  document.querySelectorAll('input[type="file"][name="attachments"]').forEach(function (input) {
    var note = document.createElement("p");
    note.className = "small text-danger";
    note.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", note);
    input.addEventListener("change", function () {
      note.textContent = input.files.length > MAX_FILES
        ? "添付できるファイルは" + MAX_FILES + "件までです。選び直してください。" : "";
    });
  });
})();
