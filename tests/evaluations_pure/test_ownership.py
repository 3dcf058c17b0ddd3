"""Where a consortium member is controlled from, as a submitted version froze its ownership (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from app.evaluations.security.rules import Unknown, members_of
from app.organisations.ownership import EU_EEA, Control, ControlOf, control_of


def _entry(ownership: str | None, parent_country: str | None = None, registered: bool = True) -> dict[str, Any]:
    name = "Parent" if parent_country else None
    return {"registered": registered, "ownership": ownership, "parent_name": name, "parent_country": parent_country}


def test_eu_eea_is_the_27_member_states_and_iceland_liechtenstein_norway() -> None:
    assert len(EU_EEA) == 30
    assert {"NL", "DE", "IS", "LI", "NO"} <= EU_EEA
    assert not {"GB", "CH", "US", "CN", "TR"} & EU_EEA


@pytest.mark.parametrize(
    ("entry", "country", "expected"),
    [
        (_entry("independent"), "NL", ControlOf("NL", Control.EU_EEA)),
        (_entry("independent"), "US", ControlOf("US", Control.OUTSIDE)),
        (_entry("group", "NO"), "NL", ControlOf("NO", Control.EU_EEA)),
        (_entry("group", "GB"), "NL", ControlOf("GB", Control.OUTSIDE)),
        (_entry("group", "CH"), "DE", ControlOf("CH", Control.OUTSIDE)),
        (_entry(None), "NL", ControlOf(None, Control.UNKNOWN)),
        (_entry(None, registered=False), "NL", ControlOf(None, Control.UNKNOWN)),
        (None, "NL", ControlOf(None, Control.UNKNOWN)),
    ],
)
def test_control_of(entry: dict[str, Any] | None, country: str, expected: ControlOf) -> None:
    assert control_of(entry, country=country) == expected
    assert expected.flagged is (expected.control is not Control.EU_EEA)


def _content(ownership: Any) -> dict[str, Any]:
    content: dict[str, Any] = {
        "organisation": {"id": 1, "legal_name": "Alfa B.V.", "kvk_number": "11111111", "country": "NL"},
        "partners": [
            {"organisation_id": 2, "legal_name": "Bravo GmbH", "country": "DE", "role": "x", "share": 30},
            {"organisation_id": None, "legal_name": "Charlie Ltd", "country": "GB", "role": "y", "share": 20},
        ],
    }
    if ownership is not None:
        content["ownership"] = ownership
    return content


def test_members_of_a_version_with_ownership_lead_first() -> None:
    members = members_of(
        _content(
            {
                "lead": _entry("group", "US"),
                "partners": [_entry("independent"), _entry(None, registered=False)],
            }
        )
    )
    assert [(m.number, m.name, m.is_lead) for m in members] == [
        (0, "Alfa B.V.", True),
        (1, "Bravo GmbH", False),
        (2, "Charlie Ltd", False),
    ]
    assert [(m.control.country, m.outside, m.flagged, m.unknown) for m in members] == [
        ("US", True, True, None),
        ("DE", False, False, None),
        (None, False, True, Unknown.NOT_REGISTERED),
    ]
    assert members[0].in_group and members[0].parent_name == "Parent"


def test_members_of_a_version_submitted_before_ownership_was_kept_are_all_unknown() -> None:
    members = members_of(_content(None))
    assert [(m.unknown, m.flagged) for m in members] == [(Unknown.NOT_RECORDED, True)] * 3


def test_a_registered_member_that_never_declared_is_unknown() -> None:
    members = members_of(_content({"lead": _entry(None), "partners": []}))
    assert (members[0].unknown, members[0].flagged) == (Unknown.NOT_DECLARED, True)
    assert [m.unknown for m in members[1:]] == [Unknown.NOT_RECORDED, Unknown.NOT_RECORDED]
