"""A deterministic synthetic population of Cao Bằng, 1950–2025, and the civil-registry records it leaves.

Every record carries the true text of every field of its book type (``sohoa.fields.FIELDS_BY_BOOK_TYPE``)
and the ground-truth person id behind every role it names, so the same person can be followed across
books and eras (a bride becomes a mother, a child becomes the deceased of a death record).

How it works
------------
Communes are simulated one at a time, each with its own random stream (seeded by the seed and the commune
code), so a commune's people do not depend on which other communes are simulated; only the running id
counters (person ids, CMND/CCCD serials) continue from one commune to the next.

1. *Founders*: households alive on 1 January of ``start_year`` (couples with young children, elderly
   couples, young single adults), their ethnic group drawn from the district's mix (``data/ethnic_mix.tsv``).
2. *Life course* (an event queue): deaths (infant and child mortality by period, Gompertz adult mortality,
   accidents), first marriages (ages by period and group; a few child marriages, mostly Mông/Dao in old
   eras), unions with local partners or with spouses from elsewhere (other communes, other provinces, a few
   Chinese husbands from the border), births (parities falling from ~6 to ~2), births to unmarried mothers,
   divorces, remarriages, out-migration that keeps the commune near its target size.
3. *Registration*: each vital event is registered (or not) by the commune of residence: on time within
   the era's deadline (``configs/eras.yaml``), late (weeks to years; old births especially in the
   1999–2005 campaigns), re-registered after a lost book ("Đăng ký lại"; the lost original is dropped).
   Unions are sometimes left unregistered and registered years later (the 2001–2003 campaign for de facto
   marriages); children born before are registered without a father and later recognized
   (``parent_recognition``), often followed by a change of family name (``other``). Marital-status
   certificates, guardianships, divorce notes, changes of name and ethnicity redeterminations complete
   the six book groups. Recognitions and "other" records that the law gives to the district are
   registered by the district office.

Rare events happen far more often than in life (``Rates``, and per-commune ``boosts``) so that one
commune's era fills a book: this is test data, not demography.

Text conventions (contracts with the renderer; see also :mod:`samples.vn_text`)
-------------------------------------------------------------------------------
* ``full_name`` "Nông Văn Hùng" (NFC, title case per syllable); books of 1976–2015 write some names and
  places with the old tone placement ("Hoà", "Thuỷ"); 2016+ books print names in the new style and place
  names as the GSO catalogue (``configs/offices.yaml``) spells them.
* dates ``dd/mm/yyyy``; a person born before 1945 whose day is unknown has only the year ("1932") in every
  ``*.birth_date`` field; ``birth_year`` "1987"; ``birth_date_words`` as :func:`samples.vn_text.date_to_words`.
* ``sex`` "Nam"/"Nữ"; ``nationality`` "Việt Nam" (or "Trung Quốc"); ethnic groups as written at the time
  ("Tày", older "Thổ"; "Mông", older "H'Mông"/"Mèo"; "Dao"; "Nùng"; "Kinh"; "Sán Chay"; "Lô Lô"; "Hoa").
* places "xã Hưng Đạo, huyện Hoà An, tỉnh Cao Bằng"; older rows abbreviate ("X. Hưng Đạo, H. Hoà An, Cao
  Bằng") or drop the kinds ("Hưng Đạo, Hoà An, Cao Bằng"); residences may start with the hamlet
  ("xóm Nà Rị, …", "tổ 5, …"); the provincial capital is "thị xã Cao Bằng" before 25/09/2012.
* ``relationship``: the declarant's / guardian's / applicant's relation to the record's subject (child,
  deceased, ward, certificate holder): "Cha", "Mẹ", "Ông nội", "Bà ngoại", "Anh ruột", "Vợ", "Con trai",
  "Cháu nội", "Bản thân", "Trưởng xóm" …; ``parent.relationship`` "Cha"/"Mẹ".
* ``id_number``: CMND (9 digits) or CCCD / personal number (12 digits: province of birth "004", sex and
  century digit, two year digits, 6 digits) as held on the registration date, else "".
* tick-box fields hold option keys: ``registration.timeliness`` on_time | late | re_registration;
  ``registration.kind`` as documented in ``sohoa/fields.py``.
* ``registration.number``, ``.volume``, ``.page`` are "" (the book assembler fills them); anything not
  applicable is "" (an unknown father makes every ``father.*`` field "").

Registrations run up to 30/06/2025 at the latest: ``configs/offices.yaml`` describes the units in force
until the July 2025 reorganisation.

API and sizing
--------------
* :func:`simulate` (``seed``, ``communes`` = 4 by default, ``scale`` = 1.0 ≈ 5,000–6,500 residents and
  ~17,000 persons over 75 years per commune, ``boosts`` for the rare book types) → :class:`Population`
  with ``persons``, ``unions``, ``communes``, :meth:`Population.records` and :meth:`Population.counts`.
* :func:`simulate_for` (``seed``, ``{(book_type, era): records_per_book | (count, records_per_book)}``)
  sizes the communes (scale and boosts) so that :func:`draw_books` can take every requested book without
  growing. Example: 2 books × 400 records of every book type in each ledger era plus 2 × 20 in 2016+
  needs 2 communes of scale ≈1.5 (~50,000 persons), about 3–4 s of CPU, and ~0.5 s to draw the books.
* :func:`draw_books` takes contiguous runs of one office's records in date order, from different offices
  where the existing ones have enough records (several disjoint runs of one office otherwise); when the
  population is too small it grows by simulating further communes (sized and boosted for the need):
  the same call sequence on the same seed always gives the same books.
* A scale-1.0 commune yields per era roughly (1976–1999 / 1999–2005 / 2006–2015 / 2016+): births 7000 /
  1000 / 1200 / 1000, deaths 1800 / 500 / 650 / 650, marriages 1000 / 400 / 350 / 350, marital-status
  certificates 500 / 500 / 750 / 700, recognitions 300 / 140 / 100 / 90 and "other" records 500 / 170 /
  220 / 190 (most "other" records go to the district office).
"""

from __future__ import annotations

from samples.population.base import (
    NOTE_REREGISTRATION,
    Person,
    Rates,
    SampleBook,
    SampleRecord,
    Union,
    documented_ethnic_mix,
    documented_family_names,
)
from samples.population.world import Population, draw_books, simulate, simulate_for

__all__ = [
    "NOTE_REREGISTRATION",
    "Person",
    "Population",
    "Rates",
    "SampleBook",
    "SampleRecord",
    "Union",
    "documented_ethnic_mix",
    "documented_family_names",
    "draw_books",
    "simulate",
    "simulate_for",
]
