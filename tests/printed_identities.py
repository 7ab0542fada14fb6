"""Identities between printed counts that a reader of a run could find, and whether the test
attacker (``tests/published_run.py``) knows them.

A count that equals another count, or the sum of two to four others, in every force of a run
is a fact a reader can use: where one of them is hidden and the others printed, the hidden one
follows. The attacker knows such facts only where ``published_run.build`` was taught them. Two
had been missed (the timeliness table's cases that reached an outcome, and the
earlier-allegations table's charges), and each let a reader work out small counts the tables
hid. This module finds them mechanically, on a run published under ``internal`` (nothing
hidden), so that a new table printing a count that is a sum of others cannot go unnoticed.

The search runs over the attacker's own names for the counts it reads (``Knowledge.values``):
``owner|[offence group|]quantity``. A *template* is the quantity with the owner and offence
group taken off; an identity ``A = B (+ C (+ D (+ E)))`` between templates must hold in every force
and offence group where all its terms are printed, in every run searched (a coincidence of
one run's numbers does not survive another's). It is *known* when the attacker's constraints
(totals, inequalities and structural zeros, without any printed value) imply it, by linear
programming: the largest and the smallest value of ``A - B - ...`` are both 0.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from published_run import Knowledge, Published, build
from scipy import sparse
from scipy.optimize import linprog

GROUPS = ("rape", "other")
#: How many terms a sum may have (A = B + C + D: the cases that reached an outcome, the open
#: and the transferred cases add up to the crimes recorded; one more for good measure).
MAX_TERMS = 4


@dataclass(frozen=True)
class Identity:
    """``whole`` = the sum of ``parts`` (templates), in every instance where all are printed."""

    whole: str
    parts: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.whole} = {' + '.join(self.parts)}"


def split(name: str) -> tuple[str, str, str]:
    """``owner|[group|]template`` -> (owner, group, template); group "all" when none."""
    owner, _, rest = name.partition("|")
    group, _, tail = rest.partition("|")
    if group in GROUPS and tail:
        return owner, group, tail
    return owner, "all", rest


def join(owner: str, group: str, template: str) -> str:
    return f"{owner}|{template}" if group == "all" else f"{owner}|{group}|{template}"


def templates(know: Knowledge) -> dict[str, dict[tuple[str, str], float]]:
    """Every printed count by template: ``{template: {(owner, group): value}}``."""
    out: dict[str, dict[tuple[str, str], float]] = defaultdict(dict)
    for name, value in know.values.items():
        owner, group, template = split(name)
        out[template][(owner, group)] = value
    return dict(out)


def _holds(values: dict[str, dict], identity: Identity) -> int | None:
    """The number of instances where every term is printed, or None where any breaks it."""
    terms = [identity.whole, *identity.parts]
    if any(t not in values for t in terms):
        return 0
    common = set(values[terms[0]]).intersection(*(values[t] for t in terms[1:]))
    for instance in common:
        total = sum(values[p][instance] for p in identity.parts)
        if abs(values[identity.whole][instance] - total) > 1e-9:
            return None
    return len(common)


def candidates(values: dict[str, dict], forces: list[str], *, least: int = 3,
               terms: int = MAX_TERMS) -> set[Identity]:
    """Identities among the templates printed for the same forces (offence group all), found
    by hashing each template's vector of values over those forces, and each pair's sum (a
    sum of up to four terms is a whole less one or two terms that is another one or two).
    Every set of at least ``least`` forces for which some template is printed is searched
    with the templates printed for all of them (the driver models have no City of London
    row, for one)."""
    found: set[Identity] = set()
    sets = {tuple(f for f in forces if (f, "all") in d) for d in values.values()}
    for chosen in sorted(s for s in sets if len(s) >= least):
        vectors = {}
        for template, d in values.items():
            if all((f, "all") in d for f in chosen):
                v = tuple(int(round(d[(f, "all")])) for f in chosen)
                if any(v):
                    vectors[template] = np.array(v)
        names = sorted(vectors)
        sums: dict[tuple, list[tuple[str, ...]]] = defaultdict(list)
        for template in names:
            sums[tuple(vectors[template])].append((template,))
        if terms >= 3:
            for pair in itertools.combinations(names, 2):
                sums[tuple(vectors[pair[0]] + vectors[pair[1]])].append(pair)
        for whole in names:
            rest = [n for n in names if n != whole]
            for size in (1, 2):
                for parts in itertools.combinations(rest, size):
                    left = vectors[whole] - sum(vectors[p] for p in parts)
                    if (left < 0).any():
                        continue
                    if size == 1 and not left.any():
                        found.add(Identity(whole, parts))
                    for more in sums.get(tuple(left), []):
                        every = (*parts, *more)
                        if (len(every) <= terms and whole not in more
                                and len(set(every)) == len(every)):
                            found.add(Identity(whole, tuple(sorted(every))))
    return found


def identities(runs: list[Published], *, least: int = 3) -> dict[Identity, int]:
    """Identities that hold in every run given (``internal``: nothing hidden), with the
    number of instances (force and offence group) where they were seen."""
    knowledge = [build(run, None) for run in runs]
    values = [templates(k) for k in knowledge]
    found = candidates(values[0], runs[0].forces, least=least)
    out = {}
    for identity in sorted(found, key=str):
        seen = [_holds(v, identity) for v in values]
        if all(n is not None and n >= least for n in seen):
            out[identity] = sum(seen)
    return out


class Implication:
    """Whether the attacker's constraints imply an identity, ignoring every printed value."""

    def __init__(self, know: Knowledge):
        self.know = know  # its shares (kept aside until an attack) bind printed values
        a, low, high = know.matrix()
        upper, lower = np.isfinite(high), np.isfinite(low)
        self.a_ub = sparse.vstack([a[upper], -a[lower]]).tocsr()
        self.b_ub = np.concatenate([high[upper], -low[lower]])
        self.n = len(know.lower)

    def known(self, identity: Identity, owner: str, group: str = "all") -> bool:
        terms = [(identity.whole, 1.0), *((p, -1.0) for p in identity.parts)]
        c = np.zeros(self.n)
        for template, sign in terms:
            name = join(owner, group, template)
            if name not in self.know.index:
                return False
            c[self.know.index[name]] += sign
        for sign in (1.0, -1.0):
            res = linprog(sign * c, A_ub=self.a_ub, b_ub=self.b_ub, bounds=(0, None),
                          method="highs")
            if res.status != 0 or abs(res.fun) > 1e-6:
                return False
        return True


def unknown(runs: list[Published], found: dict[Identity, int]) -> list[str]:
    """The identities of ``found`` that the attacker's constraints on the first run do not
    imply, for one force where all the terms are printed."""
    know = build(runs[0], None)
    values = templates(know)
    check = Implication(know)
    out = []
    for identity in found:
        terms = [identity.whole, *identity.parts]
        owners = sorted(set.intersection(*(
            {o for (o, g) in values[t] if g == "all" and o in runs[0].forces} for t in terms)))
        if not owners or not check.known(identity, owners[-1]):
            out.append(f"{identity} ({found[identity]} instances)")
    return out
