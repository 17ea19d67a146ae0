// Staff console: live queue and conversation updates. Every text is set with textContent.
(function () {
  "use strict";

  var body = document.body;
  var page = body.dataset.page;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function withEnglish(tag, className, ja, en) {
    var node = el(tag, className, ja + " ");
    node.appendChild(el("span", "en", en));
    return node;
  }

  function say(text) {
    var live = document.getElementById("live-status");
    if (live) live.textContent = text;
  }

  async function getJson(url) {
    var response = await fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (response.status === 401) {
      window.location.assign("/staff/login?next=" + encodeURIComponent(window.location.pathname));
      return null;
    }
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  }

  // Runs `task` once per burst of events: a change during a fetch triggers one more fetch.
  function coalesced(task) {
    var running = false;
    var again = false;
    return async function run() {
      if (running) { again = true; return; }
      running = true;
      try {
        do { again = false; await task(); } while (again);
      } catch (error) {
        say("更新に失敗しました。 Update failed.");
      } finally {
        running = false;
      }
    };
  }

  function listen(onEvent) {
    if (!window.EventSource) return;
    var source = new EventSource("/staff/events");
    source.onopen = function () { body.dataset.live = "on"; say(""); };
    source.onerror = function () { body.dataset.live = "off"; say("再接続中… Reconnecting…"); };
    source.onmessage = function (message) {
      var data;
      try { data = JSON.parse(message.data); } catch (error) { return; }
      onEvent(data);
    };
    window.addEventListener("pagehide", function () { source.close(); });
  }

  // ---- queue -------------------------------------------------------------------------------
  function queueRow(row) {
    var tr = el("tr", row.priority ? "urgent" : "");
    tr.dataset.id = row.id;
    var summary = el("td", "summary");
    if (row.priority) {
      summary.appendChild(el("span", "priority", "緊急 Urgent"));
      summary.appendChild(document.createTextNode(" "));
    }
    var link = el("a", "", row.summary);
    link.href = row.url;
    summary.appendChild(link);
    summary.appendChild(el("span", "reason", row.reason));
    tr.appendChild(summary);
    var channel = el("td");
    channel.appendChild(el("span", "channel channel-" + row.channel, row.channel_label));
    tr.appendChild(channel);
    tr.appendChild(el("td", "", row.department_name));
    var age = el("td", "", row.age);
    age.title = "最終更新 " + row.last_activity;
    tr.appendChild(age);
    var unread = el("td");
    if (row.unread) unread.appendChild(el("span", "badge unread", row.unread));
    tr.appendChild(unread);
    tr.appendChild(el("td", "", row.status_label));
    tr.appendChild(el("td", "", row.assignee || "—"));
    return tr;
  }

  function startQueue() {
    var rows = document.getElementById("queue-rows");
    var empty = document.getElementById("queue-empty");
    var refresh = coalesced(async function () {
      var data = await getJson("/staff/api/queue" + window.location.search);
      if (!data) return;
      rows.replaceChildren.apply(rows, data.rows.map(queueRow));
      empty.hidden = data.rows.length > 0;
      Object.keys(data.counts).forEach(function (tab) {
        var badge = document.getElementById("count-" + tab);
        if (badge) badge.textContent = String(data.counts[tab]);
      });
      body.dataset.refreshed = String(Date.now());
    });
    listen(function () { refresh(); });
  }

  // ---- one escalation ---------------------------------------------------------------------
  function messageItem(m) {
    var li = el("li", "msg msg-" + m.author);
    li.dataset.id = m.id;
    var meta = el("p", "meta");
    meta.appendChild(el("span", "author", m.author_label));
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(el("time", "", m.time));
    if (m.delivery) {
      var text = m.delivery.label + (m.delivery.error ? ": " + m.delivery.error : "");
      meta.appendChild(document.createTextNode(" "));
      meta.appendChild(el("span", "delivery delivery-" + m.delivery.state, text));
    }
    li.appendChild(meta);
    li.appendChild(el("p", "text", m.text));
    if (m.choices.length) {
      li.appendChild(el("p", "choices", "選択肢 Choices: " + m.choices.join(" / ")));
    }
    if (m.entries.length) {
      li.appendChild(el("p", "entries", "回答候補 Entries: " + m.entries.join(", ")));
    }
    return li;
  }

  function noteItem(n) {
    var li = el("li", "note note-" + n.kind);
    var meta = el("p", "meta");
    meta.appendChild(el("span", "author", n.author));
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(el("time", "", n.time));
    li.appendChild(meta);
    li.appendChild(el("p", "text", n.text));
    return li;
  }

  function startCanned(id) {
    var input = document.getElementById("canned-q");
    var button = document.getElementById("canned-search");
    var results = document.getElementById("canned-results");
    var textarea = document.getElementById("reply-text");
    if (!input || !button || !results || !textarea) return;
    async function search() {
      var url = "/staff/api/escalations/" + id + "/canned?q=" + encodeURIComponent(input.value) +
        "&lang=" + encodeURIComponent(body.dataset.language || "ja");
      var data = await getJson(url);
      if (!data) return;
      results.replaceChildren();
      if (!data.entries.length) {
        results.appendChild(withEnglish("li", "empty", "見つかりません。", "No matches."));
      }
      data.entries.forEach(function (entry) {
        var li = el("li");
        var use = el("button", "link", entry.title);
        use.type = "button";
        use.title = entry.id;
        use.addEventListener("click", function () {
          textarea.value = entry.answer;
          textarea.focus();
        });
        li.appendChild(use);
        results.appendChild(li);
      });
    }
    button.addEventListener("click", function () { search().catch(function () {}); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); search().catch(function () {}); }
    });
  }

  function startEscalation() {
    var id = Number(body.dataset.escalation);
    var transcript = document.getElementById("transcript");
    var notes = document.getElementById("notes");
    var refresh = coalesced(async function () {
      var data = await getJson("/staff/api/escalations/" + id);
      if (!data) return;
      transcript.replaceChildren.apply(transcript, data.messages.map(messageItem));
      if (data.notes.length) notes.replaceChildren.apply(notes, data.notes.map(noteItem));
      document.getElementById("e-status").textContent = data.status_label;
      document.getElementById("e-assignee").textContent = data.assignee || "—";
      document.getElementById("e-department").textContent = data.department_name;
      body.dataset.refreshed = String(Date.now());
    });
    listen(function (event) { if (Number(event.id) === id) refresh(); });
    startCanned(id);
  }

  if (page === "queue") startQueue();
  if (page === "escalation") startEscalation();
})();
