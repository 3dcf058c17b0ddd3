"""Results as CSV and XLSX: bytes out of a plain data structure, no database, no web.

One table, the same in both formats, one row per proposal in the order given (the ranking order):
rank, reference, organisation, weighted consensus total, knocked out (yes/no) with the reasons, the
criteria in disagreement, each evaluator's weighted total; then per criterion (headed "title (weight%)")
the individual scores, their mean, median, standard deviation (population) and range, and the consensus
score. One row per proposal keeps the workbook small (2,000 proposals x 8 criteria x 3 evaluators is
about 150,000 cells) and sorts and filters in any spreadsheet.

Evaluators appear by name only with ``include_evaluators=True`` (the coordinators' export); otherwise as
"Evaluator 1", "Evaluator 2", ... numbered per proposal in the order given, so that the numbers say
nothing about who scored. Column headers and reasons are translated into ``language``.

Safety: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
apostrophe (formula injection, OWASP "CSV Injection"), in CSV and in XLSX alike (openpyxl would store a
string starting with ``=`` as a formula). Numbers stay numbers. Figures are rounded to two decimals here,
for display; the scoring functions never round.

Speed: the XLSX is written with openpyxl's write-only mode (rows streamed, no cell objects kept).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from openpyxl import Workbook

from app.evaluations.scoring import (
    DEFAULT_DISAGREEMENT_THRESHOLD,
    CriterionStatistics,
    RankedProposal,
    Reason,
    disagreement,
    proposal_statistics,
    reason_text,
    weighted_total,
)
from app.i18n import N_, translate

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

H_PROPOSAL = N_("Proposal")
H_ORGANISATION = N_("Organisation")
H_RANK = N_("Rank")
H_TOTAL = N_("Weighted total (consensus)")
H_KNOCKED_OUT = N_("Knocked out")
H_REASONS = N_("Reasons")
H_EVALUATOR = N_("Evaluator %(number)s")
H_EVALUATOR_NAME = N_("Evaluator %(number)s name")
H_EVALUATOR_TOTAL = N_("Evaluator %(number)s total")
H_MEAN = N_("Mean")
H_MEDIAN = N_("Median")
H_SD = N_("Standard deviation")
H_RANGE = N_("Range")
H_DISAGREEMENT_ON = N_("Disagreement on")
H_CONSENSUS = N_("Consensus")
SHEET_RESULTS = N_("Results")
YES = N_("Yes")
NO = N_("No")


@dataclass(frozen=True)
class CriterionColumn:
    """A criterion as the export shows it; ``title`` already in the export's language."""

    key: str
    title: str
    weight: int


@dataclass(frozen=True)
class EvaluatorResult:
    """One evaluator's submitted scores for a proposal; ``name`` is shown only in the coordinators' export."""

    name: str
    scores: Mapping[str, int]
    total: float | None


@dataclass(frozen=True)
class ProposalResult:
    reference: str
    organisation: str
    rank: int | None
    total: float | None
    knocked_out: bool
    reasons: tuple[Reason, ...]
    flagged: tuple[str, ...]
    evaluations: tuple[EvaluatorResult, ...]
    statistics: Mapping[str, CriterionStatistics]
    consensus: Mapping[str, int | None] = field(default_factory=dict)


@dataclass(frozen=True)
class ResultsTable:
    criteria: tuple[CriterionColumn, ...]
    proposals: tuple[ProposalResult, ...]


def proposal_result(
    *,
    reference: str,
    organisation: str,
    criteria: Sequence[CriterionColumn],
    evaluations: Sequence[tuple[str, Mapping[str, int]]],
    consensus: Mapping[str, int | None],
    ranked: RankedProposal | None,
    threshold: float = DEFAULT_DISAGREEMENT_THRESHOLD,
) -> ProposalResult:
    """Assemble one proposal's row data from (evaluator name, scores) pairs, consensus and its ranking."""
    keys = [criterion.key for criterion in criteria]
    weights = {criterion.key: criterion.weight for criterion in criteria}
    stats = proposal_statistics((scores for _, scores in evaluations), keys)
    results = tuple(
        EvaluatorResult(
            name=name,
            scores=scores,
            total=weighted_total(scores, weights) if set(scores) == set(weights) else None,
        )
        for name, scores in evaluations
    )
    knocked_out = ranked is not None and ranked.rank is None
    return ProposalResult(
        reference=reference,
        organisation=organisation,
        rank=ranked.rank if ranked else None,
        total=ranked.total if ranked else None,
        knocked_out=knocked_out,
        reasons=ranked.knock_out.reasons if ranked else (),
        flagged=disagreement(stats, threshold),
        evaluations=results,
        statistics=stats,
        consensus=consensus,
    )


def safe_cell(value: str) -> str:
    """The text with a leading apostrophe when a spreadsheet could take it for a formula."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


Cell = str | int | float | None


def _number(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


class _Rows:
    """The header and rows of the results table in one language, for either format."""

    def __init__(self, table: ResultsTable, *, language: str, include_evaluators: bool) -> None:
        self.table = table
        self.language = language
        self.include_evaluators = include_evaluators
        self.columns = max((len(item.evaluations) for item in table.proposals), default=0)
        self.titles = {criterion.key: criterion.title for criterion in table.criteria}
        self.yes, self.no = self._(YES), self._(NO)

    def _(self, message: str, **params: object) -> str:
        return translate(self.language, message, **params)

    def reason(self, reason: Reason) -> str:
        return reason_text(reason, self.language, criterion_titles=self.titles)

    def header(self) -> list[Cell]:
        header: list[Cell] = [self._(H_RANK), self._(H_PROPOSAL), self._(H_ORGANISATION), self._(H_TOTAL)]
        header += [self._(H_KNOCKED_OUT), self._(H_REASONS), self._(H_DISAGREEMENT_ON)]
        for number in range(1, self.columns + 1):
            if self.include_evaluators:
                header.append(self._(H_EVALUATOR_NAME, number=number))
            header.append(self._(H_EVALUATOR_TOTAL, number=number))
        labels = [self._(H_EVALUATOR, number=number) for number in range(1, self.columns + 1)]
        labels += [self._(H_MEAN), self._(H_MEDIAN), self._(H_SD), self._(H_RANGE), self._(H_CONSENSUS)]
        for criterion in self.table.criteria:
            header += [f"{criterion.title} ({criterion.weight}%): {label}" for label in labels]
        return header

    def rows(self) -> Iterator[list[Cell]]:
        blank: list[Cell] = [None, None] if self.include_evaluators else [None]
        for item in self.table.proposals:
            row: list[Cell] = [item.rank, item.reference, item.organisation, _number(item.total)]
            row.append(self.yes if item.knocked_out else self.no)
            row.append(" ".join(self.reason(reason) for reason in item.reasons))
            row.append(", ".join(self.titles.get(key, key) for key in item.flagged))
            missing = self.columns - len(item.evaluations)
            for evaluation in item.evaluations:
                if self.include_evaluators:
                    row.append(evaluation.name)
                row.append(_number(evaluation.total))
            row += blank * missing
            for criterion in self.table.criteria:
                key = criterion.key
                row += [evaluation.scores.get(key) for evaluation in item.evaluations]
                row += [None] * missing
                stats = item.statistics.get(key)
                if stats is None:
                    row += [None, None, None, None]
                else:
                    row += [_number(stats.mean), _number(stats.median), _number(stats.sd), stats.range]
                row.append(item.consensus.get(key))
            yield row


def _safe(row: list[Cell]) -> list[Cell]:
    return [safe_cell(value) if isinstance(value, str) else value for value in row]


def results_csv(table: ResultsTable, *, language: str, include_evaluators: bool = False, delimiter: str = ",") -> bytes:
    """The results table as CSV (UTF-8 with a BOM, so spreadsheets read it as UTF-8)."""
    rows = _Rows(table, language=language, include_evaluators=include_evaluators)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(_safe(rows.header()))
    writer.writerows(_safe(row) for row in rows.rows())
    return buffer.getvalue().encode("utf-8-sig")


def results_xlsx(table: ResultsTable, *, language: str, include_evaluators: bool = False) -> bytes:
    """The results table as an XLSX workbook of one sheet, written in openpyxl's write-only mode."""
    rows = _Rows(table, language=language, include_evaluators=include_evaluators)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(rows._(SHEET_RESULTS))
    sheet.freeze_panes = "C2"
    sheet.append(_safe(rows.header()))
    for row in rows.rows():
        sheet.append(_safe(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
