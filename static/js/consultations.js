// Progressive enhancement for the consultation form: the form works without this file.
// Messages come from Django's JavaScript catalogue (gettext, loaded before this file).
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
        ? interpolate(gettext("添付できるファイルは%(max)s件までです。選び直してください。"),
                      { max: MAX_FILES }, true)
        : "";
    });
  });
})();
