from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sparring.conversation.model import Conversation
from sparring.scoring import tagmodel
from sparring.scoring.tagging import tag_turns
from sparring.scoring.tagmodel import LABELS, TagModel, active_model, use_model

TRAIN = [
    ("What brings you here today?", "Hi.", "question"),
    ("How do you feel about your drinking?", "It's fine.", "question"),
    ("Do you smoke?", "Sometimes.", "question"),
    ("What would you like to change?", "Not much.", "question"),
    ("So you feel stuck at work.", "I can't get anything done at work.", "reflection"),
    ("It sounds like your family matters a lot to you.", "I want to be there for my kids.", "reflection"),
    ("You're worried about your health.", "My dad had a heart attack at fifty.", "reflection"),
    ("Your sleep has been getting worse.", "I barely sleep these days.", "reflection"),
    ("Drinking more than 14 units a week raises your risk of liver disease.", "Okay.", "therapist_input"),
    ("You should try nicotine patches.", "Maybe.", "therapist_input"),
    ("The guidelines recommend two alcohol-free days a week.", "I see.", "therapist_input"),
    ("I'd suggest keeping a drink diary.", "Hmm.", "therapist_input"),
    ("Okay.", "Yes.", "other"),
    ("Mm-hmm.", "And then I left.", "other"),
    ("Hello, nice to meet you.", None, "other"),
    ("Thanks for coming in today.", None, "other"),
]


def _fit() -> TagModel:
    return TagModel().fit([t for t, _, _ in TRAIN], [p for _, p, _ in TRAIN], [y for _, _, y in TRAIN])


def test_fit_predicts_training_classes_and_is_deterministic() -> None:
    m1, m2 = _fit(), _fit()
    texts = [t for t, _, _ in TRAIN]
    prev = [p for _, p, _ in TRAIN]
    p1 = m1.predict_proba(texts, prev)
    assert np.allclose(p1, m2.predict_proba(texts, prev))
    assert np.allclose(p1.sum(axis=1), 1.0)
    acc = np.mean([a == y for a, (_, _, y) in zip(m1.predict(texts, prev), TRAIN, strict=True)])
    assert acc >= 0.9


def test_save_load_roundtrip(tmp_path: Path) -> None:
    m = _fit()
    path = tmp_path / "m.npz"
    m.save(path)
    loaded = TagModel.load(path)
    texts = ["How are things at home?", "You feel tired."]
    assert np.allclose(m.predict_proba(texts), loaded.predict_proba(texts), atol=5e-3)  # float16 weights
    assert path.stat().st_size < 3_000_000


def test_unknown_label_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown labels"):
        TagModel().fit(["hi"], [None], ["greeting"])


def test_binary_training_still_gives_four_probabilities() -> None:
    m = TagModel().fit(["What now?", "How so?", "Okay.", "Right."], [None] * 4,
                       ["question", "question", "other", "other"])
    p = m.predict_proba(["What else?"])
    assert p.shape == (1, len(LABELS)) and p[0].argmax() == LABELS.index("question")


def test_use_model_overrides_the_active_model() -> None:
    before = active_model()
    c = Conversation()
    c.add("Jo", "counterpart", "I barely sleep these days and it's wrecking me.")
    c.add("Al", "learner", "Your nights have become a real struggle.")
    with use_model(None):
        assert active_model() is None
        rules_only = tag_turns(c)
    assert active_model() is before
    m = _fit()
    with use_model(m):
        assert active_model() is m
        learned = tag_turns(c)
    assert rules_only[1] <= learned[1]  # the model only adds tags


def _vectors(texts: list[str]) -> np.ndarray:
    from sparring.scoring.sentence_vectors import utterance_vectors

    return utterance_vectors(texts)


def test_a_model_trained_with_sentence_vectors_needs_them_and_survives_save_load(tmp_path: Path) -> None:
    texts = [t for t, _, _ in TRAIN]
    prev = [p for _, p, _ in TRAIN]
    m = TagModel().fit(texts, prev, [y for _, _, y in TRAIN], vectors=_vectors(texts))
    assert m.needs_vectors and not _fit().needs_vectors
    with pytest.raises(ValueError, match="sentence vectors"):
        m.predict_proba(["You feel tired."])
    new = ["How are things at home?", "You feel tired."]
    p = m.predict_proba(new, vectors=_vectors(new))
    assert p.shape == (2, len(LABELS)) and np.allclose(p.sum(axis=1), 1.0)
    path = tmp_path / "m.npz"
    m.save(path)
    loaded = TagModel.load(path)
    assert loaded.needs_vectors
    assert np.allclose(p, loaded.predict_proba(new, vectors=_vectors(new)), atol=5e-3)
    # the vector takes part in the cache key: another meaning for the same words gives another answer
    other = np.roll(_vectors(new), 7, axis=1)
    assert not np.allclose(p, m.predict_proba(new, vectors=other))


def test_a_format_2_model_without_vectors_still_loads(tmp_path: Path) -> None:
    m = _fit()
    path = tmp_path / "old.npz"
    m.save(path)
    with np.load(path) as data:
        fields = {k: data[k] for k in data.files if k != "emb_weight"}
    fields["version"] = np.array(2)
    np.savez_compressed(path, **fields)  # type: ignore[arg-type]
    old = TagModel.load(path)
    assert not old.needs_vectors
    assert np.allclose(old.predict_proba(["Do you smoke?"]), m.predict_proba(["Do you smoke?"]), atol=5e-3)
    fields["version"] = np.array(1)
    np.savez_compressed(path, **fields)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="format 1"):
        TagModel.load(path)


def test_a_batch_larger_than_the_prediction_cache_gets_every_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    # a 20,000-turn call asked the cache (20,000 entries) for answers it had already evicted: KeyError
    texts = [f"What happened with the order on day {i}?" for i in range(10)]
    expected = _fit().predict_proba(texts)
    monkeypatch.setattr(tagmodel, "PREDICTION_CACHE", 4)
    m = _fit()
    assert np.allclose(m.predict_proba(texts), expected)
    assert len(m._cache) == 4
    assert np.allclose(m.predict_proba(texts), expected)  # again, mostly from scratch


def test_cached_answers_survive_the_eviction_their_own_batch_causes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tagmodel, "PREDICTION_CACHE", 4)
    m = _fit()
    old = ["Do you smoke?", "You feel stuck.", "Okay.", "Try patches."]
    m.predict_proba(old)  # the cache is full; "Do you smoke?" is its oldest entry
    batch = ["Do you smoke?", "How is work?", "You sound tired.", "Walk daily."]
    got = m.predict_proba(batch)  # one cached answer, three new ones that push the three oldest out
    assert np.allclose(got, _fit().predict_proba(batch))
    assert [k[0] for k in m._cache] == batch  # a hit counts as recent use: the other old answers went first


def test_predictions_are_the_same_in_small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [t for t, _, _ in TRAIN]
    prev = [p for _, p, _ in TRAIN]
    whole = _fit().predict_proba(texts, prev)
    monkeypatch.setattr(tagmodel, "PREDICT_BATCH", 3)
    assert np.allclose(_fit().predict_proba(texts, prev), whole)


def test_a_huge_turn_is_read_by_its_first_and_last_words() -> None:
    half = tagmodel.MODEL_MAX_WORDS // 2
    exact = " ".join(f"w{i}" for i in range(tagmodel.MODEL_MAX_WORDS))
    assert tagmodel._bounded(exact) is exact  # up to the limit a text is read whole
    words = [f"w{i}" for i in range(50_000)]
    long_text = " ".join(words) + " so what do you think?"
    cut = tagmodel._bounded(long_text)
    assert cut is not None
    assert cut.split() == [*words[:half], *[*words, "so", "what", "do", "you", "think?"][-half:]]
    m = _fit()
    assert np.allclose(m.predict_proba([long_text], ["Fine."]), m.predict_proba([cut], ["Fine."]))
