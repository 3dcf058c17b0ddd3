"""Automatic assignment, conflicts of interest, and the assignment CSV import and export."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.evaluations.assignments import rules as assignment_rules
from app.evaluations.assignments.rules import (
    Assignment,
    Evaluator,
    OrganisationIdentity,
    ProposalParties,
    assign,
    conflicts,
    has_conflict,
    identity_keys,
    normalise_reference,
    parse_assignments_csv,
    render_assignments_csv,
)
from app.evaluations.scoring.rules import Reason

ALPHA = OrganisationIdentity(organisation_id=1, kvk_number="12345678", country="NL", name="Alpha B.V.")
BRAVO = OrganisationIdentity(organisation_id=2, kvk_number="87654321", country="NL", name="Bravo B.V.")
GAMMA = OrganisationIdentity(organisation_id=3, country="DE", registry_id="HRB 12345", name="Gamma GmbH")
# A partner without an account in the portal: known only by its identifiers.
DELTA = OrganisationIdentity(kvk_number="11112222", country="NL", name="Delta V.O.F.")


def _proposal(reference: str, *organisations: OrganisationIdentity) -> ProposalParties:
    return ProposalParties(reference, organisations)


def _pool(n: int) -> list[Evaluator]:
    return [Evaluator(id=i, email=f"e{i}@mindef.example") for i in range(1, n + 1)]


# --- conflicts ---


def test_conflict_by_organisation_id() -> None:
    evaluator = Evaluator(1, "e@x.example", (OrganisationIdentity(organisation_id=2),))
    assert conflicts(evaluator, _proposal("P-000001", ALPHA, BRAVO)) == (
        Reason(assignment_rules.MSG_CONFLICT_ORGANISATION, {"organisation": "Bravo B.V."}),
    )


def test_conflict_by_kvk_number_with_spaces_and_as_nl_registry_id() -> None:
    by_kvk = Evaluator(1, "e@x.example", (OrganisationIdentity(kvk_number="1111 2222"),))
    by_registry = Evaluator(2, "f@x.example", (OrganisationIdentity(country="nl", registry_id="11112222"),))
    proposal = _proposal("P-000001", ALPHA, DELTA)
    assert has_conflict(by_kvk, proposal)
    assert has_conflict(by_registry, proposal)


def test_conflict_by_country_and_registry_id_ignores_case_and_spacing() -> None:
    evaluator = Evaluator(1, "e@x.example", (OrganisationIdentity(country="de", registry_id="hrb12345"),))
    assert has_conflict(evaluator, _proposal("P-000001", ALPHA, GAMMA))


def test_same_registry_id_in_another_country_is_no_conflict() -> None:
    evaluator = Evaluator(1, "e@x.example", (OrganisationIdentity(country="AT", registry_id="HRB 12345"),))
    assert not has_conflict(evaluator, _proposal("P-000001", GAMMA))


def test_no_affiliations_no_conflict() -> None:
    assert conflicts(Evaluator(1, "e@x.example"), _proposal("P-000001", ALPHA, BRAVO, GAMMA)) == ()


def test_identity_keys_of_an_empty_identity_is_empty() -> None:
    assert identity_keys(OrganisationIdentity(kvk_number=" ", country="NL")) == frozenset()


def test_conflict_label_without_a_name_uses_the_identifier() -> None:
    nameless = OrganisationIdentity(kvk_number="11112222")
    evaluator = Evaluator(1, "e@x.example", (nameless,))
    assert conflicts(evaluator, _proposal("P-000001", nameless))[0].params == {"organisation": "KvK 11112222"}


# --- automatic assignment ---


def test_assign_gives_each_proposal_three_evaluators_balanced() -> None:
    proposals = [_proposal(f"P-{n:06d}", ALPHA) for n in range(1, 5)]
    plan = assign(proposals, _pool(4))
    assert plan.shortfalls == ()
    assert Counter(item.proposal for item in plan.new) == dict.fromkeys((p.reference for p in proposals), 3)
    assert sorted(plan.load.values()) == [3, 3, 3, 3]
    assert plan.new == tuple(sorted(plan.new))


def test_assign_never_picks_a_conflicted_evaluator() -> None:
    conflicted = Evaluator(1, "e1@x.example", (OrganisationIdentity(kvk_number="87654321"),))
    plan = assign([_proposal("P-000001", ALPHA, BRAVO), _proposal("P-000002", GAMMA)], [conflicted, *_pool(4)[1:]])
    assert Assignment("P-000001", 1) not in plan.new
    assert Assignment("P-000002", 1) in plan.new
    assert plan.shortfalls == ()


def test_assign_keeps_existing_assignments_and_counts_them() -> None:
    existing = [Assignment("P-000001", 4), Assignment("P-000001", 3)]
    plan = assign([_proposal("P-000001", ALPHA)], _pool(4), existing=existing)
    assert plan.kept == (Assignment("P-000001", 3), Assignment("P-000001", 4))
    assert plan.new == (Assignment("P-000001", 1),)
    assert plan.load == {1: 1, 2: 0, 3: 1, 4: 1}


def test_assign_never_proposes_an_excluded_pair() -> None:
    plan = assign([_proposal("P-000001", ALPHA)], _pool(3), excluded=[Assignment("P-000001", 2)])
    assert plan.new == (Assignment("P-000001", 1), Assignment("P-000001", 3))
    assert plan.shortfalls == (
        assignment_rules.Shortfall("P-000001", 3, 2, (Reason(assignment_rules.MSG_SHORT_CONFLICTS, {"count": 2}),)),
    )


def test_assign_respects_the_maximum_and_reports_the_shortfall() -> None:
    proposals = [_proposal(f"P-{n:06d}", ALPHA) for n in range(1, 4)]
    plan = assign(proposals, _pool(3), max_per_evaluator=2)
    assert max(plan.load.values()) == 2
    assert len(plan.new) == 6
    assert [(item.proposal, item.assigned) for item in plan.shortfalls] == [("P-000003", 0)]
    assert plan.shortfalls[0].reasons == (Reason(assignment_rules.MSG_SHORT_FULL, {"maximum": 2}),)


def test_assign_without_evaluators_says_so() -> None:
    plan = assign([_proposal("P-000001", ALPHA)], [])
    assert plan.shortfalls == (
        assignment_rules.Shortfall("P-000001", 3, 0, (Reason(assignment_rules.MSG_SHORT_NO_EVALUATORS),)),
    )


def test_assign_serves_the_most_constrained_proposal_first() -> None:
    # Evaluators 1 and 2 have a conflict with P-000002; with a maximum of 1 the greedy order matters.
    tied = [Evaluator(i, f"e{i}@x.example", (OrganisationIdentity(organisation_id=2),)) for i in (1, 2)]
    free = Evaluator(3, "e3@x.example")
    plan = assign(
        [_proposal("P-000001", ALPHA), _proposal("P-000002", BRAVO)],
        [*tied, free],
        per_proposal=1,
        max_per_evaluator=1,
    )
    assert plan.new == (Assignment("P-000001", 1), Assignment("P-000002", 3))
    assert plan.shortfalls == ()


def test_assign_moves_an_assignment_to_free_a_place() -> None:
    # Evaluator 2 is already full. P-000001 (no conflict with 1 and 3) comes first and takes evaluator 1;
    # P-000003 could only have 1 or 2, so the plan moves P-000001 to evaluator 3 instead of leaving it short.
    evaluators = [
        Evaluator(1, "e1@x.example"),
        Evaluator(2, "e2@x.example", (OrganisationIdentity(organisation_id=1),)),
        Evaluator(3, "e3@x.example", (OrganisationIdentity(organisation_id=3),)),
    ]
    plan = assign(
        [_proposal("P-000001", ALPHA), _proposal("P-000003", GAMMA)],
        evaluators,
        per_proposal=1,
        max_per_evaluator=1,
        existing=[Assignment("P-000099", 2)],
    )
    assert plan.new == (Assignment("P-000001", 3), Assignment("P-000003", 1))
    assert plan.shortfalls == ()
    assert plan.load == {1: 1, 2: 1, 3: 1}


def test_assign_refuses_nonsense_numbers() -> None:
    with pytest.raises(ValueError, match="at least one evaluator"):
        assign([], [], per_proposal=0)
    with pytest.raises(ValueError, match="must not be negative"):
        assign([], [], max_per_evaluator=-1)


organisations_st = st.builds(
    OrganisationIdentity,
    organisation_id=st.none() | st.integers(1, 6),
    kvk_number=st.none() | st.sampled_from(["10000001", "10000002", "10000003"]),
    country=st.sampled_from(["NL", "DE", "BE"]),
    registry_id=st.none() | st.sampled_from(["A1", "B2"]),
)
evaluators_st = st.lists(
    st.builds(
        Evaluator,
        id=st.integers(1, 12),
        email=st.just("x@x.example"),
        affiliations=st.lists(organisations_st, max_size=2).map(tuple),
    ),
    max_size=8,
    unique_by=lambda evaluator: evaluator.id,
)
proposals_st = st.lists(
    st.builds(
        ProposalParties,
        reference=st.integers(1, 40).map(lambda n: f"P-{n:06d}"),
        organisations=st.lists(organisations_st, min_size=1, max_size=3).map(tuple),
    ),
    max_size=15,
    unique_by=lambda proposal: proposal.reference,
)


@settings(max_examples=200)
@given(
    proposals=proposals_st,
    evaluators=evaluators_st,
    per_proposal=st.integers(1, 4),
    maximum=st.none() | st.integers(0, 8),
    rnd=st.randoms(),
    data=st.data(),
)
def test_assign_invariants(
    proposals: list[ProposalParties],
    evaluators: list[Evaluator],
    per_proposal: int,
    maximum: int | None,
    rnd: random.Random,
    data: st.DataObject,
) -> None:
    references = [proposal.reference for proposal in proposals]
    ids = [evaluator.id for evaluator in evaluators]
    existing = (
        data.draw(st.sets(st.builds(Assignment, st.sampled_from(references), st.sampled_from(ids)), max_size=5))
        if references and ids
        else set()
    )
    plan = assign(proposals, evaluators, per_proposal=per_proposal, max_per_evaluator=maximum, existing=existing)

    # Deterministic whatever the order of the input.
    shuffled_proposals, shuffled_evaluators = list(proposals), list(evaluators)
    rnd.shuffle(shuffled_proposals)
    rnd.shuffle(shuffled_evaluators)
    again = assign(
        shuffled_proposals, shuffled_evaluators, per_proposal=per_proposal, max_per_evaluator=maximum, existing=existing
    )
    assert again == plan

    by_reference = {proposal.reference: proposal for proposal in proposals}
    by_id = {evaluator.id: evaluator for evaluator in evaluators}
    assert set(plan.kept) == existing
    assert not set(plan.new) & existing
    new_load = Counter(item.evaluator_id for item in plan.new)
    for item in plan.new:
        assert not has_conflict(by_id[item.evaluator_id], by_reference[item.proposal])
    for evaluator_id, count in new_load.items():
        existing_count = sum(1 for item in existing if item.evaluator_id == evaluator_id)
        if maximum is not None:
            assert existing_count + count <= max(maximum, existing_count)
            if count:
                assert existing_count + count <= maximum
    per = Counter(item.proposal for item in (*plan.new, *plan.kept))
    assert len(set(plan.new) | existing) == len(plan.new) + len(existing)  # no evaluator twice on one proposal
    short = {item.proposal: item for item in plan.shortfalls}
    for reference in references:
        new_here = sum(1 for item in plan.new if item.proposal == reference)
        assert new_here <= max(per_proposal - sum(1 for item in existing if item.proposal == reference), 0)
        if per[reference] < per_proposal:
            assert short[reference].assigned == per[reference]
            assert short[reference].reasons
        else:
            assert reference not in short
    assert plan.load == {
        evaluator_id: sum(1 for item in (*plan.new, *plan.kept) if item.evaluator_id == evaluator_id)
        for evaluator_id in sorted(ids)
    }


@given(n_proposals=st.integers(0, 40), n_evaluators=st.integers(3, 10), per_proposal=st.integers(1, 3))
def test_assign_without_conflicts_balances_to_within_one(
    n_proposals: int, n_evaluators: int, per_proposal: int
) -> None:
    proposals = [_proposal(f"P-{n:06d}", ALPHA) for n in range(1, n_proposals + 1)]
    plan = assign(proposals, _pool(n_evaluators), per_proposal=per_proposal)
    assert plan.shortfalls == ()
    assert max(plan.load.values()) - min(plan.load.values()) <= 1


def test_assign_two_thousand_proposals_is_complete_and_balanced() -> None:
    proposals = [_proposal(f"P-{n:06d}", OrganisationIdentity(organisation_id=n)) for n in range(1, 2001)]
    evaluators = [Evaluator(i, f"e{i}@x.example", (OrganisationIdentity(organisation_id=i * 7),)) for i in range(1, 41)]
    plan = assign(proposals, evaluators, max_per_evaluator=160)
    assert plan.shortfalls == ()
    assert len(plan.new) == 6000
    assert max(plan.load.values()) - min(plan.load.values()) <= 1


# --- CSV ---


def test_normalise_reference() -> None:
    assert normalise_reference(" p-123 ") == "P-000123"
    assert normalise_reference("P000042") == "P-000042"
    assert normalise_reference("Q-1") is None
    assert normalise_reference("") is None


def test_parse_assignments_csv_reads_rows() -> None:
    data = b"proposal,evaluator_email\nP-000001,Anna@Mindef.example\np-2, bob@mindef.example \n\n"
    parsed = parse_assignments_csv(data)
    assert parsed.errors == ()
    assert parsed.rows == (("P-000001", "anna@mindef.example"), ("P-000002", "bob@mindef.example"))


def test_parse_assignments_csv_accepts_semicolons_and_a_bom() -> None:
    data = "\ufeffProposal;Evaluator_Email\r\nP-000001;a@x.example\r\n".encode()
    assert parse_assignments_csv(data).rows == (("P-000001", "a@x.example"),)


def test_parse_assignments_csv_reports_each_bad_row_with_its_number() -> None:
    data = (
        b"proposal,evaluator_email\n"
        b"P-000001,a@x.example\n"  # row 2: fine
        b"X-1,a@x.example\n"  # row 3: bad reference
        b"P-000001,not-an-email\n"  # row 4: bad e-mail
        b"P-000001\n"  # row 5: one column
        b"P-000007,a@x.example\n"  # row 6: unknown proposal
        b"P-000001,zed@x.example\n"  # row 7: unknown evaluator
        b"P-000001,A@x.example\n"  # row 8: repeats row 2
    )
    parsed = parse_assignments_csv(data, proposals={"P-000001"}, evaluator_emails={"A@X.example"})
    assert parsed.rows == (("P-000001", "a@x.example"),)
    assert [(error.row, error.message) for error in parsed.errors] == [
        (3, assignment_rules.MSG_CSV_REFERENCE),
        (4, assignment_rules.MSG_CSV_EMAIL),
        (5, assignment_rules.MSG_CSV_COLUMNS),
        (6, assignment_rules.MSG_CSV_UNKNOWN_PROPOSAL),
        (7, assignment_rules.MSG_CSV_UNKNOWN_EVALUATOR),
        (8, assignment_rules.MSG_CSV_DUPLICATE),
    ]
    assert parsed.errors[0].params == {"row": 3, "value": "X-1"}
    assert parsed.errors[5].params == {"row": 8, "first": 2}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", assignment_rules.MSG_CSV_EMPTY),
        (b"\n \n", assignment_rules.MSG_CSV_EMPTY),
        (b"reference,email\nP-1,a@x.example\n", assignment_rules.MSG_CSV_HEADER),
        (b"\xff\xfeproposal", assignment_rules.MSG_CSV_NOT_TEXT),
    ],
)
def test_parse_assignments_csv_refuses_a_bad_file(data: bytes, message: str) -> None:
    parsed = parse_assignments_csv(data)
    assert parsed.rows == ()
    assert [(error.row, error.message) for error in parsed.errors] == [(1, message)]


def test_render_assignments_csv_sorts_and_guards_formulas() -> None:
    data = render_assignments_csv(
        [("P-000002", "b@x.example"), ("P-000001", "=cmd@x.example"), ("P-000002", "b@x.example")]
    )
    assert data == b"\xef\xbb\xbfproposal,evaluator_email\r\nP-000001,'=cmd@x.example\r\nP-000002,b@x.example\r\n"


@given(
    st.lists(
        st.tuples(
            st.integers(1, 999_999).map(lambda n: f"P-{n:06d}"),
            st.from_regex(r"[a-z0-9._]{1,10}@[a-z]{1,8}\.[a-z]{2,4}", fullmatch=True),
        ),
        max_size=20,
    )
)
def test_render_then_parse_gives_the_same_rows(rows: list[tuple[str, str]]) -> None:
    parsed = parse_assignments_csv(render_assignments_csv(rows))
    assert parsed.errors == ()
    assert parsed.rows == tuple(sorted(set(rows)))


@given(st.text(max_size=200))
def test_parse_assignments_csv_never_crashes(text: str) -> None:
    parsed = parse_assignments_csv("proposal,evaluator_email\n" + text)
    for error in parsed.errors:
        assert error.row >= 2
    for reference, email in parsed.rows:
        assert normalise_reference(reference) == reference
        assert email == email.casefold()


def test_parse_assignments_csv_stops_at_a_broken_quote() -> None:
    data = b'proposal,evaluator_email\nP-1,a@x.example\nP-2,"b@x.example\nP-3,c@x.example\n'
    parsed = parse_assignments_csv(data)
    assert parsed.rows == (("P-000001", "a@x.example"),)
    assert parsed.errors == (assignment_rules.CsvRowError(3, assignment_rules.MSG_CSV_UNREADABLE, {"row": 3}),)


def test_parse_assignments_csv_refuses_control_characters_in_an_address() -> None:
    parsed = parse_assignments_csv("proposal,evaluator_email\nP-1,a@x\x00.example\n")
    assert [(error.row, error.message) for error in parsed.errors] == [(2, assignment_rules.MSG_CSV_EMAIL)]
