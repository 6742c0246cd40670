"""Guards, in code, around an LLM persona: what the learner may not extract and what the persona may not say.

The prompt asks the model to stay in character; these checks make sure of it whatever the model does:
- ``reveals-hidden-state``: the hidden state (its variable names with numbers, "hidden agenda", objection ids,
  the scenario's hidden agenda lines) or the instructions themselves;
- ``reveals-rubric``: scores, rubrics, criteria, pass marks;
- ``coaches-learner``: advice on how the learner should handle the conversation;
- ``swaps-role``: speaking as the learner's side, or as an assistant/AI.
A reply that breaks a rule is replaced (or cut at the last clean sentence while streaming) by an in-character
line. Learner lines that try to break the frame are detected too, so the state never rewards them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sparring.content.scenario import Scenario

#: words that name a hidden-state variable in most scenarios; only flagged next to a 0..1 value or a percentage,
#: so business talk ("our budget is 40,000", "3 out of 10 clinics") passes
_STATE_WORDS = r"(?:trust|patience|openness|rapport|frustration|calm|readiness)"
_STATE_VALUE = r"(?:0?\.\d+|1\.0+|\d{1,3}\s*(?:%|percent))"

_RULES: dict[str, list[re.Pattern[str]]] = {
    "reveals-hidden-state": [
        re.compile(r"\bhidden (?:state|agenda|objections?|goals?|motives?)\b", re.I),
        re.compile(r"\b(?:my|the) (?:system )?(?:prompt|instructions)\b", re.I),
        re.compile(rf"\b{_STATE_WORDS}\b[^.!?\n]{{0,20}}?(?:[:=]|\bis\b|\bat\b|\blevel\b)\s*{_STATE_VALUE}", re.I),
        re.compile(rf"(?<![\w.]){_STATE_VALUE}\s*(?:of\s+)?(?:my\s+)?{_STATE_WORDS}\b", re.I),
        re.compile(r"\bstate (?:variables?|values?)\b", re.I),
        re.compile(r"\bI(?:'m| am) (?:an? )?(?:AI|language model|LLM|chatbot|assistant|simulation)\b", re.I),
        re.compile(r"\bas an? (?:AI|language model|LLM)\b", re.I),
        re.compile(r"\b(?:role-?play(?:ing)?|this (?:exercise|simulation)|practice scenario)\b", re.I),
    ],
    "reveals-rubric": [
        re.compile(r"\b(?:rubric|scorecard|criteri(?:on|a)|pass(?:ing)? mark)\b", re.I),
        re.compile(r"\byour (?:score|grade|rating|marks?)\b", re.I),
        re.compile(
            r"\byou(?:'re| are| will be| would be)?(?: being)? (?:scored|graded|marked|evaluated|assessed)\b", re.I
        ),
        re.compile(r"\b\d{1,3}\s*/\s*100\b"),
        re.compile(r"\b(?:score|scored|rating|rated|grade|graded)\b[^.!?\n]{0,25}\b\d{1,3}\s*(?:/|out of)\s*\d", re.I),
    ],
    "coaches-learner": [
        re.compile(
            r"\byou (?:should|could|might want to|ought to)(?: have)? "
            r"(?:ask(?:ed)?|acknowledged?|explored?|reflected?|reflect|probed?|paraphrased?|summari[sz]ed?) "
            r"(?:me|my|about|what|how|why|the|more|first|before|back)\b",
            re.I,
        ),
        re.compile(r"\bnext time,? (?:you|try)\b", re.I),
        re.compile(r"\ba better (?:approach|question|response|opening) (?:would|is|might)\b", re.I),
        re.compile(r"\b(?:my|some|a) (?:advice|tip|feedback) (?:for|to) you\b", re.I),
        re.compile(r"\b(?:tip|hint|coaching|feedback)\s*:", re.I),
        re.compile(
            r"\b(?:good|great|excellent|nice|smart) (?:technique|use of|(?:sales|questioning|listening) skills?)\b",
            re.I,
        ),
        re.compile(
            r"\b(?:that was|that's) (?:a )?(?:good|great|nice|textbook) (?:reflection|open question|trial close)\b",
            re.I,
        ),
        re.compile(r"\b(?:a good|the best) (?:salesperson|rep|manager|consultant|interviewer) would\b", re.I),
        re.compile(r"\b(?:open|closed)[- ]ended questions?\b", re.I),
        re.compile(r"\bhandle (?:my|this|the) objection\b", re.I),
    ],
    "swaps-role": [
        re.compile(r"\b(?:switch(?:ing)?|swap(?:ping)?|reverse|change) (?:our )?roles?\b", re.I),
        re.compile(
            r"\bI(?:'ll| will| can)? (?:be|play|act as) (?:the|your) \w+(?: \w+)? (?:now|instead|for you)\b", re.I
        ),
        re.compile(
            r"\b(?:now )?I(?:'m| am| will be|'ll be) (?:the|your) (?:salesperson|sales rep|seller|coach)\b", re.I
        ),
        re.compile(r"^\s*(?:learner|user|assistant|system|rep|salesperson)\s*:", re.I | re.M),
    ],
}

#: learner lines that try to take the persona out of the conversation
_INJECTION = [
    re.compile(r"\bignore (?:all |any |your |the |previous |prior |above )+(?:instructions|rules|prompt)", re.I),
    re.compile(r"\b(?:system prompt|your instructions|developer message|jailbreak)\b", re.I),
    re.compile(r"\bwhat(?:'s| is| was) my (?:score|grade|rating|mark)\b", re.I),
    re.compile(r"\bhow (?:am I|did I) (?:doing|score|do)\b", re.I),
    re.compile(r"\b(?:rubric|scorecard|hidden state|hidden agenda)\b", re.I),
    re.compile(r"\byou are (?:now )?(?:the|a|my) (?:salesperson|sales rep|rep|seller|coach|assistant|ai)\b", re.I),
    re.compile(r"\b(?:let'?s )?(?:switch|swap|reverse) roles\b", re.I),
    re.compile(r"\b(?:pretend|act as if) you(?:'re| are)\b", re.I),
    re.compile(r"\b(?:give me|any|some) (?:some |any )?(?:tips|advice|feedback|coaching)\b", re.I),
    re.compile(r"\byou(?:'re| are) (?:an? )?(?:AI|language model|LLM|chatbot|bot)\b", re.I),
]

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+")


def _ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


class PersonaGuard:
    """Checks persona text against the rules for one scenario."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        #: verdicts by text: a streamed sentence is checked again in the final ``clean``; the rules are pure
        self._verdicts: dict[str, tuple[str, ...]] = {}
        secrets = list(scenario.persona.hidden_agenda)
        self._secret_grams: set[tuple[str, ...]] = set()
        for line in secrets:
            self._secret_grams |= _ngrams(line, 6)
        role = re.split(r"\s+(?:at|for|of|from|with)\s+|[,(;]", scenario.learner_role or "")[0].strip()
        self._role = (
            re.compile(
                rf"\bI(?:'m| am| will be|'ll be|'ll play| play) (?:now )?(?:the|your|a|an) {re.escape(role)}\b"
                rf"|^\s*{re.escape(role)}\s*:",
                re.I | re.M,
            )
            if len(role) >= 3
            else None
        )
        ids = [o.id for o in scenario.objections if "-" in o.id]
        state_keys = list(scenario.state)
        self._ids = re.compile(r"\b(" + "|".join(re.escape(i) for i in ids) + r")\b", re.I) if ids else None
        self._state = (
            re.compile(
                r"\b(" + "|".join(re.escape(k) for k in state_keys) + r")\b[^.!?\n]{0,20}?(?:[:=]|\bis\b|\bat\b)\s*"
                + _STATE_VALUE,
                re.I,
            )
            if state_keys
            else None
        )

    def violations(self, text: str) -> list[str]:
        known = self._verdicts.get(text)
        if known is None:
            known = self._verdicts[text] = tuple(self._check(text))
        return list(known)

    def _check(self, text: str) -> list[str]:
        found = [rule for rule, patterns in _RULES.items() if any(p.search(text) for p in patterns)]
        leak = bool(self._ids and self._ids.search(text)) or bool(self._state and self._state.search(text))
        if not leak and self._secret_grams and _ngrams(text, 6) & self._secret_grams:
            leak = True
        if leak and "reveals-hidden-state" not in found:
            found.append("reveals-hidden-state")
        if self._role is not None and self._role.search(text) and "swaps-role" not in found:
            found.append("swaps-role")
        return found

    def clean(self, text: str) -> tuple[str, list[str]]:
        """Keep the sentences before the first one that breaks a rule. Returns (kept text, rules broken)."""
        kept: list[str] = []
        for sentence in split_sentences(text):
            rules = self.violations(sentence)
            if rules:
                return " ".join(kept).strip(), rules
            kept.append(sentence)
        whole = self.violations(text)  # rules that only show across sentences
        if whole:
            return "", whole
        return text.strip(), []


def split_sentences(text: str) -> list[str]:
    return [s for s in (p.strip() for p in _SENTENCE_END.split(text)) if s]


def complete_sentences(text: str) -> tuple[list[str], str]:
    """Split streamed text into finished sentences and the unfinished rest."""
    parts = _SENTENCE_END.split(text)
    if len(parts) == 1:
        return [], text
    return [p.strip() for p in parts[:-1] if p.strip()], parts[-1]


def is_injection(learner_text: str) -> bool:
    return any(p.search(learner_text) for p in _INJECTION)


def strip_speaker_prefix(text: str, names: Iterable[str]) -> str:
    """Drop a leading ``Name:`` the model sometimes adds before its own line."""
    for name in names:
        if name and re.match(rf"\s*{re.escape(name)}\s*:", text, re.I):
            return re.sub(rf"^\s*{re.escape(name)}\s*:\s*", "", text, count=1, flags=re.I)
    return text
