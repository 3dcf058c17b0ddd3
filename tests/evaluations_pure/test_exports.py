"""Results exports: CSV and XLSX bytes, evaluator names only when asked, safe against formula injection."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from app.evaluations import exports, scoring
from app.evaluations.exports import CriterionColumn, ResultsTable, proposal_result, results_csv, results_xlsx, safe_cell
from app.evaluations.scoring import CriterionRule, RankingEntry

CRITERIA = (CriterionColumn("effect", "Operational effect", 60), CriterionColumn("cost", "Cost", 40))
RULES = [CriterionRule("effect", 60, minimum=2), CriterionRule("cost", 40)]
T0 = datetime(2027, 3, 1, 11, 0, tzinfo=UTC)


def _table() -> ResultsTable:
    consensus = {"P-000001": {"effect": 4, "cost": 3}, "P-000002": {"effect": 1, "cost": 5}}
    ranked = {
        item.reference: item
        for item in scoring.ranking([RankingEntry(ref, T0, scores) for ref, scores in consensus.items()], RULES)
    }
    first = proposal_result(
        reference="P-000001",
        organisation="Alpha B.V.",
        criteria=CRITERIA,
        evaluations=[
            ("Anna Jansen", {"effect": 5, "cost": 3}),
            ("Bram de Vries", {"effect": 3, "cost": 3}),
            ("Cor Smit", {"effect": 4, "cost": 2}),
        ],
        consensus=consensus["P-000001"],
        ranked=ranked["P-000001"],
    )
    second = proposal_result(
        reference="P-000002",
        organisation='=HYPERLINK("http://evil.example")',
        criteria=CRITERIA,
        evaluations=[("Anna Jansen", {"effect": 1, "cost": 5}), ("Dirk Bos", {"effect": 1})],
        consensus=consensus["P-000002"],
        ranked=ranked["P-000002"],
    )
    return ResultsTable(criteria=CRITERIA, proposals=(first, second))


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_proposal_result_computes_statistics_flags_and_totals() -> None:
    first, second = _table().proposals
    assert (first.rank, first.total, first.knocked_out, first.reasons) == (1, 3.6, False, ())
    assert first.statistics["effect"].range == 2
    assert first.flagged == ("effect",)
    assert [evaluation.total for evaluation in first.evaluations] == [4.2, 3.0, 3.2]
    # An evaluation without every criterion has no total.
    assert [evaluation.total for evaluation in second.evaluations] == [2.6, None]
    assert second.knocked_out is True
    assert second.statistics["cost"].n == 1


def test_results_csv_in_english_without_evaluator_names() -> None:
    rows = _csv_rows(results_csv(_table(), language="en"))
    assert rows[0][:10] == [
        "Rank",
        "Proposal",
        "Organisation",
        "Weighted total (consensus)",
        "Knocked out",
        "Reasons",
        "Disagreement on",
        "Evaluator 1 total",
        "Evaluator 2 total",
        "Evaluator 3 total",
    ]
    assert rows[0][10:18] == [
        "Operational effect (60%): Evaluator 1",
        "Operational effect (60%): Evaluator 2",
        "Operational effect (60%): Evaluator 3",
        "Operational effect (60%): Mean",
        "Operational effect (60%): Median",
        "Operational effect (60%): Standard deviation",
        "Operational effect (60%): Range",
        "Operational effect (60%): Consensus",
    ]
    assert len(rows[0]) == 10 + 2 * 8
    assert rows[1] == [
        "1", "P-000001", "Alpha B.V.", "3.6", "No", "", "Operational effect", "4.2", "3.0", "3.2",
        "5", "3", "4", "4.0", "4.0", "0.82", "2", "4",
        "3", "3", "2", "2.67", "3.0", "0.47", "1", "3",
    ]  # fmt: skip
    assert rows[2][:10] == [
        "",
        "P-000002",
        '\'=HYPERLINK("http://evil.example")',
        "2.6",
        "Yes",
        "Criterion Operational effect scored 1, below its minimum of 2.",
        "",
        "2.6",
        "",
        "",
    ]
    text = results_csv(_table(), language="en").decode("utf-8-sig")
    for name in ("Anna Jansen", "Bram de Vries", "Cor Smit", "Dirk Bos"):
        assert name not in text


def test_results_csv_with_evaluator_names_for_coordinators() -> None:
    rows = _csv_rows(results_csv(_table(), language="en", include_evaluators=True))
    assert rows[0][7:13] == [
        "Evaluator 1 name",
        "Evaluator 1 total",
        "Evaluator 2 name",
        "Evaluator 2 total",
        "Evaluator 3 name",
        "Evaluator 3 total",
    ]
    assert rows[1][7:13] == ["Anna Jansen", "4.2", "Bram de Vries", "3.0", "Cor Smit", "3.2"]
    assert rows[2][7:13] == ["Anna Jansen", "2.6", "Dirk Bos", "", "", ""]


def test_results_csv_in_dutch_with_semicolons() -> None:
    rows = list(
        csv.reader(io.StringIO(results_csv(_table(), language="nl", delimiter=";").decode("utf-8-sig")), delimiter=";")
    )
    assert rows[0][:5] == ["Rang", "Voorstel", "Organisatie", "Gewogen totaal (consensus)", "Afgevallen (knock-out)"]
    assert rows[0][10] == "Operational effect (60%): Beoordelaar 1"
    assert rows[2][4:6] == ["Ja", "Criterium Operational effect scoorde 1, onder het minimum van 2."]


def test_results_xlsx_has_the_same_table_with_numbers_as_numbers() -> None:
    data = results_xlsx(_table(), language="en")
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    assert workbook.sheetnames == ["Results"]
    values = [list(row) for row in workbook["Results"].iter_rows(values_only=True)]
    csv_rows = _csv_rows(results_csv(_table(), language="en"))
    assert values[0] == csv_rows[0]
    assert values[1][:4] == [1, "P-000001", "Alpha B.V.", 3.6]
    assert values[1][10:18] == [5, 3, 4, 4.0, 4.0, 0.82, 2, 4]
    assert values[2][2] == '\'=HYPERLINK("http://evil.example")'
    cells = {str(value) for row in values for value in row if value is not None}
    assert not {"Anna Jansen", "Dirk Bos"} & cells
    workbook.close()


def test_results_xlsx_never_stores_a_formula() -> None:
    workbook = load_workbook(io.BytesIO(results_xlsx(_table(), language="en", include_evaluators=True)))
    sheet = workbook["Results"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert sheet["C3"].value == '\'=HYPERLINK("http://evil.example")'
    assert sheet["H2"].value == "Anna Jansen"


def test_results_of_no_proposals_is_a_header_only() -> None:
    table = ResultsTable(criteria=CRITERIA, proposals=())
    rows = _csv_rows(results_csv(table, language="en"))
    assert len(rows) == 1
    assert len(rows[0]) == 7 + 2 * 5
    workbook = load_workbook(io.BytesIO(results_xlsx(table, language="en")), read_only=True)
    assert len(list(workbook["Results"].iter_rows(values_only=True))) == 1
    workbook.close()


@given(st.text(max_size=20))
def test_safe_cell_defuses_every_formula_start(value: str) -> None:
    result = safe_cell(value)
    if value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        assert result == "'" + value
    else:
        assert result == value
    assert not result.startswith(("=", "+", "-", "@", "\t", "\r"))


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
        evaluations=[(name, {"effect": effect, "cost": cost}) for name, effect, cost in evaluations],
        consensus={"effect": None, "cost": None},
        ranked=None,
    )
    table = ResultsTable(criteria=CRITERIA, proposals=(result,))
    text = results_csv(table, language=language).decode("utf-8-sig")
    workbook = load_workbook(io.BytesIO(results_xlsx(table, language=language)), read_only=True)
    cells = " ".join(str(value) for row in workbook.active.iter_rows(values_only=True) for value in row)
    workbook.close()
    for name, _effect, _cost in evaluations:
        assert name not in text
        assert name not in cells
    named = results_csv(table, language=language, include_evaluators=True).decode("utf-8-sig")
    assert all(name in named for name, _effect, _cost in evaluations)
    assert len(_csv_rows(results_csv(table, language=language))) == 2
