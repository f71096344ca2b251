"""Render stage, without TeX: escaping, the template contract (every project
template loads, renders with the documented variables and says what it
needs), template lookup (a templates/ folder beside the manuscript first),
short titles for running heads."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pressroom.config import (
    PAPER_SIZES,
    PROJECT_TEMPLATES,
    Settings,
    build_settings,
    find_template,
)
from pressroom.errors import TemplateError
from pressroom.facts import Facts
from pressroom.manuscript import read_manuscript
from pressroom.render import (
    COMMON_DIR,
    TEMPLATE_FILE,
    Latex,
    latex_escape,
    make_environment,
    template_context,
    template_files,
)

SPECIALS = r"Profit & Loss: 100% of $5 for #1 \ {all} ~ ^ _"
TEMPLATES = sorted(p.parent.name for p in PROJECT_TEMPLATES.glob(f"*/{TEMPLATE_FILE}"))

FRONT = {
    "fields": {"title": "A Title", "abstract": "The abstract.", "draft-notice": "Do not cite.",
               "version-date": "January 2018", "acknowledgments": "Thanks to Jane Roe."},
    "authors": [{"name": "Ann Author", "affiliation": "Some University", "email": "ann@example.org"}],
    "keywords": ["one", "two"],
}


def settings_for(template: str, tmp_path: Path, **changes) -> Settings:
    template_dir = PROJECT_TEMPLATES / template
    toml = tomllib.loads((template_dir / "settings.toml").read_text(encoding="utf-8"))
    anonymous = bool(toml.get("anonymous", False))
    values = {"manuscript": tmp_path / "paper.md", "out_dir": tmp_path, "template_name": template,
              "template_dir": template_dir, "paper": toml.get("paper", "letter"),
              "template_settings": tuple(sorted(toml.get("latex", {}).items())),
              "authors": () if anonymous else ("Ann Author",), "anonymous": anonymous}
    values.update(changes)
    return Settings(**values)


#: the plain title and short title, as convert records them from pandoc's AST (facts.py)
TITLES = Facts(title="A Title", short_title="A Title")


def render_text(settings: Settings, front: dict = FRONT, body: str = "Body text.",
                source: Facts = TITLES) -> str:
    if settings.anonymous:   # as convert writes it for an anonymous template
        front = {**front, "authors": [],
                 "fields": {k: v for k, v in front["fields"].items() if k != "acknowledgments"}}
    env = make_environment(settings.template_dir)
    return env.get_template(TEMPLATE_FILE).render(template_context(settings, front, body, source))


def test_latex_escape_makes_every_special_literal():
    assert latex_escape(SPECIALS) == (
        r"Profit \& Loss: 100\% of \$5 for \#1 \textbackslash{} \{all\} \textasciitilde{} "
        r"\textasciicircum{} \_")


def test_plain_values_are_escaped_and_latex_values_are_not(tmp_path):
    env = make_environment(PROJECT_TEMPLATES / "working-paper")
    template = env.from_string(r"\VAR{plain}|\VAR{latex}|\VAR{n}|\VAR{missing_ok or ''}")
    text = template.render(plain="50% & $3", latex=Latex(r"\emph{x}"), n=3, missing_ok=None)
    assert text == r"50\% \& \$3|\emph{x}|3|"


def test_latex_safe_delimiters_leave_braces_and_percent_alone():
    env = make_environment(PROJECT_TEMPLATES / "working-paper")
    source = "\\#{ a comment }\\BLOCK{if x}{\\bfseries \\VAR{x}} % a TeX comment\n\\BLOCK{endif}"
    assert env.from_string(source).render(x="y") == "{\\bfseries y} % a TeX comment\n"


def test_unknown_variable_is_an_error():
    import jinja2
    env = make_environment(PROJECT_TEMPLATES / "working-paper")
    with pytest.raises(jinja2.UndefinedError):
        env.from_string(r"\VAR{no_such_variable}").render()


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_has_valid_settings(template):
    toml = tomllib.loads((PROJECT_TEMPLATES / template / "settings.toml").read_text(encoding="utf-8"))
    assert toml.get("engine", "xelatex") in ("xelatex", "lualatex")
    assert toml.get("paper", "letter") in PAPER_SIZES
    assert toml["latex"]["linespacing"] in ("single", "onehalf", "double")
    assert toml["latex"]["fontsize"].endswith("pt")
    assert isinstance(toml["latex"].get("linestretch", 1), (int, float))


def test_linespacing_without_linestretch(tmp_path):
    for spacing, command in (("double", r"\doublespacing"), ("onehalf", r"\onehalfspacing"),
                             ("single", r"\singlespacing")):
        text = render_text(settings_for("working-paper", tmp_path, template_settings=(
            ("fontsize", "12pt"), ("linespacing", spacing))))
        assert f"{{%\n  {command}}}" in text, spacing


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_renders_a_whole_document(template, tmp_path):
    text = render_text(settings_for(template, tmp_path))
    assert text.startswith(r"\documentclass") or "\n\\documentclass" in text
    assert "Body text." in text and "A Title" in text
    assert text.rstrip().endswith(r"\end{document}")
    assert r"\VAR{" not in text and r"\BLOCK{" not in text


@pytest.mark.parametrize("template", TEMPLATES)
def test_special_characters_in_plain_values_print_literally(template, tmp_path):
    text = render_text(settings_for(template, tmp_path), source=Facts(title=SPECIALS, short_title=SPECIALS))
    assert SPECIALS not in text
    if template == "journal-article":      # the running head prints the short title
        assert latex_escape(SPECIALS) in text


def test_working_paper_prints_the_title_page_fields(tmp_path):
    text = render_text(settings_for("working-paper", tmp_path))
    for expected in ("Ann Author", "(ann@example.org)", "Some University", "ABSTRACT", "The abstract.",
                     "[Do not cite.]", "Version date: January 2018", "Thanks to Jane Roe.",
                     r"\setstretch{1.9}"):
        assert expected in text, expected
    assert text.count("A Title") == 2           # the title page and the head of the body


def test_anonymous_review_prints_no_author_notice_or_acknowledgments(tmp_path):
    settings = settings_for("anonymous-review", tmp_path)
    assert settings.anonymous and settings.authors == ()
    # even if a convert stage handed them over, the template prints none of them
    env = make_environment(settings.template_dir)
    context = template_context(settings, FRONT, "Body.", Facts(title="A Title"))
    text = env.get_template(TEMPLATE_FILE).render(context)
    for hidden in ("Ann Author", "ann@example.org", "Some University", "Do not cite.", "Jane Roe"):
        assert hidden not in text, hidden
    assert "The abstract." in text and r"\setstretch{1.9}" in text


def test_journal_article_has_running_heads_and_version_footer(tmp_path):
    settings = settings_for("journal-article", tmp_path, authors=("Ann Author", "Bo Writer"))
    text = render_text(settings, source=Facts(title="A Title", short_title="Short"))
    assert r"\textit{\pressroomhead{Short}}" in text
    assert r"\textsc{Ann Author and Bo Writer}" in text
    assert "Version date: January 2018" in text
    three = render_text(settings_for("journal-article", tmp_path, authors=("A", "B", "C")))
    assert r"\textsc{A et al.}" in three


def write_manuscript(folder: Path, header: str = "title: T\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "paper.md"
    path.write_text(f"---\n{header}---\n\nText.\n", encoding="utf-8")
    return path


def test_a_templates_folder_beside_the_manuscript_wins(tmp_path):
    path = write_manuscript(tmp_path / "ms")
    local = tmp_path / "ms" / "templates" / "working-paper"
    local.mkdir(parents=True)
    (local / TEMPLATE_FILE).write_text(r"\VAR{body}", encoding="utf-8")
    manuscript = read_manuscript(path)
    assert find_template("working-paper", manuscript) == local
    assert find_template("journal-article", manuscript) == PROJECT_TEMPLATES / "journal-article"


def test_unknown_or_unsafe_template_names_are_errors(tmp_path):
    manuscript = read_manuscript(write_manuscript(tmp_path / "ms"))
    with pytest.raises(TemplateError, match=r"available templates: .*working-paper"):
        find_template("no-such-journal", manuscript)
    for bad in ("../etc", "a/b", ".hidden", ""):
        with pytest.raises(TemplateError, match="invalid template name"):
            find_template(bad, manuscript)


def test_template_choice_header_then_command_line(tmp_path):
    manuscript = read_manuscript(write_manuscript(tmp_path / "ms", "title: T\ntemplate: journal-article\n"))
    assert build_settings(manuscript, out_dir=tmp_path / "out").template_name == "journal-article"
    settings = build_settings(manuscript, out_dir=tmp_path / "out", template="anonymous-review")
    assert settings.template_name == "anonymous-review"
    assert settings.anonymous


def test_anonymous_settings_carry_no_author(tmp_path):
    header = "title: T\nauthor:\n  - name: Ann Author\n    email: ann@example.org\n"
    manuscript = read_manuscript(write_manuscript(tmp_path / "ms", header))
    assert build_settings(manuscript, out_dir=tmp_path / "o").authors == ("Ann Author",)
    assert build_settings(manuscript, out_dir=tmp_path / "o", template="anonymous-review").authors == ()


def test_template_files_include_the_shared_parts():
    files = template_files(PROJECT_TEMPLATES / "working-paper")
    assert PROJECT_TEMPLATES / "working-paper" / TEMPLATE_FILE in files
    assert PROJECT_TEMPLATES / COMMON_DIR / "typescript.tex.j2" in files


def test_journal_article_prints_the_keywords_without_an_abstract(tmp_path):
    front = {**FRONT, "fields": {k: v for k, v in FRONT["fields"].items() if k != "abstract"}}
    text = render_text(settings_for("journal-article", tmp_path), front=front)
    assert r"\textbf{Keywords:} one; two" in text and "Abstract" not in text
