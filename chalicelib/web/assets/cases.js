/* The public case library (/cases): published cases, newest first, searchable by keyword.
 * What a case shows is already masked by the API (no contact, address, coordinates or media). */
"use strict";
(function () {
  const S = window.Suqiu;
  const { h, $ } = S;
  let cursor = null;
  let shown = 0;

  function card(item) {
    return h("article", { class: "card" },
      h("h3", {}, item.title),
      h("p", { class: "hint" }, [item.type.name, item.category.name, item.area && item.area.name, "办结于 " + S.time(item.resolved_at)].filter(Boolean).join(" · ")),
      h("p", {}, h("strong", {}, "群众反映："), item.description),
      item.reply ? h("p", {}, h("strong", {}, "办理结果："), item.reply) : null,
      item.rating ? h("p", { class: "hint" }, `群众评价：${item.rating}星`) : null);
  }

  async function load(more) {
    const form = $("#case-search");
    S.clearErrors(form);
    const q = $("#q").value.trim();
    try {
      const page = await S.api("cases" + S.query({ q, cursor: more ? cursor : null }));
      if (!more) { S.clear($("#case-list")); shown = 0; }
      for (const item of page.items) $("#case-list").append(card(item));
      shown += page.items.length;
      cursor = page.cursor;
      $("#more").hidden = !cursor;
      $("#case-count").textContent = shown ? `已显示 ${shown} 个案例` : (q ? `没有找到与“${q}”相关的案例` : "暂无案例");
    } catch (error) {
      S.showErrors(form, error);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#q").value = new URLSearchParams(location.search).get("q") || "";
    $("#case-search").addEventListener("submit", (event) => { event.preventDefault(); load(false); });
    $("#more").addEventListener("click", () => load(true));
    load(false);
  });
})();
