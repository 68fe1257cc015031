"""The published type metadata of the ELM credential (vct ``urn:eudi:elm:1``, the type DC4EU issues),
in English and Swedish, with each claim's path and whether it is selectively disclosable.

Beyond DC4EU's three claims: every course (each ``hasClaim`` element) is its own disclosure, the
learner's names, birth date and identifiers are disclosable, and so are the credential's visual display
(its picture shows every result) and a Converted credential's evidence (the original signed ELMO holds
the whole record): showing either would show everything.
"""

from __future__ import annotations

from emrex.wallet.jose import Json
from emrex.wallet.sdjwt import ClaimPath

ELM_VCT = "urn:eudi:elm:1"
SUBJECT: ClaimPath = ("elm", "credentialSubject")
COURSES: ClaimPath = (*SUBJECT, "hasClaim", None)

# (path, sd, English label, Swedish label)
_CLAIMS: tuple[tuple[ClaimPath, str, str, str], ...] = (
    ((*SUBJECT, "givenName"), "always", "Given name", "Förnamn"),
    ((*SUBJECT, "familyName"), "always", "Family name", "Efternamn"),
    ((*SUBJECT, "fullName"), "always", "Full name", "Fullständigt namn"),
    ((*SUBJECT, "birthName"), "always", "Birth name", "Födelsenamn"),
    ((*SUBJECT, "dateOfBirth"), "always", "Date of birth", "Födelsedatum"),
    ((*SUBJECT, "placeOfBirth"), "always", "Place of birth", "Födelseort"),
    ((*SUBJECT, "nationalID"), "always", "National identifier", "Nationellt identitetsnummer"),
    ((*SUBJECT, "identifier"), "always", "Identifiers", "Identifierare"),
    ((*SUBJECT, "id"), "always", "Learner identifier", "Den studerandes identifierare"),
    ((*SUBJECT, "citizenshipCountry"), "always", "Citizenship", "Medborgarskap"),
    ((*SUBJECT, "gender"), "always", "Gender", "Kön"),
    ((*SUBJECT, "contactPoint"), "always", "Contact details", "Kontaktuppgifter"),
    (COURSES, "always", "Course or programme result", "Kurs- eller programresultat"),
    ((*COURSES, "title"), "never", "Title", "Benämning"),
    ((*COURSES, "awardedBy", "awardingBody", "legalName"), "never", "Awarding body", "Utfärdande lärosäte"),
    ((*COURSES, "awardedBy", "awardingDate"), "never", "Date awarded", "Datum"),
    (("elm", "displayParameter"), "always", "Picture of the whole credential", "Bild av hela intyget"),
    # A Converted credential's original ELMO holds every result and the learner: showing it shows all.
    (("elm", "evidence"), "always", "The original signed document", "Det ursprungliga signerade dokumentet"),
    (("elm", "issuer", "legalName"), "never", "Issued by", "Utfärdat av"),
    (("elm", "validFrom"), "never", "Valid from", "Giltigt från"),
)
# Members of the learner that are never concealed: what kind of object it is, and the list of results.
SUBJECT_STRUCTURE = ("type", "hasClaim")


def disclosable_paths() -> tuple[ClaimPath, ...]:
    return tuple(path for path, sd, _, _ in _CLAIMS if sd == "always")


def type_metadata() -> Json:
    return {
        "vct": ELM_VCT,
        "name": "ELM Credential",
        "description": "European Learning Model (ELM) credential: study results, each course shown alone.",
        "display": [
            {
                "locale": "en",
                "name": "Study results (ELM)",
                "description": "Results of courses and programmes, from the institution that awarded them.",
            },
            {
                "locale": "sv",
                "name": "Studieresultat (ELM)",
                "description": "Resultat från kurser och program, från lärosätet som gav dem.",
            },
        ],
        "claims": [
            {
                "path": list(path),
                "sd": sd,
                "display": [{"locale": "en", "label": english}, {"locale": "sv", "label": swedish}],
            }
            for path, sd, english, swedish in _CLAIMS
        ],
    }
