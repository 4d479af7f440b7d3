// Progressive enhancement only: every form works without this file.
(function () {
  "use strict";

  // Postal-code autofill: fields marked data-postal-autofill fill the prefecture, municipality
  // and address fields that share their name prefix (org_postal_code → org_prefecture, ...).
  function autofill(input) {
    var prefix = input.name.replace(/postal_code$/, "");
    var form = input.form;
    var digits = input.value.replace(/[０-９]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xfee0);
    }).replace(/\D/g, "");
    if (digits.length !== 7 || !form) return;
    fetch("/api/postal-code/?code=" + digits, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.areas.length) return;
        var area = data.areas[0];
        var set = function (name, value, onlyIfEmpty) {
          var el = form.elements[prefix + name];
          if (el && (!onlyIfEmpty || !el.value)) el.value = value;
        };
        set("prefecture", area.prefecture, false);
        set("municipality", area.municipality, false);
        // An office or PO-box code (事業所個別番号) also knows the street number.
        var address = area.town + (area.street || "");
        set("address", address, true);
        var status = document.getElementById(input.id + "-autofill-status");
        if (status) {
          status.textContent =
            (area.office_name ? area.office_name + " " : "") +
            area.prefecture + area.municipality + address;
        }
      })
      .catch(function () { /* the user types the address by hand */ });
  }

  document.querySelectorAll("[data-postal-autofill]").forEach(function (input) {
    var status = document.createElement("span");
    status.id = input.id + "-autofill-status";
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", status);
    input.addEventListener("change", function () { autofill(input); });
    input.addEventListener("blur", function () { autofill(input); });
  });

  // Move focus to the error summary so screen-reader and keyboard users hear what to fix.
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
