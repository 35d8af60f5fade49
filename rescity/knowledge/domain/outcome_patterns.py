"""Sentence patterns for outcome figures (``outcomes.py``): numbers, change verbs, units,
and the words that never name what is counted. Kept apart so the extraction logic stays short."""

from __future__ import annotations

import re

NUM = r"(?:\d{1,3}(?:,\s?\d{3})+|\d+)(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten"
# "%" as collections write it; "percentage points" stays a unit of its own
PCT = r"(?:%|per\s?cent\b|percent\b|percentage\s+points?\b)"
# units of a measured amount: "expanded by 3,600 hectares", "5,188 kilometres of greenway"
MEASURE = (
    r"(?:square\s+(?:metres|meters|kilometres|kilometers)|sq\.?\s?km|hectares|km|kilometres"
    r"|kilometers|metres|meters|tonnes|tons|minutes|hours|days|weeks|months|years)"
)
VERB = (
    r"(?:increased|increasing|increase|decreased|decreasing|decrease|reduced|reducing|reduce"
    r"|rose|rise|risen|fell|fallen|dropped|grew|grown|grow|improved|went|shortened|shorten"
    r"|cut|lowered|raised|raise|expanded|expand|climbed|declined|jumped|soared|boosted)"
)
AUX = (
    r"(?:will\s+(?:be\s+)?|was\s+|were\s+|has\s+been\s+|have\s+been\s+|is\s+|are\s+"
    r"|has\s+|have\s+)?"
)
FILLER = r"(?:(?:a|an|the|mere|about|approximately|around|nearly|over|some|traditional|of)\s+){0,4}"
FROM_TO = re.compile(
    rf"(?P<ind>[A-Za-z][A-Za-z0-9 ,'\-]{{2,120}}?)\s+{AUX}(?P<verb>{VERB})\s+"
    rf"(?P<particle>up\s+|down\s+)?(?:significantly\s+|dramatically\s+)?"
    rf"from\s+{FILLER}(?P<base>{NUM})\s*(?P<bunit>{PCT}|[a-z][a-z/ ]{{0,30}}?)?"
    rf"(?:,?\s+(?:in|at)\s+(?P<byear>(?:19|20)\d\d)[^,]*?|,[^,]{{0,60}},)?"
    rf"\s+to\s+(?:an impressive\s+|just\s+|more than\s+|about\s+|over\s+)?(?P<val>{NUM})\s*"
    rf"(?P<vunit>{PCT}|[a-z][a-z/]*(?: (?!in\b)[a-z]+){{0,3}})?"
    rf"(?:\s+in\s+(?P<vyear>(?:19|20)\d\d))?(?=[\s.,;(]|$)",
    re.IGNORECASE,
)
BY_AMOUNT = (
    rf"by\s+(?P<val>{NUM})\s*(?P<mult>million|billion|thousand)?\s*(?P<unit>{PCT}|{MEASURE}\b)"
)
BY = re.compile(
    rf"(?P<ind>[A-Za-z][A-Za-z0-9 ,'\-]{{2,120}}?)\s+{AUX}(?P<verb>{VERB})\s+{BY_AMOUNT}",
    re.IGNORECASE,
)
VERB_FIRST_BY = re.compile(
    rf"\b(?P<verb>{VERB})\s+(?P<ind>(?:the\s+)?[a-z][a-z' \-]{{2,60}}?)\s+{BY_AMOUNT}",
    re.IGNORECASE,
)
# a level reached, without its baseline: "visitors reached 2.6 million", "rose to 65%",
# and the verb-first target "plans to raise the recycling rate to 65% by 2025"
TO_VALUE = (
    r"(?:(?:a\s+(?:total|record)\s+of|about|approximately|around|nearly|over|more\s+than|some"
    rf"|just)\s+)?(?P<val>{NUM})\s*(?P<mult>million|billion|thousand)?\s*"
    rf"(?P<unit>{PCT}|[a-z][a-z/]*)?"
)
TO = re.compile(
    rf"(?P<ind>[A-Za-z][A-Za-z0-9 ,'\-]{{2,120}}?)\s+{AUX}"
    r"(?:(?:is|are|was|were)\s+)?(?:(?:expected|set|planned|projected|scheduled)\s+to\s+)?"
    rf"(?P<verb>reach(?:ed|es)?|(?:{VERB})(?:\s+(?:up|down))?\s+to)\s+{TO_VALUE}",
    re.IGNORECASE,
)
VERB_FIRST_TO = re.compile(
    rf"\b(?P<verb>{VERB})\s+(?P<ind>(?:the\s+)?[a-z][a-z' \-]{{2,60}}?)\s+to\s+{TO_VALUE}",
    re.IGNORECASE,
)
# "97.4% of the cases were resolved", "75% of the rainfall is now retained",
# "70% of the households stayed", "80% of the area will meet the standard"
SHARE = re.compile(
    r"(?P<val>\d+(?:\.\d+)?)\s*(?:%|per\s?cent\b|percent\b)\s+of\s+(?:the\s+|all\s+)?"
    r"(?P<ind>[a-z][a-z' \-]{2,60}?)\s+"
    r"(?:(?:(?:were|was|are|is|have|has|had|been|will|would|be|now|also|still|already)\s+)+"
    r"(?P<what>[a-z]+)|(?P<past>[a-z]{3,}ed)\b)",
    re.IGNORECASE,
)
COUNT = re.compile(
    r"(?<![\w.,])(?<![A-Za-z]-)(?P<num>\d{1,3}(?:(?:,\s?|\s)\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s*(?P<mult>million|billion|thousand|M|bn|万|亿)\b)?"
    r"\s+(?P<words>[a-z][a-z\-]*(?:\s+[a-z][a-z\-]*){0,4})"
)
OF_MEASURE = re.compile(rf"^(?P<measure>{MEASURE})\s+of\s+(?P<what>[a-z][a-z\- ]*)$")
MULTIPLIERS = {"million": 1e6, "billion": 1e9, "thousand": 1e3}
NOT_MODIFIERS = {
    *("of", "and", "or", "the", "a", "an", "per", "to", "in", "for", "from", "by", "that"),
    *("which", "were", "was", "are", "is", "have", "has", "had", "will", "been", "be"),
}
NOT_VALUE_UNITS = {"a", "an", "the", "per", "in", "by", "and", "at", "on", "of", "from", "for"}
NOT_COUNTED = {
    "years",
    "year",
    "months",
    "month",
    "days",
    "day",
    "hours",
    "hour",
    "minutes",
    "times",
    "and",
    "the",
    "per",
    "percent",
    "of",
    "to",
    "in",
    "or",
    "for",
    "with",
    "from",
    "at",
    "by",
    "on",
    "was",
    "were",
    "are",
    "is",
    "has",
    "have",
    "had",
    "will",
    "which",
    "that",
    "st",
    "nd",
    "rd",
    "th",
    "km",
    "meters",
    "metres",
    "kilometers",
    "kilometres",
    "degrees",
    "million",
    "billion",
    "thousand",
    "this",
    "these",
    "its",
    "pieces",
    "types",
    "sdgs",
}
IRREGULAR_PLURALS = {"people", "children", "staff", "personnel", "yuan", "rmb", "women", "men"}
NEGATIVE_VERBS = (
    "decreas",
    "reduc",
    "fell",
    "fall",
    "dropped",
    "shorten",
    "cut",
    "lower",
    "declin",
)
FUTURE = re.compile(
    r"\b(?:will|would|shall|expected\s+to|aims?\s+to|aiming\s+to|plans?\s+to|planned|"
    r"target(?:s|ed)?|goal\s+is|to\s+be\s+(?:completed|built|delivered)|is\s+set\s+to|"
    r"by\s+20(?:2[5-9]|[3-9]\d))\b",
    re.IGNORECASE,
)
CLAUSE = re.compile(r"[,;:]\s+|\s+(?:and|while|whereas|but)\s+(?=[a-z]*\s*\d|another|\w+\s+\d)")
LEAD = re.compile(r"^(?:and\s+|while\s+)?(?:(?:the|its|a|an)\s+)?", re.I)
YEAR_LEAD = re.compile(r"^(?:in|by|as of)\s+((?:19|20)\d\d),?\s*", re.I)
NOT_UNITS = {"in", "at", "to", "and", "now", "today", "currently", "by"}
