"""Built-in persona lines and the yes/no reading of lines."""

from __future__ import annotations

from sparring.content.library import get_library
from sparring.persona.reply import BUILTIN, builtin, polarity, yes_no_pool


def test_polarity_reads_what_a_line_answers() -> None:
    assert polarity("Yes.") == "yes" and polarity("Yeah, roughly.") == "yes"
    assert polarity("No.") == "no" and polarity("Not yet.") == "no"
    assert polarity("More or less.") == "hedge"


def test_a_yes_no_pool_gives_only_the_wanted_answer() -> None:
    assert yes_no_pool(["Yes.", "No.", "More or less."], "no") == ["No."]
    assert all(polarity(line) == "no" for line in yes_no_pool(["Yes."], "no"))
    assert "Yes." not in yes_no_pool(["Yes.", "No."], "hedge")


def test_identity_answers_are_in_character_and_go_back_to_the_scene() -> None:
    sc = get_library().scenario("sales-pricing-objection")
    lines = builtin("react:identity", sc)
    assert lines and all("Daniel" in line for line in lines)
    assert not any(w in line.lower() for line in lines for w in ("i am an ai", "i'm an ai", "language model"))
    assert builtin("react:hostile", sc) == BUILTIN["react:hostile"]
