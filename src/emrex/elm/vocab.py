"""The EU vocabularies an EDC uses, and the concepts we mint where ELMO data has no EU concept.

Concept IRIs from the EU's controlled lists (countries, languages, EQF, ISCED-F, ECTS, grade status,
encodings, file types, evidence and credential types) where the material at hand names them. Where it
does not (other credit schemes, non-EQF levels, Erasmus subject areas, failed or in-progress status,
the evidence type of a conversion) we mint ``urn:emrex:…`` concepts: they satisfy the EDC shapes (which
restrict only the scheme of a concept) and say plainly that they are not official EU concepts.
"""

from __future__ import annotations

import re
from typing import Any

COUNTRY_NAL = "http://publications.europa.eu/resource/authority/country"
LANGUAGE_NAL = "http://publications.europa.eu/resource/authority/language"
FILE_TYPE_NAL = "http://publications.europa.eu/resource/authority/file-type"
HUMAN_SEX_NAL = "http://publications.europa.eu/resource/authority/human-sex"
SNB = "http://data.europa.eu/snb"
EQF_SCHEME = f"{SNB}/eqf/25831c2"
ISCED_SCHEME = f"{SNB}/isced-f/25831c2"
CREDIT_SCHEME = f"{SNB}/education-credit/25831c2"
ECTS = f"{SNB}/education-credit/6fcec5c5af"
GRADE_STATUS_SCHEME = f"{SNB}/grade-status/25831c2"
GRADE_PASS = f"{SNB}/grade-status/c_60a1cf9a"
ENCODING_SCHEME = f"{SNB}/encoding/25831c2"
BASE64 = f"{SNB}/encoding/6146cde7dd"
EVIDENCE_SCHEME = f"{SNB}/evidence-type/25831c2"
CREDENTIAL_TYPE_SCHEME = f"{SNB}/credential/25831c2"
GENERIC_PROFILE = f"{SNB}/credential/e34929035b"
SHAPES_BASE = f"{SNB}/model/ap"
GENERIC_FULL = f"{SHAPES_BASE}/edc-generic-full"
CONVERTED = f"{SHAPES_BASE}/edc-converted"
EDC_CONTEXT = f"{SNB}/model/context/edc-ap"
VC_CONTEXT = "https://www.w3.org/2018/credentials/v1"
NOTE_FORMAT = f"{SNB}/model/elm/noteFormat"

EMREX = "urn:emrex"
CONVERTED_EVIDENCE = f"{EMREX}:evidence-type:converted-from-elmo"
SUBJECT_AREA_SCHEME = f"{EMREX}:erasmus-subject-area"

# ISO 3166-1 alpha-2 -> alpha-3 (the EU country list uses alpha-3) for the Europass ELMO country codes.
_COUNTRIES = """
AD AND AE ARE AF AFG AG ATG AL ALB AM ARM AO AGO AR ARG AT AUT AU AUS AZ AZE BA BIH BB BRB BD BGD
BE BEL BF BFA BG BGR BH BHR BI BDI BJ BEN BN BRN BO BOL BR BRA BS BHS BT BTN BW BWA BY BLR BZ BLZ
CA CAN CD COD CF CAF CG COG CH CHE CI CIV CL CHL CM CMR CN CHN CO COL CR CRI CU CUB CV CPV CY CYP
CZ CZE DE DEU DJ DJI DK DNK DM DMA DO DOM DZ DZA EC ECU EE EST EG EGY ER ERI ES ESP ET ETH FI FIN
FJ FJI FM FSM FR FRA GA GAB GB GBR GD GRD GE GEO GH GHA GL GRL GM GMB GN GIN GQ GNQ GR GRC GT GTM
GW GNB GY GUY HN HND HR HRV HT HTI HU HUN ID IDN IE IRL IL ISR IN IND IQ IRQ IR IRN IS ISL IT ITA
JM JAM JO JOR JP JPN KE KEN KG KGZ KH KHM KI KIR KM COM KN KNA KP PRK KR KOR KW KWT KZ KAZ LA LAO
LB LBN LC LCA LI LIE LK LKA LR LBR LS LSO LT LTU LU LUX LV LVA LY LBY MA MAR MC MCO MD MDA ME MNE
MG MDG MH MHL MK MKD ML MLI MM MMR MN MNG MR MRT MT MLT MU MUS MV MDV MW MWI MX MEX MY MYS MZ MOZ
NA NAM NE NER NG NGA NI NIC NL NLD NO NOR NP NPL NR NRU NU NIU NZ NZL OM OMN PA PAN PE PER PG PNG
PH PHL PK PAK PL POL PR PRI PS PSE PT PRT PW PLW PY PRY QA QAT RO ROU RS SRB RU RUS RW RWA SA SAU
SB SLB SC SYC SD SDN SE SWE SG SGP SI SVN SK SVK SL SLE SM SMR SN SEN SO SOM SR SUR ST STP SV SLV
SY SYR SZ SWZ TD TCD TG TGO TH THA TJ TJK TL TLS TM TKM TN TUN TO TON TR TUR TT TTO TV TUV TZ TZA
UA UKR UG UGA US USA UY URY UZ UZB VA VAT VC VCT VE VEN VN VNM VU VUT WS WSM YE YEM ZA ZAF ZM ZMB
ZW ZWE
""".split()  # noqa: SIM905 - a table reads better as text
ALPHA3 = dict(zip(_COUNTRIES[::2], _COUNTRIES[1::2], strict=True))
ALPHA2 = {v: k for k, v in ALPHA3.items()}

# ISO 639-1 -> the EU language list's codes (ISO 639-2/T, upper case).
_LANGUAGES = """
en ENG sv SWE no NOR nb NOB nn NNO da DAN fi FIN is ISL et EST lv LAV lt LIT pl POL cs CES sk SLK
sl SLV hu HUN ro RON bg BUL el ELL it ITA es SPA pt POR fr FRA de DEU nl NLD ga GLE mt MLT hr HRV
sr SRP bs BOS mk MKD sq SQI tr TUR ru RUS uk UKR be BEL ca CAT eu EUS gl GLG cy CYM lb LTZ fo FAO
kl KAL se SME la LAT eo EPO ar ARA he HEB fa FAS hi HIN ur URD bn BEN zh ZHO ja JPN ko KOR vi VIE
th THA id IND ms MSA tl TGL sw SWA am AMH ka KAT hy HYE az AZE kk KAZ uz UZB mn MON ne NEP si SIN
ta TAM te TEL ml MAL kn KAN mr MAR gu GUJ pa PAN ps PUS ku KUR so SOM ha HAU yo YOR ig IBO zu ZUL
xh XHO af AFR rm ROH fy FRY gd GLA br BRE co COS oc OCI sa SAN yi YID lo LAO km KHM my MYA bo BOD
tk TUK tg TGK ky KIR tt TAT
""".split()  # noqa: SIM905 - a table reads better as text
LANG3 = dict(zip(_LANGUAGES[::2], _LANGUAGES[1::2], strict=True))
LANG2 = {v: k for k, v in LANG3.items()}

_LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")

# ISO/IEC 5218 -> the EU human-sex list
GENDERS = {0: "NKN", 1: "MALE", 2: "FEMALE", 9: "NAP"}
LOI_STATUS_LABELS = {"passed": "pass", "failed": "fail", "in-progress": "in progress"}


def scheme(iri: str) -> dict[str, Any]:
    return {"id": iri, "type": "ConceptScheme"}


def concept(
    iri: str, in_scheme: str | None, label: str | None = None, notation: str | None = None
) -> dict[str, Any]:
    node: dict[str, Any] = {"id": iri, "type": "Concept"}
    if in_scheme is not None:
        node["inScheme"] = scheme(in_scheme)
    if notation is not None:
        node["notation"] = notation
    if label is not None:
        node["prefLabel"] = {"en": label}
    return node


def country(alpha2: str) -> dict[str, Any] | None:
    code = ALPHA3.get(alpha2.upper())
    if code is None:
        return None
    return concept(f"{COUNTRY_NAL}/{code}", COUNTRY_NAL, notation=alpha2.upper())


def country_code(node: Any) -> str | None:
    """ISO alpha-2 of a country concept (by its IRI, else its notation)."""
    if not isinstance(node, dict):
        return None
    iri = node.get("id")
    if isinstance(iri, str) and iri.startswith(COUNTRY_NAL + "/"):
        code = ALPHA2.get(iri.rsplit("/", 1)[1])
        if code is not None:
            return code
    notation = node.get("notation")
    if isinstance(notation, str) and len(notation) == 2 and notation.isalpha():
        return notation.upper()
    return None


def language(code: str) -> dict[str, Any]:
    """A concept of the EU language list for an ISO 639-1 code (minted when the list lacks it)."""
    three = LANG3.get(code)  # only a plain ISO 639-1 code: one concept must have one notation
    iri = f"{LANGUAGE_NAL}/{three}" if three is not None else f"{EMREX}:language:{code}"
    return concept(iri, LANGUAGE_NAL, notation=code)


def language_code(node: Any) -> str | None:
    if not isinstance(node, dict):
        return None
    notation = node.get("notation")
    if isinstance(notation, str) and _LANG_TAG.match(notation):
        return notation
    iri = node.get("id")
    if isinstance(iri, str) and iri.startswith(LANGUAGE_NAL + "/"):
        return LANG2.get(iri.rsplit("/", 1)[1])
    return None


_FILE_TYPES = {
    "application/pdf": "PDF",
    "application/xml": "XML",
    "text/xml": "XML",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "text/plain": "TXT",
    "text/html": "HTML",
    "application/json": "JSON",
}


def file_type(media_type: str) -> dict[str, Any]:
    """A concept of the EU file-type list; its notation keeps the exact media type."""
    code = _FILE_TYPES.get(media_type)
    canonical = code is not None and next(k for k, c in _FILE_TYPES.items() if c == code) == media_type
    iri = f"{FILE_TYPE_NAL}/{code}" if canonical else f"{EMREX}:media-type:{media_type}"
    return concept(iri, FILE_TYPE_NAL, notation=media_type)


def media_type(node: Any) -> str | None:
    if not isinstance(node, dict):
        return None
    notation = node.get("notation")
    if isinstance(notation, str) and "/" in notation:
        return notation
    iri = node.get("id")
    if isinstance(iri, str) and iri.startswith(FILE_TYPE_NAL + "/"):
        code = iri.rsplit("/", 1)[1]
        return next((k for k, c in _FILE_TYPES.items() if c == code), None)
    return None
