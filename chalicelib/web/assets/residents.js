/* The residents' page (/): report a problem, follow it, rate it, list one's own requests.
 *
 * Reporting: type, description (with the category suggestion as one types), category,
 * photos/videos/recordings uploaded one by one straight to S3, location from the browser
 * (WGS-84) or, without it, the chosen area's own point, anonymous or named with an SMS code.
 * The Idempotency-Key is made once per filled-in form, so a retry after a lost answer
 * cannot file the request twice.
 */
"use strict";
(function () {
  const S = window.Suqiu;
  const { h, $ } = S;
  let catalog = null;
  let located = null; // {lat, lng, coord_system} from the browser
  let idempotencyKey = S.randomId();
  let uploader = null;

  // ---- views -------------------------------------------------------------------------
  function show(view) {
    const name = ["report", "track", "mine"].includes(view) ? view : "report";
    for (const section of S.$$("[data-view]")) section.hidden = section.id !== name;
    for (const link of S.$$("[data-tab]")) {
      if (link.dataset.tab === name) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }
  window.addEventListener("hashchange", () => show(location.hash.slice(1)));

  // ---- the catalogue -------------------------------------------------------------------
  function areaOptions(select, areas, depth, prompt) {
    if (prompt) select.append(h("option", { value: "" }, prompt));
    for (const area of areas) {
      select.append(h("option", { value: area.code }, "\u3000".repeat(depth) + area.name));
      areaOptions(select, area.children, depth + 1);
    }
  }

  function findArea(code, areas) {
    for (const area of areas || catalog.areas) {
      if (area.code === code) return area;
      const found = findArea(code, area.children);
      if (found) return found;
    }
    return null;
  }

  async function loadCatalog() {
    catalog = await S.api("catalog");
    $("#city-name").textContent = `${catalog.city.name}民生诉求`;
    document.title = `${catalog.city.name}民生诉求 · 随手拍`;
    const type = $("#type");
    type.append(h("option", { value: "" }, "请选择"));
    for (const t of catalog.types) type.append(h("option", { value: t.code }, t.name));
    const category = $("#category");
    category.append(h("option", { value: "" }, "请选择"));
    for (const c of catalog.categories) category.append(h("option", { value: c.code }, c.name));
    areaOptions($("#area"), catalog.areas, 0, "请选择（已定位可不选）");
    $("#media-max").textContent = catalog.media.max_per_request;
    $("#media").accept = Object.values(catalog.media.kinds).flatMap((k) => k.types).join(",");
    uploader = new S.Uploader($("#media-list"), catalog.media.max_per_request);
  }

  // ---- a category's extra questions (the catalogue's "questions") ------------------------------

  function showQuestions() {
    const box = $("#questions");
    box.replaceChildren();
    const chosen = catalog.categories.find((c) => c.code === $("#category").value);
    for (const q of chosen ? chosen.questions : []) {
      const id = `q-${q.code}`;
      const label = `${q.question}${q.required ? "" : "（选填）"}`;
      const error = h("p", { class: "field-error", id: `${id}-error`, "data-error-for": `answers.${q.code}` });
      if (q.datatype === "multivaluelist") {
        box.append(h("fieldset", { "aria-describedby": `${id}-error` }, h("legend", {}, label),
          ...q.choices.map((c) => h("label", { class: "check" },
            h("input", { type: "checkbox", name: id, value: c.key, "data-question": q.code }), ` ${c.name}`)),
          error));
        continue;
      }
      const control = q.datatype === "singlevaluelist"
        ? h("select", { id, "data-question": q.code, "aria-describedby": `${id}-error`, required: q.required || undefined },
          h("option", { value: "" }, "请选择"), ...q.choices.map((c) => h("option", { value: c.key }, c.name)))
        : h("input", { id, type: "text", "data-question": q.code, "aria-describedby": `${id}-error`,
          maxlength: "200", required: q.required || undefined });
      box.append(h("label", { for: id }, label), control, error);
    }
  }

  // The answers given, as the API takes them: {code: text or key, or [keys] for several}.
  function answers() {
    const given = {};
    for (const control of document.querySelectorAll("#questions [data-question]")) {
      const code = control.dataset.question;
      if (control.type === "checkbox") {
        if (control.checked) (given[code] = given[code] || []).push(control.value);
      } else if (control.value.trim()) {
        given[code] = control.value.trim();
      }
    }
    return given;
  }

  // ---- the category suggestion (智能预判) while the resident types ---------------------------
  let suggestTimer = null;
  function suggestSoon() {
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(suggest, 600);
  }

  async function suggest() {
    const description = $("#description").value.trim();
    const box = S.clear($("#suggestion"));
    if (description.length < 5) return;
    let answer;
    try {
      answer = await S.api("suggest", { method: "POST", body: { description, area: $("#area").value || undefined } });
    } catch (e) {
      return; // a help, never a reason to stop the resident
    }
    if (!answer.categories.length) return;
    // Preselected while the resident has not chosen: a choice of theirs is never overridden.
    const category = $("#category");
    if (!category.value || category.dataset.preselected === "yes") {
      category.value = answer.categories[0].code;
      category.dataset.preselected = "yes";
      showQuestions();
    }
    box.append("智能推荐分类：");
    for (const c of answer.categories) {
      box.append(h("button", {
        type: "button", class: "link", onclick: () => { $("#category").value = c.code; showQuestions(); },
      }, `${c.name}（${Math.round(c.confidence * 100)}%）`), " ");
    }
    if (answer.cases && answer.cases.length) {
      box.append(h("p", { class: "hint" }, "类似问题的办理案例："));
      box.append(h("ul", {}, answer.cases.map((c) => h("li", {}, h("a", { href: "cases?q=" + encodeURIComponent(c.title || "") }, c.title)))));
    }
  }

  // ---- location --------------------------------------------------------------------------
  function locate() {
    const status = $("#location-status");
    if (!navigator.geolocation) {
      status.textContent = "此设备不支持定位，请选择所在区域";
      return;
    }
    status.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(
      (position) => {
        located = { lat: position.coords.latitude, lng: position.coords.longitude, coord_system: "wgs84" };
        status.textContent = `已定位：${located.lat.toFixed(5)}, ${located.lng.toFixed(5)}`;
      },
      () => { status.textContent = "无法获取位置，请选择所在区域"; },
      { enableHighAccuracy: true, timeout: 15000 },
    );
  }

  function reportedLocation() {
    const address = $("#address").value.trim() || undefined;
    if (located) return Object.assign({ address }, located);
    const area = $("#area").value && findArea($("#area").value);
    if (area && area.center) return { lat: area.center.lat, lng: area.center.lng, coord_system: "wgs84", address };
    return null;
  }

  // ---- SMS codes -------------------------------------------------------------------------
  async function sendCode(phoneInput, button, form, field) {
    S.clearErrors(form);
    try {
      await S.api("otp", { method: "POST", body: { phone: phoneInput.value.trim() } });
    } catch (error) {
      if (error.fields && error.fields.phone) error.fields = { [field]: error.fields.phone };
      else if (error.status === 429) error.fields = { [field]: error.message };
      S.showErrors(form, error);
      return;
    }
    let left = 60;
    button.disabled = true;
    const tick = () => {
      button.textContent = left > 0 ? `${left}秒后可重发` : "获取验证码";
      if (left-- <= 0) { button.disabled = false; return; }
      setTimeout(tick, 1000);
    };
    tick();
    S.toast("验证码已发送，请查收短信");
  }

  // ---- submitting ------------------------------------------------------------------------
  async function submit(event) {
    event.preventDefault();
    const form = event.target;
    S.clearErrors(form);
    if (uploader.busy) {
      S.showErrors(form, { message: "文件还在上传，请稍候", fields: { media: "请等待上传完成" } });
      return;
    }
    if (uploader.failed) {
      S.showErrors(form, { message: "有文件上传失败", fields: { media: "请重试或删除上传失败的文件" } });
      return;
    }
    const where = reportedLocation();
    if (!where) {
      S.showErrors(form, { message: "请提供位置", fields: { area: "请使用当前位置，或选择所在区域" } });
      return;
    }
    const anonymous = $("#anonymous").checked;
    const body = {
      type: $("#type").value, category: $("#category").value, description: $("#description").value,
      location: where, area: $("#area").value || undefined, media: uploader.ids, anonymous, answers: answers(),
    };
    if (!anonymous) {
      body.contact = { name: $("#name").value, phone: $("#phone").value, otp: $("#otp").value.trim() || undefined };
    }
    const missing = unfinished(body);
    if (Object.keys(missing).length) {
      S.showErrors(form, { message: "请完善标出的内容", fields: missing });
      return;
    }
    const button = $("#submit");
    button.disabled = true;
    button.textContent = "正在提交…";
    try {
      const answer = await S.api("requests", { method: "POST", body, headers: { "Idempotency-Key": idempotencyKey } });
      submitted(answer);
    } catch (error) {
      S.showErrors(form, error);
    } finally {
      button.disabled = false;
      button.textContent = "提交诉求";
    }
  }

  // What is plainly missing, said in plain words before anything is sent; the server checks the rest.
  function unfinished(body) {
    const missing = {};
    if (!body.type) missing.type = "请选择诉求类型";
    if (body.description.trim().length < 5) missing.description = "请至少写5个字，说清时间、地点和问题";
    if (!body.category) missing.category = "请选择问题分类";
    const chosen = catalog.categories.find((c) => c.code === body.category);
    for (const q of chosen ? chosen.questions : []) {
      if (q.required && !body.answers[q.code]) missing[`answers.${q.code}`] = "请回答此问题";
    }
    if (body.contact) {
      if (!body.contact.name.trim()) missing["contact.name"] = "请填写姓名，或选择匿名反映";
      if (!body.contact.phone.trim()) missing["contact.phone"] = "请填写手机号码";
      if (!body.contact.otp) missing["contact.otp"] = "请填写短信验证码（先点“获取验证码”）";
    }
    return missing;
  }

  function submitted(answer) {
    $("#report-form").hidden = true;
    $("#done-no").textContent = answer.tracking_no;
    $("#done-code").textContent = answer.query_code;
    $("#done-unit").textContent = answer.unit
      ? `已派至${answer.unit.name}${answer.due_at ? "，预计 " + S.time(answer.due_at) + " 前办结" : ""}。`
      : "指挥中心将尽快为您派单。";
    const box = $("#submitted");
    box.hidden = false;
    box.focus();
  }

  function reportAgain() {
    const form = $("#report-form");
    form.reset();
    uploader.reset();
    located = null;
    $("#location-status").textContent = "尚未定位";
    S.clear($("#suggestion"));
    idempotencyKey = S.randomId();
    $("#submitted").hidden = true;
    form.hidden = false;
    $("#description").focus();
  }

  // ---- tracking and rating ----------------------------------------------------------------
  async function track(event) {
    if (event) event.preventDefault();
    const form = $("#track-form");
    S.clearErrors(form);
    const no = $("#track-no").value.trim().toUpperCase();
    const code = $("#track-code").value.trim();
    const missing = {};
    if (!no) missing.no = "请输入受理编号";
    if (!code) missing.code = "请输入查询码";
    if (Object.keys(missing).length) {
      S.showErrors(form, { message: "请填写受理编号和查询码", fields: missing });
      return;
    }
    try {
      renderTracked(await S.api(`requests/${encodeURIComponent(no)}${S.query({ code })}`), code);
    } catch (error) {
      S.clear($("#track-result"));
      S.showErrors(form, error);
    }
  }

  function mediaList(items) {
    return h("div", { class: "media" }, items.map((m, i) => {
      if (m.kind === "video") return h("video", { src: m.url, controls: true, preload: "metadata", "aria-label": `视频${i + 1}` });
      if (m.kind === "audio") return h("audio", { src: m.url, controls: true, "aria-label": `录音${i + 1}` });
      return h("a", { href: m.url, target: "_blank", rel: "noopener" }, h("img", { src: m.url, alt: `照片${i + 1}`, loading: "lazy" }));
    }));
  }

  function renderTracked(order, code) {
    const box = S.clear($("#track-result"));
    box.append(
      h("h3", {}, `${order.tracking_no}：${order.status}`),
      h("dl", { class: "facts" },
        h("dt", {}, "类型"), h("dd", {}, `${order.type.name} · ${order.category.name}`),
        h("dt", {}, "状态"), h("dd", {}, order.state_label),
        h("dt", {}, "承办单位"), h("dd", {}, order.unit ? order.unit.name : "待派单"),
        h("dt", {}, "预计办结"), h("dd", {}, S.time(order.due_at)),
        h("dt", {}, "提交时间"), h("dd", {}, S.time(order.created_at)),
      ),
      h("p", {}, order.description),
    );
    if (order.media.length) box.append(h("h4", {}, "照片与附件"), mediaList(order.media));
    if (order.reply) box.append(h("h4", {}, "办理答复"), h("p", {}, order.reply));
    if (order.result_media.length) box.append(mediaList(order.result_media));
    box.append(h("h4", {}, "办理过程"), h("ol", { class: "timeline" }, order.timeline.map((entry) =>
      h("li", {}, h("time", {}, S.time(entry.at)), h("strong", {}, entry.label), entry.note ? "：" + entry.note : ""))));
    if (order.can_rate) box.append(ratingForm(order, code));
  }

  const STAR_LABELS = ["", "很不满意", "不满意", "基本满意", "满意", "非常满意"];

  function ratingForm(order, code) {
    const form = h("form", { id: "rating-form", novalidate: true },
      h("h4", {}, "评价办理结果"),
      h("p", { class: "form-error", "data-form-error": true, tabindex: "-1", role: "alert" }),
      h("fieldset", { "aria-describedby": "stars-error" },
        h("legend", {}, "满意度"),
        h("div", { class: "stars" }, [5, 4, 3, 2, 1].map((n) =>
          h("label", {}, h("input", { type: "radio", name: "stars", value: String(n) }), `${n}星 ${STAR_LABELS[n]}`))),
        h("p", { class: "field-error", id: "stars-error", "data-error-for": "stars" })),
      h("label", { for: "rating-comment" }, "意见（选填）"),
      h("textarea", { id: "rating-comment", maxlength: "500", "aria-describedby": "comment-error" }),
      h("p", { class: "field-error", id: "comment-error", "data-error-for": "comment" }),
      h("p", { class: "hint" }, "1至2星将退回承办单位重新办理。"),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "提交评价")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const chosen = S.$("input[name=stars]:checked", form);
      if (!chosen) {
        S.showErrors(form, { message: "请选择满意度", fields: { stars: "请选择1至5星" } });
        return;
      }
      const body = { code, stars: Number(chosen.value), comment: $("#rating-comment").value.trim() || undefined };
      try {
        const answer = await S.api(`requests/${encodeURIComponent(order.tracking_no)}/rating`, { method: "POST", body });
        S.toast(answer.message);
        await track();
      } catch (error) {
        S.showErrors(form, error);
      }
    });
    return form;
  }

  // ---- my requests (after an SMS code) -----------------------------------------------------
  async function mine(event) {
    event.preventDefault();
    const form = event.target;
    S.clearErrors(form);
    const box = S.clear($("#mine-result"));
    try {
      const verified = await S.api("otp/verify", { method: "POST", body: { phone: $("#mine-phone").value.trim(), code: $("#mine-code").value.trim() } });
      const page = await S.api("me/requests?limit=50", { token: verified.token });
      if (!page.items.length) { box.append(h("p", {}, "没有找到您的诉求。")); return; }
      box.append(h("ul", { class: "queue" }, page.items.map((item) => h("li", {}, h("button", {
        type: "button", class: "secondary",
        onclick: () => { $("#track-no").value = item.tracking_no; location.hash = "#track"; $("#track-code").focus(); },
      }, h("strong", {}, item.tracking_no), ` ${item.status} · ${item.category.name}`, h("span", { class: "meta" }, item.summary))))));
      box.append(h("p", { class: "hint" }, "查看详情和评价需要受理时的查询码。"));
    } catch (error) {
      S.showErrors(form, error);
    }
  }

  // ---- wiring ----------------------------------------------------------------------------------
  document.addEventListener("DOMContentLoaded", async () => {
    show(location.hash.slice(1));
    $("#report-form").addEventListener("submit", submit);
    $("#description").addEventListener("input", suggestSoon);
    $("#category").addEventListener("change", (e) => { e.target.dataset.preselected = "no"; showQuestions(); });
    $("#locate").addEventListener("click", locate);
    $("#anonymous").addEventListener("change", (e) => { $("#contact-fields").hidden = e.target.checked; });
    $("#media").addEventListener("change", (e) => {
      const left = uploader.add(e.target.files);
      S.clearErrors($("#report-form"));
      if (left) S.showErrors($("#report-form"), { message: "附件太多", fields: { media: `最多 ${uploader.max} 个，多出的 ${left} 个未添加` } });
      e.target.value = "";
    });
    $("#send-code").addEventListener("click", (e) => sendCode($("#phone"), e.target, $("#report-form"), "contact.phone"));
    $("#mine-send").addEventListener("click", (e) => sendCode($("#mine-phone"), e.target, $("#mine-form"), "phone"));
    $("#track-form").addEventListener("submit", track);
    $("#mine-form").addEventListener("submit", mine);
    $("#report-again").addEventListener("click", reportAgain);
    $("#track-new").addEventListener("click", () => {
      $("#track-no").value = $("#done-no").textContent;
      $("#track-code").value = $("#done-code").textContent;
      location.hash = "#track";
      track();
    });
    for (const button of S.$$("[data-copy]")) {
      button.addEventListener("click", () => S.copy($("#" + button.dataset.copy).textContent, button));
    }
    try {
      await loadCatalog();
    } catch (error) {
      S.showErrors($("#report-form"), error);
    }
  });
})();
