"""Building and reading the RegRep 4 pieces EDM messages are made of: slots, agents, persons, texts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from lxml import etree

from emrex.oots.model import Agent, Identifier, NaturalPerson, Text
from emrex.oots.names import COLLECTION_SET, RIM, SDG, XSI

Element = etree._Element


def timestamp(moment: dt.datetime) -> str:
    """``2026-08-06T10:00:00.000Z``: UTC with milliseconds, as the fixtures write it."""
    if moment.utcoffset() is None:
        raise ValueError("an EDM timestamp needs a time zone")
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_datetime(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value if value.utcoffset() is not None else value.replace(tzinfo=dt.UTC)


def parse_date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


# -- building -------------------------------------------------------------------------------------


def sub(parent: Element, tag: str, text: str | None = None, **attrib: str) -> Element:
    element = etree.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def slot_value(parent: Element, name: str, value_type: str) -> Element:
    slot = sub(parent, RIM + "Slot", name=name)
    value = etree.SubElement(slot, RIM + "SlotValue")
    value.set(XSI + "type", f"rim:{value_type}")
    return value


def string_slot(parent: Element, name: str, value: str) -> None:
    sub(slot_value(parent, name, "StringValueType"), RIM + "Value", value)


def datetime_slot(parent: Element, name: str, moment: dt.datetime) -> None:
    sub(slot_value(parent, name, "DateTimeValueType"), RIM + "Value", timestamp(moment))


def boolean_slot(parent: Element, name: str, value: bool) -> None:
    sub(slot_value(parent, name, "BooleanValueType"), RIM + "Value", "true" if value else "false")


def collection_slot(parent: Element, name: str) -> Element:
    value = slot_value(parent, name, "CollectionValueType")
    value.set("collectionType", COLLECTION_SET)
    return value


def collection_element(collection: Element) -> Element:
    element = etree.SubElement(collection, RIM + "Element")
    element.set(XSI + "type", "rim:AnyValueType")
    return element


def text(parent: Element, tag: str, value: Text) -> None:
    sub(parent, SDG + tag, value.text, lang=value.lang)


def agent(parent: Element, value: Agent, *, with_classification: bool = True) -> Element:
    element = sub(parent, SDG + "Agent")
    identifier = sub(element, SDG + "Identifier", value.identifier.value)
    if value.identifier.scheme:
        identifier.set("schemeID", value.identifier.scheme)
    for name in value.names:
        text(element, "Name", name)
    if value.country:
        sub(sub(element, SDG + "Address"), SDG + "AdminUnitLevel1", value.country)
    if with_classification and value.classification:
        sub(element, SDG + "Classification", value.classification)
    return element


def person(parent: Element, tag: str, value: NaturalPerson, *, level_of_assurance: bool) -> Element:
    element = sub(parent, SDG + tag)
    if level_of_assurance and value.level_of_assurance:
        sub(element, SDG + "LevelOfAssurance", value.level_of_assurance)
    if value.identifier:
        sub(element, SDG + "Identifier", value.identifier, schemeID=value.identifier_scheme or "eidas")
    sub(element, SDG + "FamilyName", value.family_name)
    sub(element, SDG + "GivenName", value.given_name)
    if value.date_of_birth:
        sub(element, SDG + "DateOfBirth", value.date_of_birth.isoformat())
    return element


# -- reading --------------------------------------------------------------------------------------


def children(parent: Element, tag: str) -> Iterator[Element]:
    return (child for child in parent if child.tag == tag)


def child(parent: Element | None, tag: str) -> Element | None:
    if parent is None:
        return None
    for element in parent:
        if element.tag == tag:
            return element
    return None


def text_of(parent: Element | None, tag: str) -> str | None:
    element = child(parent, tag)
    if element is None:
        return None
    return (element.text or "").strip()


def slots(parent: Element) -> dict[str, list[Element]]:
    found: dict[str, list[Element]] = {}
    for slot in children(parent, RIM + "Slot"):
        found.setdefault(slot.get("name") or "", []).append(slot)
    return found


def first_slot_value(parent: Element, name: str) -> Element | None:
    for slot in children(parent, RIM + "Slot"):
        if slot.get("name") == name:
            return child(slot, RIM + "SlotValue")
    return None


def value_text(slot_value_element: Element | None) -> str | None:
    """The text of a StringValue, DateTimeValue or BooleanValue; of an InternationalString, its first
    ``LocalizedString/@value`` (how EDM 1.0 wrote the procedure)."""
    if slot_value_element is None:
        return None
    value = child(slot_value_element, RIM + "Value")
    if value is None:
        return None
    localized = child(value, RIM + "LocalizedString")
    if localized is not None:
        return (localized.get("value") or "").strip()
    return (value.text or "").strip()


def slot_text(parent: Element, name: str) -> str | None:
    return value_text(first_slot_value(parent, name))


def slot_boolean(parent: Element, name: str) -> bool | None:
    return {"true": True, "false": False}.get((slot_text(parent, name) or "").lower())


def slot_elements(parent: Element, name: str, tag: str) -> list[Element]:
    """The ``tag`` elements a slot carries, directly or inside a collection's ``rim:Element``s."""
    value = first_slot_value(parent, name)
    if value is None:
        return []
    found = list(children(value, tag))
    for element in children(value, RIM + "Element"):
        found.extend(children(element, tag))
    return found


def xsi_type(element: Element) -> str:
    """``substring-after(@xsi:type, ':')``, as the Schematron compares types."""
    return (element.get(XSI + "type") or "").partition(":")[2]


def texts(parent: Element, tag: str) -> tuple[Text, ...]:
    return tuple(
        Text((element.text or "").strip(), element.get("lang") or "")
        for element in children(parent, SDG + tag)
    )


def read_agent(element: Element) -> Agent:
    identifier = child(element, SDG + "Identifier")
    address = child(element, SDG + "Address")
    return Agent(
        identifier=Identifier(
            (identifier.text or "").strip() if identifier is not None else "",
            identifier.get("schemeID") if identifier is not None else None,
        ),
        names=texts(element, "Name"),
        country=text_of(address, SDG + "AdminUnitLevel1"),
        classification=text_of(element, SDG + "Classification"),
    )


def read_person(element: Element) -> NaturalPerson:
    identifier = child(element, SDG + "Identifier")
    return NaturalPerson(
        family_name=text_of(element, SDG + "FamilyName") or "",
        given_name=text_of(element, SDG + "GivenName") or "",
        date_of_birth=parse_date(text_of(element, SDG + "DateOfBirth")),
        identifier=(identifier.text or "").strip() if identifier is not None else None,
        identifier_scheme=identifier.get("schemeID") if identifier is not None else None,
        level_of_assurance=text_of(element, SDG + "LevelOfAssurance"),
    )


def serialize(root: Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
