"""The embedded scorer: built-in rubric tests, determinism, verbatim evidence, blockers, metrics, and rubrics an
organisation writes itself (not in the library)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparring.content.library import get_library
from sparring.content.loader import parse_model
from sparring.content.rubric import Rubric
from sparring.conversation.importers import parse_transcript, read_transcript
from sparring.conversation.model import Conversation
from sparring.scoring import prototypes, segments
from sparring.scoring.embedded import EmbeddedScorer, overall_score
from sparring.scoring.rubric_tests import run_rubric_tests
from sparring.scoring.segments import percent_threshold, percentages, quote_of, segment_turn

LIB = get_library()
BUILT_IN = sorted(LIB.rubrics)


def _tests_of(rubric_id: str) -> list[tuple[Rubric, Path]]:
    rubric, path = LIB.rubrics[rubric_id], LIB.rubric_paths[rubric_id]
    return [(rubric, path.parent / t.transcript) for t in rubric.tests if t.transcript]


ALL_TESTS = [(r.id, p) for rid in BUILT_IN for r, p in _tests_of(rid)]


@pytest.fixture(scope="module")
def scorer() -> EmbeddedScorer:
    return EmbeddedScorer()


def conv(text: str) -> Conversation:
    return parse_transcript(text, "txt", source="practice")


def test_the_contract_rubrics_are_built_in() -> None:
    for rid in ("sales-objection-handling", "discovery", "renewal-value", "consulting-pushback",
                "feedback-conversation", "coaching-conversation", "motivational-interviewing"):  # fmt: skip
        assert rid in LIB.rubrics
    assert "de-escalation" in LIB.rubrics


@pytest.mark.parametrize("rubric_id", BUILT_IN)
def test_every_built_in_rubric_passes_its_own_tests(rubric_id: str, scorer: EmbeddedScorer) -> None:
    rubric = LIB.rubrics[rubric_id]
    assert len(rubric.tests) >= 2, "every rubric ships a strong and a weak test transcript"
    report = run_rubric_tests(rubric, LIB.rubric_paths[rubric_id], scorer)
    problems = [f"{o.name}: {m}" for o in report.outcomes for m in o.mismatches] + [
        f"{o.name}: {o.error}" for o in report.outcomes if o.error
    ]
    assert report.ok, "\n".join(problems)
    assert {o.scorecard.passed for o in report.outcomes if o.scorecard} == {True, False}


@pytest.mark.parametrize(("rubric_id", "path"), ALL_TESTS, ids=[f"{r}:{p.name}" for r, p in ALL_TESTS])
def test_evidence_is_verbatim_and_every_verdict_has_some(
    rubric_id: str, path: Path, scorer: EmbeddedScorer
) -> None:
    conversation = read_transcript(path, source="practice")
    card = scorer.score(conversation, LIB.rubrics[rubric_id])
    for result in card.criteria:
        if result.verdict in ("met", "partly", "missed"):
            assert result.evidence, f"{result.id}: {result.verdict} without evidence"
        assert result.rationale
        for ev in result.evidence:
            assert 0 <= ev.turn < len(conversation.turns)
            assert ev.quote and ev.quote in conversation.turns[ev.turn].text, (result.id, ev)


def test_rescoring_gives_an_identical_scorecard(scorer: EmbeddedScorer) -> None:
    rubric, path = _tests_of("sales-objection-handling")[0]
    conversation = read_transcript(path, source="practice")
    first = scorer.score(conversation, rubric).model_dump_json()
    prototypes.PROTO_CACHE.clear()  # a cold prototype cache must not change anything either
    again = EmbeddedScorer().score(read_transcript(path, source="practice"), rubric).model_dump_json()
    assert first == again


_SCORE_LAST = """
import sys
from sparring.content.library import get_library
from sparring.conversation.importers import read_transcript
from sparring.scoring.embedded import EmbeddedScorer
scorer, rubric = EmbeddedScorer(), get_library().rubric(sys.argv[1])
for path in sys.argv[2:]:
    card = scorer.score(read_transcript(path, source="practice"), rubric)
print(card.model_dump_json())
"""


def test_a_scorecard_does_not_depend_on_what_the_process_scored_before(tmp_path: Path) -> None:
    """Fresh process vs one that scored other conversations first: some of the same lines were then embedded
    in other batches (and taken from the cache), and the other rubric's example lines came first."""
    import subprocess
    import sys

    rubric, path = _tests_of("motivational-interviewing")[0]
    lines = path.read_text(encoding="utf-8").splitlines()
    overlap = tmp_path / "overlap.txt"  # shares half of the target's lines, mixed with longer new ones
    extra = ["Priya: Let me say back what I heard, because it sounds like the evenings are the hardest part for you.",
             "Tom: Yes."]
    overlap.write_text("\n".join([*lines[: len(lines) // 2], *extra]), encoding="utf-8")
    others = [str(overlap)] + [str(p) for _, p in _tests_of("sales-objection-handling")]

    def run(*paths: str) -> str:
        done = subprocess.run([sys.executable, "-c", _SCORE_LAST, rubric.id, *paths], capture_output=True, text=True,
                              check=True, timeout=120)
        return done.stdout

    assert run(str(path)) == run(*others, str(path))


def test_scorecard_records_the_rubric_version_and_engine(scorer: EmbeddedScorer) -> None:
    rubric, path = _tests_of("discovery")[0]
    card = scorer.score(read_transcript(path, source="practice"), rubric)
    assert card.rubric.id == "discovery" and card.rubric.version == rubric.version
    assert card.engine == "embedded"
    assert 0 <= card.overall <= 100
    assert "talk_share" in card.metrics


BLOCKER_RUBRIC = """
id: blocker-demo
title: Blocker beats a high total
pass_mark: 50
criteria:
  - id: next-step
    kind: check
    name: Proposes a dated next step
    weight: 3
    examples_positive:
      - "Can we meet on Thursday at ten to go through the options?"
      - "I'll send it today; shall we talk Monday?"
    examples_negative: ["Get back to me whenever."]
  - id: no-big-discount
    kind: blocker
    name: Offers a discount above 10% without approval
    examples_positive: ["I'll knock forty percent off, done.", "Half price, just for you."]
    examples_negative: ["Anything above ten percent needs approval."]
"""


def test_a_blocker_fails_the_rep_whatever_the_total(scorer: EmbeddedScorer) -> None:
    rubric = parse_model(BLOCKER_RUBRIC, Rubric)
    text = """# roles: Ana=learner, Bo=counterpart
Bo: The price is too high for us.
Ana: I hear you. I'll take thirty-five percent off the whole contract, I can sign that myself.
Bo: Great.
Ana: Can we meet on Thursday at ten to sign it?
"""
    card = scorer.score(conv(text), rubric)
    assert card.result("next-step").verdict == "met"
    assert card.overall >= rubric.pass_mark
    assert card.blockers == ["no-big-discount"] and card.passed is False
    hit = card.result("no-big-discount")
    assert hit.hit is True and hit.evidence[0].turn == 1
    assert "thirty-five percent" in hit.evidence[0].quote


def test_a_negated_or_traded_offer_is_not_a_blocker_hit(scorer: EmbeddedScorer) -> None:
    rubric = parse_model(BLOCKER_RUBRIC, Rubric)
    text = """# roles: Ana=learner, Bo=counterpart
Bo: Can you do forty percent off?
Ana: I can't do forty percent off, that would need approval I won't get.
Bo: Fine. What can you do?
Ana: Can we meet on Thursday at ten to go through two options?
"""
    card = scorer.score(conv(text), rubric)
    assert card.result("no-big-discount").hit is False
    assert card.passed is True


def test_percentages_and_rule_thresholds_are_read_from_text() -> None:
    assert percentages("I'll do thirty percent, or maybe 12.5% and twenty-five per cent") == [30, 12.5, 25]
    c = parse_model(BLOCKER_RUBRIC, Rubric).criterion("no-big-discount")
    assert percent_threshold(c) == 10


def test_segments_and_quotes_are_exact_substrings() -> None:
    c = conv(
        "# roles: A=learner, B=counterpart\n"
        "A:   That is fair enough, and I can see why the price gap stands out to you. "
        "What did they show you, exactly?  \n"
        "B: ok"
    )
    turn = c.turns[0]
    segs = segment_turn(turn)
    assert segs and all(turn.text[s.start : s.end] == s.text for s in segs)
    assert any(s.clause for s in segs) and any(s.question for s in segs)
    long_turn = conv("# roles: A=learner, B=counterpart\nA: " + "word " * 300 + "\nB: ok").turns[0]
    q = quote_of(long_turn)
    assert q in long_turn.text and len(q) <= segments.MAX_QUOTE_CHARS
    assert all(len(s.text.split()) <= segments.MAX_SEGMENT_WORDS for s in segment_turn(long_turn))


METRIC_RUBRIC = """
id: metric-demo
title: Metric criteria
criteria:
  - id: talk
    kind: metric
    name: Lets the customer talk
    metric: talk_share
    target: {min: 0.3, max: 0.6}
  - id: patience
    kind: metric
    name: Pauses before answering
    metric: patience_seconds
    target: {min: 0.5}
  - id: monologue
    kind: metric
    name: Short turns
    metric: longest_monologue_words
    target: {max: 10}
"""


def test_metric_criteria_use_bands_and_timed_metrics_are_na_without_timing(scorer: EmbeddedScorer) -> None:
    rubric = parse_model(METRIC_RUBRIC, Rubric)
    text = """# roles: Ana=learner, Bo=counterpart
Ana: Hi Bo, thanks for your time today, I wanted to walk you through everything we have built this year in detail.
Bo: Sure.
Ana: What matters most to you?
Bo: Uptime, mostly, and support that answers the phone.
"""
    card = scorer.score(conv(text), rubric)
    talk, patience, mono = card.result("talk"), card.result("patience"), card.result("monologue")
    assert talk.verdict == "missed" and talk.score == 0  # the rep talks ~80%
    assert patience.verdict == "n/a" and not patience.evidence  # no timing: never an invented number
    assert "patience_seconds" not in card.metrics or card.metrics["patience_seconds"] is None
    assert mono.verdict == "missed" and mono.evidence[0].turn == 0  # cites the longest monologue
    # n/a criteria do not count: the overall is the mean of the two that apply (both missed)
    assert card.overall == 0.0 and overall_score(rubric, card.criteria) == 0.0


def test_a_conversation_without_learner_turns_is_not_judged(scorer: EmbeddedScorer) -> None:
    rubric = parse_model(BLOCKER_RUBRIC, Rubric)
    only_counterpart = Conversation(source="call")
    only_counterpart.add("Bo", "counterpart", "Hello? Is anyone there?")
    card = scorer.score(only_counterpart, rubric)
    assert all(r.verdict == "n/a" for r in card.criteria)
    assert card.passed is False and card.overall == 0


# ---------------------------------------------------------------------------------------------------------------
# Organisation-defined rubrics: only a description and a few example lines per criterion, no signals, no anchors
# beyond the required ones. They must still separate a strong conversation from a weak one.

ORG_RUBRICS = {
    "it-helpdesk": (
        """
id: it-helpdesk
title: Helpdesk call quality
criteria:
  - id: verify-identity
    kind: check
    name: Verifies the caller's identity before changing anything
    examples_positive: ["Before I reset it, can you confirm your employee number and date of birth?",
                        "For security, could you tell me the last four digits on your badge?"]
    examples_negative: ["Sure, I've reset the password for you."]
  - id: explain-steps
    kind: check
    name: Explains what they are doing while they do it
    examples_positive: ["I'm sending a reset link to your phone now, it should arrive in a minute.",
                        "I'm unlocking the account first, then we'll set a new password together."]
    examples_negative: ["Just wait."]
  - id: confirm-fixed
    kind: check
    name: Confirms the problem is solved before ending the call
    examples_positive:
      - "Can you try logging in now and tell me if it works?"
      - "Is everything working on your side now?"
    examples_negative: ["Okay, bye."]
""",
        """# roles: Sam=learner, Kim=counterpart
Kim: Hi, I'm locked out of my laptop and I have a presentation in an hour.
Sam: That's stressful, let's get you back in. First, can you confirm your employee number and your date of birth?
Kim: Sure, it's 40213, and the fourth of May 1990.
Sam: Thanks. I'm unlocking your account now, and then I'll send a reset code to the phone number we have on file.
Kim: Got it, the code just arrived.
Sam: Great, enter it on the login screen and choose a new password. Could you try signing in and tell me if it works?
Kim: I'm in. Thank you!
""",
        """# roles: Sam=learner, Kim=counterpart
Kim: Hi, I'm locked out of my laptop and I have a presentation in an hour.
Sam: Okay, I've reset the password for you.
Kim: What's the new one? I don't see anything.
Sam: Just wait.
Kim: Still nothing.
Sam: Okay, bye.
""",
    ),
    "recruiting-call": (
        """
id: recruiting-call
title: Recruiter screening call
criteria:
  - id: motivation
    kind: check
    name: Asks why the candidate is looking for a new role
    description: The recruiter understands the candidate's motivation before pitching the job.
    examples_positive:
      - "What's making you consider a move right now?"
      - "What would your next role need to have that this one doesn't?"
    examples_negative: ["So this job is amazing, let me tell you about it."]
  - id: salary
    kind: scale
    name: Discusses salary expectations openly
    anchors:
      1: Never raises pay.
      2: Mentions pay vaguely.
      3: Asks about expectations but gives no range.
      4: Asks about expectations and shares the role's range.
      5: Shares the range, asks about expectations and checks the gap openly.
    examples_positive:
      - "The range for this role is 70 to 80 thousand; how does that compare with what you're looking for?"
    examples_negative: ["We'll talk money later."]
  - id: next-step
    kind: check
    name: Agrees the next step in the process
    examples_positive:
      - "I'll put you forward to the hiring manager today; are you free Thursday afternoon for a first interview?"
    examples_negative: ["We'll be in touch."]
""",
        """# roles: Jo=learner, Ravi=counterpart
Jo: Thanks for making time, Ravi. What's making you consider a move at the moment?
Ravi: I've been in the same team for four years and I want to lead projects, which isn't happening here.
Jo: That makes sense. The range for this role is 75 to 85 thousand. How does that compare with what you have in mind?
Ravi: That's in line, I was hoping for around 80.
Jo: Good, so we're aligned. I'll send your profile to the hiring manager today.
Ravi: Great.
Jo: Are you free on Thursday afternoon for a first interview?
Ravi: Thursday afternoon works.
""",
        """# roles: Jo=learner, Ravi=counterpart
Jo: Hi Ravi, so this job is amazing, let me tell you all about it. It's a great company with free lunches and a gym.
Ravi: Sounds nice. What's the salary like?
Jo: We'll talk money later, don't worry about that.
Ravi: Okay. What happens next?
Jo: We'll be in touch.
""",
    ),
    "safety-briefing": (
        """
id: safety-briefing
title: Site safety briefing
criteria:
  - id: hazards
    kind: check
    name: Names the specific hazards on site today
    examples_positive: ["Today the crane is lifting over the east entrance, so that door is closed until two.",
                        "There's wet concrete on level three; stay on the marked walkway."]
  - id: check-understanding
    kind: check
    name: Checks that the crew understood
    examples_positive:
      - "Can someone tell me back which areas are off limits today?"
      - "What will you do if the alarm sounds?"
    examples_negative: ["Everyone got that? Good."]
""",
        """# roles: Lee=learner, Crew=counterpart
Lee: Morning all. Two hazards today. The crane is lifting steel over the north gate until noon, so use the south gate.
Crew: Okay.
Lee: And the scaffold on level two is being taken down, so stay off it.
Crew: Understood.
Lee: Can one of you tell me back which areas are off limits this morning?
Crew: The north gate until noon and level two scaffolding.
Lee: Exactly. And what do you do if the alarm sounds?
Crew: Leave by the south gate and meet at the car park.
""",
        """# roles: Lee=learner, Crew=counterpart
Lee: Morning. Usual stuff today, be careful out there.
Crew: Anything special?
Lee: Nah. Everyone got that? Good, let's go.
""",
    ),
}


@pytest.mark.parametrize("name", sorted(ORG_RUBRICS))
def test_organisation_rubrics_separate_strong_from_weak(name: str, scorer: EmbeddedScorer) -> None:
    yaml_text, strong, weak = ORG_RUBRICS[name]
    rubric = parse_model(yaml_text, Rubric)
    assert rubric.id not in LIB.rubrics
    good, bad = scorer.score(conv(strong), rubric), scorer.score(conv(weak), rubric)
    assert good.overall >= bad.overall + 40, (good.overall, bad.overall)
    assert good.passed and not bad.passed
    met_good = sum(r.verdict == "met" for r in good.criteria)
    met_bad = sum(r.verdict == "met" for r in bad.criteria)
    assert met_good > met_bad


def test_long_calls_embed_a_bounded_number_of_words_but_quote_whole_segments() -> None:
    turns = "\n".join(
        f"Rep: {'We looked at the numbers again and the team found a few more places where time is lost. ' * 2}"
        f"What would it take to fix that by March, {i}?\nBuyer: Good question."
        for i in range(150)
    )
    conversation = conv("# roles: Rep=learner, Buyer=counterpart\n" + turns)
    segs = [s for t in conversation.turns if t.role == "learner" for s in segment_turn(t)]
    texts = segments.embedding_texts(segs)
    budget = max(segments.EMBED_WORD_BUDGET, segments.MIN_EMBED_WORDS * len(segs))  # every segment keeps 14 words
    assert sum(len(t.split()) for t in texts) <= budget < sum(len(s.text.split()) for s in segs)
    assert all(s.text.startswith(t) for s, t in zip(segs, texts, strict=True))
    short = segs[:5]
    assert segments.embedding_texts(short) == [s.text for s in short]


def test_when_every_line_breaks_a_rule_other_criteria_are_missed_with_evidence(scorer: EmbeddedScorer) -> None:
    rubric = parse_model(BLOCKER_RUBRIC, Rubric)
    text = "# roles: Ana=learner, Bo=counterpart\nBo: Too expensive.\nAna: Fine, I'll knock forty percent off, done.\n"
    card = scorer.score(conv(text), rubric)
    assert card.blockers == ["no-big-discount"]
    step = card.result("next-step")
    assert step.verdict == "missed" and step.evidence and step.evidence[0].turn == 1


ODD_CONVERSATIONS = {
    "punctuation only": [("learner", "..."), ("counterpart", "?!"), ("learner", "—")],
    "one word turns": [("counterpart", "Price?"), ("learner", "Yes."), ("counterpart", "Okay."), ("learner", "Right.")],
    "unicode and emoji": [
        ("counterpart", "Ça coûte trop cher 😬"),
        ("learner", "Je comprends — qu'est-ce qui compte le plus ?"),
    ],
    "run-on without punctuation": [("counterpart", "so"), ("learner", " ".join(["and then we looked at it"] * 60))],
    "learner only": [("learner", "Hello? Can you hear me? I'll send the summary by Friday.")],
}


@pytest.mark.parametrize("name", sorted(ODD_CONVERSATIONS))
def test_odd_conversations_score_with_every_built_in_rubric(name: str, scorer: EmbeddedScorer) -> None:
    conversation = Conversation(source="call")
    for role, text in ODD_CONVERSATIONS[name]:
        conversation.add("Rep" if role == "learner" else "Client", role, text)  # type: ignore[arg-type]
    for rubric_id in BUILT_IN:
        card = scorer.score(conversation, LIB.rubrics[rubric_id])
        assert 0 <= card.overall <= 100
        for result in card.criteria:
            for ev in result.evidence:
                assert ev.quote and ev.quote in conversation.turns[ev.turn].text


def test_before_any_concession_is_enforced_in_order(scorer: EmbeddedScorer) -> None:
    rubric = LIB.rubrics["renewal-value"]
    assert "before any price concession" in (rubric.criterion("explore-before-price").met_when or "")
    late = """# roles: Casey=learner, Nadia=counterpart
Nadia: Marcus wants every vendor contract cut, and ours is on his list.
Casey: Okay, I can take ten percent off the renewal.
Nadia: That would help.
Casey: What is Marcus hoping to get out of this review, beyond the price itself?
"""
    early = late.replace("Casey: Okay, I can take ten percent off the renewal.\nNadia: That would help.\n", "") + (
        "Nadia: Mostly a lower total.\nCasey: Okay, I can take ten percent off the renewal.\n"
    )
    late_card, early_card = scorer.score(conv(late), rubric), scorer.score(conv(early), rubric)
    too_late = late_card.result("explore-before-price")
    assert too_late.verdict == "missed" and "Not in time" in too_late.rationale and too_late.evidence[0].turn == 1
    assert early_card.result("explore-before-price").verdict == "met"


def test_metric_partly_band_sets_half_credit() -> None:
    from sparring.content.rubric import Rubric
    from sparring.conversation.model import Conversation
    from sparring.scoring.embedded import EmbeddedScorer

    def rubric(partly: dict[str, float] | None) -> Rubric:
        crit: dict[str, object] = {"id": "talks-less", "kind": "metric", "name": "Lets them talk",
                                   "metric": "talk_share", "target": {"max": 0.3}}  # fmt: skip
        if partly is not None:
            crit["partly"] = partly
        return Rubric.model_validate({"id": "r", "title": "Partly band", "criteria": [crit]})

    conv = Conversation()
    conv.add("Rep", "learner", "one two three four five six")
    conv.add("Buyer", "counterpart", "one two three four five six seven eight nine ten")
    # talk share 6/16 = 0.375: beyond the default tolerance (0.3 + 0.06) but inside an explicit partly band
    assert EmbeddedScorer().score(conv, rubric(None)).result("talks-less").verdict == "missed"
    assert EmbeddedScorer().score(conv, rubric({"max": 0.4})).result("talks-less").verdict == "partly"
    assert EmbeddedScorer().score(conv, rubric({"max": 0.35})).result("talks-less").verdict == "missed"


def test_clauses_are_matched_on_their_own_only_in_shorter_conversations() -> None:
    seen: list[str] = []

    def recording_embed(texts):  # type: ignore[no-untyped-def]
        from sparring.nlp.embeddings import embed

        seen.extend(texts)
        return embed(texts)

    line = "That's a fair concern, and I can see why the price gap stands out when you compare the two quotes."
    clause = "and I can see why the price gap stands out when you compare the two quotes."
    assert any(s.clause and s.text == clause for s in segment_turn(conv(f"Rep: {line}").turns[0]))
    rubric = get_library().rubric("sales-objection-handling")
    short = conv(f"# roles: Rep=learner, Buyer=counterpart\nRep: {line}\nBuyer: Hm.")
    EmbeddedScorer(embed_fn=recording_embed).score(short, rubric)
    assert clause in seen
    seen.clear()
    filler = "We went over the rollout plan for the second site and the training dates for the new staff. "
    turns = "\n".join(f"Rep: {filler}\nBuyer: Okay." for _ in range(segments.CLAUSE_WORD_BUDGET // 17 + 1))
    long = conv(f"# roles: Rep=learner, Buyer=counterpart\nRep: {line}\nBuyer: Hm.\n{turns}")
    EmbeddedScorer(embed_fn=recording_embed).score(long, rubric)
    assert line in seen and clause not in seen


def test_breaks_rule_index_agrees_with_a_scan_of_every_broken_span() -> None:
    import random

    import numpy as np

    from sparring.scoring.embedded import ScoringContext
    from sparring.scoring.segments import Segment

    rng = random.Random(4)
    ctx = ScoringContext(Conversation(), [], {}, [], np.zeros((0, 384), dtype=np.float32))

    def brute(seg: Segment) -> bool:
        return any(t == seg.turn and seg.start < e and s < seg.end for t, s, e in ctx.broken)

    for _round in range(3):  # the index follows ``broken`` as blockers add to it
        for _ in range(40):
            s = rng.randint(0, 300)
            ctx.broken.append((rng.randint(0, 5), s, s + rng.randint(1, 60)))
        for _ in range(500):
            s = rng.randint(0, 400)
            seg = Segment(rng.randint(0, 6), s, s + rng.randint(1, 40), "x")
            assert ctx.breaks_rule(seg) == brute(seg)


def test_a_long_run_on_is_cut_into_windows_that_cover_every_word_once() -> None:
    import random
    import re

    rng = random.Random(2)
    for _ in range(50):
        text = " ".join(rng.choice(["so", "we", "could", "look\n", "at  it"]) for _ in range(rng.randint(1, 400)))
        windows = segments._windows(text, 0, len(text), 40)
        words = [m.span() for m in re.finditer(r"\S+", text)]
        assert [w[0] for w in windows] == [words[i][0] for i in range(0, len(words), 40)]
        assert [w[1] for w in windows] == [words[min(i + 40, len(words)) - 1][1] for i in range(0, len(words), 40)]
    turn = Conversation().add("Rep", "learner", "we could look at the pricing together " * 20_000)
    segs = segment_turn(turn)
    assert len(segs) == 3_500 and all(len(s.text.split()) == 40 for s in segs)  # 140,000 words, no sentence end
    assert turn.words == 140_000
