"""Which codes are countries: an application's `country` is ISO 3166-1 alpha-2.

One definition for every way an application comes in (the admin API, `crewbot app`
and its CSV import), so that a code one of them takes is never refused by another.
"""

from __future__ import annotations

from babel import Locale

# Babel's CLDR territories also hold regions ("150"), groupings (EU, UN), pseudo-locales,
# Kosovo's user-assigned XK and the codes ISO 3166-1 only reserves (Ascension's AC...).
# What is left are the 249 officially assigned ISO 3166-1 alpha-2 codes.
_NOT_COUNTRIES = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN",
                            "XA", "XB", "XK", "ZZ"})
COUNTRIES = frozenset(code for code in map(str, Locale("en").territories)
                      if len(code) == 2 and code.isascii() and code.isalpha()
                      and code.isupper() and code not in _NOT_COUNTRIES)
