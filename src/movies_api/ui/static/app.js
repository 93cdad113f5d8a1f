// Movies web UI: enhancements only. Every page works without this file; with it, posters
// that fail fall back to their drawn placeholder, the catalogue searches as you type, and
// adding, refreshing and deleting call the public JSON API. The API key lives in
// sessionStorage (this tab, until it closes) and travels only in the Authorization header.
"use strict";

(function () {
  const KEY = "movies-api-key";
  const PAGE_SIZE = "24";
  const HUES = 12;
  const $ = (selector, root) => (root || document).querySelector(selector);

  // --- posters: a broken image gives way to the placeholder drawn under it ------------------
  function markBroken(img) {
    img.hidden = true;
  }
  document.addEventListener("error", (event) => {
    if (event.target instanceof HTMLImageElement && event.target.closest(".poster")) {
      markBroken(event.target);
    }
  }, true);
  function checkPosters(root) {
    for (const img of root.querySelectorAll(".poster img")) {
      if (img.complete && img.naturalWidth === 0) markBroken(img);
    }
  }

  // The same address the server renders (links.poster, links.hue): FNV-1a of the URL.
  function version(text) {
    let hash = 0x811c9dc5;
    for (const byte of new TextEncoder().encode(text)) {
      hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
    }
    return hash.toString(16).padStart(8, "0");
  }
  function hue(id) {
    return Number(id.slice(2)) % HUES;
  }
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }
  function poster(item, stored) {
    const placeholder = el("span", { class: "placeholder", "aria-hidden": "true" },
      el("span", { class: "ph-title" }, item.title),
      item.year ? el("span", { class: "ph-year" }, String(item.year)) : null);
    const image = stored && item.poster_url
      ? el("img", {
        src: `/movies/${encodeURIComponent(item.id)}/poster?v=${version(item.poster_url)}`,
        alt: `Poster of ${item.title}`, width: "300", height: "445", loading: "lazy",
        decoding: "async",
      })
      : null;
    return el("span", { class: `poster hue-${hue(item.id)}` }, placeholder, image);
  }
  function moviePage(id) {
    return `/ui/movies/${encodeURIComponent(id)}`;
  }

  // --- talking to the API --------------------------------------------------------------------
  function say(text, isError) {
    const status = $("#status");
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  function askKey(reason) {
    const form = $("#key-form");
    if (!form) return Promise.resolve(false);
    const input = $("#api-key", form);
    const cancel = $("#key-cancel", form);
    $("#key-reason", form).textContent = reason;
    form.hidden = false;
    input.value = "";
    input.focus();
    const returnTo = document.activeElement;
    return new Promise((resolve) => {
      function done(accepted) {
        form.hidden = true;
        form.removeEventListener("submit", submitted);
        form.removeEventListener("keydown", escaped);
        cancel.removeEventListener("click", cancelled);
        if (returnTo instanceof HTMLElement) returnTo.focus();
        resolve(accepted);
      }
      function escaped(event) {
        if (event.key === "Escape") done(false);
      }
      function submitted(event) {
        event.preventDefault();
        const key = input.value.trim();
        input.value = "";
        if (!key) return;
        sessionStorage.setItem(KEY, key);
        done(true);
      }
      function cancelled() {
        done(false);
      }
      form.addEventListener("submit", submitted);
      form.addEventListener("keydown", escaped);
      cancel.addEventListener("click", cancelled);
    });
  }

  // Sends the request with the session's key (asking for one first when ``needsKey``); a 401
  // forgets the key and asks again. Null when the person cancels.
  async function send(method, url, options) {
    const { body, needsKey, reason } = options;
    let response = null;
    for (let round = 0; round < 3; round++) {
      let key = sessionStorage.getItem(KEY);
      if (!key && needsKey) {
        if (!(await askKey(reason))) return response;
        key = sessionStorage.getItem(KEY);
      }
      const headers = { Accept: "application/json" };
      if (key) headers.Authorization = `Bearer ${key}`;
      if (body !== undefined) headers["Content-Type"] = "application/json";
      response = await fetch(url, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit", cache: "no-store",
      });
      if (response.status !== 401) return response;
      sessionStorage.removeItem(KEY);
      const again = key
        ? "That API key was not accepted (401: unknown or revoked). Enter another."
        : reason;
      if (!(await askKey(again))) return response;
    }
    return response;
  }

  async function failure(response, words) {
    let detail = "";
    try {
      const problem = await response.json();
      detail = problem.detail ? ` (${problem.detail})` : "";
    } catch (ignored) { /* not a problem document */ }
    const status = response.status;
    if (words[status]) return words[status];
    if (status === 401) return "The API key was not accepted (401): it is missing, unknown or revoked.";
    if (status === 429) {
      const wait = response.headers.get("Retry-After") || "a few";
      return `Too many requests (429): try again in ${wait} seconds.`;
    }
    if (status === 502) return "OMDb failed to answer (502): nothing changed. Try again later.";
    if (status === 503) return `OMDb or the database is unavailable (503)${detail}: nothing changed.`;
    if (status === 504) return "OMDb did not answer in time (504): nothing changed. Try again later.";
    return `The request failed (${status})${detail}.`;
  }

  function formParams(form) {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (typeof value === "string" && value.trim()) params.append(name, value.trim());
    }
    return params;
  }

  // --- the catalogue: search as you type -----------------------------------------------------
  function uiLink(apiLink) {
    if (!apiLink) return null;
    const params = new URLSearchParams(apiLink.split("?")[1] || "");
    if (params.get("limit") === PAGE_SIZE) params.delete("limit");
    if (params.get("page") === "1") params.delete("page");
    const query = params.toString();
    return query ? `/?${query}` : "/";
  }
  function movieCard(item) {
    const meta = el("span", { class: "card-meta" }, item.year ? String(item.year) : "Year unknown");
    if (item.imdb_rating !== null && item.imdb_rating !== undefined) {
      meta.append(" · ", el("span", { "aria-label": "IMDb rating" }, `★ ${item.imdb_rating}`));
    }
    return el("li", { class: "card" },
      el("a", { class: "card-link", href: moviePage(item.id) },
        poster(item, true), el("span", { class: "card-title" }, item.title)),
      meta);
  }
  function pager(links) {
    if (!links.prev && !links.next) return null;
    const entry = (label, link, rel) => el("li", {},
      link ? el("a", { href: uiLink(link), rel }, label) : el("span", { "aria-disabled": "true" }, label));
    return el("nav", { class: "pager", "aria-label": "Pages" }, el("ul", {},
      entry("First", links.prev ? links.first : null), entry("Previous", links.prev, "prev"),
      entry("Next", links.next, "next"), entry("Last", links.next ? links.last : null)));
  }
  function showListing(listing, page, q) {
    const count = `${page.total_exact ? "" : "More than "}${page.total.toLocaleString("en")} ${page.total === 1 ? "movie" : "movies"}`;
    const parts = [el("p", { class: "count", id: "result-count" }, count)];
    if (page.items.length) {
      parts.push(el("ul", { class: "grid", id: "grid" }, ...page.items.map(movieCard)));
    } else {
      const add = el("a", { href: `/ui/add?${new URLSearchParams({ q })}` }, `search OMDb for “${q}”`);
      parts.push(el("div", { class: "empty" },
        el("p", {}, q ? `No movie in the catalogue matches “${q}”.` : "No movie matches these filters."),
        q ? el("p", {}, "Change the search, or ", add, " to add it.") : null));
    }
    parts.push(pager(page.links));
    listing.replaceChildren(...parts.filter(Boolean));
  }

  function instantSearch(form, box, listing) {
    let timer = 0;
    let latest = 0;
    async function update() {
      const params = formParams(form);
      const mine = ++latest;
      const api = new URLSearchParams(params);
      api.set("limit", PAGE_SIZE);
      let response;
      try {
        response = await fetch(`/movies?${api}`, { headers: { Accept: "application/json" } });
      } catch (ignored) {
        return; // the form still works: submitting it loads the page
      }
      if (mine !== latest) return;
      if (!response.ok) {
        listing.replaceChildren(el("p", { class: "count", role: "alert" }, await failure(response, {})));
        return;
      }
      const page = await response.json();
      if (mine !== latest) return;
      history.replaceState(null, "", params.toString() ? `/?${params}` : "/");
      showListing(listing, page, params.get("q") || "");
    }
    form.addEventListener("submit", (event) => {
      // The same page the browser would load, without the blank fields in its address.
      event.preventDefault();
      const params = formParams(form);
      location.assign(params.toString() ? `/?${params}` : "/");
    });
    box.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(update, 300);
    });
  }

  // --- a movie's page: refresh and delete ----------------------------------------------------
  function movieActions(movie) {
    const id = movie.dataset.movieId;
    const title = movie.dataset.movieTitle;
    const refresh = $("#refresh");
    const remove = $("#delete");
    refresh.addEventListener("click", async () => {
      refresh.disabled = true;
      say("Fetching the details again from OMDb…");
      try {
        const response = await send("POST", `/movies/${encodeURIComponent(id)}/refresh`, {
          needsKey: true, reason: "Refreshing needs an API key with the movies:add scope.",
        });
        if (response === null) return say("Not refreshed: no API key was given.");
        if (response.ok) {
          say("Details fetched again. Reloading…");
          location.reload();
          return;
        }
        say(await failure(response, {
          403: "This API key may not refresh movies (403): it needs the movies:add scope.",
          404: "This movie is no longer in the catalogue (404).",
        }), true);
      } catch (ignored) {
        say("The service could not be reached.", true);
      } finally {
        refresh.disabled = false;
      }
    });
    remove.addEventListener("click", async () => {
      if (!window.confirm(`Delete “${title}” from the catalogue?`)) return;
      remove.disabled = true;
      say("Deleting…");
      try {
        const response = await send("DELETE", `/movies/${encodeURIComponent(id)}`, {
          needsKey: true, reason: "Deleting needs an API key with the movies:delete scope.",
        });
        if (response === null) return say("Not deleted: no API key was given.");
        if (response.status === 204) {
          say("Deleted. Back to the catalogue…");
          location.assign("/");
          return;
        }
        say(await failure(response, {
          403: "This API key may not delete movies (403): it needs the movies:delete scope.",
          404: "This movie is no longer in the catalogue (404): someone deleted it already.",
        }), true);
      } catch (ignored) {
        say("The service could not be reached.", true);
      } finally {
        remove.disabled = false;
      }
    });
  }

  // --- adding: search OMDb, add a result by its id -------------------------------------------
  function resultCard(item) {
    const mark = item.stored
      ? el("span", { class: "stored" }, "In the catalogue · ",
        el("a", { href: moviePage(item.id) }, "open ", el("span", { class: "visually-hidden" }, item.title)))
      : el("button", { type: "button", class: "add", "data-add": item.id }, "Add ",
        el("span", { class: "visually-hidden" }, item.title));
    return el("li", { class: "card", "data-id": item.id }, poster(item, item.stored),
      el("span", { class: "card-title" }, item.title),
      el("span", { class: "card-meta" }, (item.year ? String(item.year) : "Year unknown")
        + (item.type !== "movie" ? ` · ${item.type}` : "")), mark);
  }

  function adding(form, results) {
    const reason = "OMDb searches and adds need an API key with the movies:add scope here.";
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const params = formParams(form);
      if (!params.get("q")) return;
      say("Searching OMDb…");
      try {
        const response = await send("GET", `/omdb/search?${params}`, { needsKey: false, reason });
        if (response === null) return say("Not searched: no API key was given.");
        if (!response.ok) return say(await failure(response, {}), true);
        const page = await response.json();
        history.pushState(null, "", `/ui/add?${params}`);
        results.replaceChildren(...page.items.map(resultCard));
        const shown = page.items.length < page.total ? `; the first ${page.items.length} are shown` : "";
        say(page.total
          ? `${page.total.toLocaleString("en")} ${page.total === 1 ? "result" : "results"} on OMDb${shown}.`
          : `OMDb has nothing for “${params.get("q")}”.`);
        checkPosters(results);
      } catch (ignored) {
        say("The service could not be reached.", true);
      }
    });
    results.addEventListener("click", async (event) => {
      const button = event.target.closest("button[data-add]");
      if (!button) return;
      button.disabled = true;
      say("Adding: fetching every detail from OMDb…");
      try {
        const response = await send("POST", "/movies", {
          body: { id: button.dataset.add }, needsKey: false, reason,
        });
        if (response === null) return say("Not added: no API key was given.");
        if (response.status === 201 || response.status === 409) {
          const answer = await response.json();
          location.assign(moviePage(answer.id));
          return;
        }
        say(await failure(response, {
          403: "This API key may not add movies (403): it needs the movies:add scope.",
          404: "OMDb no longer has this title (404).",
        }), true);
      } catch (ignored) {
        say("The service could not be reached.", true);
      } finally {
        button.disabled = false;
      }
    });
    window.addEventListener("popstate", () => location.reload());
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const node of document.querySelectorAll("[data-js-only]")) node.hidden = false;
    checkPosters(document);
    const listingForm = $("#listing-form");
    if (listingForm && $("#q") && $("#listing")) instantSearch(listingForm, $("#q"), $("#listing"));
    const movie = $("#movie");
    if (movie) movieActions(movie);
    const addForm = $("#add-form");
    if (addForm && $("#results")) adding(addForm, $("#results"));
  });
})();
