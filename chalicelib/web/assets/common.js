/* What every page shares (window.Suqiu): the API, element building, field errors, uploads, formats.
 *
 * Plain scripts, no build step, no framework. Text from the server is only ever put into
 * the page as text (textContent), never as HTML. Every URL is relative to the page's folder,
 * which is "/" on the local server and "/api/" behind API Gateway's stage.
 */
"use strict";
(function () {
  const S = (window.Suqiu = window.Suqiu || {});
  S.base = new URL(".", location.href);
  S.url = (path) => new URL(path, S.base).href;

  // ---- the API: one error format {"error": {code, message, fields}} ----------------------
  class ApiError extends Error {
    constructor(status, body, headers) {
      const error = (body && body.error) || {};
      super(error.message || (status ? `请求失败（${status}）` : "网络连接失败，请检查网络后重试"));
      this.status = status;
      this.code = error.code || (status ? "error" : "network");
      this.fields = error.fields || {};
      this.retryAfter = headers && Number(headers.get("Retry-After"));
    }
  }
  S.ApiError = ApiError;

  S.api = async function (path, options = {}) {
    const init = { method: options.method || "GET", headers: Object.assign({}, options.headers) };
    if (options.body !== undefined) {
      init.body = JSON.stringify(options.body);
      init.headers["Content-Type"] = "application/json";
    }
    if (options.token) init.headers.Authorization = "Bearer " + options.token;
    let response;
    try {
      response = await fetch(S.url("api/v1/" + path), init);
    } catch (e) {
      throw new ApiError(0, null);
    }
    if (options.raw && response.ok) return response;
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!response.ok) throw new ApiError(response.status, data, response.headers);
    return data;
  };

  S.query = function (params) {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && value !== "" && value !== false) search.set(name, value);
    }
    const text = search.toString();
    return text ? "?" + text : "";
  };

  // ---- building elements: h("p", {class: "hint"}, "text", child) -------------------------
  // SVG elements the same way: S.svg("circle", {r: 4}).
  S.h = (tag, attrs, ...children) => fill(document.createElement(tag), attrs, children);
  S.svg = (tag, attrs, ...children) => fill(document.createElementNS("http://www.w3.org/2000/svg", tag), attrs, children);

  function fill(node, attrs, children) {
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }
  S.$ = (selector, root) => (root || document).querySelector(selector);
  S.$$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));
  S.clear = (node) => { node.replaceChildren(); return node; };

  // ---- errors next to the fields they concern ---------------------------------------------
  // A field's error goes into the element [data-error-for="<field>"], its input gets
  // aria-invalid; "media.2" falls back to "media". What names no field on the form goes
  // into the form's [data-form-error] box, with the message.
  S.clearErrors = function (form) {
    for (const node of S.$$("[data-error-for]", form)) node.textContent = "";
    for (const node of S.$$("[aria-invalid]", form)) node.removeAttribute("aria-invalid");
    const box = S.$("[data-form-error]", form);
    if (box) box.textContent = "";
  };

  S.showErrors = function (form, error) {
    S.clearErrors(form);
    const unplaced = [];
    let first = null;
    for (const [field, text] of Object.entries(error.fields || {})) {
      const parts = field.split(".");
      let slot = null;
      while (parts.length && !slot) {
        slot = S.$(`[data-error-for="${CSS.escape(parts.join("."))}"]`, form);
        parts.pop();
      }
      if (!slot) { unplaced.push(text); continue; }
      slot.textContent = slot.textContent ? slot.textContent + "；" + text : text;
      const input = slot.id && S.$(`[aria-describedby~="${CSS.escape(slot.id)}"]`, form);
      if (input) {
        input.setAttribute("aria-invalid", "true");
        first = first || input;
      }
    }
    const box = S.$("[data-form-error]", form);
    if (box) box.textContent = [error.message, ...unplaced].join(" ");
    const target = first || box;
    if (target) target.focus();
  };

  // ---- small helpers ------------------------------------------------------------------------
  S.time = function (iso) {
    if (!iso) return "—";
    return iso.slice(0, 16).replace("T", " ");
  };
  S.percent = (rate) => (rate === null || rate === undefined ? "—" : (rate * 100).toFixed(1) + "%");

  S.randomId = function () {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  };

  S.copy = async function (text, button) {
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      const area = S.h("textarea", { class: "visually-hidden", "aria-hidden": "true" }, text);
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    if (button) {
      const label = button.textContent;
      button.textContent = "已复制";
      setTimeout(() => { button.textContent = label; }, 1500);
    }
  };

  S.toast = function (text) {
    let node = S.$("#toast");
    if (!node) {
      node = S.h("div", { id: "toast", class: "toast", role: "status", "aria-live": "polite" });
      document.body.append(node);
    }
    node.textContent = text;
    clearTimeout(S.toast.timer);
    S.toast.timer = setTimeout(() => { node.textContent = ""; }, 4000);
  };

  S.levelBadge = (level) => S.h("span", { class: `badge level-${level.code}` }, level.label);

  // ---- uploads straight to S3 through a presigned POST, with progress ----------------------
  // Some phones give no type for these; the server checks the type it is told against S3's.
  const TYPES_BY_EXTENSION = {
    jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", webp: "image/webp", heic: "image/heic",
    mp4: "video/mp4", mov: "video/quicktime", m4a: "audio/x-m4a", mp3: "audio/mpeg", aac: "audio/aac", amr: "audio/amr",
  };
  S.contentType = (file) => file.type || TYPES_BY_EXTENSION[(file.name.split(".").pop() || "").toLowerCase()] || "";

  // ``call``: how to ask the API for the grant — S.api for a resident, the staff pages' own
  // signed-in call for a result photo, which makes the upload that staff member's alone.
  S.upload = async function (file, onProgress, call = S.api) {
    const grant = await call("uploads", {
      method: "POST",
      body: { filename: file.name || "file", content_type: S.contentType(file), size: file.size },
    });
    await new Promise((resolve, reject) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(grant.fields)) form.append(name, value);
      form.append("file", file);
      const request = new XMLHttpRequest();
      request.open("POST", grant.url);
      request.upload.addEventListener("progress", (e) => e.lengthComputable && onProgress(e.loaded / e.total));
      request.addEventListener("load", () =>
        request.status >= 200 && request.status < 300
          ? resolve()
          : reject(new ApiError(request.status, { error: { message: "文件上传失败，请重试" } })));
      request.addEventListener("error", () => reject(new ApiError(0, { error: { message: "网络中断，文件上传失败，请重试" } })));
      request.send(form);
    });
    onProgress(1);
    return grant.upload_id;
  };

  // A list of files, each uploaded as soon as it is chosen, each with its own progress bar;
  // a failed one can be retried or removed without touching the others or the form.
  S.Uploader = class {
    constructor(list, max, onChange, call) {
      this.list = list;
      this.max = max;
      this.items = [];
      this.onChange = onChange || (() => {});
      this.call = call || S.api;
    }
    add(files) {
      const room = this.max - this.items.length;
      const taken = Array.from(files).slice(0, Math.max(room, 0));
      for (const file of taken) this._start({ file, id: null, state: "uploading" });
      return Array.from(files).length - taken.length; // how many did not fit
    }
    get ids() { return this.items.filter((i) => i.state === "done").map((i) => i.id); }
    get busy() { return this.items.some((i) => i.state === "uploading"); }
    get failed() { return this.items.some((i) => i.state === "failed"); }
    reset() { this.items = []; S.clear(this.list); this.onChange(); }
    _start(item) {
      if (!this.items.includes(item)) {
        this.items.push(item);
        item.row = S.h("li");
        this.list.append(item.row);
      }
      item.state = "uploading";
      this._render(item, 0);
      S.upload(item.file, (share) => this._render(item, share), this.call).then(
        (id) => { item.id = id; item.state = "done"; this._render(item, 1); this.onChange(); },
        (error) => { item.state = "failed"; item.error = error.message; this._render(item, 0); this.onChange(); },
      );
      this.onChange();
    }
    _render(item, share) {
      const status = { uploading: `上传中 ${Math.round(share * 100)}%`, done: "已上传", failed: item.error || "上传失败" }[item.state];
      const remove = S.h("button", { type: "button", class: "secondary", onclick: () => this._remove(item) }, "删除");
      remove.setAttribute("aria-label", `删除 ${item.file.name}`);
      const retry = item.state === "failed"
        ? S.h("button", { type: "button", onclick: () => this._start(item), "aria-label": `重试上传 ${item.file.name}` }, "重试")
        : null;
      item.row.className = item.state;
      item.row.replaceChildren(
        S.h("span", { class: "name" }, item.file.name),
        S.h("span", { class: "inline shrink" }, retry, remove),
        S.h("progress", { max: "100", value: String(Math.round(share * 100)), "aria-label": `${item.file.name} 上传进度` }),
        S.h("span", { class: "status", role: "status" }, status),
      );
    }
    _remove(item) {
      this.items = this.items.filter((i) => i !== item);
      item.row.remove();
      this.onChange();
    }
  };
})();
