// The seminar check-in page (受付): a QR code read by the tablet's camera fills in the code field
// and sends the form, as typing the short code does. The browser's BarcodeDetector is used where
// there is one, else jsQR (static/vendor/jsqr, loaded only then). Progressive enhancement only:
// without this file the typed code and the list work.
(function () {
  "use strict";

  // Undoing a check-in asks first.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  var root = document.getElementById("checkin-scanner");
  var form = document.getElementById("checkin-code-form");
  if (!root || !form || !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) return;
  var SCANNING = "kosha-checkin-scanning";
  var LAST = "kosha-checkin-last";
  // The attendee whose result is on the screen usually still holds the code up when the camera
  // comes back: the same code is not sent again for a few seconds (typing it always is).
  var SAME_CODE_PAUSE_MS = 8000;
  var toggle = root.querySelector("[data-scan-toggle]");
  var video = root.querySelector("video");
  var status = root.querySelector("[data-scan-status]");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var detector = null;
  var stream = null;
  var sent = false;
  root.hidden = false;

  function remember(on) {
    try {
      if (on) window.sessionStorage.setItem(SCANNING, "1");
      else window.sessionStorage.removeItem(SCANNING);
    } catch (e) { /* private mode: the camera is started by hand each time */ }
  }

  function justSent(value) {
    try {
      var last = JSON.parse(window.sessionStorage.getItem(LAST) || "null");
      return !!last && last.value === value && Date.now() - last.at < SAME_CODE_PAUSE_MS;
    } catch (e) { return false; }
  }

  function rememberSent(value) {
    try {
      window.sessionStorage.setItem(LAST, JSON.stringify({ value: value, at: Date.now() }));
    } catch (e) { /* nothing to remember with */ }
  }

  function stop() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
    toggle.textContent = root.getAttribute("data-msg-start");
  }

  function send(value) {
    if (sent || !value) return false;
    if (justSent(value)) return false;
    sent = true;
    rememberSent(value);
    form.elements.code.value = value;
    stop();
    form.submit(); // a normal POST with the form's CSRF token; the page comes back with the result
    return true;
  }

  function loadJsQR() {
    if (window.jsQR) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = root.getAttribute("data-jsqr");
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function decoder() {
    if ("BarcodeDetector" in window) {
      return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") < 0) return loadJsQR();
        detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      }).catch(loadJsQR);
    }
    return loadJsQR();
  }

  function readFrame() {
    if (!stream || sent) return;
    if (video.readyState < 2) { window.setTimeout(readFrame, 150); return; }
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (!(codes.length && send(codes[0].rawValue))) window.setTimeout(readFrame, 150);
      }).catch(function () { window.setTimeout(readFrame, 300); });
      return;
    }
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = context.getImageData(0, 0, canvas.width, canvas.height);
    var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    if (!(code && code.data && send(code.data))) window.setTimeout(readFrame, 150);
  }

  function start() {
    status.textContent = "";
    decoder().then(function () {
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    }).then(function (media) {
      stream = media;
      video.srcObject = media;
      video.hidden = false;
      toggle.textContent = root.getAttribute("data-msg-stop");
      status.textContent = root.getAttribute("data-msg-scanning");
      remember(true);
      return video.play();
    }).then(readFrame).catch(function () {
      stop();
      remember(false);
      status.textContent = root.getAttribute("data-msg-denied");
    });
  }

  toggle.addEventListener("click", function () {
    if (stream) { stop(); remember(false); status.textContent = ""; }
    else start();
  });
  // Scanning one attendee after another: the camera comes back on with the result page.
  var scanning = false;
  try { scanning = window.sessionStorage.getItem(SCANNING) === "1"; } catch (e) { /* none */ }
  if (scanning) start();
})();
