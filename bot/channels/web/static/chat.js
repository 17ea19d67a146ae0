// The web chat page: sends what the citizen types or picks to /api/chat and shows the replies;
// a photo goes to /api/chat/photo, the browser's position to /api/chat as a location.
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
  const photoButton = document.getElementById("photo");
  const photoFile = document.getElementById("photo-file");
  const locateButton = document.getElementById("locate");
  const maxPhoto = Number(photoFile.dataset.maxBytes) || 10 * 1024 * 1024;
  const SENT_LABELS = { image: "photoSent", location: "locationSent" };

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

  // A refused photo is still answered by the bot (the same re-ask as on LINE); the alert is
  // only for when there is no answer to show.
  async function postPhoto(file, sent) {
    setBusy(1);
    try {
      const form = new FormData();
      form.append("photo", file, file.name || "photo");
      const response = await fetch("api/chat/photo", {
        method: "POST",
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        body: form,
      });
      let data = null;
      try {
        data = await response.json();
      } catch (_) {
        data = null;
      }
      const replies = (data && data.replies) || [];
      if (replies.length) {
        clearError();
        applyLanguage(data.language);
        show(replies);
      } else if (!response.ok) {
        const refused = { 413: "photoTooLarge", 400: "photoNotImage" };
        showError(refused[response.status] || "failed");
      }
    } catch (_) {
      showError("offline");
      if (sent) sent.remove();
    } finally {
      setBusy(-1);
    }
  }

  function sendPhoto(file) {
    if (file.size > maxPhoto) {
      showError("photoTooLarge");
      return queue;
    }
    clearError();
    const sent = addMessage("citizen", t("photoSent"));
    sent.scrollIntoView({ block: "end" });
    queue = queue.then(() => postPhoto(file, sent));
    return queue;
  }

  function sendLocation() {
    if (!navigator.geolocation) {
      showError("locationFailed");
      return;
    }
    locateButton.disabled = true;
    busy.textContent = t("locating");
    setBusy(1);
    const done = () => {
      setBusy(-1);
      busy.textContent = t("busy");
      locateButton.disabled = false;
    };
    navigator.geolocation.getCurrentPosition(
      (position) => {
        done();
        clearError();
        const { latitude, longitude } = position.coords;
        send({ location: { latitude, longitude } }, t("locationSent"));
      },
      (failure) => {
        done();
        showError(failure.code === 1 ? "locationDenied" : "locationFailed");
        locateButton.focus();
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
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
        for (const m of data.messages || []) {
          const text = SENT_LABELS[m.kind] && !m.text ? t(SENT_LABELS[m.kind]) : m.text;
          addMessage(m.from, text, m.choices);
        }
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

  photoButton.addEventListener("click", () => photoFile.click());
  photoFile.addEventListener("change", () => {
    const [file] = photoFile.files;
    photoFile.value = ""; // choosing the same file again sends it again
    if (file) sendPhoto(file);
  });
  locateButton.addEventListener("click", sendLocation);

  switcher.addEventListener("click", () => {
    const says = t("switchSays");
    send({ text: says }, says);
  });

  applyLanguage(document.documentElement.lang);
  start();
})();
