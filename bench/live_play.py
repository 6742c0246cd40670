"""Live play: a practice rep one line at a time, for people who measure the counterpart by playing it
(corpus/play-live/GUIDE.md; docs/scoring-validity.md). Runs the configured engines on a database of its own in DIR.

usage (.venv/bin/python bench/live_play.py ...):
  live_play.py DIR list                         scenarios you can play
  live_play.py DIR start SCENARIO_ID DIFFICULTY  start a rep (easy|medium|hard): prints the brief and the opening line
  live_play.py DIR say "your line"               say one line: the reply (and the outcome when it ends)
  live_play.py DIR end                           end the rep yourself (prints the outcome)
Every rep is logged to DIR/log.jsonl."""
import json
import sys
from pathlib import Path


def main():
    d = Path(sys.argv[1])
    d.mkdir(parents=True, exist_ok=True)
    cmd = sys.argv[2]
    from sparring.content.library import load_library
    from sparring.root import Sparring
    from sparring.settings import Settings

    app = Sparring(Settings(data_dir=d))  # the configured engines, a database of its own in DIR
    svc = app.practice()
    user = app.accounts().local_learner()
    state = d / "state.json"
    log = d / "log.jsonl"
    if cmd == "list":
        lib = load_library()
        for s in lib.scenarios.values():
            print(f"{s.id:45s} {s.title}")
        return
    if cmd == "start":
        sid, diff = sys.argv[3], sys.argv[4]
        rec = svc.start_rep(user, sid, diff)
        lib = load_library()
        sc = lib.scenarios[sid]
        who = f"{sc.persona.name}, {sc.persona.role}" + (f" at {sc.persona.company}" if sc.persona.company else "")
        print(f"== {sc.title} ({diff}) ==\nYou talk to: {who}")
        if sc.learner_role:
            print(f"You are: {sc.learner_role}")
        print("\n" + sc.brief.strip() + "\n\nObjectives:")
        for o in sc.objectives:
            print(f"  - {o}")
        print()
        for t in rec.turns:
            print(f"{t.speaker}: {t.text}")
        state.write_text(json.dumps({"rep": rec.id, "scenario": sid, "difficulty": diff}))
        with log.open("a") as f:
            f.write(json.dumps({"rep": rec.id, "event": "start", "scenario": sid, "difficulty": diff,
                                "opening": [t.text for t in rec.turns]}) + "\n")
        return
    st = json.loads(state.read_text())
    if cmd == "say":
        line = sys.argv[3]
        res = svc.submit_turn(st["rep"], line)
        reply = res.reply.text if res.reply is not None else ""
        print(f"THEM: {reply}" if reply else "(no reply)")
        with log.open("a") as f:
            f.write(json.dumps({"rep": st["rep"], "event": "say", "learner": line, "reply": reply,
                                "ended": res.ended, "outcome": res.outcome}) + "\n")
        if res.ended:
            print(f"\n*** The conversation ended. Outcome: {res.outcome} ***")
        return
    if cmd == "end":
        rec = svc.end_rep(st["rep"], "ended by the learner")
        print(f"*** Ended. Outcome: {rec.outcome} ***")
        with log.open("a") as f:
            f.write(json.dumps({"rep": st["rep"], "event": "end", "outcome": rec.outcome}) + "\n")
        return
    raise SystemExit(f"unknown command {cmd}")

main()
