// The web chat page: sends what the citizen types or picks to /api/chat and shows the replies.
// Every text from the citizen or the bot is inserted with textContent, never as HTML.
(() => {
  "use strict";

  const labels = JSON.parse(document.getElementById("labels").textContent);
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const busy = document.getElementById("busy");
  const error = document.getElementById("error");
  const switcher = document.getElementById("language");
  const maxLength = Number(input.getAttribute("maxlength")) || 10000;

  let language = "ja";
  let queue = Promise.resolve();
  let pending = 0;

  function t(key) {
    return (labels[language] && labels[language][key]) || labels.ja[key] || "";
  }

  function applyLanguage(wanted) {
    language = wanted === "en" ? "en" : "ja";
    document.documentElement.lang = language;
    document.title = t("title");
    for (const el of document.querySelectorAll("[data-i18n]")) {
      el.textContent = t(el.dataset.i18n);
    }
    for (const el of document.querySelectorAll("[data-i18n-aria]")) {
      el.setAttribute("aria-label", t(el.dataset.i18nAria));
    }
    switcher.textContent = t("switch");
    switcher.lang = t("switchLang");
  }

  function showError(key) {
    error.textContent = t(key);
    error.hidden = false;
  }

  function clearError() {
    error.hidden = true;
    error.textContent = "";
  }

  function setBusy(delta) {
    pending += delta;
    busy.hidden = pending === 0;
    log.setAttribute("aria-busy", pending === 0 ? "false" : "true");
  }

  function addMessage(from, text, choices) {
    const item = document.createElement("div");
    item.className = "msg msg-" + from;
    const who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = t(from === "citizen" ? "you" : from) + ": ";
    const body = document.createElement("p");
    body.className = "text";
    body.textContent = text;
    item.append(who, body);
    if (choices && choices.length) {
      const group = document.createElement("div");
      group.className = "choices";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", t("choices"));
      for (const choice of choices) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "choice";
        button.textContent = choice.label;
        button.addEventListener("click", () => send({ choice: choice.value }, choice.label));
        group.append(button);
      }
      item.append(group);
    }
    log.append(item);
    return item;
  }

  function show(replies) {
    let first = null;
    for (const reply of replies) {
      const item = addMessage("bot", reply.text, reply.choices);
      first = first || item;
    }
    // Long answers are read from their start, not from their end.
    if (first) first.scrollIntoView({ block: "start" });
  }

  async function post(body, sent) {
    setBusy(1);
    try {
      const response = await fetch("api/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        credentials: "same-origin",
        body: JSON.stringify(body),
      });
      if (!response.ok) {
        showError(response.status === 413 ? "tooLong" : "failed");
        return;
      }
      const data = await response.json();
      clearError();
      applyLanguage(data.language);
      show(data.replies || []);
    } catch (_) {
      // Not delivered: take the message back so that it can be sent again as it was.
      showError("offline");
      if (sent) sent.remove();
      if (typeof body.text === "string" && !input.value) input.value = body.text;
    } finally {
      setBusy(-1);
    }
  }

  function send(body, shown) {
    const sent = shown ? addMessage("citizen", shown) : null;
    if (sent) sent.scrollIntoView({ block: "end" });
    queue = queue.then(() => post(body, sent));
    return queue;
  }

  async function start() {
    setBusy(1);
    try {
      const response = await fetch("api/chat/history", {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (response.ok) {
        const data = await response.json();
        applyLanguage(data.language);
        for (const m of data.messages || []) addMessage(m.from, m.text, m.choices);
        if ((data.messages || []).length) {
          log.lastElementChild.scrollIntoView({ block: "end" });
          return;
        }
      }
    } catch (_) {
      showError("offline");
      return;
    } finally {
      setBusy(-1);
    }
    send({ event: "open" });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) {
      showError("empty");
      input.focus();
      return;
    }
    if (text.length > maxLength) {
      showError("tooLong");
      return;
    }
    clearError();
    input.value = "";
    send({ text }, text);
  });

  // Enter that confirms a Japanese IME conversion must not send the half-typed message.
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.isComposing || event.keyCode === 229)) {
      event.preventDefault();
    }
  });

  switcher.addEventListener("click", () => {
    const says = t("switchSays");
    send({ text: says }, says);
  });

  applyLanguage(document.documentElement.lang);
  start();
})();
