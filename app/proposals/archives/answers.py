"""A submitted version as a plain-text document in the reader's language: every question with its answer, the
consortium, the documents (with the names they have inside the archive) and the receipt."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.challenges.schemas import ChallengeDefinition, Stage
from app.formatting import format_local_datetime
from app.i18n import translate
from app.proposals.models import ProposalVersion


def _value(question: Any, value: Any, language: str) -> str:
    if value is None or value == "" or value == []:
        return translate(language, "Not answered")
    if question.type == "yes_no":
        return translate(language, "Yes") if value in (True, "yes") else translate(language, "No")
    if question.type == "single_choice":
        return next((o.label.get(language) for o in question.options if o.key == value), str(value))
    if question.type == "multiple_choice":
        return ", ".join(o.label.get(language) for o in question.options if o.key in value)
    if question.type == "number" and getattr(question, "unit", None):
        return f"{value} {question.unit.get(language)}"
    return str(value)


def _heading(text: str) -> list[str]:
    return ["", text, "=" * len(text)]


def _answers(spec: Stage, content: Mapping[str, Any], language: str) -> list[str]:
    lines = _heading(translate(language, "Answers"))
    answers = content.get("answers", {})
    for question in spec.questions:
        if question.type == "document":
            continue
        lines += ["", question.label.get(language)]
        lines += ["    " + line for line in _value(question, answers.get(question.key), language).splitlines() or [""]]
    lines += ["", translate(language, "Claimed technology readiness level (TRL)"), f"    {content.get('trl', '')}"]
    return lines


def _consortium(content: Mapping[str, Any], language: str) -> list[str]:
    lines = _heading(translate(language, "Consortium"))
    lead, organisation = content.get("lead", {}), content.get("organisation", {})
    registration = organisation.get("kvk_number") or f"{organisation.get('country')} {organisation.get('registry_id')}"
    lines.append(
        f"- {organisation.get('legal_name')} ({translate(language, 'lead')}), {registration}, "
        f"{lead.get('role', '')}, {lead.get('share', '')}%"
    )
    for partner in content.get("partners", []):
        registration = partner.get("kvk_number") or f"{partner.get('country')} {partner.get('registry_id')}"
        lines.append(
            f"- {partner.get('legal_name')}, {registration}, {partner.get('role', '')}, {partner.get('share', '')}%"
        )
    return lines


def answers_document(
    *,
    reference: str,
    version: ProposalVersion,
    definition: ChallengeDefinition,
    spec: Stage,
    entries: Mapping[str, str | None],
    language: str,
) -> str:
    """The document; ``entries`` maps each document's question key to its path in the archive, or None where the
    document was removed under the retention rule."""
    content = version.content
    title = translate(language, "Receipt: proposal %(reference)s, version %(n)s", reference=reference, n=version.number)
    lines = [title, "=" * len(title), ""]
    lines.append(f"{translate(language, 'Challenge')}: {definition.title.get(language)} · {spec.title.get(language)}")
    lines.append(f"{translate(language, 'Organisation')}: {content.get('organisation', {}).get('legal_name')}")
    lines.append(f"{translate(language, 'Time of receipt')}: {format_local_datetime(version.received_at, language)}")
    lines.append(f"{translate(language, 'Receipt code (SHA-256)')}: {version.receipt_hash}")
    lines += _answers(spec, content, language) + _consortium(content, language)
    lines += _heading(translate(language, "Documents"))
    for key, document in sorted(content.get("documents", {}).items()):
        path = entries.get(key)
        where = path if path else translate(language, "removed under the retention rule")
        lines.append(f"- {document.get('name')}: {where} (SHA-256 {document.get('sha256')})")
    if not content.get("documents"):
        lines.append(translate(language, "No documents."))
    return "\n".join(lines) + "\n"
