"""Results as CSV and XLSX: bytes out of a plain data structure, no database, no web.

One table, the same in both formats, one row per proposal in the order given (the ranking order):
rank, reference, organisation, admissible (yes/no, empty while undecided) with the eligibility reason,
weighted consensus total, knocked out (yes/no) with the reasons, the criteria in disagreement, the
decision's outcome and status; per evaluation its weighted total and assessed TRL; then per criterion
(headed "title (weight%)") each evaluation's score with its justification, their mean, median, standard
deviation (population) and range, the consensus score and its rationale; last, per security factor, each
evaluation's rating with its justification. One row per proposal sorts and filters in any spreadsheet.

Evaluators appear by name only with ``include_evaluators=True`` (the coordinators' export); otherwise as
"Evaluator 1", "Evaluator 2", ... numbered per proposal in the order given, so that the numbers say
nothing about who scored, and every name or e-mail address in ``ResultsTable.hidden`` is replaced by
"[…]" in the free texts (justifications, rationales, eligibility reasons), where an evaluator may have
written a colleague's name. Column headers, labels and reasons are translated into ``language``.

Safety: a text cell that starts with ``=``, ``+``, ``-``, ``@`` (or their full-width forms), a tab or a carriage
return gets an apostrophe before it, and so does every piece after a ``;``, ``,``, tab or line break inside a
cell, where a spreadsheet in another locale may split it (formula injection, OWASP "CSV Injection"), in CSV
and in XLSX alike (openpyxl would store a string starting with ``=`` as a formula); the XLSX drops the control characters a worksheet cannot hold.
Numbers stay numbers. Figures are rounded to two decimals here,
for display; the scoring functions never round.

Speed: the XLSX is written with openpyxl's write-only mode (rows streamed, no cell objects kept).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from app.evaluations.enums import DECISION_STATUS_LABELS, OUTCOME_LABELS
from app.evaluations.results.rules import RankedProposal
from app.evaluations.route.rules import FACTOR_LABELS, RATING_LABELS
from app.evaluations.scoring.rules import (
    DEFAULT_DISAGREEMENT_THRESHOLD,
    CriterionStatistics,
    Reason,
    disagreement,
    proposal_statistics,
    reason_text,
    weighted_total,
)
from app.i18n import N_, translate

_FORMULA_CHARACTERS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")  # with the full-width forms spreadsheets also run
_SEPARATORS = re.compile(r"([;,\t\r\n])")

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
H_ADMISSIBLE = N_("Admissible")
H_ELIGIBILITY_REASON = N_("Eligibility reason")
H_OUTCOME = N_("Decision")
H_DECISION_STATUS = N_("Decision status")
H_EVALUATOR_TRL = N_("Evaluator %(number)s assessed TRL")
H_JUSTIFICATION = N_("Evaluator %(number)s justification")
H_CONSENSUS_RATIONALE = N_("Consensus rationale")
H_RATING = N_("Evaluator %(number)s rating")
SHEET_RESULTS = N_("Results")
YES = N_("Yes")
NO = N_("No")
REDACTED = "[…]"


@dataclass(frozen=True)
class CriterionColumn:
    """A criterion as the export shows it; ``title`` already in the export's language."""

    key: str
    title: str
    weight: int


@dataclass(frozen=True)
class Evaluated:
    """One submitted evaluation as the service loaded it: the evaluator's name, scores and justifications
    per criterion, the assessed TRL, and the submitted security assessment as factor -> (rating, justification)."""

    name: str
    scores: Mapping[str, int]
    justifications: Mapping[str, str] = field(default_factory=dict)
    assessed_trl: int | None = None
    factors: Mapping[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class EvaluatorResult:
    """One evaluator's submitted scores for a proposal; ``name`` is shown only in the coordinators' export."""

    name: str
    scores: Mapping[str, int]
    total: float | None
    justifications: Mapping[str, str] = field(default_factory=dict)
    assessed_trl: int | None = None
    factors: Mapping[str, tuple[str, str]] = field(default_factory=dict)


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
    rationales: Mapping[str, str] = field(default_factory=dict)
    admissible: bool | None = None
    eligibility_reason: str = ""
    outcome: str | None = None
    decision_status: str | None = None


@dataclass(frozen=True)
class ResultsTable:
    """``hidden``: the evaluators' names and e-mail addresses, blanked out of free texts in the anonymous export."""

    criteria: tuple[CriterionColumn, ...]
    proposals: tuple[ProposalResult, ...]
    hidden: tuple[str, ...] = ()


def proposal_result(
    *,
    reference: str,
    organisation: str,
    criteria: Sequence[CriterionColumn],
    evaluations: Sequence[Evaluated | tuple[str, Mapping[str, int]]],
    consensus: Mapping[str, int | None],
    ranked: RankedProposal | None,
    threshold: float = DEFAULT_DISAGREEMENT_THRESHOLD,
    rationales: Mapping[str, str] | None = None,
    admissible: bool | None = None,
    eligibility_reason: str = "",
    outcome: str | None = None,
    decision_status: str | None = None,
) -> ProposalResult:
    """Assemble one proposal's row data from its evaluations (or (name, scores) pairs), consensus, ranking,
    eligibility and decision."""
    keys = [criterion.key for criterion in criteria]
    weights = {criterion.key: criterion.weight for criterion in criteria}
    entries = [entry if isinstance(entry, Evaluated) else Evaluated(*entry) for entry in evaluations]
    stats = proposal_statistics((entry.scores for entry in entries), keys)
    results = tuple(
        EvaluatorResult(
            name=entry.name,
            scores=entry.scores,
            total=weighted_total(entry.scores, weights) if set(entry.scores) == set(weights) else None,
            justifications=entry.justifications,
            assessed_trl=entry.assessed_trl,
            factors=entry.factors,
        )
        for entry in entries
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
        rationales=rationales or {},
        admissible=admissible,
        eligibility_reason=eligibility_reason,
        outcome=outcome,
        decision_status=decision_status,
    )


def safe_cell(value: str) -> str:
    """The text with an apostrophe wherever a spreadsheet could start a formula: at the start of the cell and
    of every piece a spreadsheet may split it into (a Dutch-locale spreadsheet splits a comma-separated file
    on ``;``), also after spaces or quotes, which some spreadsheets skip. Linear in the text."""
    pieces = _SEPARATORS.split(value)  # text, separator, text, ...: the separators at the odd places
    for index in range(0, len(pieces), 2):
        piece = pieces[index]
        content = piece.lstrip(" \"'")
        if content[:1] in _FORMULA_CHARACTERS:
            pieces[index] = piece[: len(piece) - len(content)] + "'" + content
    result = "".join(pieces)
    return "'" + result if result.startswith(("\t", "\r")) else result


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
        self.outcomes = {key: self._(label) for key, label in OUTCOME_LABELS.items()}
        self.statuses = {key: self._(label) for key, label in DECISION_STATUS_LABELS.items()}
        self.factors = [(str(key), self._(label)) for key, label in FACTOR_LABELS.items()]
        self.ratings = {str(key): self._(label) for key, label in RATING_LABELS.items()}
        hidden = sorted({name.strip() for name in table.hidden if len(name.strip()) >= 3}, key=len, reverse=True)
        self.hidden = (
            re.compile("|".join(re.escape(name) for name in hidden), re.IGNORECASE)
            if hidden and not include_evaluators
            else None
        )

    def _(self, message: str, **params: object) -> str:
        return translate(self.language, message, **params)

    def reason(self, reason: Reason) -> str:
        return reason_text(reason, self.language, criterion_titles=self.titles)

    def text(self, value: str) -> str:
        """A free text as exported: evaluators' names and addresses blanked out in the anonymous export."""
        return self.hidden.sub(REDACTED, value) if self.hidden is not None and value else value

    def header(self) -> list[Cell]:
        header: list[Cell] = [self._(H_RANK), self._(H_PROPOSAL), self._(H_ORGANISATION)]
        header += [self._(H_ADMISSIBLE), self._(H_ELIGIBILITY_REASON), self._(H_TOTAL)]
        header += [self._(H_KNOCKED_OUT), self._(H_REASONS), self._(H_DISAGREEMENT_ON)]
        header += [self._(H_OUTCOME), self._(H_DECISION_STATUS)]
        numbers = range(1, self.columns + 1)
        for number in numbers:
            if self.include_evaluators:
                header.append(self._(H_EVALUATOR_NAME, number=number))
            header += [self._(H_EVALUATOR_TOTAL, number=number), self._(H_EVALUATOR_TRL, number=number)]
        labels: list[str] = []
        for number in numbers:
            labels += [self._(H_EVALUATOR, number=number), self._(H_JUSTIFICATION, number=number)]
        labels += [self._(H_MEAN), self._(H_MEDIAN), self._(H_SD), self._(H_RANGE)]
        labels += [self._(H_CONSENSUS), self._(H_CONSENSUS_RATIONALE)]
        for criterion in self.table.criteria:
            header += [f"{criterion.title} ({criterion.weight}%): {label}" for label in labels]
        for _key, factor in self.factors:
            for number in numbers:
                header += [
                    f"{factor}: {self._(H_RATING, number=number)}",
                    f"{factor}: {self._(H_JUSTIFICATION, number=number)}",
                ]
        return header

    def _yes_no(self, value: bool | None) -> str | None:
        return None if value is None else self.yes if value else self.no

    def rows(self) -> Iterator[list[Cell]]:
        blank: list[Cell] = [None] * (3 if self.include_evaluators else 2)
        for item in self.table.proposals:
            row: list[Cell] = [item.rank, item.reference, item.organisation]
            row += [self._yes_no(item.admissible), self.text(item.eligibility_reason), _number(item.total)]
            row.append(self.yes if item.knocked_out else self.no)
            row.append(" ".join(self.reason(reason) for reason in item.reasons))
            row.append(", ".join(self.titles.get(key, key) for key in item.flagged))
            row.append(self.outcomes.get(item.outcome, item.outcome) if item.outcome else None)
            row.append(self.statuses.get(item.decision_status, item.decision_status) if item.decision_status else None)
            missing = self.columns - len(item.evaluations)
            for evaluation in item.evaluations:
                if self.include_evaluators:
                    row.append(evaluation.name)
                row += [_number(evaluation.total), evaluation.assessed_trl]
            row += blank * missing
            for criterion in self.table.criteria:
                key = criterion.key
                for evaluation in item.evaluations:
                    row += [evaluation.scores.get(key), self.text(evaluation.justifications.get(key, ""))]
                row += [None, None] * missing
                stats = item.statistics.get(key)
                if stats is None:
                    row += [None, None, None, None]
                else:
                    row += [_number(stats.mean), _number(stats.median), _number(stats.sd), stats.range]
                row += [item.consensus.get(key), self.text(item.rationales.get(key, ""))]
            for factor, _label in self.factors:
                for evaluation in item.evaluations:
                    rating, justification = evaluation.factors.get(factor, ("", ""))
                    row += [self.ratings.get(rating, rating) or None, self.text(justification)]
                row += [None, None] * missing
            yield row


def _safe(row: list[Cell]) -> list[Cell]:
    return [safe_cell(value) if isinstance(value, str) else value for value in row]


def _xlsx_cells(row: list[Cell]) -> list[Cell]:
    """Safe cells without the control characters a worksheet cannot hold (a justification pasted from a
    word processor may carry one, and openpyxl refuses the whole workbook); an empty text is an empty cell,
    which openpyxl skips instead of writing."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return [(ILLEGAL_CHARACTERS_RE.sub("", value) or None) if isinstance(value, str) else value for value in _safe(row)]


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
    # Imported here: openpyxl costs every web worker 10 MB, and only coordinators' exports use it.
    from openpyxl import Workbook

    rows = _Rows(table, language=language, include_evaluators=include_evaluators)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(rows._(SHEET_RESULTS))
    sheet.freeze_panes = "C2"
    sheet.append(_xlsx_cells(rows.header()))
    for row in rows.rows():
        sheet.append(_xlsx_cells(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
