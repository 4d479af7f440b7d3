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

  // Amounts of yen (資本金): say what was read from 「1億」「5,000万円」「50,000,000円」 while the
  // user types. The server reads the same way (kosha_portal/japan/normalize.py parse_yen) and
  // fills the same line when the form comes back.
  var BIG = [["兆", 1e12], ["億", 1e8], ["万", 1e4]];
  var SMALL = [["千", 1000], ["百", 100], ["十", 10]];
  var NUMBER = /^\d+(\.\d+)?$/;
  function smallGroup(text) {
    if (!text) return null;
    if (NUMBER.test(text)) return parseFloat(text);
    var total = 0, rest = text;
    for (var i = 0; i < SMALL.length; i++) {
      var at = rest.indexOf(SMALL[i][0]);
      if (at < 0) continue;
      var head = rest.slice(0, at);
      rest = rest.slice(at + 1);
      if (head === "") total += SMALL[i][1];
      else if (NUMBER.test(head)) total += parseFloat(head) * SMALL[i][1];
      else return null;
    }
    if (rest) {
      if (!NUMBER.test(rest)) return null;
      total += parseFloat(rest);
    }
    return total;
  }
  function parseYen(value) {
    var text = value.normalize("NFKC").replace(/[\s,，、]/g, "")
      .replace(/^(金|[¥￥\\])/, "").replace(/(円|えん|エン)(也)?$/, "")
      .replace(/[〇一二三四五六七八九]/g, function (c) { return "〇一二三四五六七八九".indexOf(c); });
    if (!text) return null;
    var total = 0, rest = text;
    for (var i = 0; i < BIG.length; i++) {
      var at = rest.indexOf(BIG[i][0]);
      if (at < 0) continue;
      var group = smallGroup(rest.slice(0, at));
      if (group === null) return null;
      total += group * BIG[i][1];
      rest = rest.slice(at + 1);
    }
    if (rest) {
      var last = smallGroup(rest);
      if (last === null) return null;
      total += last;
    }
    total = Math.round(total * 1e6) / 1e6;
    return Number.isInteger(total) && total <= 1e15 ? total : null;
  }
  function spoken(amount) {
    if (amount === 0) return "0円";
    var parts = [], rest = amount;
    BIG.forEach(function (unit) {
      if (rest >= unit[1]) {
        parts.push(Math.floor(rest / unit[1]).toLocaleString("ja-JP") + unit[0]);
        rest = rest % unit[1];
      }
    });
    if (rest) parts.push(rest.toLocaleString("ja-JP"));
    return parts.join("") + "円";
  }
  document.querySelectorAll("[data-yen-field]").forEach(function (input) {
    var readout = document.getElementById(input.id + "_readout");
    if (!readout) return;
    var template = readout.getAttribute("data-template") || "%(amount)s（%(spoken)s）";
    input.addEventListener("input", function () {
      var amount = parseYen(input.value);
      readout.textContent = amount === null ? "" : template
        .replace("%(amount)s", amount.toLocaleString("ja-JP") + "円")
        .replace("%(spoken)s", spoken(amount));
    });
  });

  // Move focus to the error summary so screen-reader and keyboard users hear what to fix.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    // A summary link moves focus to its field (a group's first input) and shows the field's
    // label or the group's legend above it, not just the input at the top edge.
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-summary-target]");
      if (!link) return;
      var input = document.getElementById(link.getAttribute("data-summary-target"));
      if (!input) return;
      event.preventDefault();
      var grouped = input.type === "radio" || input.type === "checkbox";
      var fieldset = grouped ? input.closest("fieldset") : null;
      var legend = fieldset ? fieldset.querySelector("legend") : null;
      var label = legend || document.querySelector('label[for="' + input.id + '"]') || input;
      input.focus({ preventScroll: true });
      label.scrollIntoView({ block: "start" });
      if (history.replaceState) history.replaceState(null, "", "#" + input.id);
    });
  }
})();
