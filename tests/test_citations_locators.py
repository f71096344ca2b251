"""Locators and Chicago page ranges (docs/citation-styles.md, "Locators"; CMOS 9.61)."""

from __future__ import annotations

import pytest

from pressroom.citations.locators import Locator, abbreviate_range, normalise_range, paginated, parse_locator


@pytest.mark.parametrize("typed, expected", [
    # less than 100: all digits
    ("3–10", "3–10"), ("71–72", "71–72"), ("96–117", "96–117"), ("71–2", "71–72"),
    # 100 or a multiple of 100: all digits
    ("100–104", "100–104"), ("1100–1113", "1100–1113"), ("100–1", "100–101"),
    # 101–109 in its hundred: changed part only
    ("101–108", "101–8"), ("808–833", "808–33"), ("1103–1104", "1103–4"), ("101–2", "101–2"),
    ("301–3", "301–3"),
    # 110–199 in its hundred: two digits or more
    ("321–328", "321–28"), ("498–532", "498–532"), ("1087–1089", "1087–89"),
    ("1496–1500", "1496–500"), ("135–7", "135–37"), ("212–6", "212–16"), ("121–5", "121–25"),
    ("455–6", "455–56"),
    # hyphens typed by the author become en dashes
    ("3-8", "3–8"), ("3--8", "3–8"), ("121 - 125", "121–25"),
])
def test_page_range_table(typed, expected):
    assert normalise_range(typed) == expected


def test_abbreviate_range_leaves_roman_numerals():
    assert abbreviate_range("iv", "vii") == "vii"


@pytest.mark.parametrize("typed, label, value", [
    ("27", "p.", "27"),
    ("3–8", "pp.", "3–8"),
    ("pp. 7", "p.", "7"),            # singular corrected
    ("p. 7–9", "pp.", "7–9"),        # plural corrected
    ("p.\u00a07", "p.", "7"),        # pandoc's smart no-break space
    ("ii", "p.", "ii"),              # roman numerals are pages
    ("xiv–xvi", "pp.", "xiv–xvi"),
    ("3, 7", "pp.", "3, 7"),
    ("chap. 3", "chap.", "3"),
    ("chapter 3–4", "chaps.", "3–4"),
    ("vol. 2", "vol.", "2"),
    ("vols. 2", "vol.", "2"),
    ("n. 12", "n.", "12"),
    ("nn. 12–14", "nn.", "12–14"),
    ("sec. 4", "sec.", "4"),
    ("fig. 3", "fig.", "3"),
    ("figs. 3-4", "figs.", "3–4"),
])
def test_parse_locator(typed, label, value):
    loc, rest = parse_locator(typed)
    assert loc == Locator(label, value)
    assert rest == ""


def test_rest_of_suffix_is_kept():
    loc, rest = parse_locator("27, emphasis added")
    assert loc == Locator("p.", "27")
    assert rest == ", emphasis added"


def test_text_without_locator():
    loc, rest = parse_locator("and elsewhere")
    assert loc is None
    assert rest == "and elsewhere"


def test_unknown_label_warns_and_is_kept():
    warnings = []
    loc, _rest = parse_locator("sura 4", warn=warnings.append)
    assert loc == Locator("sura", "4")
    assert warnings and "sura" in warnings[0]


@pytest.mark.parametrize("typed, label", [("para. 4", "para."), ("paras. 4–5", "paras."), ("line 12", "line"),
                                          ("table 3", "table"), ("bk. 2", "bk."), ("fol. 12", "fol.")])
def test_more_chicago_labels_are_known(typed, label):
    warnings: list[str] = []
    loc, _ = parse_locator(typed, warn=warnings.append)
    assert loc.label == label and not warnings


def test_no_break_space_only_after_page_labels():
    assert str(Locator("p.", "7")) == "p.\u00a07"
    assert str(Locator("chap.", "7")) == "chap. 7"
    assert Locator("pp.", "3–8").rich().render_as("latex") == "pp.~3–8"
    assert Locator("pp.", "3–8").rich(page_labels=False).render_as("text") == "3–8"


def test_a_works_pagination_labels_its_bare_locators_as_biblatex_chicago_does():
    """biblatex's ``pagination`` (CMOS 14.150, 14.156): "col. 181", "§ 9", "vv. 23–24"; a label
    the author typed and a volume:page place stay; ``page`` prints the number alone."""
    assert str(paginated(parse_locator("181")[0], "column")) == "col. 181"
    assert str(paginated(parse_locator("9")[0], "section")) == "§ 9"
    assert str(paginated(parse_locator("23-24")[0], "verse")) == "vv. 23–24"
    assert str(paginated(parse_locator("fol. 3")[0], "column")) == "fol. 3"
    assert str(paginated(parse_locator("2:23")[0], "column")) == "2:23"
    assert paginated(parse_locator("23")[0], "page") == parse_locator("23")[0]
    assert paginated(None, "column") is None
