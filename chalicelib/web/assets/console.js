/* The staff console (/staff): the queue coloured by level, in the working order (red, yellow, warning,
 * normal; 重点办 first; the nearest due; or 最新优先 by choice), filters, an order's detail, and exactly
 * the actions the API says the signed-in user may take on it now (allowed_actions).
 *
 * Every action is sent with the version of the order the user is looking at; a 409 (someone
 * else changed it first, or its state no longer allows the action) is explained and the order
 * reloaded. Suspected duplicates (detail "duplicates", when the API gives them) can be merged
 * into with one click; the hotspots panel appears when the API has one (api/v1/staff/hotspots).
 */
"use strict";
(function () {
  const S = window.Suqiu;
  const { h, $ } = S;
  const STATES = [
    ["submitted", "待派单"], ["dispatched", "待签收"], ["in_progress", "办理中"], ["awaiting_review", "待审核"],
    ["resolved", "已办结"], ["closed", "已关闭"], ["rejected", "不予受理"], ["merged", "已并单"],
  ];
  const LEVELS = [["normal", "正常"], ["warning", "临期"], ["yellow", "黄牌超期"], ["red", "红牌督办"]];
  let session = null, city = null, catalog = null, current = null, cursor = null, mapView = null;

  // ---- reference data -------------------------------------------------------------------------
  function unitTree() {
    const children = {};
    for (const unit of city.units) (children[unit.parent || ""] = children[unit.parent || ""] || []).push(unit);
    const ordered = [];
    const walk = (parent, depth) => (children[parent] || []).forEach((u) => { ordered.push([u, depth]); walk(u.code, depth + 1); });
    walk("", 0);
    return ordered;
  }

  function unitOptions(select, units, selected, prompt) {
    S.clear(select);
    if (prompt !== undefined) select.append(h("option", { value: "" }, prompt));
    for (const [unit, depth] of units) {
      select.append(h("option", { value: unit.code, selected: unit.code === selected }, "\u3000".repeat(depth) + unit.name));
    }
    return select;
  }

  function isBelow(code, ancestor) {
    const byCode = Object.fromEntries(city.units.map((u) => [u.code, u]));
    for (let unit = byCode[code]; unit; unit = byCode[unit.parent]) if (unit.parent === ancestor) return true;
    return false;
  }

  function fillFilters() {
    const options = (select, pairs) => {
      select.append(h("option", { value: "" }, "全部"));
      for (const [code, name] of pairs) select.append(h("option", { value: code }, name));
    };
    options($("#f-state"), STATES);
    options($("#f-level"), LEVELS);
    options($("#f-category"), catalog.categories.map((c) => [c.code, c.name]));
    options($("#f-type"), catalog.types.map((t) => [t.code, t.name]));
    options($("#f-area"), city.areas.map((a) => [a.code, "\u3000".repeat(a.depth - 1) + a.name]));
    const units = session.role === "handler" ? unitTree().filter(([u]) => u.code === session.unit || isBelow(u.code, session.unit)) : unitTree();
    unitOptions($("#f-unit"), units, null, "全部");
  }

  // ---- the queue ---------------------------------------------------------------------------------
  function filters() {
    const form = $("#filters");
    const values = {};
    for (const field of form.elements) {
      if (!field.name) continue;
      if (field.type === "checkbox") values[field.name] = field.checked ? field.value : "";
      else values[field.name] = field.value;
    }
    return values;
  }

  async function loadQueue(more) {
    const form = $("#filters");
    S.clearErrors(form);
    const status = $("#queue-status");
    status.textContent = "加载中…";
    let page;
    try {
      page = await S.auth.call("staff/requests" + S.query(Object.assign(filters(), { limit: 30, cursor: more ? cursor : null })));
    } catch (error) {
      status.textContent = "";
      S.showErrors(form, error);
      return;
    }
    const list = $("#queue");
    if (!more) S.clear(list);
    for (const item of page.items) list.append(queueItem(item));
    cursor = page.cursor;
    $("#more").hidden = !cursor;
    status.textContent = list.children.length ? `共显示 ${list.children.length} 个工单` : "没有符合条件的工单";
  }

  function queueItem(item) {
    const button = h("button", {
      type: "button", class: `row-${item.level.code}`, "data-no": item.tracking_no,
      "aria-current": current && current.tracking_no === item.tracking_no ? "true" : "false",
      onclick: () => open(item.tracking_no),
    },
    h("strong", {}, item.tracking_no), " ", S.levelBadge(item.level), " ",
    item.priority ? h("span", { class: "badge" }, "重点") : null, " ",
    item.verified ? h("span", { class: "badge" }, "实名") : null,
    h("div", {}, item.summary),
    h("div", { class: "meta" },
      h("span", {}, item.state_label), h("span", {}, item.category.name),
      h("span", {}, item.unit ? item.unit.name : "未派单"), h("span", {}, "时限 " + S.time(item.due_at))));
    return h("li", {}, button);
  }

  // ---- an order ----------------------------------------------------------------------------------------
  async function open(no, keepFocus) {
    let detail;
    try {
      detail = await S.auth.call(`staff/requests/${encodeURIComponent(no)}`);
    } catch (error) {
      S.toast(error.message);
      return;
    }
    current = detail;
    if (location.hash !== "#" + no) history.replaceState(null, "", "#" + no);
    for (const button of S.$$("#queue button[data-no]")) button.setAttribute("aria-current", String(button.dataset.no === no));
    renderDetail(detail);
    if (!keepFocus) $("#detail").focus();
  }

  function media(items) {
    return h("div", { class: "media" }, items.map((m, i) => {
      if (m.kind === "video") return h("video", { src: m.url, controls: true, preload: "metadata", "aria-label": `视频${i + 1}` });
      if (m.kind === "audio") return h("audio", { src: m.url, controls: true, "aria-label": `录音${i + 1}` });
      return h("a", { href: m.url, target: "_blank", rel: "noopener" }, h("img", { src: m.url, alt: `附件照片${i + 1}`, loading: "lazy" }));
    }));
  }

  function renderDetail(d) {
    const box = S.clear($("#detail"));
    const contact = d.anonymous ? "匿名" : d.contact ? `${d.contact.name} ${d.contact.phone}${d.verified ? "（已验证）" : ""}` : "—";
    box.append(
      h("h2", { id: "detail-title" }, d.tracking_no, " ", h("span", { class: "badge" }, d.state_label), " ", S.levelBadge(d.level),
        d.priority ? h("span", { class: "badge" }, "重点") : null),
      h("dl", { class: "facts" },
        h("dt", {}, "类型分类"), h("dd", {}, `${d.type.name} · ${d.category.name}`),
        h("dt", {}, "区域"), h("dd", {}, d.area ? d.area.name : "—"),
        h("dt", {}, "地址"), h("dd", {}, d.location.address || "—"),
        h("dt", {}, "受理时间"), h("dd", {}, S.time(d.created_at)),
        h("dt", {}, "承办单位"), h("dd", {}, d.unit ? d.unit.name : "未派单",
          d.co_units.length ? `（协办：${d.co_units.map((u) => u.name).join("、")}）` : ""),
        h("dt", {}, "承办人"), h("dd", {}, d.assignee ? d.assignee.name : "未指定"),
        h("dt", {}, "办理时限"), h("dd", {}, S.time(d.due_at), d.time_left ? `（${d.time_left.text}）` : ""),
        h("dt", {}, "轮次"), h("dd", {}, d.round > 1 ? `第${d.round}轮（不满意重办）` : "第1轮"),
        h("dt", {}, "联系人"), h("dd", {}, contact),
        d.suggestion ? h("dt", {}, "智能预判") : null,
        d.suggestion ? h("dd", {}, `${d.suggestion.name}（${Math.round((d.suggestion.confidence || 0) * 100)}%）`) : null,
        d.pending_extension_days ? h("dt", {}, "延期申请") : null,
        d.pending_extension_days ? h("dd", {}, `${d.pending_extension_days}个工作日，待审批`) : null,
        d.merged_into ? h("dt", {}, "并入") : null, d.merged_into ? h("dd", {}, d.merged_into) : null,
        d.rating ? h("dt", {}, "群众评价") : null, d.rating ? h("dd", {}, `${d.rating}星`) : null),
      h("h3", {}, "诉求内容"), h("p", {}, d.description));
    if (d.media.length) box.append(h("h3", {}, "附件"), media(d.media));
    if (d.co_replies && d.co_replies.length) box.append(coReplies(d));
    if (d.reply) box.append(h("h3", {}, "办理答复"), h("p", {}, d.reply));
    if (d.result_media.length) box.append(media(d.result_media));
    const mapBox = h("div", { class: "order-map" });
    box.append(h("h3", {}, "位置"), mapBox);
    mapView = new S.MapView(mapBox, city, { height: 240, label: `${d.tracking_no} 的位置`, tiles: S.auth.config.tiles });
    mapView.setPin(d.location.wgs84.lng, d.location.wgs84.lat);
    if (d.duplicates && d.duplicates.length) box.append(duplicates(d));
    box.append(h("h3", {}, "可执行操作"), actionForms(d));
    box.append(h("h3", {}, "办理过程（全程留痕）"), h("ol", { class: "timeline" }, d.trail.map((e) => h("li", {},
      h("time", {}, S.time(e.at)), h("strong", {}, e.label), ` · ${e.state_label}`,
      e.actor.unit ? ` · ${e.actor.unit.name}` : "", e.note ? h("div", {}, e.note) : null,
      e.public ? null : h("span", { class: "hint" }, "（内部）")))));
  }

  // Each co-unit's part of the answer this round (协办答复), or that it is still awaited.
  function coReplies(d) {
    return h("section", { id: "co-replies", "aria-labelledby": "co-replies-title" },
      h("h3", { id: "co-replies-title" }, "协办答复"),
      h("dl", { class: "facts" }, d.co_replies.flatMap((co) => [
        h("dt", {}, co.unit.name),
        h("dd", { "data-unit": co.unit.code }, co.pending ? h("span", { class: "badge" }, "待回复") : co.reply),
      ])),
      d.co_pending_note ? h("p", { class: "hint" }, `协办未回复即办结的说明：${d.co_pending_note}`) : null);
  }

  function duplicates(d) {
    const merge = d.allowed_actions.find((offered) => offered.action === "merge");
    const mayMerge = Boolean(merge);
    return h("section", { class: "notice", "aria-labelledby": "dup-title" },
      h("h3", { id: "dup-title" }, "疑似重复诉求"),
      mayMerge ? null : h("p", { class: "hint" }, "只有待派单的工单可以并单。"),
      h("ul", {}, d.duplicates.map((no) => h("li", {},
        h("button", { type: "button", class: "link", onclick: () => open(no) }, no), " ",
        h("button", {
          type: "button", class: "secondary", disabled: !mayMerge, "aria-label": `并单：并入 ${no}`,
          onclick: () => send(d, merge, { into: no }, null),
        }, "并单")))));
  }

  // ---- actions: one form each, built from the fields the API gives with the action (allowed_actions) ----------
  function actionForms(d) {
    const box = h("div", { class: "action-forms" });
    if (!d.allowed_actions.length) box.append(h("p", { class: "hint" }, "当前状态下您没有可执行的操作。"));
    for (const offered of d.allowed_actions) {
      box.append(h("details", { "data-action": offered.action }, h("summary", {}, offered.label), actionForm(d, offered)));
    }
    return box;
  }

  function actionForm(d, offered) {
    const action = offered.action;
    const form = h("form", { novalidate: true, "data-action": action });
    form.append(h("p", { class: "form-error", "data-form-error": true, tabindex: "-1", role: "alert" }));
    const collectors = [];
    for (const field of offered.fields) {
      const id = `${action}-${field.name}`;
      const error = h("p", { class: "field-error", id: id + "-error", "data-error-for": field.name });
      let input;
      const offers = new Set(field.choices || []);
      if (field.type === "unit") {
        const units = unitTree().filter(([u]) => offers.has(u.code));
        // An order no unit has yet: what routing suggests for it comes preselected.
        const preselect = !d.unit && d.suggested_unit && offers.has(d.suggested_unit.code) ? d.suggested_unit.code : null;
        input = unitOptions(h("select", { id, "aria-describedby": error.id }), units, preselect, "请选择");
        form.append(h("label", { for: id }, field.label), input);
        if (preselect) form.append(h("p", { class: "hint" }, `已按分类和区域预选：${d.suggested_unit.name}`));
        collectors.push(() => [field.name, input.value || (field.required ? "" : undefined)]);
      } else if (field.type === "units") {
        const chosen = new Set(field.value || []);
        const boxes = unitTree().filter(([u]) => offers.has(u.code)).map(([u, depth]) =>
          h("label", { class: "check" }, h("input", { type: "checkbox", value: u.code, checked: chosen.has(u.code) }), "\u3000".repeat(depth) + u.name));
        input = h("fieldset", { "aria-describedby": error.id }, h("legend", {}, field.label), h("div", { class: "table-wrap" }, boxes));
        form.append(input);
        collectors.push(() => [field.name, S.$$("input:checked", input).map((c) => c.value)]);
      } else if (field.type === "boolean") {
        input = h("input", { type: "checkbox", id, checked: Boolean(field.value) });
        form.append(h("label", { class: "check", for: id }, input, field.label));
        collectors.push(() => [field.name, input.checked]);
      } else if (field.type === "files") {
        const list = h("ul", { class: "files", "aria-label": "已选办结照片" });
        // Asked for with the token: a result photo must be the resolving member's own upload.
        const uploader = new S.Uploader(list, field.max_length, null, S.auth.call);
        input = h("input", { type: "file", id, multiple: true, accept: "image/*", "aria-describedby": error.id });
        input.addEventListener("change", () => { uploader.add(input.files); input.value = ""; });
        form.append(h("label", { for: id }, field.label), input, list);
        collectors.push(() => {
          if (uploader.busy || uploader.failed) throw { message: "请等待照片上传完成，或删除上传失败的照片", fields: { [field.name]: "照片未全部上传" } };
          return [field.name, uploader.ids];
        });
      } else {
        const attrs = { id, "aria-describedby": error.id, required: field.required };
        // An optional number (a callback's stars) starts empty: left empty, it is not sent.
        const start = field.value ?? (field.required ? field.min : "");
        if (field.type === "integer") Object.assign(attrs, { type: "number", min: field.min, max: field.max, value: String(start) });
        else attrs.maxlength = field.max_length;
        // The main order of a merge: the most likely suspected duplicate, if the API found one.
        if (field.name === "into" && d.duplicates && d.duplicates.length) attrs.value = d.duplicates[0];
        input = h(field.type === "textarea" ? "textarea" : "input", attrs);
        form.append(h("label", { for: id }, field.label), input);
        if (action === "assign" && field.name === "assignee" && d.unit) offerPeople(form, d, field, input);
        collectors.push(() => {
          const value = input.value.trim();
          if (field.type === "integer") return [field.name, value === "" && !field.required ? undefined : Number(value)];
          return [field.name, value || (field.required ? "" : undefined)];
        });
      }
      form.append(error);
    }
    form.append(h("div", { class: "actions" }, h("button", { type: "submit" }, `确认${offered.label}`)));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      S.clearErrors(form);
      let params;
      try {
        params = Object.fromEntries(collectors.map((collect) => collect()).filter(([, v]) => v !== undefined));
      } catch (problem) {
        S.showErrors(form, problem);
        return;
      }
      send(d, offered, params, form);
    });
    return form;
  }

  // 承办人: the unit's people as a choice, read when the form is first opened; the text field stays (and
  // carries the choice) where the API does not show this user the people (403) or cannot read them.
  function offerPeople(form, d, field, input) {
    const details = () => form.closest("details");
    let asked = false;
    const ask = async () => {
      if (asked || !details() || !details().open) return;
      asked = true;
      let answer;
      try {
        answer = await S.auth.call(`staff/units/${encodeURIComponent(d.unit.code)}/people`);
      } catch (error) {
        return;
      }
      const select = h("select", { id: input.id, "aria-describedby": input.getAttribute("aria-describedby") },
        h("option", { value: "" }, "请选择"),
        answer.people.map((p) => h("option", { value: p.id, selected: p.id === input.value }, p.name)));
      select.addEventListener("change", () => { input.value = select.value; });
      input.removeAttribute("id");
      input.hidden = true;
      input.before(select);
      const label = form.querySelector(`label[for="${select.id}"]`);
      if (label) label.textContent = "承办人";
    };
    // The form is built before its <details> is in place: the toggle is listened for once it is.
    queueMicrotask(() => details() && details().addEventListener("toggle", ask));
  }

  async function send(d, offered, params, form) {
    try {
      const answer = await S.auth.call(`staff/requests/${encodeURIComponent(d.tracking_no)}/actions`, {
        method: "POST", body: Object.assign({ action: offered.action, version: d.version }, params),
      });
      S.toast(`${offered.label}成功：${answer.state_label}`);
      await Promise.all([open(d.tracking_no, true), loadQueue(false)]);
    } catch (error) {
      if (error.status === 409) {
        S.toast(`${error.message}。工单已重新加载，请核对后再操作。`);
        await open(d.tracking_no, true);
      } else if (form) {
        S.showErrors(form, error);
      } else {
        S.toast(error.message);
      }
    }
  }

  // ---- 受理登记 (代客录入): an operator takes a call, a visit or a letter ---------------------------------
  // The caller's earlier requests as the phone is typed (重复来电: open one rather than make a twin), the
  // category suggestion and similar cases as the description is, then dispatched or answered at once.
  const later = (work, ms) => { let timer = null; return () => { clearTimeout(timer); timer = setTimeout(work, ms); }; };
  let intakeKey = null;  // one Idempotency-Key per filled-in form: a retry after a lost answer makes no twin

  function areaChoices(nodes, depth, into) {
    for (const area of nodes) {
      into.push([area, depth]);
      areaChoices(area.children, depth + 1, into);
    }
    return into;
  }

  function fillIntake() {
    const options = (select, pairs, prompt) => {
      if (prompt !== undefined) select.append(h("option", { value: "" }, prompt));
      for (const [code, name] of pairs) select.append(h("option", { value: code }, name));
    };
    options($("#i-channel"), catalog.staff_channels.map((c) => [c.code, c.name]));
    options($("#i-type"), catalog.types.map((t) => [t.code, t.name]));
    options($("#i-category"), catalog.categories.map((c) => [c.code, c.name]), "请选择");
    options($("#i-area"), areaChoices(catalog.areas, 0, []).map(([a, depth]) => [a.code, "\u3000".repeat(depth) + a.name]), "请选择");
    unitOptions($("#i-unit"), unitTree(), null, "请选择");
    for (const radio of S.$$("#intake-form input[name=step]")) radio.addEventListener("change", showStep);
    $("#i-phone").addEventListener("input", later(lookUpCaller, 400));
    $("#i-description").addEventListener("input", later(suggestIntake, 600));
    $("#i-category").addEventListener("change", () => { $("#i-category").dataset.preselected = ""; similarCases(); });
    $("#intake-form").addEventListener("input", () => { intakeKey = intakeKey || crypto.randomUUID(); });
    $("#intake-form").addEventListener("submit", (event) => { event.preventDefault(); takeCall(); });
    $("#intake").hidden = false;
  }

  function step() { return S.$("#intake-form input[name=step]:checked").value; }

  function showStep() {
    $("#i-dispatch").hidden = step() !== "dispatch";
    $("#i-answer").hidden = step() !== "answer";
  }

  async function lookUpCaller() {
    const box = S.clear($("#i-history"));
    const phone = $("#i-phone").value.replace(/[\s-]/g, "");
    if (!/^\+?\d{11,15}$/.test(phone)) return;
    let page;
    try {
      page = await S.auth.call(`staff/callers/${encodeURIComponent(phone)}/requests` + S.query({ limit: 5 }));
    } catch (error) {
      return; // a help while typing: the submission says what is wrong with the phone
    }
    if (!page.items.length) { box.append(h("p", { class: "hint" }, "该来电人此前没有诉求记录。")); return; }
    box.append(h("p", {}, `该来电人此前的诉求（重复来电请核对，勿重复登记）：`), h("ul", { class: "queue", "aria-label": "来电人此前的诉求" },
      page.items.map((item) => h("li", {}, h("button", { type: "button", "data-no": item.tracking_no, onclick: () => open(item.tracking_no) },
        h("strong", {}, item.tracking_no), ` ${item.state_label} · ${item.category.name} · ${S.time(item.created_at)}`,
        h("div", {}, item.summary))))));
  }

  async function suggestIntake() {
    const box = S.clear($("#i-suggestion"));
    const description = $("#i-description").value.trim();
    if (description.length < 5) return;
    let answer;
    try {
      answer = await S.api("suggest", { method: "POST", body: { description, area: $("#i-area").value || undefined } });
    } catch (error) {
      return; // a help, never a reason to stop the call
    }
    if (!answer.categories.length) return;
    const category = $("#i-category");
    if (!category.value || category.dataset.preselected === "yes") {
      category.value = answer.categories[0].code;
      category.dataset.preselected = "yes";
    }
    box.append("智能推荐分类：", ...answer.categories.map((c) => h("button", {
      type: "button", class: "link", onclick: () => { category.value = c.code; category.dataset.preselected = ""; similarCases(); },
    }, `${c.name}（${Math.round(c.confidence * 100)}%）`)), h("div", { id: "i-cases" }));
    similarCases();
  }

  async function similarCases() {
    const box = $("#i-cases");
    const category = $("#i-category").value;
    if (!box || !category) return;
    let page;
    try {
      page = await S.api("cases" + S.query({ category, limit: 3 }));
    } catch (error) {
      return;
    }
    S.clear(box);
    if (page.items.length) {
      box.append(h("p", { class: "hint" }, "类似问题的办理案例："), h("ul", {}, page.items.map((c) =>
        h("li", {}, h("strong", {}, c.title || c.category.name), c.reply ? `：${c.reply}` : ""))));
    }
  }

  async function takeCall() {
    const form = $("#intake-form");
    S.clearErrors(form);
    const areaCode = $("#i-area").value;
    const area = areaChoices(catalog.areas, 0, []).map(([a]) => a).find((a) => a.code === areaCode);
    if (!area || !area.center) {
      S.showErrors(form, { message: "请完善标出的内容", fields: { area: "请选择诉求所在区域" } });
      return;
    }
    const phone = $("#i-phone").value.trim(), name = $("#i-name").value.trim(), received = $("#i-received").value;
    const body = {
      channel: $("#i-channel").value, type: $("#i-type").value, category: $("#i-category").value,
      description: $("#i-description").value,
      location: { lat: area.center.lat, lng: area.center.lng, address: $("#i-address").value.trim() || undefined },
      area: areaCode, caller: { phone: phone || undefined, name: name || undefined },
      received_at: received ? new Date(received).toISOString() : undefined,
    };
    if (step() === "dispatch") body.dispatch = { unit: $("#i-unit").value };
    if (step() === "answer") body.answer = { reply: $("#i-reply").value };
    const button = $("#i-submit");
    button.disabled = true;
    try {
      intakeKey = intakeKey || crypto.randomUUID();
      const answer = await S.auth.call("staff/requests", { method: "POST", body, headers: { "Idempotency-Key": intakeKey } });
      intakeKey = null;
      form.reset();
      S.clear($("#i-history")); S.clear($("#i-suggestion")); showStep();
      $("#i-done").textContent = `已受理：编号 ${answer.tracking_no}，查询码 ${answer.query_code}（请告知来电人）`;
      await Promise.all([open(answer.tracking_no, true), loadQueue(false)]);
    } catch (error) {
      S.showErrors(form, error);
    } finally {
      button.disabled = false;
    }
  }

  // ---- 工作量: open orders per person of a unit and its sub-units, by level, for a unit head to balance ----
  const LOAD_COLUMNS = [["red", "红牌"], ["yellow", "黄牌"], ["warning", "临期"], ["normal", "正常"]];

  function fillWorkload() {
    const units = session.role === "handler" ? unitTree().filter(([u]) => u.code === session.unit || isBelow(u.code, session.unit)) : unitTree();
    if (!units.length) return;
    unitOptions($("#w-unit"), units, session.unit || units[0][0].code);
    $("#w-unit").addEventListener("change", loadWorkload);
    const button = $("#workload-open");
    button.hidden = false;
    button.addEventListener("click", async () => {
      $("#workload").hidden = false;
      await loadWorkload();
      $("#workload").focus();
    });
  }

  async function loadWorkload() {
    const status = $("#workload-status"), box = S.clear($("#workload-table"));
    status.textContent = "加载中…";
    let load;
    try {
      load = await S.auth.call("staff/workload" + S.query({ unit: $("#w-unit").value }));
    } catch (error) {
      status.textContent = error.message;
      return;
    }
    status.textContent = `${load.unit.name}：在办 ${load.people.reduce((n, p) => n + p.open, load.unassigned.open)} 件`;
    // The person's unit under the name: the table stays narrow enough for the queue's column.
    const row = (name, unit, counts) => h("tr", {}, h("th", { scope: "row" }, name, unit ? h("div", { class: "hint" }, unit) : null),
      h("td", { class: "num" }, String(counts.open)), LOAD_COLUMNS.map(([code]) => h("td", { class: "num" }, String(counts.by_level[code]))));
    box.append(h("table", { "aria-labelledby": "workload-title" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "承办人"),
        h("th", { scope: "col", class: "num" }, "在办"), LOAD_COLUMNS.map(([, label]) => h("th", { scope: "col", class: "num" }, label)))),
      h("tbody", {}, load.people.map((p) => row(p.name, p.unit ? p.unit.name : "（已不在本单位）", p)), row("未分配", null, load.unassigned))));
  }

  // ---- start ---------------------------------------------------------------------------------------------
  document.addEventListener("DOMContentLoaded", () => S.auth.run($("#gate"), "staff", async (signedIn) => {
    session = signedIn;
    S.auth.header(session, $("#who"));
    S.clear($("#gate"));
    $("#app").hidden = false;
    [city, catalog] = await Promise.all([S.auth.call("staff/city"), S.api("catalog")]);
    fillFilters();
    if (session.role === "operator" || session.role === "dispatcher") fillIntake();
    if (["handler", "dispatcher", "leader"].includes(session.role)) fillWorkload();
    $("#filters").addEventListener("submit", (event) => { event.preventDefault(); loadQueue(false); });
    $("#red-list").addEventListener("click", () => { $("#f-level").value = "red"; $("#f-state").value = ""; loadQueue(false); });
    $("#more").addEventListener("click", () => loadQueue(true));
    // A page's cursor resumes only the order it was read in: another order starts from the top.
    $("#f-sort").addEventListener("change", () => loadQueue(false));
    $("#export").addEventListener("click", () =>
      S.auth.download("staff/export" + S.query(filters()), "工单导出.csv").catch((e) => S.showErrors($("#filters"), e)));
    await loadQueue(false);
    S.auth.hotspots($("#hotspots"), $("#hotspot-list"), (no) => open(no));
    if (/^#[A-Za-z]{1,4}\d+$/.test(location.hash)) open(location.hash.slice(1));
  }));
})();
