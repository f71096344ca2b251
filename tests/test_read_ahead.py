"""pandoc's reading of a changed manuscript starts with the build (pandoc_ast.read_ahead) and is
taken by the build's read_markdown only when it is of the file as it is then, with its limits."""

from __future__ import annotations

from pressroom import pandoc_ast
from pressroom.pandoc_ast import read_ahead, read_markdown, stringify
from pressroom.tools import DEFAULT_LIMITS, Limits


def _text(doc: dict) -> str:
    return stringify(doc["blocks"])


def test_the_reading_ahead_is_taken_for_the_same_file(tmp_path):
    md = tmp_path / "paper.md"
    md.write_text("A first paragraph.\n", encoding="utf-8")
    with read_ahead(md):
        running = pandoc_ast._ahead[1]
        assert _text(read_markdown(md)) == "A first paragraph."
        assert pandoc_ast._ahead is None and running.proc.returncode == 0   # taken, not read again


def test_a_file_changed_after_the_reading_ahead_started_is_read_as_it_is(tmp_path):
    md = tmp_path / "paper.md"
    md.write_text("The text before.\n", encoding="utf-8")
    with read_ahead(md):
        md.write_text("The text after.\n", encoding="utf-8")
        assert _text(read_markdown(md)) == "The text after."


def test_other_limits_read_again_and_a_reading_nothing_took_is_stopped(tmp_path):
    md = tmp_path / "paper.md"
    md.write_text("Some text.\n", encoding="utf-8")
    with read_ahead(md):
        running = pandoc_ast._ahead[1]
        other = Limits(time=DEFAULT_LIMITS.time + 1, memory=DEFAULT_LIMITS.memory)
        assert _text(read_markdown(md, limits=other)) == "Some text."
    assert running.proc.returncode is not None   # ended and reaped, whether it had finished or not
    other = tmp_path / "other.md"
    other.write_text("Never asked for.\n", encoding="utf-8")
    with read_ahead(other):
        running = pandoc_ast._ahead[1]
    assert pandoc_ast._ahead is None and running.proc.returncode is not None
