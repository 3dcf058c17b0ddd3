"""Results exports: CSV and XLSX bytes, evaluator names only when asked, safe against formula injection."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from app.evaluations.results import exports
from app.evaluations.results import rules as results_rules
from app.evaluations.results.exports import (
    CriterionColumn,
    Evaluated,
    ResultsTable,
    proposal_result,
    results_csv,
    results_xlsx,
    safe_cell,
)
from app.evaluations.results.rules import RankingEntry
from app.evaluations.scoring.rules import CriterionRule

CRITERIA = (CriterionColumn("effect", "Operational effect", 60), CriterionColumn("cost", "Cost", 40))
RULES = [CriterionRule("effect", 60, minimum=2), CriterionRule("cost", 40)]
T0 = datetime(2027, 3, 1, 11, 0, tzinfo=UTC)


FACTORS = ("security_risks", "policy_goals", "armed_forces", "industrial_capabilities")


def _factors(rating: str, text: str) -> dict[str, tuple[str, str]]:
    return {factor: (rating, f"{text} ({factor})") for factor in FACTORS}


def _table() -> ResultsTable:
    consensus = {"P-000001": {"effect": 4, "cost": 3}, "P-000002": {"effect": 1, "cost": 5}}
    ranked = {
        item.reference: item
        for item in results_rules.ranking([RankingEntry(ref, T0, scores) for ref, scores in consensus.items()], RULES)
    }
    first = proposal_result(
        reference="P-000001",
        organisation="Alpha B.V.",
        criteria=CRITERIA,
        evaluations=[
            Evaluated(
                "Anna Jansen",
                {"effect": 5, "cost": 3},
                {"effect": "Sterk effect.", "cost": "Redelijk."},
                6,
                _factors("high", "Kritiek"),
            ),
            Evaluated(
                "Bram de Vries",
                {"effect": 3, "cost": 3},
                {"effect": "Anna Jansen overschat het effect.", "cost": "-5% korting"},
                5,
            ),
            ("Cor Smit", {"effect": 4, "cost": 2}),
        ],
        consensus=consensus["P-000001"],
        ranked=ranked["P-000001"],
        rationales={"effect": "Samen besproken met cor.smit@mindef.example.", "cost": "=SUM(A1)"},
        admissible=True,
        eligibility_reason="Voldoet.",
        outcome="award",
        decision_status="released",
    )
    second = proposal_result(
        reference="P-000002",
        organisation='=HYPERLINK("http://evil.example")',
        criteria=CRITERIA,
        evaluations=[("Anna Jansen", {"effect": 1, "cost": 5}), ("Dirk Bos", {"effect": 1})],
        consensus=consensus["P-000002"],
        ranked=ranked["P-000002"],
        admissible=True,
        outcome="reject",
        decision_status="prepared",
    )
    third = proposal_result(
        reference="P-000003",
        organisation="Gamma B.V.",
        criteria=CRITERIA,
        evaluations=[],
        consensus={"effect": None, "cost": None},
        ranked=None,
        admissible=False,
        eligibility_reason="Te laat ingediend.",
    )
    hidden = ("Anna Jansen", "anna@mindef.example", "Bram de Vries", "Cor Smit", "cor.smit@mindef.example", "Dirk Bos")
    return ResultsTable(criteria=CRITERIA, proposals=(first, second, third), hidden=hidden)


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_proposal_result_computes_statistics_flags_and_totals() -> None:
    first, second, _third = _table().proposals
    assert (first.rank, first.total, first.knocked_out, first.reasons) == (1, 3.6, False, ())
    assert first.statistics["effect"].range == 2
    assert first.flagged == ("effect",)
    assert [evaluation.total for evaluation in first.evaluations] == [4.2, 3.0, 3.2]
    assert [evaluation.assessed_trl for evaluation in first.evaluations] == [6, 5, None]
    # An evaluation without every criterion has no total.
    assert [evaluation.total for evaluation in second.evaluations] == [2.6, None]
    assert second.knocked_out is True
    assert second.statistics["cost"].n == 1


HEADER_EN = [
    "Rank", "Proposal", "Organisation", "Admissible", "Eligibility reason", "Weighted total (consensus)",
    "Knocked out", "Reasons", "Disagreement on", "Decision", "Decision status",
]  # fmt: skip
CRITERION_LABELS_EN = [
    "Evaluator 1", "Evaluator 1 justification", "Evaluator 2", "Evaluator 2 justification",
    "Evaluator 3", "Evaluator 3 justification",
    "Mean", "Median", "Standard deviation", "Range", "Consensus", "Consensus rationale",
]  # fmt: skip


def test_results_csv_in_english_without_evaluator_names() -> None:
    rows = _csv_rows(results_csv(_table(), language="en"))
    assert rows[0][:11] == HEADER_EN
    assert rows[0][11:17] == [
        "Evaluator 1 total",
        "Evaluator 1 assessed TRL",
        "Evaluator 2 total",
        "Evaluator 2 assessed TRL",
        "Evaluator 3 total",
        "Evaluator 3 assessed TRL",
    ]
    assert rows[0][17:29] == [f"Operational effect (60%): {label}" for label in CRITERION_LABELS_EN]
    assert rows[0][29:41] == [f"Cost (40%): {label}" for label in CRITERION_LABELS_EN]
    assert rows[0][41:47] == [
        f"Security risks and threats: Evaluator {n} {kind}" for n in (1, 2, 3) for kind in ("rating", "justification")
    ]
    assert rows[0][-1] == "Dutch industrial capabilities: Evaluator 3 justification"
    assert len(rows[0]) == 11 + 3 * 2 + 2 * 12 + 4 * 3 * 2
    assert rows[1][:41] == [
        "1", "P-000001", "Alpha B.V.", "Yes", "Voldoet.", "3.6", "No", "", "Operational effect", "Award", "released",
        "4.2", "6", "3.0", "5", "3.2", "",
        "5", "Sterk effect.", "3", "[…] overschat het effect.", "4", "",
        "4.0", "4.0", "0.82", "2", "4", "Samen besproken met […].",
        "3", "Redelijk.", "3", "'-5% korting", "2", "", "2.67", "3.0", "0.47", "1", "3", "'=SUM(A1)",
    ]  # fmt: skip
    assert rows[1][41:47] == [
        "High", "Kritiek (security_risks)", "", "", "", "",
    ]  # fmt: skip
    assert rows[2][:11] == [
        "",
        "P-000002",
        '\'=HYPERLINK("http://evil.example")',
        "Yes",
        "",
        "2.6",
        "Yes",
        "Criterion Operational effect scored 1, below its minimum of 2.",
        "",
        "Reject",
        "prepared",
    ]
    assert rows[2][11:17] == ["2.6", "", "", "", "", ""]
    # Not admissible: listed last, unranked, with the reason; no evaluations, no decision.
    assert rows[3][:11] == ["", "P-000003", "Gamma B.V.", "No", "Te laat ingediend.", "", "No", "", "", "", ""]
    text = results_csv(_table(), language="en").decode("utf-8-sig")
    for secret in _table().hidden:
        assert secret.lower() not in text.lower()


def test_results_csv_with_evaluator_names_for_coordinators() -> None:
    rows = _csv_rows(results_csv(_table(), language="en", include_evaluators=True))
    assert rows[0][11:20] == [
        "Evaluator 1 name",
        "Evaluator 1 total",
        "Evaluator 1 assessed TRL",
        "Evaluator 2 name",
        "Evaluator 2 total",
        "Evaluator 2 assessed TRL",
        "Evaluator 3 name",
        "Evaluator 3 total",
        "Evaluator 3 assessed TRL",
    ]
    assert rows[1][11:20] == ["Anna Jansen", "4.2", "6", "Bram de Vries", "3.0", "5", "Cor Smit", "3.2", ""]
    assert rows[2][11:20] == ["Anna Jansen", "2.6", "", "Dirk Bos", "", "", "", "", ""]
    # The coordinators' own copy keeps the texts as written.
    assert rows[1][23] == "Anna Jansen overschat het effect."
    assert len(rows[0]) == 11 + 3 * 3 + 2 * 12 + 4 * 3 * 2


def test_results_csv_in_dutch_with_semicolons() -> None:
    rows = list(
        csv.reader(io.StringIO(results_csv(_table(), language="nl", delimiter=";").decode("utf-8-sig")), delimiter=";")
    )
    assert rows[0][:11] == [
        "Rang",
        "Voorstel",
        "Organisatie",
        "Ontvankelijk",
        "Reden ontvankelijkheid",
        "Gewogen totaal (consensus)",
        "Afgevallen (knock-out)",
        "Redenen",
        "Onenigheid over",
        "Besluit",
        "Status besluit",
    ]
    assert rows[0][12] == "Vastgesteld TRL beoordelaar 1"
    assert rows[0][17:19] == [
        "Operational effect (60%): Beoordelaar 1",
        "Operational effect (60%): Onderbouwing beoordelaar 1",
    ]
    assert rows[0][28] == "Operational effect (60%): Motivering consensus"
    assert rows[0][41] == "Veiligheidsrisico's en dreigingen: Waardering beoordelaar 1"
    assert rows[1][3] == "Ja" and rows[1][9:11] == ["Gunnen", "bekendgemaakt"]
    assert rows[1][41] == "Hoog"
    assert rows[2][6:8] == ["Ja", "Criterium Operational effect scoorde 1, onder het minimum van 2."]
    assert rows[3][3] == "Nee"


def test_results_xlsx_has_the_same_table_with_numbers_as_numbers() -> None:
    data = results_xlsx(_table(), language="en")
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    assert workbook.sheetnames == ["Results"]
    values = [list(row) for row in workbook["Results"].iter_rows(values_only=True)]
    csv_rows = _csv_rows(results_csv(_table(), language="en"))
    assert values[0] == csv_rows[0]
    assert values[1][:6] == [1, "P-000001", "Alpha B.V.", "Yes", "Voldoet.", 3.6]
    assert values[1][11:17] == [4.2, 6, 3.0, 5, 3.2, None]
    assert values[1][17:29] == [5, "Sterk effect.", 3, "[…] overschat het effect.", 4, None, 4.0, 4.0, 0.82, 2, 4,
                                "Samen besproken met […]."]  # fmt: skip
    assert values[1][39:43] == [3, "'=SUM(A1)", "High", "Kritiek (security_risks)"]
    assert values[2][2] == '\'=HYPERLINK("http://evil.example")'
    assert values[2][9:11] == ["Reject", "prepared"]
    cells = " ".join(str(value) for row in values for value in row if value is not None).lower()
    assert [secret for secret in _table().hidden if secret.lower() in cells] == []
    workbook.close()


def test_results_xlsx_never_stores_a_formula() -> None:
    workbook = load_workbook(io.BytesIO(results_xlsx(_table(), language="en", include_evaluators=True)))
    sheet = workbook["Results"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert sheet["C3"].value == '\'=HYPERLINK("http://evil.example")'
    assert sheet["L2"].value == "Anna Jansen"


def test_results_xlsx_drops_control_characters_a_worksheet_cannot_hold() -> None:
    result = proposal_result(
        reference="P-000001",
        organisation="Alpha B.V.",
        criteria=CRITERIA,
        evaluations=[Evaluated("Anna Jansen", {"effect": 3, "cost": 3}, {"effect": "Regel\x0bnieuwe regel\x01."})],
        consensus={"effect": 3, "cost": 3},
        ranked=None,
    )
    table = ResultsTable(criteria=CRITERIA, proposals=(result,))
    workbook = load_workbook(io.BytesIO(results_xlsx(table, language="en")), read_only=True)
    values = [list(row) for row in workbook["Results"].iter_rows(values_only=True)]
    workbook.close()
    assert values[1][values[0].index("Operational effect (60%): Evaluator 1 justification")] == "Regelnieuwe regel."
    assert "Regel\x0bnieuwe regel\x01." in results_csv(table, language="en").decode("utf-8-sig")


def test_results_of_no_proposals_is_a_header_only() -> None:
    table = ResultsTable(criteria=CRITERIA, proposals=())
    rows = _csv_rows(results_csv(table, language="en"))
    assert len(rows) == 1
    assert len(rows[0]) == 11 + 2 * 6
    workbook = load_workbook(io.BytesIO(results_xlsx(table, language="en")), read_only=True)
    assert len(list(workbook["Results"].iter_rows(values_only=True))) == 1
    workbook.close()


_STARTS = "=+-@\uff1d\uff0b\uff0d\uff20"


@given(st.text(alphabet=st.sampled_from("ab =+-@;,\t\r\n\"'\uff1d"), max_size=30))
def test_safe_cell_leaves_no_formula_start_in_any_piece_a_spreadsheet_may_split_off(value: str) -> None:
    result = safe_cell(value)
    for piece in re.split(r"[;,\t\r\n]", result):
        assert piece.lstrip(" \"'")[:1] not in set(_STARTS) or piece.lstrip(' "')[:1] == "'", (value, result)
    assert result.replace("'", "") == value.replace("'", "")  # only apostrophes are added


def test_safe_cell_examples() -> None:
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell('  =HYPERLINK("x")') == '  \'=HYPERLINK("x")'
    assert safe_cell('Goed werk;=HYPERLINK("http://evil.example")') == 'Goed werk;\'=HYPERLINK("http://evil.example")'
    assert safe_cell("a, @SUM(A1)") == "a, '@SUM(A1)"
    assert safe_cell("\uff1dcmd") == "'\uff1dcmd"
    assert safe_cell("Alpha B.V.") == "Alpha B.V."
    assert safe_cell("TRL 6; sensor fusion") == "TRL 6; sensor fusion"


def test_every_header_is_translated_into_dutch() -> None:
    from app.i18n import read_catalogue

    catalogue = read_catalogue("nl")
    headers = [value for name, value in vars(exports).items() if name.startswith(("H_", "SHEET_"))]
    assert headers
    assert [header for header in headers if header not in catalogue] == []


@given(
    st.lists(
        st.tuples(st.from_regex(r"Zz[A-Z]{8}", fullmatch=True), st.integers(0, 5), st.integers(0, 5)),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from(["nl", "en"]),
)
def test_anonymous_exports_never_contain_a_name(evaluations: list[tuple[str, int, int]], language: str) -> None:
    result = proposal_result(
        reference="P-000001",
        organisation="Alpha B.V.",
        criteria=CRITERIA,
        evaluations=[
            Evaluated(
                name,
                {"effect": effect, "cost": cost},
                {"effect": f"Eens met {name.upper()}."},
                factors={"policy_goals": ("low", f"Zie {name}.")},
            )
            for name, effect, cost in evaluations
        ],
        consensus={"effect": None, "cost": None},
        ranked=None,
        rationales={"cost": " en ".join(name for name, _effect, _cost in evaluations)},
    )
    table = ResultsTable(criteria=CRITERIA, proposals=(result,), hidden=tuple(name for name, _e, _c in evaluations))
    text = results_csv(table, language=language).decode("utf-8-sig")
    workbook = load_workbook(io.BytesIO(results_xlsx(table, language=language)), read_only=True)
    cells = " ".join(str(value) for row in workbook.active.iter_rows(values_only=True) for value in row)
    workbook.close()
    for name, _effect, _cost in evaluations:
        assert name.lower() not in text.lower()
        assert name.lower() not in cells.lower()
    named = results_csv(table, language=language, include_evaluators=True).decode("utf-8-sig")
    assert all(name in named for name, _effect, _cost in evaluations)
    assert len(_csv_rows(results_csv(table, language=language))) == 2
