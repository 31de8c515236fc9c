"""Structure-first chunking: headings carried, overlap inside a section, deterministic."""

from itertools import pairwise

import pytest

from knowledge.chunking import chunk_sections, content_hash, split_sentences
from knowledge.extract import Section


def _sentences(prefix: str, count: int, words: int = 10) -> str:
    # "Alpha one w2 w3 ... w9." — every sentence unique and exactly ``words`` words long
    return " ".join(
        f"{prefix.capitalize()} {i} " + " ".join(f"w{j}" for j in range(2, words)) + "." for i in range(count)
    )


def test_a_short_section_is_one_chunk_carrying_its_heading_and_page():
    chunks = chunk_sections([Section("Starters", "Bruschetta 8.50\nCalamari 11.00", page=2)])
    assert len(chunks) == 1
    assert (chunks[0].heading, chunks[0].content, chunks[0].page) == ("Starters", "Bruschetta 8.50\nCalamari 11.00", 2)


def test_chunks_never_span_two_sections():
    chunks = chunk_sections([Section("Starters", "Bruschetta 8.50"), Section("Mains", "Snapper 24.00")])
    assert [(c.ordinal, c.heading, c.content) for c in chunks] == [
        (0, "Starters", "Bruschetta 8.50"),
        (1, "Mains", "Snapper 24.00"),
    ]


def test_a_long_section_is_cut_at_sentences_near_the_target_with_about_forty_words_of_overlap():
    text = _sentences("alpha", 60)  # 600 words, 60 sentences of 10 words
    chunks = chunk_sections([Section("About us", text)], target_words=200, overlap_words=40)

    assert len(chunks) >= 3
    assert all(c.heading == "About us" for c in chunks)
    assert all(c.word_count <= 200 for c in chunks)
    assert all(c.content.endswith(".") for c in chunks)  # never cut mid-sentence
    for before, after in pairwise(chunks):
        shared = _overlap_words(before.content, after.content)
        assert 30 <= shared <= 60, shared
    # every sentence of the section is in some chunk
    assert all(sentence in " ".join(c.content for c in chunks) for sentence in split_sentences(text))


def test_there_is_no_overlap_across_sections():
    chunks = chunk_sections([Section("A", _sentences("alpha", 30)), Section("B", _sentences("beta", 30))])
    first_b = next(c for c in chunks if c.heading == "B")
    assert "Alpha" not in first_b.content


def test_paragraph_and_line_breaks_survive_inside_a_chunk():
    chunk = chunk_sections([Section("Rules", "No shoes.\nNo dogs.\n\nBe kind.")])[0]
    assert chunk.content == "No shoes.\nNo dogs.\n\nBe kind."


def test_a_sentence_longer_than_the_target_is_the_only_thing_cut_mid_sentence():
    long_sentence = " ".join(f"word{i}" for i in range(450)) + "."
    chunks = chunk_sections([Section("", long_sentence)], target_words=200, overlap_words=40)
    assert [c.word_count for c in chunks] == [200, 200, 50]


def test_chunking_is_deterministic_and_hashes_heading_and_content():
    sections = [Section("Mains", _sentences("gamma", 45)), Section("Desserts", "Tiramisu 9.00")]
    first, second = chunk_sections(sections), chunk_sections(sections)
    assert first == second
    assert all(c.content_hash == content_hash(c.heading, c.content) for c in first)
    assert content_hash("Mains", "Tiramisu 9.00") != content_hash("Desserts", "Tiramisu 9.00")
    assert [c.ordinal for c in first] == list(range(len(first)))


def test_editing_one_section_leaves_the_other_sections_chunk_hashes_alone():
    before = chunk_sections([Section("Starters", "Bruschetta 8.50"), Section("Mains", "Snapper 24.00")])
    after = chunk_sections([Section("Starters", "Bruschetta 9.00"), Section("Mains", "Snapper 24.00")])
    assert before[0].content_hash != after[0].content_hash and before[1].content_hash == after[1].content_hash


def test_sentence_splitting_keeps_prices_times_and_abbreviations_together():
    assert split_sentences("Fish e.g. snapper is 8.50 today. We open at 5 p.m. daily! Book now.") == [
        "Fish e.g. snapper is 8.50 today.",
        "We open at 5 p.m. daily!",
        "Book now.",
    ]


def test_overlap_must_be_smaller_than_the_target():
    with pytest.raises(ValueError):
        chunk_sections([Section("", "x")], target_words=40, overlap_words=40)


def _overlap_words(before: str, after: str) -> int:
    """Words of the longest suffix of ``before`` that starts ``after``."""
    a, b = before.split(), after.split()
    for size in range(min(len(a), len(b)), 0, -1):
        if a[-size:] == b[:size]:
            return size
    return 0
