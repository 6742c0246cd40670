"""``sparring bench annomi`` and ``sparring bench play``: scoring validity against expert labels and natural play
(docs/scoring-validity.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from sparring.cli.errors import UserError

bench_app = typer.Typer(help="Benchmarks against external expert-labelled data.", no_args_is_help=True)


@bench_app.command("annomi")
def _annomi(
    data: Path = typer.Option(..., "--data", help="the AnnoMI directory (holding AnnoMI-simple.csv)"),
    json_out: bool = typer.Option(False, "--json", help="print one JSON document"),
    folds: int = typer.Option(5, "--folds", min=2, max=20, help="transcript-grouped cross-validation folds"),
    limit: int | None = typer.Option(None, "--limit", min=4, help="use a deterministic subset of N sessions"),
    seed: int | None = typer.Option(
        None, "--seed", min=0,
        help="shuffle the transcript groups into folds with this seed (default: the README's unshuffled split)",
    ),
) -> None:
    """Utterance tagging macro-F1, session AUC (high vs low MI quality) and wall time, all out-of-fold."""
    from sparring.bench.annomi import DatasetError, run_annomi

    if not data.is_dir():
        raise UserError(f"--data {data}: not a directory")

    def progress(msg: str) -> None:
        print(f"annomi: {msg}", file=sys.stderr)

    try:
        result = run_annomi(data, folds=folds, limit=limit, seed=seed, progress=None if json_out else progress)
    except DatasetError as exc:
        raise UserError(str(exc)) from exc
    if json_out:
        print(json.dumps(result, indent=2))
        return
    print(f"utterance macro-F1 (therapist 4-way, {result['folds']}-fold grouped CV): {result['utterance_macro_f1']}")
    print(f"session AUC (high vs low MI quality, rubric overall):  {result['session_auc']}")
    print(f"  length-controlled (residualised):                   {result['session_auc_length_controlled']}")
    print(f"  length-stratified (within tertiles):                {result['session_auc_length_stratified']}")
    print(f"  length alone:                                       {result['length_only_auc']}")
    print(f"wall time, tagging and scoring {result['sessions']} sessions: {result['seconds']} s "
          f"(training fold taggers: {result['train_seconds']} s)")


@bench_app.command("play")
def _play(
    corpus: Path = typer.Option(Path("corpus/play"), "--corpus", help="the play corpus (<writer>/*.txt rep files)"),
    split: str = typer.Option("train", "--split",
                              help="train | test (the frozen split: final measurements only) | all"),
    json_out: bool = typer.Option(False, "--json", help="print one JSON document"),
    replies: Path | None = typer.Option(None, "--replies",
                                        help="also write every exchange (line before, learner, reply) as JSON Lines"),
) -> None:
    """Play every scripted rep of the play corpus through the practice engines: outcome success rates by style and
    difficulty, scorecard pass rates, and agreement with the writers' verdicts (Cohen's kappa)."""
    from sparring.bench.play import PlayCorpusError, run_play

    if split not in ("train", "test", "all"):
        raise UserError(f"--split must be train, test or all (got {split[:20]!r})")
    if not corpus.is_dir():
        raise UserError(f"--corpus {corpus}: not a directory")
    try:
        result = run_play(corpus, split=split, replies=replies,
                          progress=None if json_out else lambda m: print(f"play: {m}", file=sys.stderr))
    except PlayCorpusError as exc:
        raise UserError(f"{exc.problems[0]} ({len(exc.problems)} problem(s) in the corpus)") from exc
    if json_out:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['reps']} reps ({split} split) in {result['seconds']} s")
    print("counterpart outcome = success, by style/difficulty:")
    for cell, rate in result["success_rate"].items():
        print(f"  {cell:<22} {rate:.0%}  ({result['reps_per_cell'][cell]} reps)")
    print("scorecard passed, by style: " + ", ".join(f"{k} {v:.0%}" for k, v in result["scorecard_pass_rate"].items()))
    for style, counts in result["outcomes_by_style"].items():
        print(f"  {style} outcomes: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(f"outcome as the writer expected: {result['outcome_agreement']}")
    print(f"criterion verdicts: agreement {result['verdict_agreement']}, Cohen's kappa {result['verdict_kappa']}")


@bench_app.command("play-review")
def _play_review(
    review: Path = typer.Argument(..., help="a second reviewer's folder (<writer>/<rep file> with their verdicts)"),
    corpus: Path = typer.Option(Path("corpus/play"), "--corpus", help="the play corpus"),
    json_out: bool = typer.Option(False, "--json", help="print one JSON document"),
) -> None:
    """How far a second reviewer agrees with the play corpus writers' verdicts and expected outcomes."""
    from sparring.bench.play import PlayCorpusError
    from sparring.bench.verdict_review import review_agreement

    try:
        result = review_agreement(corpus, review)
    except PlayCorpusError as exc:
        raise UserError(f"{exc.problems[0]} ({len(exc.problems)} problem(s))") from exc
    if json_out:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['reps']} reps, {result['verdicts']} criterion verdicts judged by both")
    print(f"verdicts: agreement {result['verdict_agreement']}, Cohen's kappa {result['verdict_kappa']} "
          "(" + ", ".join(f"{k} {v}" for k, v in result["verdict_kappa_by_kind"].items()) + ")")
    print(f"expected outcome: agreement {result['outcome_agreement']}, Cohen's kappa {result['outcome_kappa']}")


@bench_app.command("reply-sheet")
def _reply_sheet(
    replies: Path = typer.Option(..., "--replies", help="the --replies file of 'sparring bench play'"),
    out: Path = typer.Option(..., "--out", help="where to write the review sheet (JSON Lines)"),
    n: int = typer.Option(300, "--n", min=1, help="exchanges to draw"),
    seed: int = typer.Option(11, "--seed", help="the draw's seed (fixed before reviewing)"),
) -> None:
    """Draw a review sheet of exchanges for two reviewers to judge: does the reply follow from the learner's line?"""
    from sparring.bench.reply_review import ReviewError, make_sheet

    try:
        sheet = make_sheet(replies, n, seed)
    except ReviewError as exc:
        raise UserError(str(exc)) from exc
    with out.open("w", encoding="utf-8") as f:
        for record in sheet:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{len(sheet)} exchanges written to {out}; each reviewer adds \"follows\": \"yes\" or \"no\" to every record")


@bench_app.command("reply-agreement")
def _reply_agreement(
    sheet: Path = typer.Argument(..., help="the review sheet"),
    first: Path = typer.Argument(..., help="the first reviewer's judged copy"),
    second: Path = typer.Argument(..., help="the second reviewer's judged copy"),
    json_out: bool = typer.Option(False, "--json", help="print one JSON document"),
) -> None:
    """Two reviewers' verdicts on one sheet: the rate of replies that do not follow, and their agreement."""
    from sparring.bench.reply_review import ReviewError, agreement

    try:
        result = agreement(sheet, first, second)
    except ReviewError as exc:
        raise UserError(str(exc)) from exc
    if json_out:
        print(json.dumps(result, indent=2))
        return
    rates = result["not_following_rate"]
    print(f"{result['judged']} replies judged; does not follow: first {rates['first']:.1%}, second "
          f"{rates['second']:.1%}, either {rates['either']:.1%}, both {rates['both']:.1%}")
    print(f"agreement {result['agreement']:.1%}, Cohen's kappa {result['kappa']}; "
          f"{len(result['disagreements'])} disagreement(s)")


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")
