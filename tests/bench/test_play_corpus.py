"""The committed play corpus (corpus/play/): every rep valid against the built-in library, every scenario in
every style, both difficulties per style, and a frozen test split by writer."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sparring.bench.play import STYLES, TEST_WRITERS, load_play
from sparring.content.library import get_library

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "play"


def test_the_play_corpus_is_valid_and_covers_every_scenario_and_style() -> None:
    reps = load_play(CORPUS)
    assert len(reps) >= 150
    cells = Counter((r.scenario, r.style) for r in reps)
    missing = [(s, st) for s in get_library().scenarios for st in STYLES if cells[(s, st)] == 0]
    assert not missing, missing
    for style in STYLES:
        assert {r.difficulty for r in reps if r.style == style} >= {"easy", "hard"}, style


def test_the_frozen_split_is_by_writer_and_covers_every_style() -> None:
    reps = load_play(CORPUS)
    test = [r for r in reps if r.split == "test"]
    assert {r.writer for r in test} == set(TEST_WRITERS)
    assert len(test) >= 0.2 * len(reps)
    assert {r.style for r in test} == set(STYLES)
    assert all(r.path.parent.name == r.writer for r in reps)


def test_the_second_review_covers_the_whole_frozen_split() -> None:
    from sparring.bench.verdict_review import review_agreement

    result = review_agreement(CORPUS, CORPUS.parent / "play-review" / "r2")  # raises on any invalid file
    assert result["reps"] == sum(r.split == "test" for r in load_play(CORPUS))


def test_the_reply_review_files_are_complete_and_agree_as_documented() -> None:
    from sparring.bench.reply_review import agreement

    folder = CORPUS.parent / "play-review" / "replies"
    result = agreement(folder / "sheet.jsonl", folder / "reviewer-a.jsonl", folder / "reviewer-b.jsonl")
    assert result["judged"] == 300
    assert result["not_following_rate"]["either"] == 0.417  # the number docs/scoring-validity.md reports
