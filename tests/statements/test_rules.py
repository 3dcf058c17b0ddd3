"""The statements' small markup: headings, lists, paragraphs, links; HTML refused."""

from __future__ import annotations

from app.public.statements.rules import Block, Segment, parse, text_problem


def test_parse_reads_headings_lists_and_paragraphs() -> None:
    blocks = parse("# Kop\n\n## Sub\r\n\nEen zin\nover twee regels.\n\n- a\n- b https://x.example/pad.\n")
    assert blocks == [
        Block("h2", ((Segment("Kop"),),)),
        Block("h3", ((Segment("Sub"),),)),
        Block("p", ((Segment("Een zin over twee regels."),),)),
        Block(
            "ul",
            ((Segment("a"),), (Segment("b "), Segment("https://x.example/pad", "https://x.example/pad"), Segment("."))),
        ),
    ]


def test_only_https_addresses_and_e_mail_addresses_become_links() -> None:
    [block] = parse("javascript:alert(1) http://plain.example a@b.example")
    assert block.lines[0] == (
        Segment("javascript:alert(1) http://plain.example "),
        Segment("a@b.example", "mailto:a@b.example"),
    )


def test_a_list_mixed_with_text_is_one_paragraph() -> None:
    assert parse("- a\nb") == [Block("p", ((Segment("- a b"),),))]


def test_text_problem_refuses_html_and_blank_and_accepts_comparisons() -> None:
    assert text_problem("a <b>bold</b>") is not None
    assert text_problem("<!-- x") is not None
    assert text_problem("\n \n") == "Enter the text of the page."
    assert text_problem("TRL < 5 and 3 > 2") is None
