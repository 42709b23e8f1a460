"""Loop rerolling for `fuse`: a traced body that repeats one block of statements (a Python
`for` loop in the fused function, unrolled by tracing) becomes a C `for` loop again.

Rule: the body is C text whose values are single-assignment temporaries `_t<N>`, numbered
in trace order. A run of R copies of a P-line block qualifies when every copy is the one
before with each temporary renumbered by the same Δ (the temporaries a copy declares),
or not at all (a value from before the run). A temporary of the previous copy becomes a
loop-carried variable, set from the value before the run and updated at the end of each
loop iteration; what the lines after the run read of the last copy is carried out the same
way. A loop iteration runs UNROLL copies (straight-line code the shader compiler
schedules well: on lavapipe one copy per iteration ran 3x slower than the unrolled
body, eight as fast). The statements and their order are unchanged, so the results are
bit for bit the same; the program keeps a long loop (Mandelbrot's 500 iterations) within
what shader compilers accept and compile quickly.

A loop iteration is a pure function of the carried values (the rest it reads is the same
in every iteration), so when one leaves them bit for bit as they were, every later one
would too, and the loop stops there: an escaped Mandelbrot point, whose values have become
NaN, stops as the hand-written kernel's `while` does instead of running all iterations.
"""

from __future__ import annotations

import re

import numpy as np

TEMP = re.compile(r"\b_t(\d+)\b")
DECLARATION = re.compile(r"^([A-Za-z_][\w ]*?) _t(\d+)(?: = .*|;)$")
MIN_SAVED_LINES = 64  # shorter repeats are left as they are
UNROLL = 8  # copies per loop iteration: straight-line runs for the shader compiler
COUNTER = "_n"  # fused names are _x, _c, _t, _a and _y; `i` is the element index
SETTLED = "_settled"
# C types whose equality the stopping test can state exactly, as a template over a, b:
# float by its bits, double as IEEE equality that tells -0 from +0 (NaNs alike stop too:
# no elementwise operation reads a NaN's payload), integers and bool as they are.
SAME_VALUE = {
    "float": "__float_as_uint({a}) == __float_as_uint({b})",
    "double": "(({a} == {b} && signbit({a}) == signbit({b})) || ({a} != {a} && {b} != {b}))",
    **dict.fromkeys(
        (
            "bool",
            "signed char",
            "unsigned char",
            "short",
            "unsigned short",
            "int",
            "unsigned int",
            "long long",
            "unsigned long long",
        ),
        "{a} == {b}",
    ),
}


def reroll(lines: list[str]) -> list[str]:
    """`lines` with its longest qualifying repeat as a loop (unchanged if none)."""
    found = _longest_repeat(lines)
    if found is None:
        return lines
    begin, period, length = found
    depth = np.cumsum([(s == "{") - (s == "}") for s in lines])
    for start in range(begin, begin + period):  # the copy may begin on any line of it
        copies = (begin + length - start) // period
        balanced = (start == 0 or depth[start - 1] == 0) and depth[start + period - 1] == 0
        if balanced and copies > 2:
            unroll = max(1, min(UNROLL, copies // 2))  # copies a loop iteration runs
            extra = copies % unroll  # left before the loop, as traced
            loop = _as_loop(lines, start + extra * period, period * unroll, copies // unroll)
            if loop is not None:
                return loop
    return lines


def _templates(lines: list[str]) -> np.ndarray:
    """Each line's text with its temporaries blanked, as a small integer per distinct text."""
    ids: dict[str, int] = {}
    return np.array([ids.setdefault(TEMP.sub("_t", s), len(ids)) for s in lines], dtype=np.int64)


def _longest_repeat(lines: list[str]) -> tuple[int, int, int] | None:
    """(first line, period, lines) of the run of P-periodic line templates that saves
    the most lines; None if none saves enough."""
    tpl = _templates(lines)
    best, best_saved = None, MIN_SAVED_LINES - 1
    for period in range(1, len(lines) // 2 + 1):
        same = np.concatenate([[False], tpl[:-period] == tpl[period:], [False]])
        edges = np.flatnonzero(np.diff(same.astype(np.int8)))
        for begin, end in zip(edges[::2], edges[1::2]):
            length = end - begin + period
            saved = (length // period - 1) * period
            if saved > best_saved:
                best, best_saved = (int(begin), period, int(length)), saved
    return best


def _temps(line: str) -> list[int]:
    return [int(m) for m in TEMP.findall(line)]


def _as_loop(lines: list[str], start: int, period: int, copies: int) -> list[str] | None:
    """The loop form of the repeat, or None where the renumbering is not uniform."""
    end = start + period * copies
    block = lines[start : start + period]
    declared = {}
    for s in lines:
        m = DECLARATION.match(s)
        if m:
            declared[int(m[2])] = m[1]
    own = [t for s in block if (m := DECLARATION.match(s)) for t in [int(m[2])]]
    if not own:
        return None
    delta, first, own_set = len(own), min(own), set(own)
    if max(own) - first + 1 != delta:
        return None  # a copy's temporaries are numbered one after another
    carried: dict[int, int] = {}  # a value before the copy -> its temporary in the copy
    invariant: set[int] = set()  # values from before the run that every copy reads
    for k in range(start, end - period):
        for a, b in zip(_temps(lines[k]), _temps(lines[k + period])):
            if a >= first:  # the copy's own value (or the previous copy's): renumbered
                if b != a + delta:
                    return None
            elif b == a:
                invariant.add(a)
            elif k < start + period and b in own_set and carried.setdefault(a, b) == b:
                pass  # the first copy's reading of what later copies carry
            else:
                return None  # e.g. a value from two copies back
    if invariant & set(carried):
        return None
    if any(declared.get(a) != declared.get(b) for a, b in carried.items()):
        return None  # a carried value whose type changes
    last = (copies - 1) * delta  # the renumbering of the last copy
    out = {t: f"_l{t}" for t in carried.values()}  # a copy's temporary -> its carrier
    for s in lines[end:]:
        for u in _temps(s):
            if first + last <= u <= max(own) + last:
                out.setdefault(u - last, f"_l{u - last}")
            elif first <= u < first + last:
                return None  # reads a copy other than the last

    def after(m: re.Match) -> str:
        u = int(m[1])
        return out[u - last] if first + last <= u <= max(own) + last else m[0]

    tail = [TEMP.sub(after, s) for s in lines[end:]]
    by_carried = {b: a for a, b in carried.items()}
    head = [
        f"{declared[t]} {name} = _t{by_carried[t]};"
        if t in by_carried
        else f"{declared[t]} {name};"
        for t, name in out.items()
    ]
    body = [
        TEMP.sub(lambda m: out[carried[int(m[1])]] if int(m[1]) in carried else m[0], s)
        for s in block
    ]
    settled = _settled_test({out[t]: f"_t{t}" for t in by_carried}, declared)
    body += settled[:1] + [f"{name} = _t{t};" for t, name in out.items()] + settled[1:]
    loop = [f"for (int {COUNTER} = 0; {COUNTER} < {copies}; ++{COUNTER}) {{", *body, "}"]
    return [*lines[:start], *head, *loop, *tail]


def _settled_test(updates: dict[str, str], declared: dict[int, str]) -> list[str]:
    """The lines that end the loop when no carrier changes: the test (before the carriers
    are updated) and the break (after); none where a carrier's type has no exact test."""
    tests = []
    for carrier, value in updates.items():
        template = SAME_VALUE.get(declared[int(value[2:])])
        if template is None:
            return []
        tests.append("(" + template.format(a=carrier, b=value) + ")")
    if not tests:
        return []
    return [f"bool {SETTLED} = {' && '.join(tests)};", f"if ({SETTLED}) break;"]
