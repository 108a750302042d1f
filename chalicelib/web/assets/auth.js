/* What the staff pages share: sign-in (OpenID Connect, authorization code with PKCE), calls to
 * the API as the signed-in user, the CSV download, and the hotspots panel.
 *
 * The identity provider is whatever api/v1/staff/config names: the local issuer in the dev
 * stack (demo accounts, password "demo"), Cognito's hosted sign-in or the city's own OIDC
 * provider in the cloud. The provider sends the browser back to /staff with a code, which is
 * traded for an ID token — the API's bearer token. It is kept in sessionStorage: it dies
 * with the tab, and never leaves this origin but in the Authorization header.
 */
"use strict";
(function () {
  const S = window.Suqiu;
  const TOKEN = "suqiu.staff.token";
  const PENDING = "suqiu.staff.signin";
  const ROLE_LABELS = { dispatcher: "派单员", handler: "承办人员", leader: "领导", admin: "管理员", operator: "话务员" };

  function base64url(bytes) {
    return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function decodeClaims(token) {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  }

  async function challengeFor(verifier) {
    // crypto.subtle exists only in secure contexts (https, localhost); over plain http on a LAN
    // only "plain" is possible, which Cognito and the local sign-in page both refuse with their error.
    if (!crypto.subtle) return { challenge: verifier, method: "plain" };
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
    return { challenge: base64url(digest), method: "S256" };
  }

  const auth = {
    config: null,
    redirectUri: S.url("staff"),

    async init() {
      auth.config = await S.api("staff/config");
      const params = new URLSearchParams(location.search);
      if (params.has("code") || params.has("error")) return auth._finish(params);
      return auth.session();
    },

    // {token, claims, role, roleLabel, unit, name} while signed in, else null.
    session() {
      const token = sessionStorage.getItem(TOKEN);
      if (!token) return null;
      let claims;
      try { claims = decodeClaims(token); } catch (e) { auth.signOut(); return null; }
      if (!claims.exp || claims.exp * 1000 < Date.now() + 30000) { auth.signOut(); return null; }
      const names = (auth.config && auth.config.auth && auth.config.auth.claims) || {};
      const groups = [].concat(claims[names.roles || "cognito:groups"] || []);
      const role = groups.find((g) => ROLE_LABELS[g]) || null;
      return {
        token, claims, role, roleLabel: ROLE_LABELS[role] || "未授权",
        unit: claims[names.unit || "custom:unit"] || null,
        name: claims.name || claims["cognito:username"] || claims.sub,
      };
    },

    async signIn(returnTo) {
      const settings = auth.config && auth.config.auth;
      if (!settings) throw new Error("未配置统一身份认证，无法登录");
      const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
      const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
      const { challenge, method } = await challengeFor(verifier);
      sessionStorage.setItem(PENDING, JSON.stringify({ state, verifier, returnTo: returnTo || "staff" }));
      const url = new URL(settings.authorize_url);
      url.search = new URLSearchParams({
        response_type: "code", client_id: settings.client_id, redirect_uri: auth.redirectUri, scope: settings.scope,
        state, code_challenge: challenge, code_challenge_method: method,
      }).toString();
      location.assign(url.href);
    },

    async _finish(params) {
      const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
      sessionStorage.removeItem(PENDING);
      history.replaceState(null, "", location.pathname);
      if (params.has("error")) throw new Error("登录未完成：" + (params.get("error_description") || params.get("error")));
      if (!pending || pending.state !== params.get("state")) throw new Error("登录已过期，请重新登录");
      const settings = auth.config.auth;
      let answer;
      try {
        const response = await fetch(settings.token_url, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({
            grant_type: "authorization_code", code: params.get("code"), redirect_uri: auth.redirectUri,
            client_id: settings.client_id, code_verifier: pending.verifier,
          }),
        });
        answer = await response.json();
        if (!response.ok || !answer.id_token) throw new Error(answer.error_description || answer.error || "登录失败");
      } catch (e) {
        throw new Error("登录失败：" + e.message);
      }
      sessionStorage.setItem(TOKEN, answer.id_token);
      if (pending.returnTo !== "staff") {
        location.replace(S.url(pending.returnTo));
        return null;
      }
      return auth.session();
    },

    signOut() {
      sessionStorage.removeItem(TOKEN);
    },

    // The page's header: who is signed in, and a sign-out that returns to the sign-in.
    header(session, node) {
      S.clear(node).append(
        `${session.name}（${session.roleLabel}${session.unit ? " · " + session.unit : ""}）`,
        " ",
        S.h("button", { type: "button", class: "link", onclick: () => { auth.signOut(); location.reload(); } }, "退出"),
      );
    },

    // The sign-in card for a page that has no session; resolves never (the page leaves).
    prompt(node, returnTo, problem) {
      const button = S.h("button", { type: "button", id: "sign-in" }, "登录");
      const notice = S.h("p", { class: "form-error", role: "alert" }, problem || "");
      button.addEventListener("click", () => auth.signIn(returnTo).catch((e) => { notice.textContent = e.message; }));
      S.clear(node).append(S.h("section", { class: "card narrow", "aria-labelledby": "sign-in-title" },
        S.h("h2", { id: "sign-in-title" }, "工作人员登录"),
        S.h("p", {}, "请使用统一身份认证账号登录。"),
        notice,
        S.h("div", { class: "actions" }, button)));
      button.focus();
    },

    // Runs ``start(session)`` once signed in; shows the sign-in otherwise.
    async run(main, returnTo, start) {
      let session = null;
      try {
        session = await auth.init();
      } catch (error) {
        auth.prompt(main, returnTo, error.message);
        return;
      }
      if (!session) { auth.prompt(main, returnTo); return; }
      await start(session);
    },

    // An API call as the signed-in staff member; a 401 (expired token) means signing in again.
    async call(path, options) {
      const session = auth.session();
      if (!session) { location.reload(); throw new S.ApiError(401, null); }
      try {
        return await S.api(path, Object.assign({}, options, { token: session.token }));
      } catch (error) {
        if (error.status === 401) { auth.signOut(); location.reload(); }
        throw error;
      }
    },

    // A file the API makes (the CSV export), saved by the browser under ``filename``.
    async download(path, filename) {
      const response = await auth.call(path, { raw: true });
      const link = S.h("a", { href: URL.createObjectURL(await response.blob()), download: filename });
      document.body.append(link);
      link.click();
      link.remove();
      S.toast(response.headers.get("X-Next-Cursor") ? "已导出前5000条（符合条件的更多，请缩小范围）" : "已导出");
    },

    // Hotspot alerts (未诉先办) for the command centre; other roles get a 403, and no panel.
    async hotspots(section, list, open) {
      let answer;
      try {
        answer = await auth.call("staff/hotspots");
      } catch (error) {
        return;
      }
      const items = (answer && answer.items) || [];
      section.hidden = !items.length;
      S.clear(list).append(...items.map((spot) => S.h("li", {},
        S.h("strong", {}, `${spot.category.name}${spot.area ? " · " + spot.area.name : ""}`),
        ` ${spot.count}件，最近 ${S.time(spot.last_at)} `,
        ...spot.tracking_nos.flatMap((no) => [S.h("button", { type: "button", class: "link", onclick: () => open(no) }, no), " "]))));
    },
  };
  S.auth = auth;
})();
