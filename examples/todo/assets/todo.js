// The todo example's TodoMVC frontend: add, edit, complete, delete and
// filter todos over the JSON API (GET/POST /api/todos, PATCH/DELETE
// /api/todos/<id>). CSRF as Flask-Security's SPA guide does it: the
// server sets the XSRF-TOKEN cookie (SECURITY_CSRF_COOKIE_NAME) and every
// unsafe request echoes it in the X-XSRF-Token header (SECURITY_CSRF_HEADER).
"use strict";

(function () {
  const list = document.querySelector(".todo-list");
  const input = document.querySelector(".new-todo");
  const footer = document.querySelector(".footer");
  const count = document.querySelector(".todo-count");
  const clear = document.querySelector(".clear-completed");
  const error = document.querySelector(".error");
  let todos = [];

  function cookie(name) {
    const hit = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
    return hit ? decodeURIComponent(hit.slice(name.length + 1)) : null;
  }

  // The token: the cookie, or (before the server has set it) the one
  // GET /login hands a JSON client.
  async function csrfToken() {
    const fromCookie = cookie("XSRF-TOKEN");
    if (fromCookie) return fromCookie;
    const r = await fetch("/login", { headers: { Accept: "application/json" } });
    const body = await r.json();
    return body.response && body.response.csrf_token;
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-XSRF-Token"] = await csrfToken();
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const r = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (r.status === 401) {
      window.location = "/login?next=" + encodeURIComponent(window.location.pathname);
      throw new Error("signed out");
    }
    const text = await r.text();
    const data = text ? JSON.parse(text) : {};
    if (!r.ok) {
      const errs = data.response && data.response.errors;
      throw new Error((errs && errs.join(" ")) || "HTTP " + r.status);
    }
    return data;
  }

  function show(err) {
    error.textContent = err ? err.message : "";
    error.hidden = !err;
  }

  function filter() {
    const f = window.location.hash.replace(/^#\/?/, "") || "all";
    document.querySelectorAll(".filters a").forEach((a) => {
      a.classList.toggle("selected", a.getAttribute("href") === "#/" + (f === "all" ? "" : f));
    });
    return f;
  }

  function render() {
    const f = filter();
    list.replaceChildren();
    for (const t of todos) {
      if ((f === "active" && t.done) || (f === "completed" && !t.done)) continue;
      list.append(item(t));
    }
    const left = todos.filter((t) => !t.done).length;
    count.textContent = left + (left === 1 ? " item left" : " items left");
    footer.hidden = todos.length === 0;
    clear.hidden = !todos.some((t) => t.done);
  }

  function item(t) {
    const li = document.createElement("li");
    li.dataset.id = t.id;
    li.classList.toggle("completed", t.done);
    const toggle = document.createElement("input");
    toggle.type = "checkbox";
    toggle.className = "toggle";
    toggle.checked = t.done;
    toggle.setAttribute("aria-label", "Complete " + t.title);
    toggle.addEventListener("change", () => change(t, { done: toggle.checked }));
    const label = document.createElement("label");
    label.textContent = t.title;
    label.addEventListener("dblclick", () => edit(li, t));
    const destroy = document.createElement("button");
    destroy.className = "destroy";
    destroy.textContent = "×";
    destroy.setAttribute("aria-label", "Delete " + t.title);
    destroy.addEventListener("click", () => remove(t));
    li.append(toggle, label, destroy);
    return li;
  }

  function edit(li, t) {
    const field = document.createElement("input");
    field.className = "edit";
    field.value = t.title;
    let done = false;
    const finish = (save) => {
      if (done) return;
      done = true;
      const title = field.value.trim();
      if (!save || title === t.title) return render();
      if (!title) return remove(t);
      change(t, { title });
    };
    field.addEventListener("keydown", (e) => {
      if (e.key === "Enter") finish(true);
      if (e.key === "Escape") finish(false);
    });
    field.addEventListener("blur", () => finish(true));
    li.replaceChildren(field);
    field.focus();
  }

  async function run(step) {
    try {
      await step();
      show(null);
    } catch (e) {
      show(e);
    }
    render();
  }

  // PATCH answers with the whole list after the change.
  function change(t, patch) {
    return run(async () => {
      todos = (await api("PATCH", "/api/todos/" + t.id, patch)).todos;
    });
  }

  function remove(t) {
    return run(async () => {
      await api("DELETE", "/api/todos/" + t.id);
      todos = todos.filter((x) => x !== t);
    });
  }

  input.addEventListener("keydown", (e) => {
    const title = input.value.trim();
    if (e.key !== "Enter" || !title) return;
    run(async () => {
      todos.push(await api("POST", "/api/todos", { title }));
      input.value = "";
    });
  });

  clear.addEventListener("click", () =>
    run(async () => {
      for (const t of todos.filter((x) => x.done)) await api("DELETE", "/api/todos/" + t.id);
      todos = todos.filter((x) => !x.done);
    })
  );

  window.addEventListener("hashchange", render);
  run(async () => {
    todos = (await api("GET", "/api/todos")).todos;
  });
})();
