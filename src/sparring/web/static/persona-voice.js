// The counterpart's voice when replies are read aloud (docs/voice.md, "The counterpart's voice"): of the device's
// own speechSynthesis voices, the one that best fits the persona's `voice` (language, a gender hint), always the
// same one for the same persona on the same device. Pure: practice.js calls it with the device's voices.
(function () {
  "use strict";
  // Voice names rarely say who they are; these are common names of the voices the big platforms ship.
  const HINTS = {
    female: /female|woman|\b(zira|samantha|victoria|karen|moira|tessa|fiona|susan|hazel|serena|allison|ava|joanna|salli|kimberly|kendra|ivy|emma|amy|libby|sonia|aria|jenny|michelle|catherine|kate|veena)\b/i,
    male: /(^|[^e])male\b|\bman\b|\b(david|mark|alex|daniel|fred|george|james|ryan|guy|matthew|joey|justin|brian|arthur|thomas|oliver|rishi|aaron|gordon|lee)\b/i,
  };

  function norm(lang) { return String(lang || "").toLowerCase().replace("_", "-"); }

  function stableIndex(key, n) {
    let h = 0;
    for (const c of String(key)) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    return n ? h % n : 0;
  }

  // voices: [{name, lang, localService}]; wanted: {lang, gender, pitch, rate}; persona: a name (the stable key)
  function pick(voices, wanted, persona) {
    const list = Array.from(voices || []);
    if (!list.length) return null;
    const lang = norm(wanted.lang || "en-US");
    const base = lang.split("-")[0];
    let pool = list.filter((v) => norm(v.lang) === lang);
    if (!pool.length) pool = list.filter((v) => norm(v.lang).split("-")[0] === base);
    if (!pool.length) return null;  // no voice speaks the language: the browser's default is no better
    const local = pool.filter((v) => v.localService !== false);  // a local voice never sends the text away
    if (local.length) pool = local;
    const hint = HINTS[wanted.gender];
    if (hint) {
      const fit = pool.filter((v) => hint.test(v.name));
      if (fit.length) pool = fit;
    }
    return pool[stableIndex(persona || "", pool.length)];
  }

  function settings(el) {
    const num = (value, low, high) => {
      const x = parseFloat(value);
      return Number.isFinite(x) ? Math.min(high, Math.max(low, x)) : 1;
    };
    return {
      lang: el.dataset.ttsLang || "en-US",
      gender: el.dataset.ttsGender || "any",
      pitch: num(el.dataset.ttsPitch, 0.5, 1.5),
      rate: num(el.dataset.ttsRate, 0.7, 1.3),
    };
  }

  window.SparringVoice = { pick: pick, settings: settings };
})();
