"""The twelve Dutch provinces, by their ISO 3166-2 code."""

from __future__ import annotations

from enum import StrEnum

from app.i18n import N_


class Province(StrEnum):
    DRENTHE = "NL-DR"
    FLEVOLAND = "NL-FL"
    FRYSLAN = "NL-FR"
    GELDERLAND = "NL-GE"
    GRONINGEN = "NL-GR"
    LIMBURG = "NL-LI"
    NOORD_BRABANT = "NL-NB"
    NOORD_HOLLAND = "NL-NH"
    OVERIJSSEL = "NL-OV"
    UTRECHT = "NL-UT"
    ZEELAND = "NL-ZE"
    ZUID_HOLLAND = "NL-ZH"


# Msgids: the English name where it differs, else the Dutch one (province names are proper nouns).
PROVINCE_LABELS: dict[str, str] = {
    Province.DRENTHE.value: N_("Drenthe"),
    Province.FLEVOLAND.value: N_("Flevoland"),
    Province.FRYSLAN.value: N_("Friesland"),
    Province.GELDERLAND.value: N_("Gelderland"),
    Province.GRONINGEN.value: N_("Groningen"),
    Province.LIMBURG.value: N_("Limburg"),
    Province.NOORD_BRABANT.value: N_("North Brabant"),
    Province.NOORD_HOLLAND.value: N_("North Holland"),
    Province.OVERIJSSEL.value: N_("Overijssel"),
    Province.UTRECHT.value: N_("Utrecht"),
    Province.ZEELAND.value: N_("Zeeland"),
    Province.ZUID_HOLLAND.value: N_("South Holland"),
}
