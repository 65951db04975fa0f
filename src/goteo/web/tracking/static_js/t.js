/* Goteo tracking snippet: page views, custom events and identify (docs/tracking.md). */
(function (window, document, navigator) {
  "use strict";
  var COOKIE = "_goteo_aid", ID_KEY = "goteo_aid", CONSENT_KEY = "goteo_consent";
  var TWO_YEARS = 63072000;
  var script = document.currentScript;
  var queued = window.goteo;
  if (!script || (queued && queued.loaded)) return;
  var origin = new URL(script.src, location.href).origin;
  var endpoint = origin + "/t/collect";
  var consentRequired = script.getAttribute("data-consent") === "required";
  var decision = storage("get", CONSENT_KEY); // "granted", "denied" or nothing yet
  var granted = decision !== "denied" && (!consentRequired || decision === "granted");
  var waiting = []; // calls made before consent was given

  function storage(action, key, value) {
    try {
      if (action === "get") return window.localStorage.getItem(key);
      if (action === "set") window.localStorage.setItem(key, value);
      else window.localStorage.removeItem(key);
    } catch (e) { /* storage disabled: the cookie alone is used */ }
    return null;
  }

  function optedOut() {
    return navigator.doNotTrack === "1" || window.doNotTrack === "1" ||
      navigator.globalPrivacyControl === true;
  }

  function randomId() {
    var bytes = new Uint8Array(16), out = "";
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(bytes);
    else for (var j = 0; j < 16; j++) bytes[j] = Math.floor(Math.random() * 256);
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] + 256).toString(16).slice(1);
    return out;
  }

  function valid(id) { return typeof id === "string" && /^[A-Za-z0-9_-]{16,64}$/.test(id); }

  function cookieId() {
    var match = document.cookie.match(new RegExp("(?:^|; )" + COOKIE + "=([^;]*)"));
    return match ? match[1] : null;
  }

  function writeCookie(value, maxAge) {
    var secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = COOKIE + "=" + value + "; path=/; max-age=" + maxAge +
      "; SameSite=Lax" + secure;
  }

  function visitorId() {
    var id = cookieId();
    if (!valid(id)) id = storage("get", ID_KEY);
    if (!valid(id)) id = randomId();
    writeCookie(id, TWO_YEARS);
    storage("set", ID_KEY, id);
    return id;
  }

  function forget() {
    writeCookie("", 0);
    storage("remove", ID_KEY);
    var inputs = document.querySelectorAll("form input[name='" + COOKIE + "']");
    for (var i = 0; i < inputs.length; i++) inputs[i].parentNode.removeChild(inputs[i]);
  }

  function send(body) {
    var data = JSON.stringify(body);
    // text/plain needs no CORS preflight; the server reads the body as JSON.
    try {
      if (navigator.sendBeacon &&
          navigator.sendBeacon(endpoint, new Blob([data], { type: "text/plain" }))) return;
    } catch (e) { /* fall through to fetch */ }
    if (window.fetch) {
      window.fetch(endpoint, {
        method: "POST", body: data, keepalive: true, credentials: "omit", mode: "cors",
        headers: { "Content-Type": "text/plain" }
      }).catch(function () {});
    }
  }

  function allowed(call) {
    if (optedOut()) return false;
    if (granted) return true;
    waiting.push(call);
    return false;
  }

  function track(name, properties) {
    if (!allowed(["track", name, properties])) return;
    var event = { id: randomId(), name: String(name), properties: properties || {} };
    send({ anonymous_id: visitorId(), events: [event] });
  }

  function identify(email) {
    if (!allowed(["identify", email])) return;
    send({ anonymous_id: visitorId(), email: String(email), events: [] });
    fillForms();
  }

  function page() {
    track("page_view", { url: location.href, title: document.title, referrer: document.referrer });
  }

  // consent(false) forgets the visitor and sends nothing more, on every page, until
  // consent(true); only the decision itself is kept, in localStorage.
  function consent(yes) {
    if (!yes) {
      granted = false;
      waiting = [];
      forget();
      storage("set", CONSENT_KEY, "denied");
      return;
    }
    granted = true;
    storage("set", CONSENT_KEY, "granted");
    var calls = waiting;
    waiting = [];
    for (var i = 0; i < calls.length; i++) run(calls[i]);
    fillForms();
  }

  // Goteo forms embedded in this site post to Goteo, which cannot read this site's cookie:
  // they carry the visitor id in a hidden field, so subscribing merges the visitor's history.
  function fillForms() {
    if (optedOut() || !granted) return;
    var forms = document.querySelectorAll("form[action*='/f/']");
    for (var i = 0; i < forms.length; i++) {
      var form = forms[i];
      if (new URL(form.action, location.href).origin !== origin) continue;
      var input = form.querySelector("input[name='" + COOKIE + "']");
      if (!input) {
        input = document.createElement("input");
        input.type = "hidden";
        input.name = COOKIE;
        form.appendChild(input);
      }
      input.value = visitorId();
    }
  }

  var methods = { track: track, identify: identify, page: page, consent: consent };

  function run(call) {
    var method = call && methods[call[0]];
    if (method) method.apply(null, Array.prototype.slice.call(call, 1));
  }

  var api = {
    loaded: true, track: track, identify: identify, page: page, consent: consent,
    push: function (call) { run(call); }
  };
  window.goteo = api;
  if (queued && queued.length) for (var k = 0; k < queued.length; k++) run(queued[k]);
  page();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fillForms);
  else fillForms();
})(window, document, navigator);
