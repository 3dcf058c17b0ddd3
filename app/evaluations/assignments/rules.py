"""Assigning evaluators to proposals: conflicts of interest, automatic assignment, CSV import and export.

Pure: no database, no web. The service loads evaluators (with their declared affiliations), the
consortium of each proposal's standing version and the existing assignments, calls :func:`assign`, and
stores what it proposes.

Conflicts. An evaluator has a known conflict with a proposal when one of their declared affiliations
names an organisation of the consortium (lead or partner), matched on any of: the portal's organisation
id; the KvK number (digits only; ``("NL", registry id)`` counts as a KvK number); or the pair (country,
registry id), compared without case, spaces, dots or dashes. Every declared affiliation counts, whatever
its period or nature: the caller leaves out the ones it decides no longer matter.

Automatic assignment (:func:`assign`) is deterministic: inputs are sorted (proposals by reference,
evaluators by id), nothing is random, and the same input in any order gives the same result. It keeps
existing assignments, never assigns an evaluator with a known conflict or one excluded for a proposal
(a declared conflict), never puts one evaluator twice on a proposal, never lets new assignments take an
evaluator past ``max_per_evaluator``, and balances load: proposals with the fewest eligible evaluators
are served first, each taking the least-loaded eligible evaluators (ties: lower id). When the maximum
blocks a proposal, it tries once to free a place by moving one of the blocking evaluator's new
assignments to an evaluator with room. Proposals left short are reported with the reason.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

from app.evaluations.results.exports import safe_cell
from app.evaluations.scoring.rules import Reason
from app.i18n import N_
from app.proposals import references

DEFAULT_EVALUATORS_PER_PROPOSAL = 3

# --- conflicts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationIdentity:
    """An organisation as a consortium or an affiliation names it; any of the identifiers may be missing."""

    organisation_id: int | None = None
    kvk_number: str | None = None
    country: str | None = None
    registry_id: str | None = None
    name: str = ""


@dataclass(frozen=True)
class Evaluator:
    id: int
    email: str
    affiliations: tuple[OrganisationIdentity, ...] = ()


@dataclass(frozen=True)
class ProposalParties:
    """A proposal and every organisation of its consortium (the lead included)."""

    reference: str
    organisations: tuple[OrganisationIdentity, ...]


_SEPARATORS = re.compile(r"[\s.\-/]")


def identity_keys(organisation: OrganisationIdentity) -> frozenset[tuple[str, ...]]:
    """The normalised identifiers by which two mentions of an organisation are recognised as the same."""
    keys: set[tuple[str, ...]] = set()
    if organisation.organisation_id is not None:
        keys.add(("id", str(organisation.organisation_id)))
    if organisation.kvk_number and organisation.kvk_number.strip():
        keys.add(("kvk", _SEPARATORS.sub("", organisation.kvk_number)))
    country = (organisation.country or "").strip().upper()
    registry = _SEPARATORS.sub("", organisation.registry_id or "").casefold()
    if country and registry:
        keys.add(("kvk", registry) if country == "NL" else ("registry", country, registry))
    return frozenset(keys)


MSG_CONFLICT_ORGANISATION = N_("Declared an affiliation with %(organisation)s, which is in the consortium.")


def conflicts(evaluator: Evaluator, proposal: ProposalParties) -> tuple[Reason, ...]:
    """Each consortium organisation that one of the evaluator's affiliations names (empty: no known conflict)."""
    declared: set[tuple[str, ...]] = set()
    for affiliation in evaluator.affiliations:
        declared |= identity_keys(affiliation)
    reasons = []
    for organisation in proposal.organisations:
        if identity_keys(organisation) & declared:
            label = organisation.name or _identity_label(organisation)
            reasons.append(Reason(MSG_CONFLICT_ORGANISATION, {"organisation": label}))
    return tuple(reasons)


def has_conflict(evaluator: Evaluator, proposal: ProposalParties) -> bool:
    return bool(conflicts(evaluator, proposal))


def _identity_label(organisation: OrganisationIdentity) -> str:
    if organisation.kvk_number:
        return f"KvK {organisation.kvk_number}"
    if organisation.registry_id:
        return f"{organisation.country or ''} {organisation.registry_id}".strip()
    return f"#{organisation.organisation_id}"


# --- automatic assignment ----------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Assignment:
    proposal: str
    evaluator_id: int


@dataclass(frozen=True)
class Shortfall:
    """A proposal that did not get the number of evaluators asked for, and why."""

    proposal: str
    needed: int
    assigned: int
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class AssignmentPlan:
    """What :func:`assign` proposes: the new assignments (sorted), those kept, the shortfalls, the loads.

    ``load`` counts every assignment (kept and new) per evaluator, including evaluators with none.
    """

    new: tuple[Assignment, ...]
    kept: tuple[Assignment, ...]
    shortfalls: tuple[Shortfall, ...]
    load: Mapping[int, int] = field(default_factory=dict)


MSG_SHORT_NO_EVALUATORS = N_("There are no evaluators in the pool.")
MSG_SHORT_CONFLICTS = N_("Too few evaluators without a conflict of interest: %(count)s in the pool.")
MSG_SHORT_FULL = N_("The other evaluators without a conflict have reached the maximum of %(maximum)s proposals.")


def assign(
    proposals: Iterable[ProposalParties],
    evaluators: Iterable[Evaluator],
    *,
    per_proposal: int = DEFAULT_EVALUATORS_PER_PROPOSAL,
    max_per_evaluator: int | None = None,
    existing: Iterable[Assignment] = (),
    excluded: Iterable[Assignment] = (),
) -> AssignmentPlan:
    """Propose new assignments so that each proposal has ``per_proposal`` evaluators (see the module doc).

    ``existing`` assignments are kept and count towards both the number per proposal and the load (also
    for proposals not in ``proposals``); ``excluded`` pairs are never proposed (for example an evaluator
    who declared a conflict with that proposal).
    """
    if per_proposal < 1:
        raise ValueError("at least one evaluator per proposal")
    if max_per_evaluator is not None and max_per_evaluator < 0:
        raise ValueError("the maximum per evaluator must not be negative")
    pool = sorted({evaluator.id: evaluator for evaluator in evaluators}.values(), key=lambda item: item.id)
    parties = sorted({proposal.reference: proposal for proposal in proposals}.values(), key=lambda p: p.reference)
    kept = sorted(set(existing))
    blocked = set(excluded)
    load = {evaluator.id: 0 for evaluator in pool}
    on_proposal: dict[str, set[int]] = {}
    for item in kept:
        load[item.evaluator_id] = load.get(item.evaluator_id, 0) + 1
        on_proposal.setdefault(item.proposal, set()).add(item.evaluator_id)

    eligible = _eligible(parties, pool, blocked, on_proposal)
    new: dict[str, list[int]] = {proposal.reference: [] for proposal in parties}
    placed: dict[int, set[str]] = {}  # evaluator -> proposals newly given to them

    def has_room(evaluator_id: int) -> bool:
        return max_per_evaluator is None or load[evaluator_id] < max_per_evaluator

    # Most constrained first: fewest eligible evaluators for the places still open.
    order = sorted(
        parties,
        key=lambda p: (
            len(eligible[p.reference]) - (per_proposal - len(on_proposal.get(p.reference, ()))),
            p.reference,
        ),
    )
    for proposal in order:
        reference = proposal.reference
        needed = per_proposal - len(on_proposal.get(reference, ())) - len(new[reference])
        candidates = [item for item in eligible[reference] if has_room(item)]
        for evaluator_id in sorted(candidates, key=lambda item: (load[item], item))[: max(needed, 0)]:
            new[reference].append(evaluator_id)
            placed.setdefault(evaluator_id, set()).add(reference)
            load[evaluator_id] += 1
        while per_proposal - len(on_proposal.get(reference, ())) - len(new[reference]) > 0:
            if not _free_a_place(reference, eligible, new, placed, load, has_room):
                break

    shortfalls = _shortfalls(parties, pool, blocked, on_proposal, new, load, per_proposal, max_per_evaluator)
    created = sorted(Assignment(reference, evaluator_id) for reference, ids in new.items() for evaluator_id in ids)
    return AssignmentPlan(new=tuple(created), kept=tuple(kept), shortfalls=tuple(shortfalls), load=dict(load))


def _eligible(
    parties: list[ProposalParties], pool: list[Evaluator], blocked: set[Assignment], on_proposal: dict[str, set[int]]
) -> dict[str, list[int]]:
    """Per proposal the evaluators who may still be given it: no conflict, not excluded, not already on it."""
    return {
        proposal.reference: [
            evaluator.id
            for evaluator in pool
            if not has_conflict(evaluator, proposal)
            and Assignment(proposal.reference, evaluator.id) not in blocked
            and evaluator.id not in on_proposal.get(proposal.reference, set())
        ]
        for proposal in parties
    }


def _shortfalls(
    parties: list[ProposalParties],
    pool: list[Evaluator],
    blocked: set[Assignment],
    on_proposal: dict[str, set[int]],
    new: dict[str, list[int]],
    load: dict[int, int],
    per_proposal: int,
    max_per_evaluator: int | None,
) -> list[Shortfall]:
    """The proposals that could not get ``per_proposal`` evaluators, each with the reasons why."""
    shortfalls: list[Shortfall] = []
    for proposal in parties:
        reference = proposal.reference
        got = len(on_proposal.get(reference, ())) + len(new[reference])
        if got < per_proposal:
            shortfalls.append(
                Shortfall(
                    proposal=reference,
                    needed=per_proposal,
                    assigned=got,
                    reasons=_shortfall_reasons(
                        proposal,
                        pool,
                        blocked,
                        on_proposal.get(reference, set()) | set(new[reference]),
                        load,
                        per_proposal,
                        max_per_evaluator,
                    ),
                )
            )
    return shortfalls


def _free_a_place(
    reference: str,
    eligible: Mapping[str, list[int]],
    new: dict[str, list[int]],
    placed: dict[int, set[str]],
    load: dict[int, int],
    has_room: Callable[[int], bool],
) -> bool:
    """Move one new assignment of a full evaluator (eligible here) to an evaluator with room; then take it."""
    if not any(has_room(item) for item in load):
        return False
    taken = set(new[reference])
    for full in eligible[reference]:
        if full in taken or has_room(full):
            continue
        for other_reference in sorted(placed.get(full, ())):
            there = set(new[other_reference])
            spare = [item for item in eligible[other_reference] if item not in there and has_room(item)]
            if not spare:
                continue
            replacement = min(spare, key=lambda item: (load[item], item))
            new[other_reference][new[other_reference].index(full)] = replacement
            placed[full].discard(other_reference)
            placed.setdefault(replacement, set()).add(other_reference)
            load[replacement] += 1
            new[reference].append(full)
            placed[full].add(reference)
            return True
    return False


def _shortfall_reasons(
    proposal: ProposalParties,
    pool: list[Evaluator],
    blocked: set[Assignment],
    assigned: set[int],
    load: Mapping[int, int],
    per_proposal: int,
    max_per_evaluator: int | None,
) -> tuple[Reason, ...]:
    if not pool:
        return (Reason(MSG_SHORT_NO_EVALUATORS),)
    free = [
        evaluator.id
        for evaluator in pool
        if not has_conflict(evaluator, proposal) and Assignment(proposal.reference, evaluator.id) not in blocked
    ]
    reasons = []
    if len(free) < per_proposal:
        reasons.append(Reason(MSG_SHORT_CONFLICTS, {"count": len(free)}))
    full = [
        item
        for item in free
        if item not in assigned and max_per_evaluator is not None and load.get(item, 0) >= max_per_evaluator
    ]
    if full:
        reasons.append(Reason(MSG_SHORT_FULL, {"maximum": max_per_evaluator}))
    return tuple(reasons) or (Reason(MSG_SHORT_CONFLICTS, {"count": len(free)}),)


# --- CSV import and export ---------------------------------------------------------------------------

CSV_HEADER = ("proposal", "evaluator_email")
MSG_CSV_EMPTY = N_("The file is empty.")
MSG_CSV_HEADER = N_("The first row must be the column names: %(columns)s.")
MSG_CSV_NOT_TEXT = N_("The file is not a CSV text file in UTF-8.")
MSG_CSV_COLUMNS = N_("Row %(row)s: expected 2 columns, found %(count)s.")
MSG_CSV_REFERENCE = N_("Row %(row)s: %(value)s is not a proposal reference such as P-7KQ4-M2XD.")
MSG_CSV_UNKNOWN_PROPOSAL = N_("Row %(row)s: proposal %(value)s is not one of this challenge's proposals.")
MSG_CSV_EMAIL = N_("Row %(row)s: %(value)s is not an e-mail address.")
MSG_CSV_UNKNOWN_EVALUATOR = N_("Row %(row)s: %(value)s is not an evaluator of this challenge.")
MSG_CSV_DUPLICATE = N_("Row %(row)s: repeats row %(first)s.")
MSG_CSV_UNREADABLE = N_("Row %(row)s: cannot be read as CSV (check the quotes); the rows after it were not read.")

_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")


@dataclass(frozen=True)
class CsvRowError:
    """A problem with one row: its number as a spreadsheet shows it (the header is row 1), msgid, params."""

    row: int
    message: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedAssignments:
    rows: tuple[tuple[str, str], ...]
    errors: tuple[CsvRowError, ...]


def normalise_reference(value: str) -> str | None:
    """``P-7KQ4-M2XD`` from ``p 7kq4m2xd`` (and ``P-000123`` from ``p-123``); None when it is not a reference."""
    return references.normalise_reference(value)


def parse_assignments_csv(
    data: bytes | str,
    *,
    proposals: Collection[str] | None = None,
    evaluator_emails: Collection[str] | None = None,
) -> ParsedAssignments:
    """Read ``proposal,evaluator_email`` rows (comma or semicolon separated, UTF-8 with or without BOM).

    Returns the valid rows (reference normalised, e-mail in lower case) and an error per bad row; a
    caller imports nothing when there is any error. ``proposals`` and ``evaluator_emails``, when given,
    are what the rows may name (e-mail addresses compared without case).
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return ParsedAssignments(rows=(), errors=(CsvRowError(1, MSG_CSV_NOT_TEXT),))
    else:
        text = data.removeprefix("\ufeff")
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        return ParsedAssignments(rows=(), errors=(CsvRowError(1, MSG_CSV_EMPTY),))
    delimiter = ";" if ";" in lines[0] and "," not in lines[0] else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [cell.strip().casefold() for cell in next(reader)]
    except csv.Error:
        header = []
    if tuple(header) != CSV_HEADER:
        return ParsedAssignments(rows=(), errors=(CsvRowError(1, MSG_CSV_HEADER, {"columns": ",".join(CSV_HEADER)}),))
    known_proposals = set(proposals) if proposals is not None else None
    known_emails = {email.casefold() for email in evaluator_emails} if evaluator_emails is not None else None
    rows: list[tuple[str, str]] = []
    errors: list[CsvRowError] = []
    seen: dict[tuple[str, str], int] = {}
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:
            # A broken quote: the rest of the file cannot be read reliably.
            errors.append(CsvRowError(start, MSG_CSV_UNREADABLE, {"row": start}))
            break
        number = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        row_errors, parsed = _parse_row(number, cells, known_proposals, known_emails)
        if parsed is not None and parsed in seen:
            row_errors.append(CsvRowError(number, MSG_CSV_DUPLICATE, {"row": number, "first": seen[parsed]}))
        if row_errors:
            errors.extend(row_errors)
        elif parsed is not None:
            seen[parsed] = number
            rows.append(parsed)
    return ParsedAssignments(rows=tuple(rows), errors=tuple(errors))


def _parse_row(
    number: int, cells: list[str], proposals: set[str] | None, emails: set[str] | None
) -> tuple[list[CsvRowError], tuple[str, str] | None]:
    if len(cells) != 2:
        return [CsvRowError(number, MSG_CSV_COLUMNS, {"row": number, "count": len(cells)})], None
    raw_reference, raw_email = cells[0].strip(), cells[1].strip()
    errors = []
    reference = normalise_reference(raw_reference)
    if reference is None:
        errors.append(CsvRowError(number, MSG_CSV_REFERENCE, {"row": number, "value": raw_reference}))
    elif proposals is not None and reference not in proposals:
        errors.append(CsvRowError(number, MSG_CSV_UNKNOWN_PROPOSAL, {"row": number, "value": reference}))
    email = raw_email.casefold()
    if len(email) > 254 or not _EMAIL.match(email):
        errors.append(CsvRowError(number, MSG_CSV_EMAIL, {"row": number, "value": raw_email}))
    elif emails is not None and email not in emails:
        errors.append(CsvRowError(number, MSG_CSV_UNKNOWN_EVALUATOR, {"row": number, "value": raw_email}))
    if errors or reference is None:
        return errors, None
    return [], (reference, email)


def render_assignments_csv(rows: Iterable[tuple[str, str]]) -> bytes:
    """``proposal,evaluator_email`` rows, sorted, as UTF-8 with a BOM (so spreadsheets read it as UTF-8).

    :func:`parse_assignments_csv` reads it back unchanged.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for reference, email in sorted(set(rows)):
        writer.writerow([safe_cell(reference), safe_cell(email)])
    return buffer.getvalue().encode("utf-8-sig")
