"""Split extracted sections into retrieval chunks that follow the document's structure.

Rules, in order of priority:

1. A chunk never spans two sections: every chunk carries its section's heading.
2. Inside a section, text is cut at paragraph, line and sentence boundaries and packed
   greedily up to ``target_words`` (~200). A single sentence longer than that is the only
   thing ever cut mid-sentence.
3. Consecutive chunks of the same section overlap by whole trailing sentences/lines of
   about ``overlap_words`` (~40), so a fact on a boundary is retrievable from both sides.
4. Deterministic: the same sections always give the same chunks and hashes, which is what
   lets ingestion keep embeddings of unchanged chunks.

200 words of English is roughly 260 word pieces, about what MiniLM (256) reads; a
little tail truncation at embed time is acceptable, a menu section split in two is not.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.extract import Section

# Bump when chunk boundaries change: ingestion folds it into a source's content hash, so
# unchanged files are re-chunked on their next ingest (unchanged chunks keep their vectors).
CHUNKER_VERSION = "2"

TARGET_WORDS = 200
OVERLAP_WORDS = 40

# A sentence ends at . ! ? (optionally closed by a quote or bracket) followed by a space
# and something that starts a sentence. "e.g. fish" and "8.50" stay in one piece.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREVIATIONS = frozenset(
    {"e.g.", "i.e.", "etc.", "approx.", "incl.", "no.", "vs.", "mr.", "mrs.", "ms.", "dr.", "st.", "jl."}
)
_WORD_PIECE = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class Chunk:
    ordinal: int
    heading: str
    content: str
    page: int | None
    word_count: int
    token_count: int  # an estimate of word pieces (words + punctuation), not a tokenizer count
    content_hash: str


@dataclass(frozen=True)
class _Unit:
    text: str
    joiner: str  # what goes before it when it follows another unit: " ", "\n" or "\n\n"
    words: int


def chunk_sections(
    sections: Iterable[Section], *, target_words: int = TARGET_WORDS, overlap_words: int = OVERLAP_WORDS
) -> list[Chunk]:
    if overlap_words >= target_words:
        raise ValueError("overlap_words must be smaller than target_words")
    chunks: list[Chunk] = []
    for section in sections:
        for content in _pack(_units(section.text, target_words), target_words, overlap_words):
            chunks.append(_make_chunk(len(chunks), section, content))
    return chunks


def content_hash(heading: str, content: str) -> str:
    return hashlib.sha256(f"{heading}\n{content}".encode()).hexdigest()


def _make_chunk(ordinal: int, section: Section, content: str) -> Chunk:
    return Chunk(
        ordinal=ordinal,
        heading=section.heading,
        content=content,
        page=section.page,
        word_count=len(content.split()),
        token_count=len(_WORD_PIECE.findall(content)),
        content_hash=content_hash(section.heading, content),
    )


def _units(text: str, target_words: int) -> list[_Unit]:
    """Paragraphs → lines → sentences, each remembering how it was joined to the previous."""
    units: list[_Unit] = []
    for p_index, paragraph in enumerate(re.split(r"\n\s*\n", text.strip())):
        for l_index, line in enumerate(line for line in paragraph.split("\n") if line.strip()):
            for s_index, sentence in enumerate(split_sentences(line)):
                joiner = " " if s_index else ("\n" if l_index else "\n\n")
                if not units:
                    joiner = ""
                for piece_index, piece in enumerate(_split_long(sentence, target_words)):
                    units.append(_Unit(piece, joiner if piece_index == 0 else " ", len(piece.split())))
    return units


def split_sentences(line: str) -> list[str]:
    parts = [part for part in _SENTENCE_END.split(line.strip()) if part and part.strip()]
    merged: list[str] = []
    for part in parts:
        if merged and merged[-1].split()[-1].lower() in _ABBREVIATIONS:
            merged[-1] = f"{merged[-1]} {part}"
        else:
            merged.append(part.strip())
    return merged


def _split_long(sentence: str, target_words: int) -> list[str]:
    words = sentence.split()
    if len(words) <= target_words:
        return [sentence]
    return [" ".join(words[i : i + target_words]) for i in range(0, len(words), target_words)]


def _pack(units: list[_Unit], target_words: int, overlap_words: int) -> list[str]:
    contents: list[str] = []
    current: list[_Unit] = []
    words = 0
    fresh = 0  # units in ``current`` that are not overlap from the previous chunk
    for unit in units:
        if fresh and words + unit.words > target_words:
            contents.append(_join(current))
            current = _overlap_tail(current, overlap_words, target_words)
            words, fresh = sum(u.words for u in current), 0
            while current and words + unit.words > target_words:  # keep the chunk near target
                words -= current.pop(0).words
        current.append(unit)
        words += unit.words
        fresh += 1
    if fresh:
        contents.append(_join(current))
    return contents


def _overlap_tail(units: list[_Unit], overlap_words: int, target_words: int) -> list[_Unit]:
    """Whole trailing units adding up to about ``overlap_words`` (never the whole chunk)."""
    tail: list[_Unit] = []
    total = 0
    for unit in reversed(units[1:]):
        if total >= overlap_words:
            break
        if total + unit.words > max(overlap_words * 3 // 2, 1) and (tail or unit.words > target_words // 2):
            break
        tail.insert(0, unit)
        total += unit.words
    return tail


def _join(units: list[_Unit]) -> str:
    text = units[0].text
    for unit in units[1:]:
        text += (unit.joiner or " ") + unit.text
    return text.strip()
