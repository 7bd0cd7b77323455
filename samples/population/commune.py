"""One commune's life, simulated: founders, then the life course as an event queue."""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import math
import random
from typing import TYPE_CHECKING, Final

from samples import vn_text
from samples.population.base import (
    _AGE14,
    _AGE18,
    _CCCD_WAVES,
    _CLAN_EXOGAMY,
    _DE_FACTO,
    _FAR,
    _HIGHLAND,
    _OLD_CAUSES,
    _OLD_CAUSES_CUM,
    _ORD_1978,
    _ORD_1999,
    _YEAR,
    BASE_POPULATION,
    CHINA,
    CHINA_PLACE,
    DEATH_CAUSES_ADULT,
    DEATH_CAUSES_CHILD,
    DEATH_CAUSES_INFANT,
    NAM,
    NU,
    VIETNAM,
    Person,
    Union,
    _add_years,
    _between,
    _birthday,
    _choice_weighted,
    _CommuneRun,
    _cumulative,
    _d,
    _ethnic_mix,
    _legal_age_date,
    _name_group,
    _names,
    _outside_places,
    _period,
    _ri,
    _years,
)
from samples.population.registrar import (
    _Registrar,
)

if TYPE_CHECKING:
    from samples.population.world import Population

# =========================================================================== one commune's life
_DEATH, _PLAN, _BIRTH, _DIVORCE = 0, 1, 2, 3


class _CommuneSim:
    """Simulates one commune: founders, life course, then the registrations."""

    def __init__(self, pop: Population, run: _CommuneRun) -> None:
        self.pop = pop
        self.geo = pop._geo
        self.code = run.code
        self.commune = self.geo.communes[run.code]
        self.district = self.commune.district_code
        self.scale = run.scale
        self.boost = dict(run.boosts)
        self.rates = pop.rates
        boosts = ",".join(f"{k}={v!r}" for k, v in run.boosts)
        self.rng = random.Random(f"sohoa.population:{pop.seed}:{run.code}:{run.scale!r}:{boosts}")
        self.start = pop.start
        self.end = pop.end
        self.end_ordinal = pop.end.toordinal()
        self.hamlets = self.geo.hamlets(run.code)
        table = _ethnic_mix()
        mix = table.get(vn_text.tone_key(self.commune.district_name), table["*"])
        groups, cum = mix[0], mix[1]
        if self.commune.kind != "xã":  # towns and wards: more Kinh
            weights = [b - a for a, b in zip((0.0, *cum), cum, strict=False)]
            cum = _cumulative(
                w + (10.0 if g == "Kinh" else 0.0) for g, w in zip(groups, weights, strict=True)
            )
        self.mix_groups, self.mix_cum = groups, cum
        self.heap: list[tuple[int, int, int, str]] = []
        self.hseq = 0
        self.members: list[str] = []  # everyone who ever lived here (creation order)
        self.born_here: list[str] = []
        self.resident: dict[str, bool] = {}
        self.current: dict[str, int] = {}  # person id -> active union index
        self.bachelors: dict[int, list[str]] = {}  # birth year -> unmarried resident men
        self.n = 0
        self.union_ids: list[int] = []
        self.divorces: list[tuple[int, dt.date]] = []
        self.pending_certificates: list[tuple[str, dt.date, str]] = []
        self.birth_reg: dict[str, dt.date] = {}
        self.resident_at_death: set[str] = set()

    # ------------------------------------------------------------------ helpers
    def b(self, name: str) -> float:
        return self.boost.get(name, 1.0)

    def target(self, year: int) -> float:
        points = ((1900, 0.45), (1950, 0.55), (1975, 0.8), (2000, 1.0), (2030, 1.06))
        for (y0, v0), (y1, v1) in itertools.pairwise(points):
            if year <= y1:
                t = max(0.0, (year - y0) / (y1 - y0))
                return BASE_POPULATION * self.scale * (v0 + t * (v1 - v0))
        return BASE_POPULATION * self.scale * points[-1][1]

    def push(self, day: dt.date, kind: int, pid: str) -> None:
        if day <= self.end:
            self.hseq += 1
            heapq.heappush(self.heap, (day.toordinal(), self.hseq, kind, pid))

    def draw_ethnicity(self) -> str:
        return _choice_weighted(self.rng, self.mix_groups, self.mix_cum)

    def other_commune(self, same_district: bool) -> str:
        pool = self.geo.districts[self.district] if same_district else list(self.geo.communes)
        choices = [c for c in pool if c != self.code]
        return self.rng.choice(choices) if choices else self.code

    # ------------------------------------------------------------------ names
    def family_for(self, ethnicity: str) -> str:
        names, cum = _names().family.get(ethnicity, _names().family["Kinh"])
        return _choice_weighted(self.rng, names, cum)

    def given_for(self, sex: str, ethnicity: str, year: int) -> tuple[str, str]:
        rng, names = self.rng, _names()
        s = "M" if sex == NAM else "F"
        period = _period(year)
        group = _name_group(ethnicity)
        mnames, mcum = names.middle[(s, group, period)]
        middle = _choice_weighted(rng, mnames, mcum)
        pools: list[tuple[str, ...]] = []
        if group in ("mong", "dao"):
            own = {"old": 0.9, "mid": 0.75, "modern": 0.45}[period]
            if rng.random() < own:
                pools.append(names.given[(s, group, "any")])
        if not pools:
            if ethnicity in ("Tày", "Nùng") and period != "modern" and rng.random() < 0.25:
                pools.append(names.given[(s, "tay_nung", period)])
            elif (
                period == "modern" and middle in ("Thị", "Văn") and rng.random() < (0.2 if s == "F" else 0.08)
            ):
                pools.append(names.given[(s, "compound", "modern")])
            else:
                pools.append(names.given[(s, "common", "any")])
                specific = names.given.get((s, "common", period))
                if specific and rng.random() < 0.5:
                    pools = [specific]
        given = rng.choice(pools[0])
        for _ in range(5):
            if middle not in given.split():
                break
            given = rng.choice(pools[0])
        else:
            middle = ""
        return middle, given

    # ------------------------------------------------------------------ people
    def new_person(
        self,
        *,
        sex: str,
        birth: dt.date,
        ethnicity: str,
        family: str,
        birth_place: str,
        father: Person | None,
        mother: Person | None,
        home_town: str,
        nationality: str = VIETNAM,
        known_date: bool = True,
        residence: list[tuple[dt.date, str, str]] | None = None,
        alive_at: dt.date | None = None,
    ) -> Person:
        pop = self.pop
        middle, given = self.given_for(sex, ethnicity, birth.year)
        if nationality != VIETNAM:
            middle, given = self.rng.choice(_CHINESE_MIDDLE), self.rng.choice(_CHINESE_GIVEN)
        person = Person(
            id=pop._new_person_id(),
            sex=sex,
            family_name=family,
            middle_name=middle,
            given_name=given,
            birth_date=birth,
            birth_date_known=known_date,
            birth_commune=birth_place if birth_place[:1].isdigit() else "",
            birth_place=birth_place,
            ethnicity=ethnicity,
            nationality=nationality,
            father_id=father.id if father else None,
            mother_id=mother.id if mother else None,
            home_town=home_town,
        )
        person.residences = residence or [(birth, self.code, "")]
        death, cause = self.sample_death(person, alive_at)
        if death is not None and death <= self.end:
            person.death_date, person.death_cause = death, cause
        self.assign_ids(person)
        pop.persons[person.id] = person
        if father is not None:
            father.children.append(person.id)
        if mother is not None:
            mother.children.append(person.id)
        self.members.append(person.id)
        return person

    def sample_death(self, p: Person, alive_at: dt.date | None) -> tuple[dt.date | None, str]:
        for _ in range(30):
            days, cause = self._death_age(p)
            death = _d(p.birth_date.toordinal() + days)
            if alive_at is None or death > alive_at:
                return death, cause
        return None, ""

    def _death_age(self, p: Person) -> tuple[int, str]:
        rng, year = self.rng, p.birth_date.year
        q0 = (
            0.13
            if year < 1960
            else 0.09
            if year < 1975
            else 0.06
            if year < 1990
            else 0.035
            if year < 2005
            else 0.02
        )
        if p.ethnicity in _HIGHLAND:
            q0 *= 1.4
        u = rng.random()
        if u < q0:
            return int(rng.random() ** 2 * 365), rng.choice(DEATH_CAUSES_INFANT)
        if u < q0 * 1.6:
            cause = rng.choice(DEATH_CAUSES_CHILD[:4] if year >= 1990 else DEATH_CAUSES_CHILD)
            return _ri(rng, 365, 5 * 365), cause
        if u < q0 * 1.6 + 0.012:
            return _ri(rng, 5 * 365, 15 * 365), rng.choice(DEATH_CAUSES_CHILD[:4])
        mode = 66.0 if year < 1920 else 70.0 if year < 1950 else 74.0 if year < 1975 else 77.0
        mode += 4.0 if p.sex == NU else 0.0
        mode -= 3.0 if p.ethnicity in _HIGHLAND else 0.0
        b = 0.09
        a = b * math.exp(-b * mode)
        age = math.log(math.exp(b * 15) - (b / a) * math.log(1.0 - rng.random())) / b
        age = min(age, 104.5)
        accident_age = 15 + rng.expovariate(0.0012 * (1.6 if p.sex == NAM else 0.6))
        if accident_age < age and accident_age < 70:
            death_year = year + int(accident_age)
            if death_year >= 1990 and rng.random() < 0.55:
                cause = "Tai nạn giao thông"
            else:
                cause = rng.choice(("Đuối nước", "Tai nạn lao động", "Đuối nước"))
            return _years(accident_age), cause
        if age >= 60:
            cause = _choice_weighted(rng, _OLD_CAUSES, _OLD_CAUSES_CUM)
        else:
            pool = DEATH_CAUSES_ADULT if year + age < 1995 else DEATH_CAUSES_ADULT[:-1]
            cause = rng.choice(pool)
        return _years(age), cause

    def assign_ids(self, p: Person) -> None:
        rng, pop = self.rng, self.pop
        if p.nationality != VIETNAM:
            p.cccd, p.cccd_from = pop._new_passport(), p.birth_date
            return
        prefix, province = "08", self.geo.cccd_code
        if p.birth_place.startswith("X"):
            place = _outside_places()[int(p.birth_place[1:])]
            prefix, province = place.cmnd_prefix, place.province_code
        born = p.birth_date.toordinal()
        death = p.death_date.toordinal() if p.death_date is not None else _FAR
        end = self.end_ordinal
        if p.birth_date.year >= 1900:  # the 12-digit scheme starts with the 20th century
            p.cccd = pop._new_cccd(province, p.sex, p.birth_date.year)
        at14 = born + _AGE14
        if at14 >= death or at14 > end:
            return
        highland = p.ethnicity in _HIGHLAND
        # CMND: from 18 (14 from 1999), rolled out slowly in the mountains
        if rng.random() > (0.25 if highland else 0.12):
            due = at14 if at14 >= _ORD_1999 else max(born + _AGE18, _ORD_1978)
            issued = due + int(rng.expovariate(0.2 if highland else 0.5) * _YEAR)
            if issued < death and issued <= end:
                p.cmnd_issued, p.cmnd = _d(issued), pop._new_cmnd(prefix)
        # CCCD (chip cards mostly in 2021)
        u = rng.random()
        first, last = _CCCD_WAVES[0 if u < 0.1 else 1 if u < 0.6 else 2 if u < 0.8 else 3]
        when = max(first + int(rng.random() * (last - first + 1)), at14)
        if p.cccd and when < death and when <= end:
            p.cccd_from = _d(when)

    # ------------------------------------------------------------------ rates
    def marriage_age(self, sex: str, ethnicity: str, year: int) -> float | None:
        rng = self.rng
        if rng.random() < (0.04 if sex == NU else 0.06):
            return None
        if ethnicity == "Mông":
            base = 16.8 if year < 1970 else 17.5 if year < 1990 else 18.5
        elif ethnicity == "Dao":
            base = 17.6 if year < 1970 else 18.3 if year < 1990 else 19.3
        else:
            base = 18.8 if year < 1960 else 20.0 if year < 1980 else 21.5
        if sex == NAM:
            return max(16.0, rng.gauss(base + (2.5 if ethnicity in _CLAN_EXOGAMY else 3.5), 2.5))
        return max(14.5, rng.gauss(base, 2.0))

    def parity(self, year: int, highland: bool) -> int:
        if self.rng.random() < 0.03:
            return 0
        mean = 5.5 if year < 1975 else 4.5 if year < 1990 else 3.0 if year < 2005 else 2.2
        mean += (1.5 if year < 2005 else 1.0) if highland else 0.0
        return max(0, round(self.rng.gauss(mean, 1.3)))

    def unregistered_share(self, year: int, groups: set[str]) -> float:
        if groups & {"Mông", "Dao"}:
            share = 0.7 if year < 1976 else 0.6 if year < 1999 else 0.5 if year < 2016 else 0.4
        elif groups == {"Kinh"}:
            share = 0.2 if year < 1976 else 0.12 if year < 1999 else 0.08 if year < 2016 else 0.06
        else:
            share = 0.3 if year < 1976 else 0.25 if year < 1999 else 0.2 if year < 2016 else 0.15
        return min(0.85, share * self.rates.unregistered_union * math.sqrt(self.b("parent_recognition")))

    def emigration(self, day: dt.date) -> float:
        y = day.year
        base = 0.08 if y < 1976 else 0.12 if y < 1991 else 0.22 if y < 2006 else 0.28
        return min(0.9, max(0.01, base * self.pressure(day) ** 4))

    def pressure(self, day: dt.date) -> float:
        """Residents over the target size (1.0 on target)."""
        return self.n / max(1.0, self.target(day.year))

    # ------------------------------------------------------------------ founders
    def founders(self) -> None:
        rng, start = self.rng, self.start
        goal = self.target(start.year)
        while self.n < goal:
            u = rng.random()
            if u < 0.72:
                self.founder_household(rng.uniform(16, 45))
            elif u < 0.9:
                self.founder_household(rng.uniform(46, 82), elderly=True)
            else:
                self.founder_single()

    def founder_person(self, sex: str, age: float, ethnicity: str, *, from_elsewhere: bool) -> Person:
        rng, start = self.rng, self.start
        birth = _d(start.toordinal() - _years(age) - _ri(rng, 0, 364))
        origin = self.other_commune(same_district=True) if from_elsewhere else self.code
        hamlet = rng.choice(self.hamlets)
        residence = [(birth, origin, rng.choice(self.geo.hamlets(origin)))] if from_elsewhere else []
        residence.append((birth if not from_elsewhere else _add_years(birth, 18), self.code, hamlet))
        p = self.new_person(
            sex=sex,
            birth=birth,
            ethnicity=ethnicity,
            family=self.family_for(ethnicity),
            birth_place=origin,
            father=None,
            mother=None,
            home_town=origin,
            known_date=birth.year >= 1945 or rng.random() < 0.75,
            residence=residence,
            alive_at=start,
        )
        self.arrive(p)
        return p

    def arrive(self, p: Person) -> None:
        self.resident[p.id] = True
        self.n += 1
        self.push_death(p)

    def push_death(self, p: Person) -> None:
        if p.death_date is not None:
            self.push(p.death_date, _DEATH, p.id)

    def founder_household(self, wife_age: float, *, elderly: bool = False) -> None:
        rng, start = self.rng, self.start
        eth_h = self.draw_ethnicity()
        eth_w = eth_h if rng.random() < 0.85 else self.draw_ethnicity()
        husband = self.founder_person(NAM, wife_age + max(-2.0, rng.gauss(4, 3)), eth_h, from_elsewhere=False)
        wife = self.founder_person(NU, wife_age, eth_w, from_elsewhere=rng.random() < 0.5)
        hamlet = husband.residences[-1][2]
        wife.residences[-1] = (wife.residences[-1][0], self.code, hamlet)
        age = self.marriage_age(NU, eth_w, wife.birth_date.year) or 19.0
        union_start = min(_add_years(wife.birth_date, age), _d(start.toordinal() - 30))
        if elderly and rng.random() < 0.35:  # a widow or widower: the other spouse died before
            survivor, gone = (wife, husband) if rng.random() < 0.6 else (husband, wife)
            gone_death = _between(rng, union_start, _d(start.toordinal() - 1))
            gone.death_date, gone.death_cause = gone_death, "Ốm đau"
            gone.cmnd, gone.cmnd_issued, gone.cccd_from = "", None, None
            self.resident[gone.id] = False
            self.n -= 1
            del survivor
        u = self.new_union(husband, wife, union_start, registered=union_start, office="")
        if husband.death_date is not None and husband.death_date < start:
            self.end_union(u, husband.death_date, "death")
        elif wife.death_date is not None and wife.death_date < start:
            self.end_union(u, wife.death_date, "death")
        if not elderly:
            self.schedule_births(u, founders=True)

    def founder_single(self) -> None:
        sex = NAM if self.rng.random() < 0.5 else NU
        p = self.founder_person(sex, self.rng.uniform(15, 24), self.draw_ethnicity(), from_elsewhere=False)
        self.plan_first_marriage(p, earliest=self.start)

    # ------------------------------------------------------------------ unions
    def new_union(
        self,
        husband: Person,
        wife: Person,
        start: dt.date,
        *,
        registered: dt.date | None,
        office: str,
        foreign: bool = False,
    ) -> Union:
        u = Union(len(self.pop.unions), husband.id, wife.id, start, registered, office, foreign)
        self.pop.unions.append(u)
        self.union_ids.append(u.index)
        husband.unions.append(u.index)
        wife.unions.append(u.index)
        self.current[husband.id] = u.index
        self.current[wife.id] = u.index
        return u

    def end_union(self, u: Union, day: dt.date, reason: str) -> None:
        if u.end is not None:
            return
        u.end, u.end_reason = day, reason
        for pid in (u.husband, u.wife):
            if self.current.get(pid) == u.index:
                del self.current[pid]

    def schedule_births(self, u: Union, *, founders: bool = False) -> None:
        rng = self.rng
        wife = self.pop.persons[u.wife]
        husband = self.pop.persons[u.husband]
        highland = bool({wife.ethnicity, husband.ethnicity} & _HIGHLAND)
        children = self.parity(u.start.year, highland)
        day = u.start.toordinal() + _ri(rng, 290, 700)
        limit = _birthday(wife.birth_date, 46).toordinal()
        for _ in range(children):
            if day > limit:
                break
            when = _d(day)
            if founders and when < self.start:
                self.founder_child(u, when)
            else:
                self.push(when, _BIRTH, f"U{u.index}")
            day += _ri(rng, 480 if u.start.year < 1975 else 600, 1300)

    def founder_child(self, u: Union, birth: dt.date) -> None:
        child = self.make_child(self.pop.persons[u.wife], self.pop.persons[u.husband], u, birth, founder=True)
        if child.death_date is not None and child.death_date < self.start:
            self.resident[child.id] = False
            return
        self.arrive(child)

    # ------------------------------------------------------------------ births
    def make_child(
        self, mother: Person, father: Person | None, u: Union | None, birth: dt.date, *, founder: bool = False
    ) -> Person:
        rng = self.rng
        sex = NAM if rng.random() < 0.515 else NU
        if father is None or father.nationality != VIETNAM:
            ethnicity = mother.ethnicity
        elif father.ethnicity == mother.ethnicity or rng.random() < 0.8:
            ethnicity = father.ethnicity
        else:
            ethnicity = mother.ethnicity
        on_record = False
        if father is not None and u is not None:
            if u.foreign or (u.registered is not None and u.registered <= birth):
                on_record = True
            elif birth < dt.date(2006, 1, 1):
                on_record = rng.random() < 0.5
            else:
                on_record = rng.random() < 0.05
        from_father = (
            father is not None and (on_record or rng.random() < 0.35) and father.nationality == VIETNAM
        )
        if father is not None and father.nationality != VIETNAM:
            from_father = rng.random() < 0.5
        family = father.family_name if (father is not None and from_father) else mother.family_name
        home_town = father.home_town if (father is not None and from_father) else mother.home_town
        hamlet = mother.residence_on(birth)[1] or rng.choice(self.hamlets)
        child = self.new_person(
            sex=sex,
            birth=birth,
            ethnicity=ethnicity,
            family=family,
            birth_place=self.code,
            father=father,
            mother=mother,
            home_town=home_town,
            residence=[(birth, self.code, hamlet)],
        )
        child.father_on_birth_record = on_record
        child.birth_facility = self.birth_facility(birth.year, ethnicity)
        self.born_here.append(child.id)
        if not founder:
            self.arrive(child)
        self.plan_first_marriage(child, earliest=self.start)
        return child

    def birth_facility(self, year: int, ethnicity: str) -> str:
        rng = self.rng
        share = 0.08 if year < 1990 else 0.3 if year < 2006 else 0.7 if year < 2016 else 0.9
        if ethnicity in _HIGHLAND:
            share *= 0.6
        if rng.random() >= share:
            return ""
        u = rng.random()
        return "station" if u < 0.5 else "district" if u < 0.85 else "province"

    def on_birth(self, key: str, day: dt.date) -> None:
        persons = self.pop.persons
        if key.startswith("U"):
            u = self.pop.unions[int(key[1:])]
            mother = persons[u.wife]
            father: Person | None = persons[u.husband]
            if u.end is not None and (u.end_reason == "divorce" or u.end < _d(day.toordinal() - 270)):
                return
            if u.end is not None and u.end_reason == "death" and mother.death_date == u.end:
                return
            union: Union | None = u
        else:  # a mother without a union: "M<mother id>"
            mother = persons[key[1:]]
            union = None
            father = self.find_bachelor(mother, day, strict=False) if self.rng.random() < 0.7 else None
        if not self.resident.get(mother.id) or not mother.alive_on(day):
            return
        if father is not None and not father.alive_on(_d(day.toordinal() - 270)):
            father = None if union is None else father
        self.make_child(mother, father, union, day)

    # ------------------------------------------------------------------ marriage
    def plan_first_marriage(self, p: Person, earliest: dt.date) -> None:
        rng = self.rng
        age = self.marriage_age(p.sex, p.ethnicity, p.birth_date.year)
        if p.sex == NAM:
            self.bachelors.setdefault(p.birth_date.year, []).append(p.id)
        if age is None:
            if p.sex == NU and rng.random() < 0.3:  # a single mother
                for _ in range(rng.choice((1, 1, 2))):
                    self.push(_add_years(p.birth_date, rng.uniform(19, 35)), _BIRTH, f"M{p.id}")
            return
        when = _add_years(p.birth_date, age)
        if when < earliest:
            when = _between(rng, earliest, _add_years(earliest, 2))
        self.push(when, _PLAN, p.id)
        premarital = self.rates.premarital_birth * self.b("parent_recognition")
        if p.sex == NU and age > 17.5 and rng.random() < min(0.4, premarital):
            birth = _add_years(p.birth_date, rng.uniform(16.5, age - 0.5))
            if birth >= earliest:
                self.push(birth, _BIRTH, f"M{p.id}")

    def related(self, a: Person, b: Person) -> bool:
        if a.father_id and a.father_id == b.father_id:
            return True
        return bool(a.mother_id and a.mother_id == b.mother_id)

    def find_bachelor(self, woman: Person, day: dt.date, *, strict: bool = True) -> Person | None:
        rng, persons = self.rng, self.pop.persons
        gap = min(12.0, max(-2.0, rng.gauss(3.5, 2.5)))
        center = woman.birth_date.year - round(gap)
        for offset in (0, 1, -1, 2, -2, 3, -3, 4, 5, 6):
            bucket = self.bachelors.get(center + offset)
            if not bucket:
                continue
            for _ in range(6):
                if not bucket:
                    break
                i = rng.randrange(len(bucket))
                pid = bucket[i]
                man = persons[pid]
                gone = man.death_date is not None and man.death_date <= day
                if gone or not self.resident.get(pid) or pid in self.current:
                    bucket[i] = bucket[-1]
                    bucket.pop()
                    continue
                if man.age_on(day) < 16.5 or self.related(man, woman):
                    continue
                if strict and woman.ethnicity in _CLAN_EXOGAMY and man.family_name == woman.family_name:
                    continue
                if strict:
                    bucket[i] = bucket[-1]
                    bucket.pop()
                return man
        return None

    def outsider(self, sex: str, near: Person, day: dt.date, *, chinese: bool = False) -> Person:
        """A spouse from elsewhere (another commune, another province, or China)."""
        rng = self.rng
        gap = min(15.0, max(-2.0, rng.gauss(3.5, 3.0)))
        age = near.age_on(day) + (gap if sex == NAM else -gap)
        age = max(16.0, age)
        birth = _d(day.toordinal() - _years(age) - _ri(rng, 0, 200))
        if chinese:
            return self.new_person(
                sex=sex,
                birth=birth,
                ethnicity="Hoa",
                family=rng.choice(_CHINESE_FAMILY),
                birth_place=CHINA_PLACE,
                father=None,
                mother=None,
                home_town=CHINA_PLACE,
                nationality=CHINA,
                residence=[(birth, CHINA_PLACE, "")],
                alive_at=day,
            )
        u = rng.random()
        if u < 0.6:
            origin = self.other_commune(same_district=True)
        elif u < 0.9:
            origin = self.other_commune(same_district=False)
        else:
            origin = f"X{rng.randrange(len(_outside_places()))}"
        if origin.startswith("X"):
            ethnicity = "Kinh" if rng.random() < 0.7 else near.ethnicity
        else:
            ethnicity = near.ethnicity if rng.random() < 0.6 else self.draw_ethnicity()
        hamlet = rng.choice(self.geo.hamlets(origin)) if origin[:1].isdigit() else ""
        return self.new_person(
            sex=sex,
            birth=birth,
            ethnicity=ethnicity,
            family=self.family_for(ethnicity),
            birth_place=origin,
            father=None,
            mother=None,
            home_town=origin,
            known_date=birth.year >= 1945 or rng.random() < 0.75,
            residence=[(birth, origin, hamlet)],
            alive_at=day,
        )

    def on_plan(self, pid: str, day: dt.date, *, first: bool) -> None:
        rng, persons = self.rng, self.pop.persons
        p = persons[pid]
        if not self.resident.get(pid) or not p.alive_on(day):
            return
        if pid in self.current:
            return
        if first and p.age_on(day) < 30 and rng.random() < self.emigration(day):
            self.leave(p, day)
            return
        if p.sex == NU:
            husband = None if rng.random() < 0.3 else self.find_bachelor(p, day)
            if husband is not None:
                self.marry(husband, p, day, leaves=None)
                return
            chinese = day.year >= 1992 and rng.random() < 0.08
            husband = self.outsider(NAM, p, day, chinese=chinese)
            if chinese:
                self.marry(husband, p, day, leaves=p if rng.random() < 0.3 else None, foreign=True)
            else:
                bride_leaves = rng.random() < min(0.85, max(0.2, 0.5 * self.pressure(day) ** 2))
                self.marry(husband, p, day, leaves=p if bride_leaves else husband)
        else:
            if rng.random() < min(0.9, max(0.3, 0.75 / self.pressure(day))):
                wife = self.outsider(NU, p, day)
                self.marry(p, wife, day, leaves=wife)
            elif first:
                self.push(_add_years(day, rng.uniform(1, 4)), _PLAN, pid)

    def leave(self, p: Person, day: dt.date) -> None:
        rng = self.rng
        u = rng.random()
        if u < 0.5:
            dest = self.other_commune(same_district=u < 0.25)
            hamlet = rng.choice(self.geo.hamlets(dest))
        else:
            dest, hamlet = f"X{rng.randrange(len(_outside_places()))}", ""
        p.residences.append((day, dest, hamlet))
        self.resident[p.id] = False
        self.n -= 1

    def marry(
        self, husband: Person, wife: Person, day: dt.date, *, leaves: Person | None, foreign: bool = False
    ) -> None:
        """``leaves``: the spouse who moves (an outsider moving in, or a local moving away), or None."""
        rng = self.rng
        local_leaves = leaves is not None and self.resident.get(leaves.id, False)
        newcomer = leaves if (leaves is not None and not local_leaves) else None
        groups = {husband.ethnicity, wife.ethnicity}
        registered: dt.date | None
        office = self.code
        if foreign:
            registered, office = day, ""
            if day.year >= 1999:
                self.pending_certificates.append(
                    (wife.id, _d(day.toordinal() - _ri(rng, 10, 120)), "foreign")
                )
        elif rng.random() < self.unregistered_share(day.year, groups):
            registered = None
            boost = self.b("parent_recognition")
            if day < _DE_FACTO[0] and rng.random() < 0.5:
                registered = _between(rng, _DE_FACTO[0], _DE_FACTO[1])
            elif rng.random() < min(0.95, 0.5 + 0.15 * (boost - 1.0)):  # boosted: most register later
                registered = _add_years(day, rng.expovariate(1 / 4.0))
        else:
            registered = _d(day.toordinal() + _ri(rng, 0, 45))
        if registered is not None and not foreign:
            registered = self.legal_registration(husband, wife, registered)
        if leaves is not None and local_leaves and not foreign and rng.random() < 0.3:
            office = ""  # registered in the other spouse's commune: a certificate from here first
            if day.year >= 1990:
                asked = _d(day.toordinal() - _ri(rng, 5, 90))
                self.pending_certificates.append((leaves.id, asked, "domestic"))
        u = self.new_union(husband, wife, day, registered=registered, office=office, foreign=foreign)
        if newcomer is not None:
            stay = husband if newcomer is wife else wife
            newcomer.residences.append(
                (day, self.code, stay.residence_on(day)[1] or rng.choice(self.hamlets))
            )
            self.arrive(newcomer)
        elif leaves is None and not foreign:
            # both local: the wife moves to the husband's hamlet
            hamlet = husband.residence_on(day)[1]
            if hamlet and wife.residence_on(day)[1] != hamlet:
                wife.residences.append((day, self.code, hamlet))
        if local_leaves and leaves is not None:
            other = husband if leaves is wife else wife
            dest = other.residences[-1][1]
            moved = _d(day.toordinal() + _ri(rng, 0, 60))
            leaves.residences.append((moved, dest, other.residences[-1][2]))
            self.resident[leaves.id] = False
            self.n -= 1
        if self.resident.get(wife.id):
            self.schedule_births(u)
        divorce_p = (0.02 if day.year < 1986 else 0.05 if day.year < 2006 else 0.1) * self.rates.divorce
        divorce_p *= math.sqrt(self.b("other"))
        if rng.random() < min(0.5, divorce_p):
            self.push(_add_years(day, rng.uniform(1.5, 20)), _DIVORCE, f"U{u.index}")

    def legal_registration(self, husband: Person, wife: Person, day: dt.date) -> dt.date:
        """The registration date, postponed to the legal age unless this is one of the child marriages."""
        rng = self.rng
        eras = self.pop.eras
        legal = max(_legal_age_date(eras, husband, day), _legal_age_date(eras, wife, day))
        if day >= legal:
            return day
        highland = bool({husband.ethnicity, wife.ethnicity} & _CLAN_EXOGAMY)
        p_child = (0.3 if day.year < 2000 else 0.1) if highland else (0.06 if day.year < 2000 else 0.02)
        if rng.random() < p_child:
            return day
        return _d(legal.toordinal() + _ri(rng, 0, 400))

    def on_divorce(self, key: str, day: dt.date) -> None:
        u = self.pop.unions[int(key[1:])]
        if u.end is not None:
            return
        self.end_union(u, day, "divorce")
        if u.registered is not None and u.registered <= day:
            self.divorces.append((u.index, day))
        self.maybe_remarry(u, day)

    def maybe_remarry(self, u: Union, day: dt.date) -> None:
        rng, persons = self.rng, self.pop.persons
        for pid in (u.husband, u.wife):
            p = persons[pid]
            if not self.resident.get(pid) or not p.alive_on(day) or p.age_on(day) > 50:
                continue
            if rng.random() < (0.55 if p.sex == NAM else 0.35):
                if p.sex == NAM:
                    self.bachelors.setdefault(p.birth_date.year, []).append(pid)
                self.push(_add_years(day, rng.uniform(1, 4)), _PLAN, "R" + pid)

    def on_death(self, pid: str, day: dt.date) -> None:
        if self.resident.get(pid):
            self.n -= 1
            self.resident[pid] = False
            self.resident_at_death.add(pid)
        idx = self.current.get(pid)
        if idx is not None:
            u = self.pop.unions[idx]
            self.end_union(u, day, "death")
            self.maybe_remarry(u, day)

    # ------------------------------------------------------------------ main loop
    def run(self) -> None:
        self.founders()
        while self.heap:
            ordinal, _seq, kind, key = heapq.heappop(self.heap)
            day = _d(ordinal)
            if kind == _DEATH:
                self.on_death(key, day)
            elif kind == _BIRTH:
                self.on_birth(key, day)
            elif kind == _PLAN:
                if key.startswith("R"):
                    self.on_plan(key[1:], day, first=False)
                else:
                    self.on_plan(key, day, first=True)
            elif kind == _DIVORCE:
                self.on_divorce(key, day)
        _Registrar(self).run()


_CHINESE_FAMILY: Final[tuple[str, ...]] = (
    "Hoàng",
    "Lý",
    "Lương",
    "Nông",
    "Lục",
    "Trần",
    "Vương",
    "Trương",
    "Lưu",
)
_CHINESE_MIDDLE: Final[tuple[str, ...]] = ("Chí", "Kiến", "Minh", "Quốc", "Vĩnh", "Hải", "Gia", "Văn")
_CHINESE_GIVEN: Final[tuple[str, ...]] = (
    "Cường",
    "Quân",
    "Huy",
    "Bình",
    "Hoa",
    "Lâm",
    "Phong",
    "Thành",
    "Vũ",
)
