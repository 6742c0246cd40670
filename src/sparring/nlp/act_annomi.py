"""AnnoMI therapist utterances as partially labelled act data: the mapping from its expert codes to acts, and
its fixed train / held-out split (for training the act model and for ``bench/acts.py``).

AnnoMI (``../shared/datasets/annomi``, ``AnnoMI-full.csv``) codes each therapist utterance with whether it holds
a reflection (simple / complex), a question (open / closed) and therapist input (information / advice /
negotiation / options). Each code speaks to a few acts only; every other act is *unknown* for that utterance
(mask 0), so training never teaches "not empathise" from a line AnnoMI did not judge for empathy:

| AnnoMI code | act labels it sets (1 = has the act, 0 = has not) |
|---|---|
| reflection simple | reflect_simple 1, reflect_complex 0 |
| reflection complex | reflect_complex 1, reflect_simple 0 |
| no reflection | reflect_simple 0, reflect_complex 0 |
| question open | question_open 1 (question_closed unknown: an utterance may ask several things) |
| question closed | question_closed 1 (question_open unknown) |
| no question | question_open 0, question_closed 0 |
| input: information | information 1 (advice unknown) |
| input: advice | advice 1 (information unknown) |
| input: negotiation / options | information, advice unknown |
| no input | information 0, advice 0 |

The context of an utterance is the utterance before it in the transcript. Where several annotators coded a
transcript, the lowest annotator id's codes are used. **Held-out split** (fixed before any measurement): a
transcript is held out when ``sha256("annomi-<transcript_id>") mod 5 == 0``; its utterances are never trained or
tuned on, only measured by ``bench/acts.py``.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sparring.nlp.acts import ACT_NAMES

FULL_CSV = "AnnoMI-full.csv"


def default_dir() -> Path:
    """``shared/datasets/annomi`` beside the repository (or beside one of its parent folders)."""
    for parent in Path(__file__).resolve().parents[3:]:
        candidate = parent / "shared" / "datasets" / "annomi"
        if (candidate / FULL_CSV).is_file():
            return candidate
    return Path(__file__).resolve().parents[4] / "shared" / "datasets" / "annomi"

MAPPED_ACTS = ("reflect_simple", "reflect_complex", "question_open", "question_closed", "information", "advice")
_INDEX = {n: i for i, n in enumerate(ACT_NAMES)}


@dataclass(frozen=True)
class AnnoLine:
    transcript: str
    text: str
    context: str
    labels: np.ndarray  # (len(ACT_NAMES),) 0/1
    mask: np.ndarray  # (len(ACT_NAMES),) 1 where the label is known

    @property
    def held_out(self) -> bool:
        return is_held_out(self.transcript)


def is_held_out(transcript_id: str) -> bool:
    """The fixed rule choosing AnnoMI's held-out transcripts (about a fifth)."""
    return int(hashlib.sha256(f"annomi-{transcript_id}".encode()).hexdigest(), 16) % 5 == 0


def _codes_to_labels(row: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    y = np.zeros(len(ACT_NAMES), dtype=np.float32)
    m = np.zeros(len(ACT_NAMES), dtype=np.float32)

    def known(name: str, value: int) -> None:
        y[_INDEX[name]] = value
        m[_INDEX[name]] = 1

    if row["reflection_exists"] == "True":
        simple = row["reflection_subtype"] == "simple"
        known("reflect_simple", int(simple))
        known("reflect_complex", int(not simple))
    elif row["reflection_exists"] == "False":
        known("reflect_simple", 0)
        known("reflect_complex", 0)
    if row["question_exists"] == "True":
        known("question_open" if row["question_subtype"] == "open" else "question_closed", 1)
    elif row["question_exists"] == "False":
        known("question_open", 0)
        known("question_closed", 0)
    if row["therapist_input_exists"] == "True":
        if row["therapist_input_subtype"] in ("information", "advice"):
            known(row["therapist_input_subtype"], 1)
    elif row["therapist_input_exists"] == "False":
        known("information", 0)
        known("advice", 0)
    return y, m


def load_annomi(folder: Path | None = None) -> list[AnnoLine]:
    """Every therapist utterance of ``AnnoMI-full.csv`` with its act labels and mask (ValueError names the file
    and line of a malformed row)."""
    path = (folder or default_dir()) / FULL_CSV
    if not path.is_file():
        raise FileNotFoundError(f"{path}: AnnoMI full CSV not found")
    chosen: dict[tuple[str, int], dict[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for n, row in enumerate(csv.DictReader(f), 2):
            try:
                key = (row["transcript_id"], int(row["utterance_id"]))
                annotator = int(row["annotator_id"])
            except (KeyError, ValueError, TypeError) as exc:
                raise ValueError(f"{path}:{n}: transcript_id/utterance_id/annotator_id: {exc}") from exc
            old = chosen.get(key)
            if old is None or annotator < int(old["annotator_id"]):
                chosen[key] = row
    out: list[AnnoLine] = []
    for (tid, uid), row in sorted(chosen.items(), key=lambda kv: (int(kv[0][0]), kv[0][1])):
        if row["interlocutor"] != "therapist" or not row["utterance_text"].strip():
            continue
        prev = chosen.get((tid, uid - 1))
        y, m = _codes_to_labels(row)
        out.append(AnnoLine(transcript=tid, text=row["utterance_text"].strip(),
                            context=prev["utterance_text"].strip() if prev else "", labels=y, mask=m))
    return out
