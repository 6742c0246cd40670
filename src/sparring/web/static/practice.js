// Practice page: post the learner's turn (saved first), then stream the persona's reply over SSE.
// Voice: the learner's turn is recorded and heard on the Sparring server (never a cloud service); replies are
// read aloud by the browser's own speechSynthesis. Typing always works.
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
  let speechId = null;        // the recording the reply box holds (docs/voice.md), until it is sent
  let replyEndedAt = performance.now();  // when the counterpart's last line ended (shown, or spoken aloud)

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

  let playing = null;  // the reply the server voice is playing (an Audio), if any

  function speaking() {
    return Boolean((playing && !playing.paused && !playing.ended) ||
                   (window.speechSynthesis && window.speechSynthesis.speaking));
  }

  // The server voice (docs/voice.md, "A server voice"): the reply as audio from the Sparring server, in the
  // persona's voice; when it cannot be played, the browser's own voice reads it instead.
  function playFromServer(text, index) {
    if (playing) playing.pause();
    const audio = new Audio("/api/reps/" + repId + "/turns/" + index + "/audio");
    playing = audio;
    audio.onended = () => { replyEndedAt = performance.now(); };
    audio.onerror = () => { if (playing === audio) { playing = null; speakLocally(text); } };
    audio.play().catch(() => {});  // an error also lands in onerror
  }

  function speak(text, index) {
    replyEndedAt = performance.now();
    if (!speakBox || !speakBox.checked) return;
    if (root.dataset.tts === "server" && index !== undefined && index !== null) {
      playFromServer(text, index);
      return;
    }
    speakLocally(text);
  }

  function speakLocally(text) {
    if (!("speechSynthesis" in window)) return;
    window.speechSynthesis.cancel();
    const line = new SpeechSynthesisUtterance(text);
    // the persona's own voice (persona-voice.js): the device's voice that fits it, its pitch and pace
    const wanted = window.SparringVoice ? window.SparringVoice.settings(root) : null;
    if (wanted) {
      const voice = window.SparringVoice.pick(window.speechSynthesis.getVoices(), wanted, root.dataset.persona);
      line.lang = wanted.lang;
      if (voice) line.voice = voice;
      line.pitch = wanted.pitch;
      line.rate = wanted.rate;
    }
    line.onend = () => { replyEndedAt = performance.now(); };
    window.speechSynthesis.speak(line);
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
          performance.mark("sparring-reply", { detail: { index: data.index } });  // for timing the page
          speak(data.text, data.index);
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
        body: JSON.stringify(speechId ? { text: text, speech_id: speechId } : { text: text }),
      });
      speechId = null;
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

  // Speech in: the browser records the turn and the Sparring server hears it, offline (docs/voice.md) — nothing
  // goes to a cloud speech service. The turn ends on a pause (the microphone's level, checked every 50 ms); the
  // heard text goes in the reply box and is sent, or waits for the learner's check when they asked for that.
  // Hearing early: after EARLY_SILENCE_MS of quiet the take so far is already sent to be heard, so that when the
  // turn ends (END_SILENCE_MS) the text is ready or nearly; if the learner goes on talking, that early take is
  // discarded (DELETE) and the whole turn is heard when it ends (docs/voice.md, "Hearing early").
  const VOICE_LEVEL = 0.02, EARLY_SILENCE_MS = 400, END_SILENCE_MS = 1000, NO_SPEECH_MS = 8000, MAX_MS = 115000;
  const AudioCtx = window.AudioContext || window.webkitAudioContext;
  const checkBox = document.getElementById("check-heard");
  let recording = null;
  if (micBtn && root.dataset.voice === "true" && navigator.mediaDevices && window.MediaRecorder && AudioCtx) {
    micBtn.hidden = false;
    micBtn.addEventListener("click", () => { if (recording) recording.stop(); else startRecording(); });
  }
  input.addEventListener("input", () => { if (!input.value.trim()) speechId = null; });
  if (speakBox) speakBox.addEventListener("change", () => { speakBox.dataset.chosen = "yes"; });

  async function startRecording() {
    if (busy) return;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      setStatus("The microphone is not available (" + e.name + "). You can type instead.");
      return;
    }
    const ctx = new AudioCtx();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 1024;
    ctx.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const rec = new MediaRecorder(stream);
    const chunks = [];
    const started = performance.now();
    let speechAt = null, lastVoice = 0, lastTick = started, overMs = 0;
    let early = null, cutEarly = false;  // the take heard early: { heard: Promise } once its data has arrived
    const waited = () => Math.max(0, speechAt - Math.max(replyEndedAt, 0)) / 1000;
    const timer = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
      const now = performance.now();
      if (Math.sqrt(sum / samples.length) > VOICE_LEVEL) {
        if (speechAt === null) speechAt = now;
        lastVoice = now;
        if (speaking()) overMs += now - lastTick;
        if (early) { discard(early); early = null; cutEarly = false; }  // the learner went on: hear it all at the end
      }
      lastTick = now;
      if (speechAt !== null && !early && now - lastVoice > EARLY_SILENCE_MS && rec.state === "recording") {
        early = { heard: null };
        cutEarly = true;
        rec.requestData();  // the take so far arrives in ondataavailable, which sends it
      }
      if ((speechAt !== null && now - lastVoice > END_SILENCE_MS) || now - started > MAX_MS ||
          (speechAt === null && now - started > NO_SPEECH_MS)) {
        if (rec.state === "recording") rec.stop();
      }
    }, 50);
    rec.ondataavailable = (e) => {
      if (e.data && e.data.size) chunks.push(e.data);
      if (cutEarly && early && !early.heard && rec.state === "recording") {
        cutEarly = false;
        early.heard = hear(new Blob(chunks, { type: rec.mimeType || "audio/webm" }), overMs / 1000, waited());
      }
    };
    rec.onstop = async () => {
      clearInterval(timer);
      stream.getTracks().forEach((t) => t.stop());
      ctx.close();
      recording = null;
      micBtn.classList.remove("on");
      micBtn.setAttribute("aria-pressed", "false");
      if (speechAt === null) { setStatus("Nothing was heard. Try again closer to the microphone, or type."); return; }
      setStatus("Hearing your line…");
      let result = early && early.heard ? await early.heard : null;
      const usedEarly = !!(result && result.ok);
      if (!usedEarly) {  // not heard early, or that failed: hear the whole take now
        if (early && early.heard) discard(early);
        result = await hear(new Blob(chunks, { type: rec.mimeType || "audio/webm" }), overMs / 1000, waited());
      }
      // for anyone timing the page (and its browser test): when speech ended, and whether the early take served
      performance.mark("sparring-heard", { detail: { early: usedEarly, speechEnded: lastVoice } });
      useHeard(result);
    };
    rec.start(250);
    recording = rec;
    micBtn.classList.add("on");
    micBtn.setAttribute("aria-pressed", "true");
    setStatus("Listening… your turn ends when you pause.");
  }

  // Send one recording to be heard; resolves to { ok, data } without touching the page.
  async function hear(blob, overSeconds, waitedSeconds) {
    const ext = blob.type.indexOf("ogg") >= 0 ? "ogg" : blob.type.indexOf("mp4") >= 0 ? "m4a" : "webm";
    const body = new FormData();
    body.append("audio", blob, "turn." + ext);
    body.append("talked_over_seconds", Math.min(overSeconds, 600).toFixed(2));
    body.append("waited_seconds", Math.min(waitedSeconds, 600).toFixed(2));
    let resp, data = {};
    try {
      resp = await fetch("/api/reps/" + repId + "/speech", { method: "POST", headers: { "X-CSRF-Token": csrf }, body: body });
      data = await resp.json();
    } catch (e) { /* network error or no JSON */ }
    return { ok: !!(resp && resp.ok), data: data || {} };
  }

  // A take heard early that will not be sent: the server forgets it (and any recording it kept).
  function discard(take) {
    if (!take.heard) return;
    take.heard.then((r) => {
      if (r.ok && r.data.speech_id) {
        fetch("/api/reps/" + repId + "/speech/" + r.data.speech_id, { method: "DELETE", headers: { "X-CSRF-Token": csrf } })
          .catch(() => { /* an unsent take harms nothing; the rep's delivery counts sent takes only */ });
      }
    });
  }

  function useHeard(result) {
    const data = result.data;
    if (!result.ok) {
      setStatus((data && data.detail) || "The recording could not be heard. You can type instead.");
      return;
    }
    input.value = data.text;
    speechId = data.speech_id;
    // a learner who speaks hears the answers too, unless they chose otherwise
    if (speakBox && !speakBox.dataset.chosen && "speechSynthesis" in window) speakBox.checked = true;
    if (checkBox && checkBox.checked) {
      setStatus("Heard. Check the text, correct it if needed, and press Send.");
      input.focus();
    } else {
      form.requestSubmit();
    }
  }
  if (speakBox && !("speechSynthesis" in window) && root.dataset.tts !== "server") speakBox.closest("label").hidden = true;
  // Chromium loads its voice list on first ask: ask now, so that the persona's voice is known by the first reply
  if ("speechSynthesis" in window) window.speechSynthesis.getVoices();

  if (root.dataset.pending === "true") resumePending();
  scrollDown();
  if (!form.hidden) input.focus();
})();
