"""PDF, HTML and text → sections, with the errors owners see for bad files."""

import pytest

from knowledge.extract import (
    NO_MAIN_TEXT,
    NO_TEXT_LAYER,
    PASSWORD_PROTECTED,
    ExtractError,
    Section,
    extract_html,
    extract_pdf,
    extract_text,
    looks_like_heading,
)
from knowledge.tests.fixtures.web import (
    BOILERPLATE_PAGE,
    MENU_PAGE,
    image_only_pdf,
    menu_pdf,
)


def test_a_text_pdf_menu_is_split_at_its_section_headings_with_page_numbers():
    sections = extract_pdf(menu_pdf())
    assert [s.heading for s in sections] == ["Starters", "Mains", "Desserts"]
    assert sections[0].text.splitlines() == [
        "Bruschetta with tomato and basil 8.50",
        "Calamari fritti, lemon aioli 11.00",
        "Burrata, grilled peach 14.00",
    ]
    assert all(s.page == 1 for s in sections)


def test_a_section_running_over_a_page_break_keeps_its_heading_and_the_new_page_number():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Wines", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 8, "Chablis 2021, glass 14.00", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.cell(0, 8, "Barolo 2018, bottle 120.00", new_x="LMARGIN", new_y="NEXT")
    sections = extract_pdf(bytes(pdf.output()))
    assert [(s.heading, s.page) for s in sections] == [("Wines", 1), ("Wines", 2)]


def test_a_password_protected_pdf_gets_a_clear_error():
    with pytest.raises(ExtractError) as caught:
        extract_pdf(menu_pdf(user_password="letmein"))
    assert str(caught.value) == PASSWORD_PROTECTED == "the PDF is password-protected"


def test_a_pdf_with_only_an_owner_password_is_read():
    # Restrictions on printing/copying do not stop reading: the empty user password opens it.
    sections = extract_pdf(menu_pdf(user_password=""))
    assert [s.heading for s in sections] == ["Starters", "Mains", "Desserts"]


def test_a_scanned_pdf_without_a_text_layer_gets_a_clear_error():
    with pytest.raises(ExtractError) as caught:
        extract_pdf(image_only_pdf())
    assert str(caught.value) == NO_TEXT_LAYER
    assert "no text layer (scanned image?)" in NO_TEXT_LAYER and "paste the menu as text" in NO_TEXT_LAYER


def test_a_file_that_is_not_a_pdf_gets_a_clear_error():
    with pytest.raises(ExtractError, match="not a readable PDF"):
        extract_pdf(b"%PDF-1.4\nthis is not really a pdf")


def test_an_html_page_keeps_its_main_text_and_heading_path_and_drops_navigation():
    sections = extract_html(MENU_PAGE)
    headings = [s.heading for s in sections]
    assert headings == ["Our menu", "Our menu › Starters", "Our menu › Mains"]
    text = "\n".join(s.text for s in sections)
    assert "Grilled snapper with coconut rice" in text and "All rights reserved" not in text
    assert "Contact" not in text
    assert all(s.page is None for s in sections)


def test_an_html_table_becomes_readable_lines():
    page = MENU_PAGE.replace(
        "<h2>Mains</h2>",
        "<table><tr><th>Dish</th><th>Price</th></tr><tr><td>Calamari</td><td>11.00</td></tr></table><h2>Mains</h2>",
    )
    text = "\n".join(s.text for s in extract_html(page))
    assert "Calamari — 11.00" in text and "|" not in text and "---" not in text


def test_a_page_with_only_navigation_and_boilerplate_has_no_main_text():
    with pytest.raises(ExtractError) as caught:
        extract_html(BOILERPLATE_PAGE)
    assert str(caught.value) == NO_MAIN_TEXT == "no main text found on the page"


def test_an_empty_page_has_no_main_text():
    with pytest.raises(ExtractError, match="no main text"):
        extract_html("<html><body></body></html>")


def test_pasted_text_uses_markdown_headings_and_title_lines():
    text = "# House rules\nNo shoes on the deck.\n\nDogs welcome on the terrace.\n\nOPENING HOURS\nDaily 10:00–22:00\n"
    sections = extract_text(text)
    assert sections == [
        Section(heading="House rules", text="No shoes on the deck.\n\nDogs welcome on the terrace."),
        Section(heading="OPENING HOURS", text="Daily 10:00–22:00"),
    ]


def test_two_headings_in_a_row_are_kept_together():
    sections = extract_text("Drinks\nCocktails\nNegroni 12.00\nSpritz 10.00")
    assert sections == [Section(heading="Drinks › Cocktails", text="Negroni 12.00\nSpritz 10.00")]


def test_text_without_headings_is_one_section_and_nul_bytes_are_removed():
    assert extract_text("just a note\x00 about parking.") == [Section(heading="", text="just a note about parking.")]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Starters", True),
        ("MAINS", True),
        ("From the Grill:", True),
        ("Desserts & Coffee", True),
        ("Tiramisu 9.00", False),
        ("We open at five.", False),
        ("grilled fish", False),
        ("A very long line that is clearly a sentence of the menu text", False),
        ("Opening Hours 10-22", False),
    ],
)
def test_what_looks_like_a_heading(line, expected):
    assert looks_like_heading(line) is expected
