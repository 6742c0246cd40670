// Practice page: post the learner's turn (saved first), then stream the persona's reply over SSE.
// Voice: the browser's Web Speech API for speech in (SpeechRecognition) and out (speechSynthesis) where
// available; typing always works.
(function () {
  "use strict";
  const root = document.getElementById("practice");
  if (!root) return;
  const repId = root.dataset.rep;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const transcript = document.getElementById("transcript");
  const form = document.getElementById("composer");
  const input = document.getElementById("say");
  const sendBtn = document.getElementById("send");
  const statusLine = document.getElementById("status");
  const micBtn = document.getElementById("mic");
  const speakBox = document.getElementById("speak");
  let busy = false;

  function setStatus(text) { statusLine.textContent = text || ""; }
  function scrollDown() { transcript.scrollTop = transcript.scrollHeight; }

  function addTurn(role, speaker, text) {
    const div = document.createElement("div");
    div.className = "turn " + role;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = speaker;
    const body = document.createElement("div");
    body.className = "text";
    body.textContent = text;
    div.append(who, body);
    transcript.appendChild(div);
    scrollDown();
    return div;
  }

  function setBusy(on) {
    busy = on;
    sendBtn.disabled = on;
    input.disabled = on;
    if (!on) input.focus();
  }

  function speak(text) {
    if (!speakBox || !speakBox.checked || !("speechSynthesis" in window)) return;
    window.speechSynthesis.cancel();
    window.speechSynthesis.speak(new SpeechSynthesisUtterance(text));
  }

  // Minimal SSE parser over a fetch() body, so the turn can be POSTed and the reply streamed back.
  async function readEvents(resp, onEvent) {
    const reader = resp.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let name = "message", data = "";
        block.split("\n").forEach((line) => {
          if (line.startsWith("event: ")) name = line.slice(7);
          else if (line.startsWith("data: ")) data += line.slice(6);
        });
        onEvent(name, data ? JSON.parse(data) : {});
      }
    }
  }

  function replyHandler() {
    let bubble = null, body = null, finished = false;
    return {
      handle(name, data) {
        if (name === "saved") {
          input.value = "";
          addTurn("learner", data.speaker, data.text);
          bubble = addTurn("counterpart pending", root.dataset.persona, "");
          body = bubble.querySelector(".text");
          setStatus(root.dataset.persona + " is answering…");
        } else if (name === "delta") {
          if (!bubble) { bubble = addTurn("counterpart pending", root.dataset.persona, ""); body = bubble.querySelector(".text"); }
          body.textContent += data.text; scrollDown();
        } else if (name === "done") {
          finished = true;
          bubble.classList.remove("pending");
          body.textContent = data.text;
          setStatus(data.fallback ? "Note: " + data.fallback : "");
          speak(data.text);
          setBusy(false);
          if (data.ended) finish(data);
        } else if (name === "failure") {
          finished = true;
          if (bubble) bubble.remove();
          setStatus(data.message + " Your line is saved; reload the page to get the reply.");
          setBusy(false);
        }
      },
      lost() {
        if (finished) return;
        if (bubble) bubble.remove();
        setStatus("Connection lost. Anything you sent is saved; reload the page to continue.");
        setBusy(false);
      },
    };
  }

  function finish(data) {
    setStatus(data.outcome === "success" ? "The conversation reached its goal. Your scorecard is ready."
                                         : "The conversation has ended. Your scorecard is ready.");
    form.hidden = true;
    const endForm = document.getElementById("end-form");
    if (endForm) endForm.hidden = true;
    const done = document.getElementById("ended");
    if (done) { done.hidden = false; const link = done.querySelector("a"); if (link) link.focus(); }
  }

  // A learner line saved without its reply (a crash, an engine error): ask for the reply. A POST, not an
  // EventSource GET: answering writes the persona's turn, and a GET must never change anything.
  async function resumePending() {
    setBusy(true);
    const h = replyHandler();
    h.handle("delta", { text: "" });
    try {
      const resp = await fetch("/reps/" + repId + "/reply", {
        method: "POST",
        headers: { "X-CSRF-Token": csrf, "Accept": "text/event-stream" },
      });
      if (resp.ok) await readEvents(resp, (name, data) => h.handle(name, data));
    } catch (e) { /* network error */ }
    h.lost();
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text || busy) return;
    setBusy(true);
    setStatus("Saving…");
    const h = replyHandler();
    try {
      const resp = await fetch("/reps/" + repId + "/turns", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "text/event-stream" },
        body: JSON.stringify({ text: text }),
      });
      if (!resp.ok) {
        let msg = "Could not send your line.";
        try { msg = (await resp.json()).detail || msg; } catch (e) { /* keep the default */ }
        setStatus(msg);
        setBusy(false);
        return;
      }
      await readEvents(resp, (name, data) => h.handle(name, data));
    } catch (e) { /* network error */ }
    h.lost();
  });

  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); }
  });

  // Speech in, where the browser has it.
  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (micBtn && Recognition) {
    const rec = new Recognition();
    rec.lang = document.documentElement.lang || "en";
    rec.interimResults = true;
    rec.continuous = false;
    let listening = false;
    micBtn.hidden = false;
    micBtn.addEventListener("click", () => {
      if (listening) { rec.stop(); return; }
      rec.start();
    });
    rec.onstart = () => { listening = true; micBtn.classList.add("on"); micBtn.setAttribute("aria-pressed", "true"); setStatus("Listening…"); };
    rec.onend = () => { listening = false; micBtn.classList.remove("on"); micBtn.setAttribute("aria-pressed", "false"); setStatus(""); };
    rec.onerror = (e) => setStatus("Speech input stopped (" + e.error + "). You can type instead.");
    rec.onresult = (e) => {
      let text = "";
      for (let i = 0; i < e.results.length; i++) text += e.results[i][0].transcript;
      input.value = text;
    };
  }
  if (speakBox && !("speechSynthesis" in window)) speakBox.closest("label").hidden = true;

  if (root.dataset.pending === "true") resumePending();
  scrollDown();
  if (!form.hidden) input.focus();
})();
