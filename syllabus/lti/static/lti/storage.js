/* LTI launches in a browser that keeps no cookie in the LMS frame (LMS-1).
 *
 * 1EdTech "LTI Client Side postMessages" and "OIDC Login with LTI Client Side postMessages":
 * the platform offers a frame (lti_storage_target) that keeps values for the tool.
 *   put  (login page):  store state_<state> and nonce_<nonce> there, then go to the platform's
 *                       authorization endpoint;
 *   get  (launch page): read them back; send the launch on, marked verified or with why not;
 *   land (after a launch read back so): is the session cookie kept?  Go on, or offer
 *                       "Open in a new window".
 * Every message goes to the platform's origin (its OIDC authorization URL's), and every answer
 * from another origin, or not answering our message_id, is ignored.  Configuration: the JSON of
 * <script id="lti-storage" type="application/json"> (no inline script: strict CSP).
 */
(function () {
  "use strict";
  var holder = document.getElementById("lti-storage");
  if (!holder) { return; }
  var cfg = JSON.parse(holder.textContent);

  function messageId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function platformWindow() {
    if (window.parent && window.parent !== window) { return window.parent; }
    return window.opener || null;
  }

  function frameNamed(name) {
    var top = platformWindow();
    if (!top) { return null; }
    if (!name || name === "_parent") { return top; }
    try { return top.frames[name] || null; } catch (e) { return null; }
  }

  // one request, one answer: {subject}.response with our message_id, from the platform's origin
  function ask(target, message, waitMs) {
    return new Promise(function (resolve, reject) {
      if (!target) { reject(new Error("no_frame")); return; }
      var id = messageId();
      var timer = null;
      function onMessage(event) {
        if (event.origin !== cfg.origin) { return; }           // not the platform: ignored
        var data = event.data;
        if (!data || typeof data !== "object" || data.message_id !== id ||
            data.subject !== message.subject + ".response") { return; }
        window.removeEventListener("message", onMessage);
        window.clearTimeout(timer);
        if (data.error) { reject(new Error(String(data.error.code || "error"))); } else { resolve(data); }
      }
      window.addEventListener("message", onMessage);
      timer = window.setTimeout(function () {
        window.removeEventListener("message", onMessage);
        reject(new Error("timeout"));
      }, waitMs);
      var body = {subject: message.subject, message_id: id};
      Object.keys(message).forEach(function (k) { body[k] = message[k]; });
      target.postMessage(body, cfg.origin);
    });
  }

  // lti.capabilities (optional): the platform may name another frame for put_data/get_data
  function storageFrame(subject) {
    return ask(platformWindow(), {subject: "lti.capabilities"}, cfg.capabilities_ms).then(function (answer) {
      var found = (answer.supported_messages || []).filter(function (m) { return m && m.subject === subject; })[0];
      if (!found) { throw new Error("unsupported_subject"); }
      return frameNamed(found.frame || cfg.target);
    }, function () { return frameNamed(cfg.target); });
  }

  function put(frame, key, value) {
    return ask(frame, {subject: "lti.put_data", key: key, value: value}, cfg.wait_ms).then(function (answer) {
      if (answer.key !== key) { throw new Error("bad_response"); }
    });
  }

  function get(frame, key, expected) {
    return ask(frame, {subject: "lti.get_data", key: key}, cfg.wait_ms).then(function (answer) {
      if (answer.key !== key || answer.value !== expected) { throw new Error("value_mismatch"); }
    });
  }

  function reason(error) {
    var text = (error && error.message) || "error";
    return /^[a-z_]{1,40}$/.test(text) ? text : "error";
  }

  if (cfg.mode === "put") {
    var go = function () { window.location.replace(cfg.next); };
    storageFrame("lti.put_data").then(function (frame) {
      return put(frame, "state_" + cfg.state, cfg.state).then(function () {
        return put(frame, "nonce_" + cfg.nonce, cfg.nonce);
      });
    }).then(go, go);   // not stored: the state cookie may still do
  } else if (cfg.mode === "get") {
    var form = document.getElementById("lti-launch-form");
    var send = function (value) { form.elements.lti_storage.value = value; form.submit(); };
    storageFrame("lti.get_data").then(function (frame) {
      return get(frame, "state_" + cfg.state, cfg.state).then(function () {
        return get(frame, "nonce_" + cfg.nonce, cfg.nonce);
      });
    }).then(function () { send("verified"); }, function (error) { send(reason(error)); });
  } else if (cfg.mode === "land") {
    var fallback = function () {
      var box = document.getElementById("lti-new-window");
      var wait = document.getElementById("lti-opening");
      if (wait) { wait.hidden = true; }
      if (box) { box.hidden = false; }
    };
    window.fetch(cfg.check, {credentials: "same-origin", cache: "no-store"}).then(function (answer) {
      return answer.ok ? answer.json() : {kept: false};
    }).then(function (answer) {
      if (answer.kept) { window.location.replace(cfg.next); } else { fallback(); }
    }, fallback);
  }
}());
