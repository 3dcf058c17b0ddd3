"""The consortium of a proposal: the acting organisation leads; partners are registered organisations or
named by KvK number (Dutch) or by country and registry id; every party has a role and a share of the work.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.challenges.schemas import ChallengeDefinition
from app.errors import FieldError, ValidationFailed
from app.i18n import N_
from app.organisations import service as organisation_service
from app.organisations.models import Organisation
from app.organisations.schemas import is_country, normalise_kvk
from app.proposals.drafts.schemas import ConsortiumDraft, PartnerDraft

REQUIRED = N_("This field is required.")


def _share(value: Any) -> int | None:
    text = str(value).strip().removesuffix("%").strip()
    return int(text) if text.isdigit() else None


def parse_partner(
    session: Session,
    *,
    values: dict[str, Any],
    lead: Organisation,
    partners: list[PartnerDraft],
    definition: ChallengeDefinition,
) -> PartnerDraft:
    """A partner from the add-partner form, linked to its registration when there is one."""
    errors: list[FieldError] = []
    _check_room(definition, partners)
    kvk_raw = str(values.get("partner_kvk_number", "")).strip()
    country = str(values.get("partner_country", "")).strip().upper()
    registry_id = str(values.get("partner_registry_id", "")).strip()
    name = str(values.get("partner_legal_name", "")).strip()
    role = str(values.get("partner_role", "")).strip()
    share_raw = str(values.get("partner_share", "")).strip()
    registered, kvk, country, registry_id = _identify(
        session, kvk_raw=kvk_raw, country=country, registry_id=registry_id, errors=errors
    )
    if registered is None and not name:
        errors.append(FieldError("partner_legal_name", REQUIRED))
    if not role:
        errors.append(FieldError("partner_role", REQUIRED))
    if share_raw:
        share = _share(share_raw)
        if share is None or not 1 <= share <= 99:
            errors.append(FieldError("partner_share", N_("Enter a whole percentage from 1 to 99.")))
    if registered is not None and registered.id == lead.id:
        errors.append(FieldError("partner_kvk_number", N_("Your own organisation leads the proposal already.")))
    identity = _identity_key(registered.id if registered else None, kvk, country, registry_id)
    if any(_identity_key(p.organisation_id, p.kvk_number, p.country, p.registry_id) == identity for p in partners):
        errors.append(FieldError("partner_kvk_number", N_("This organisation is a partner already.")))
    if lead.kvk_number and kvk == lead.kvk_number:
        errors.append(FieldError("partner_kvk_number", N_("Your own organisation leads the proposal already.")))
    if errors:
        raise ValidationFailed(errors=errors)
    return PartnerDraft(
        organisation_id=registered.id if registered else None,
        legal_name=registered.legal_name if registered else name[:300],
        kvk_number=registered.kvk_number if registered else kvk,
        country=registered.country if registered else country,
        registry_id=registered.registry_id if registered else (registry_id or None),
        role=role[:200],
        share=share_raw,
    )


def _check_room(definition: ChallengeDefinition, partners: list[PartnerDraft]) -> None:
    """Refuse any partner when the call takes no consortia, or one more than it allows."""
    if not definition.eligibility.consortium_allowed:
        raise ValidationFailed(errors=[FieldError("partner", N_("This challenge does not accept consortia."))])
    limit = definition.eligibility.max_partners
    if limit is not None and len(partners) >= limit:
        raise ValidationFailed(
            errors=[FieldError("partner", N_("This challenge allows at most %(max)s partners."), {"max": limit})]
        )


def _identify(
    session: Session, *, kvk_raw: str, country: str, registry_id: str, errors: list[FieldError]
) -> tuple[Organisation | None, str | None, str, str]:
    """The partner's registration (if any), KvK number, country and registry id, from what was typed; what is
    wrong with them goes into ``errors``."""
    registered: Organisation | None = None
    kvk: str | None = None
    if kvk_raw:
        kvk = normalise_kvk(kvk_raw)
        if kvk is None:
            errors.append(FieldError("partner_kvk_number", N_("A KvK number has 8 digits.")))
        else:
            registered = organisation_service.find_registered(session, kvk_number=kvk)
        country = "NL"
        registry_id = ""
    elif country or registry_id:
        if not is_country(country) or country == "NL":
            errors.append(
                FieldError(
                    "partner_country", N_("Choose the country of a non-Dutch organisation, or give a KvK number.")
                )
            )
        if not registry_id:
            errors.append(FieldError("partner_registry_id", REQUIRED))
        if not errors:
            registered = organisation_service.find_registered(session, country=country, registry_id=registry_id)
    else:
        errors.append(FieldError("partner_kvk_number", N_("Give a KvK number, or a country and registry id.")))
    return registered, kvk, country, registry_id


def _identity_key(organisation_id: int | None, kvk: str | None, country: str | None, registry: str | None) -> str:
    if organisation_id is not None:
        return f"id:{organisation_id}"
    if kvk:
        return f"kvk:{kvk}"
    return f"reg:{country}:{(registry or '').lower()}"


def check_shares(draft: ConsortiumDraft, *, complete: bool) -> list[FieldError]:
    """Shares are whole percentages summing to 100; with no partners the lead does all of the work."""
    errors: list[FieldError] = []
    partners = draft.partners
    lead_share = draft.lead.share
    if not partners:
        if lead_share not in ("", None) and _share(lead_share) != 100:
            errors.append(FieldError("lead_share", N_("Without partners the lead does 100% of the work.")))
        return errors
    shares: list[int] = []
    for name, value in [("lead_share", lead_share)] + [(f"partner_{i}_share", p.share) for i, p in enumerate(partners)]:
        share = _share(value) if value not in ("", None) else None
        if share is None or not 1 <= share <= 99:
            if value not in ("", None) or complete:
                errors.append(FieldError(name, N_("Enter a whole percentage from 1 to 99.")))
            continue
        shares.append(share)
    if not errors and len(shares) == len(partners) + 1 and sum(shares) != 100:
        errors.append(
            FieldError(
                "lead_share", N_("The shares of the work add up to %(total)s%%, not 100%%."), {"total": sum(shares)}
            )
        )
    for index, partner in enumerate(partners):
        if complete and not partner.role:
            errors.append(FieldError(f"partner_{index}_role", REQUIRED))
    return errors


def check_consortium(
    draft: ConsortiumDraft, *, lead: Organisation, definition: ChallengeDefinition
) -> list[FieldError]:
    """Everything about the consortium that blocks a submission, including the call's eligibility rules."""
    errors = check_shares(draft, complete=True)
    eligibility = definition.eligibility
    partners = draft.partners
    if partners and not eligibility.consortium_allowed:
        errors.append(FieldError("partner", N_("This challenge does not accept consortia.")))
    if eligibility.max_partners is not None and len(partners) > eligibility.max_partners:
        errors.append(
            FieldError(
                "partner", N_("This challenge allows at most %(max)s partners."), {"max": eligibility.max_partners}
            )
        )
    if eligibility.lead_countries and lead.country not in eligibility.lead_countries:
        errors.append(
            FieldError(
                "lead_role",
                N_("The lead organisation must be established in: %(countries)s."),
                {"countries": ", ".join(eligibility.lead_countries)},
            )
        )
    if eligibility.sme_only and not lead.is_sme:
        errors.append(FieldError("lead_role", N_("This challenge is open to small and medium-sized enterprises only.")))
    return errors


def lead_of(draft: ConsortiumDraft) -> dict[str, Any]:
    """The lead as a submitted version holds it: the share as a whole number (100 without partners)."""
    lead = draft.lead
    share = _share(lead.share) if draft.partners else 100
    return {"role": lead.role or "", "share": share if share is not None else 100}


def partners_of(draft: ConsortiumDraft) -> list[dict[str, Any]]:
    """The partners as a submitted version holds them: each share as a whole number (0 when not one)."""
    return [{**partner.model_dump(), "share": _share(partner.share) or 0} for partner in draft.partners]
