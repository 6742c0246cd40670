"""The utterance-act corpus (corpus/acts/): the guide matches the vocabulary, the files are valid, the frozen
test split is big enough, covers every act, and shares no line with the training split."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from sparring.nlp.act_corpus import (
    DOMAINS,
    TEST_AUTHORS,
    VOICES,
    CorpusError,
    load_corpus,
    load_training,
    main,
    read_file,
    training_files,
)
from sparring.nlp.acts import ACT_NAMES, act

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "acts"


def _record(**over: object) -> str:
    base = {"id": "w9-0001", "author": "w9", "voice": "terse", "domain": "sales", "context": "Too pricey.",
            "text": "Compared with what?", "acts": ["question_clarifying"]}
    base.update(over)
    return json.dumps(base)


def test_the_guide_lists_exactly_the_vocabulary() -> None:
    guide = (CORPUS / "GUIDE.md").read_text(encoding="utf-8")
    section = guide.split("## The acts", 1)[1].split("\n## ", 1)[0]
    listed = [row.split("`")[1] for row in section.splitlines() if row.startswith("| `")]
    assert listed == list(ACT_NAMES)


def test_unknown_act_lookup_names_it() -> None:
    assert act("concession").group == "negotiation"
    with pytest.raises(KeyError, match="nope"):
        act("nope")


def test_problems_are_located(tmp_path: Path) -> None:
    f = tmp_path / "w9.jsonl"
    f.write_text("\n".join([
        _record(),
        "{not json",
        _record(id="w9-0002", acts=["question_open", "made_up"]),
        _record(id="w9-0003", voice="shouty"),
        _record(id="w9-0004", acts=["other", "acknowledge"]),
        _record(id="x-0005"),
        _record(),  # a duplicate id
    ]) + "\n", encoding="utf-8")
    lines, problems = read_file(f)
    assert [line.id for line in lines] == ["w9-0001", "w9-0001"]
    text = "\n".join(problems)
    assert f"{f}:2: (json)" in text
    assert f"{f}:3: acts: unknown act(s) 'made_up'" in text
    assert f"{f}:4: voice: unknown voice 'shouty'" in text
    assert f"{f}:5: acts: 'other' stands alone" in text
    assert f"{f}:6: id: must start with the author id" in text
    assert "'w9-0001' is used 2 times" in text
    with pytest.raises(CorpusError):
        load_corpus(tmp_path)
    assert main([str(f)]) == 1
    assert main([str(tmp_path)]) == 1  # a folder: every *.jsonl in it
    (tmp_path / "empty").mkdir()
    assert main([str(tmp_path / "empty")]) == 1


def test_the_checker_reads_a_whole_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(CORPUS)]) == 0
    out = capsys.readouterr().out
    assert "w1.jsonl:" in out and "w5.jsonl:" in out


def test_the_corpus_is_valid_and_big_enough() -> None:
    lines = load_corpus(CORPUS)
    assert len(lines) >= 3000
    assert {line.voice for line in lines} == set(VOICES)
    assert {line.domain for line in lines} == set(DOMAINS)
    assert len({line.author for line in lines}) >= 5


def test_the_frozen_test_split_is_a_fifth_by_author_and_covers_every_act() -> None:
    lines = load_corpus(CORPUS)
    test = [line for line in lines if line.split == "test"]
    train = [line for line in lines if line.split == "train"]
    assert {line.author for line in test} == set(TEST_AUTHORS)
    assert len(test) >= 0.2 * len(lines)
    for split in (test, train):
        counts = Counter(a for line in split for a in line.acts)
        thin = {a: counts[a] for a in ACT_NAMES if counts[a] < 10}
        assert not thin, thin
        assert {line.voice for line in split} == set(VOICES)


def test_no_line_is_in_both_splits() -> None:
    lines = load_corpus(CORPUS)

    def norm(text: str) -> str:
        return " ".join(text.lower().split())

    test = {norm(line.text) for line in lines if line.split == "test"}
    train = {norm(line.text) for line in lines if line.split == "train"}
    assert not test & train


def _writer_file(folder: Path, writer: str, n: int = 2, author: str | None = None) -> None:
    records = [_record(id=f"{author or writer}-{k:04d}", author=author or writer, text=f"{writer} line {k}?")
               for k in range(1, n + 1)]
    (folder / f"{writer}.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")


def test_training_reads_every_writer_file_but_the_frozen_one(tmp_path: Path) -> None:
    for w in ("w1", "w2", "w6", "w8"):
        _writer_file(tmp_path, w)
    for frozen in sorted(TEST_AUTHORS):  # not even JSON: a frozen writer's file is never opened
        (tmp_path / f"{frozen}.jsonl").write_text("not JSON\n", encoding="utf-8")
    (tmp_path / "second").mkdir()  # a sub-folder (the second annotation) is not a writer file
    assert [f.name for f in training_files(tmp_path)] == ["w1.jsonl", "w2.jsonl", "w6.jsonl", "w8.jsonl"]
    lines = load_training(tmp_path)
    assert {line.author for line in lines} == {"w1", "w2", "w6", "w8"} and len(lines) == 8
    assert all(line.split == "train" for line in lines)


def test_a_frozen_writers_line_in_a_training_file_is_refused(tmp_path: Path) -> None:
    _writer_file(tmp_path, "w1")
    _writer_file(tmp_path, "w6", author="w5")
    with pytest.raises(CorpusError, match="author 'w5' is not the file's writer 'w6'"):
        load_training(tmp_path)
    (tmp_path / "w6.jsonl").unlink()
    (tmp_path / "w1.jsonl").unlink()
    with pytest.raises(CorpusError, match="no training writer files"):
        load_training(tmp_path)
    with pytest.raises(CorpusError, match="not a folder"):
        load_training(tmp_path / "missing")


def test_the_real_training_split_has_no_test_writer() -> None:
    assert {"w5"} <= TEST_AUTHORS
    assert not {f.stem for f in training_files(CORPUS)} & TEST_AUTHORS
    authors = {line.author for line in load_training(CORPUS)}
    assert authors and not authors & TEST_AUTHORS
    assert {"w1", "w2", "w3", "w4"} <= authors
