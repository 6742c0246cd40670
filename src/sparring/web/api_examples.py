"""Response examples for the OpenAPI of the JSON API (docs/api.md): every ``/api`` operation that answers a body
shows one (a test checks it). The read API's models carry theirs (``json_schema_extra``); the routes of API 1.0,
whose models live in the services, take theirs from here through ``example(...)`` in ``responses=``.

The values are made up but shaped exactly as the API answers (docs/scoring.md for the SCORECARD).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def example(value: Any, code: int = 200) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entry giving the ``code`` answer an example (FastAPI merges it with the response model)."""
    return {code: {"content": {"application/json": {"example": value}}}}


def model_example(model: type[BaseModel]) -> Any:
    """The first example a model's JSON schema declares."""
    extra = model.model_config.get("json_schema_extra")
    assert isinstance(extra, dict), f"{model.__name__} declares no example"
    examples = extra["examples"]
    assert isinstance(examples, list)
    return examples[0]


def page_example(model: type[BaseModel], path: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entry for a page of ``model`` items (``sparring.web.api_paging.Page``)."""
    return example({"items": [model_example(model)], "next": f"{path}?limit=1&offset=1", "limit": 1, "offset": 0})


ME = {"id": 7, "email": "sam@northwind.example", "name": "Sam Ortiz", "role": "learner", "org_id": 1}
LOGIN = {**ME, "csrf_token": "5f0c2d3e9a41b7c6d8e2f1a0b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2"}

SCORECARD = {
    "rubric": {"id": "renewal-value", "version": "9be1d04c2a11"}, "engine": "embedded", "overall": 72.5,
    "passed": True, "blockers": [],
    "criteria": [{"id": "recaps-value", "kind": "check", "score": 1.0, "max": 1.0, "verdict": "met",
                  "evidence": [{"turn": 3, "quote": "Your team cut escalations by a third this year."}],
                  "rationale": "The learner tied the renewal to the outcome the customer named."}],
    "metrics": {"talk_share": 0.46, "question_count": 4, "open_question_share": 0.75, "longest_monologue_words": 58},
    "feedback": {"landed": ["You recapped the value in the customer's own numbers."],
                 "missed": ["You conceded a discount before asking what it was for."],
                 "next_drill": "Ask what a discount would need to achieve before you answer it.",
                 "better_line": "Before we talk price, what would make this renewal an easy yes for your COO?"},
}
REP = {"id": 35, "user_id": 7, "learner": "Sam Ortiz", "scenario": "cs-renewal-discount",
       "scenario_version": "3f2a9c0e1b7d", "rubric": "renewal-value", "rubric_version": "9be1d04c2a11",
       "difficulty": "medium", "outcome": "success", "ended_reason": "outcome", "private": False,
       "created_at": "2026-12-02T09:31:40Z", "ended_at": "2026-12-02T09:40:03Z", "turn_count": 9,
       "learner_turns": 4, "overall": 72.5, "passed": True, "summary_only": False}
REP_FULL = {**REP, "turns": [
    {"index": 0, "speaker": "Dana Reyes", "role": "counterpart", "text": "We need 20% off or we walk."},
    {"index": 1, "speaker": "Sam Ortiz", "role": "learner", "text": "What would a good outcome look like for you?"}],
    "scorecard": SCORECARD}
STARTED = {**REP, "outcome": "in_progress", "ended_reason": None, "ended_at": None, "turn_count": 1,
           "learner_turns": 0, "overall": None, "passed": None,
           "turns": [{"index": 0, "speaker": "Dana Reyes", "role": "counterpart",
                      "text": "We need 20% off or we walk."}]}
TURN = {"rep_id": 35, "learner_turn": {"index": 1, "speaker": "Sam Ortiz", "role": "learner",
                                       "text": "What would a good outcome look like for you?"},
        "reply": {"index": 2, "speaker": "Dana Reyes", "role": "counterpart",
                  "text": "Honestly? Fewer escalations and a budget I can defend."},
        "outcome": "in_progress", "ended": False, "engine": "embedded", "fallback_reason": None}

CALL = {"id": 52, "title": "Acme renewal call", "user_id": 7, "rep": "Sam Ortiz", "created_at": "2026-12-03T15:00:00Z",
        "started_at": "2026-12-03T14:00:00Z", "duration_s": 1820.0, "turn_count": 64, "rubric": "renewal-value",
        "overall": 61.0, "passed": False, "pivotal_kind": "objection", "moment_count": 4, "summary_only": False}
MOMENT = {"kind": "objection", "start_turn": 18, "end_turn": 22, "summary": "The buyer asks for a discount; the rep "
          "concedes before asking why.", "impact": -0.42, "criterion": "discount-defence"}
REVIEW = {"conversation": {"id": 52, "source": "call", "title": "Acme renewal call",
                           "turns": [{"index": 0, "speaker": "Sam Ortiz", "role": "learner",
                                      "text": "Thanks for making the time.", "start": 0.0, "end": 2.1}]},
          "scorecard": {**SCORECARD, "overall": 61.0, "passed": False}, "moments": [MOMENT], "pivotal": MOMENT}
UPLOAD = {"jobs": [{"job_id": 120, "file": "acme-renewal.vtt", "rep": "Sam Ortiz", "user_id": 7}],
          "rejected": [{"file": "notes.pdf",
                        "error": "notes.pdf: not a transcript (.vtt, .srt, .txt, .json) or a zip"}]}
UPLOAD_STATUS = {"job_id": 120, "file": "acme-renewal.vtt", "status": "done",
                 "results": [{"file": "acme-renewal.vtt", "ok": True, "conversation_id": 52, "error": None}],
                 "ok": 1, "failed": 0, "error": None, "progress": None, "progress_note": None}

DELIVERY = {"words_per_minute": 148.0, "filler_words": 3, "long_pauses": 1, "longest_monologue_seconds": 21.4,
            "interruptions": 0}
SPEECH = {"speech_id": 9, "rep_id": 35, "text": "What would a good outcome look like for you", "seconds": 2.6,
          "words": [["What", 0.12, 0.31], ["would", 0.31, 0.5]], "delivery": DELIVERY, "audio_kept": False}
REP_DELIVERY = {"rep_id": 35, "delivery": {**DELIVERY, "turns": 4, "findings": ["One pause over three seconds."]}}
