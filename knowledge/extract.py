"""Turn a PDF, a web page or pasted text into structured sections (heading, text, page).

Structure matters for retrieval: a chunk that says "Mains" above "Grilled snapper 24"
answers "what mains do you have?" far better than a window cut across two menu sections.

- PDF: pypdf's text layer, page by page. Headings are recognised by shape (a short
  title-like line with no price, or a Markdown ``#`` line), since menus rarely carry a
  PDF outline. Encrypted PDFs and PDFs without a text layer (scans) get a clear error.
- HTML: trafilatura finds the main content and drops navigation, cookie banners and
  footers; its Markdown output keeps headings and tables.
- Text: the same line rules as PDF text.

Every failure is an ExtractError whose message can be shown to the venue owner.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass

logger = logging.getLogger(__name__)

PASSWORD_PROTECTED = "the PDF is password-protected"
NO_TEXT_LAYER = "the PDF has no text layer (scanned image?) — upload a text PDF or paste the menu as text"
NO_MAIN_TEXT = "no main text found on the page"
MAX_PDF_PAGES = 300
# Below this a PDF "has no text": a scan often still yields a stray page number or two.
MIN_PDF_ALNUM_CHARS = 20
# A page whose "main text" is only a few short link labels ("Home", "Menu", "Contact")
# is boilerplate; trafilatura returns it rather than nothing.
MIN_PAGE_WORDS = 25
MIN_PROSE_LINE_WORDS = 6

HEADING_SEPARATOR = " › "


class ExtractError(Exception):
    """The content cannot be turned into text; the message is meant for the venue owner."""


@dataclass(frozen=True)
class Section:
    heading: str
    text: str
    page: int | None = None  # 1-based PDF page; None for web pages and text


# --- PDF ------------------------------------------------------------------------------


def extract_pdf(data: bytes) -> list[Section]:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            # An owner-password-only PDF (printing/copy restrictions) opens with the empty
            # user password; one that needs a password to open cannot be read by us.
            try:
                opened = reader.decrypt("")
            except Exception as exc:
                raise ExtractError(PASSWORD_PROTECTED) from exc
            if not opened:
                raise ExtractError(PASSWORD_PROTECTED)
        if len(reader.pages) > MAX_PDF_PAGES:
            raise ExtractError(f"the PDF has {len(reader.pages)} pages; the limit is {MAX_PDF_PAGES}")
        pages = [_clean(page.extract_text() or "") for page in reader.pages]
    except ExtractError:
        raise
    except FileNotDecryptedError as exc:
        raise ExtractError(PASSWORD_PROTECTED) from exc
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        # pypdf raises a zoo of types on damaged files; all of them mean "not readable"
        logger.info("unreadable PDF: %s", exc)
        raise ExtractError("the file is not a readable PDF (damaged or not a PDF)") from exc

    if sum(ch.isalnum() for text in pages for ch in text) < MIN_PDF_ALNUM_CHARS:
        raise ExtractError(NO_TEXT_LAYER)
    sections: list[Section] = []
    heading = ""
    for number, text in enumerate(pages, start=1):
        page_sections, heading = _sections_from_lines(text.splitlines(), heading=heading, page=number)
        sections.extend(page_sections)
    return sections


# --- HTML -----------------------------------------------------------------------------


def extract_html(data: bytes | str, *, url: str | None = None) -> list[Section]:
    import trafilatura

    markdown = trafilatura.extract(
        data,
        url=url,
        output_format="markdown",
        include_tables=True,
        include_comments=False,
        include_images=False,
        include_links=False,
        # no deduplicate=True: its cache is process-wide, so a re-ingest of the same page
        # would lose every paragraph it had seen before
    )
    markdown = _clean(markdown or "")
    if not _looks_like_main_text(markdown):
        raise ExtractError(NO_MAIN_TEXT)
    sections, _ = _sections_from_lines(
        _tidy_markdown_tables(markdown.splitlines()), heading="", page=None, shape_headings=False
    )
    if not sections:
        raise ExtractError(NO_MAIN_TEXT)
    return sections


def _looks_like_main_text(markdown: str) -> bool:
    lines = [line for line in markdown.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    words = sum(len(line.split()) for line in lines)
    return words >= MIN_PAGE_WORDS or any(len(line.split()) >= MIN_PROSE_LINE_WORDS for line in lines)


_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _tidy_markdown_tables(lines: list[str]) -> list[str]:
    """``| Calamari | 11.00 |`` → ``Calamari — 11.00``; rule rows are dropped."""
    tidy = []
    for line in lines:
        stripped = line.strip()
        if _TABLE_RULE.match(stripped) and "-" in stripped:
            continue
        if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
            cells = [cell.strip() for cell in stripped.strip("|").split("|")]
            line = " — ".join(cell for cell in cells if cell)
        tidy.append(line)
    return tidy


# --- Plain text -----------------------------------------------------------------------


def extract_text(text: str) -> list[Section]:
    sections, _ = _sections_from_lines(_clean(text).splitlines(), heading="", page=None)
    if not sections:
        raise ExtractError("the text is empty")
    return sections


# --- shared line rules ----------------------------------------------------------------

_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_HAS_DIGIT = re.compile(r"\d")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(text: str) -> str:
    # PostgreSQL text cannot hold NUL; other control characters are PDF extraction noise.
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n".join(re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")).strip()


def looks_like_heading(line: str) -> bool:
    """A short, title-like line without a price: "Starters", "MAINS", "From the Grill:"."""
    line = line.strip()
    words = line.rstrip(":").split()
    if not words or len(words) > 6 or len(line) > 60:
        return False
    if _HAS_DIGIT.search(line) or line[-1] in ".,;!?" or not line[0].isupper():
        return False
    letters = [ch for ch in line if ch.isalpha()]
    if len(letters) < 3 or len(letters) < 0.7 * len(line.replace(" ", "")):
        return False
    significant = [w for w in words if len(w) > 3]
    return line.isupper() or all(w[0].isupper() for w in significant)


def _sections_from_lines(
    lines: list[str], *, heading: str, page: int | None, shape_headings: bool = True
) -> tuple[list[Section], str]:
    """Split lines into sections at headings; returns the sections and the last heading
    (a PDF section that runs over a page break keeps its heading on the next page)."""
    sections: list[Section] = []
    body: list[str] = []
    markdown_stack: list[tuple[int, str]] = []
    pending_heading = heading

    def flush() -> None:
        text = "\n".join(body).strip()
        text = re.sub(r"\n{3,}", "\n\n", text)
        if text:
            sections.append(Section(heading=pending_heading[:300], text=text, page=page))
        body.clear()

    for index, raw in enumerate(lines):
        line = raw.strip()
        match = _MARKDOWN_HEADING.match(line)
        if match:
            level, title = len(match.group(1)), match.group(2).strip()
            markdown_stack = [(lvl, t) for lvl, t in markdown_stack if lvl < level] + [(level, title)]
            new_heading = HEADING_SEPARATOR.join(t for _, t in markdown_stack)
        elif shape_headings and looks_like_heading(line) and _has_body_after(lines, index):
            new_heading = line.rstrip(":").strip()
        else:
            body.append(line)
            continue
        if any(b for b in body):
            flush()
            pending_heading = new_heading
        elif match or not pending_heading or pending_heading == heading:
            pending_heading = new_heading
        else:
            # two shape headings in a row ("Drinks" / "Cocktails"): keep both
            pending_heading = f"{pending_heading}{HEADING_SEPARATOR}{new_heading}"
        body.clear()
    flush()
    return sections, pending_heading


def _has_body_after(lines: list[str], index: int) -> bool:
    return any(line.strip() for line in lines[index + 1 :])
