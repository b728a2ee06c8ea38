"""A hand-built `Outcome` for the SARIF tests, from what Go 1.27 prints with -m=2 for
tests/data/escapes/src/geom (positions and words as the compiler gave them).

It has every shape the SARIF log must carry: new, unchanged, absent (at its base position),
suppressed with and without a reason, a leak, an induced escape inlined from a changed
callee, a flow step outside the repository, a skipped file and a warning.
"""

from __future__ import annotations

from goescape.escapes import ESCAPES, LEAK, MOVED, Escape, FlowStep
from goescape.functions import FunctionId
from goescape.outcome import (
    ABSENT,
    NEW,
    UNCHANGED,
    BaseChoice,
    Finding,
    FunctionSummary,
    Location,
    Outcome,
    Skipped,
)

PKG = "example.com/esc/geom"
GO = "geom/geom.go"
BASE = "1" * 40
HEAD = "2" * 40


def fid(name: str, receiver: str = "") -> FunctionId:
    return FunctionId(PKG, receiver, name)


def step(line: int, col: int, text: str, path: str = GO) -> FlowStep:
    return FlowStep(path, line, col, text)


NEW_POINT = Finding(
    function=fid("NewPoint"),
    display="NewPoint",
    escape=Escape(
        PKG,
        GO,
        17,
        2,
        MOVED,
        "p",
        "moved to heap: p",
        flow=(
            step(17, 2, "flow: ~r0 = &p"),
            step(18, 9, "from &p (address-of)"),
            step(18, 2, "from return &p (return)"),
        ),
    ),
    state=NEW,
    induced=False,
    suppressed=None,
    before=0,
    after=1,
    ordinal=0,
    new_function=False,
    inlined_from=None,
)

JOINED_CONCAT = Finding(
    function=fid("Joined"),
    display="Joined",
    escape=Escape(
        PKG,
        GO,
        51,
        43,
        ESCAPES,
        'strings.Join([]string{...}, ",") + fmt.Sprintln(... argument...)',
        'strings.Join([]string{...}, ",") + fmt.Sprintln(... argument...) escapes to heap',
        flow=(
            step(
                51,
                43,
                'flow: ~r0 = &{storage for strings.Join([]string{...}, ",") + '
                "fmt.Sprintln(... argument...)}",
            ),
            step(
                51,
                43,
                'from strings.Join([]string{...}, ",") + fmt.Sprintln(... argument...) (spill)',
            ),
            step(
                51,
                2,
                'from return strings.Join([]string{...}, ",") + fmt.Sprintln(... argument...) '
                "(return)",
            ),
        ),
    ),
    state=NEW,
    induced=False,
    suppressed="joined once per request, measured cheap",
    before=1,
    after=3,
    ordinal=0,
    new_function=False,
    inlined_from=None,
)

JOINED_A = JOINED_CONCAT._replace(
    escape=Escape(
        PKG,
        GO,
        51,
        58,
        ESCAPES,
        "a",
        "a escapes to heap",
        flow=(
            step(51, 58, "flow: {storage for ... argument} = &{storage for a}"),
            step(51, 58, "from a (spill)"),
            step(51, 57, "from ... argument (slice-literal-element)"),
            step(51, 58, "flow: {heap} = {storage for ... argument}"),
            step(51, 57, "from ... argument (spill)"),
            step(51, 57, "from fmt.Sprintln(... argument...) (call parameter)"),
            # A step the pipeline could not make repo-relative (inside GOROOT).
            step(295, 6, "from a (inlined)", path="/usr/local/go/src/fmt/print.go"),
        ),
    ),
    suppressed="",
)

DESCRIBE = Finding(
    function=fid("Describe"),
    display="Describe",
    escape=Escape(PKG, GO, 30, 20, ESCAPES, "v", "v escapes to heap"),
    state=UNCHANGED,
    induced=False,
    suppressed=None,
    before=1,
    after=1,
    ordinal=0,
    new_function=False,
    inlined_from=None,
)

# Removed by the change: located where it was at base.
BUFFER = Finding(
    function=fid("Buffer"),
    display="Buffer",
    escape=Escape(PKG, GO, 56, 13, ESCAPES, "make([]byte, n)", "make([]byte, n) escapes to heap"),
    state=ABSENT,
    induced=False,
    suppressed=None,
    before=1,
    after=0,
    ordinal=0,
    new_function=False,
    inlined_from=None,
)

ADD_LEAK = Finding(
    function=fid("Add", "Point"),
    display="(*Point).Add",
    escape=Escape(
        PKG,
        GO,
        22,
        7,
        LEAK,
        "p to result ~r0 level=0",
        "leaking param: p to result ~r0 level=0",
        flow=(step(22, 7, "flow: ~r0 = p"), step(25, 2, "from return p (return)")),
    ),
    state=NEW,
    induced=False,
    suppressed=None,
    before=0,
    after=0,
    ordinal=0,
    new_function=True,
    inlined_from=None,
)

# CallLogf was not edited; Logf (inlined into it) was.
CALL_LOGF = Finding(
    function=fid("CallLogf"),
    display="CallLogf",
    escape=Escape(
        PKG,
        GO,
        106,
        6,
        ESCAPES,
        "... argument",
        "... argument escapes to heap",
        flow=(
            step(106, 6, "flow: args = &{storage for ... argument}"),
            step(106, 6, "from ... argument (spill)"),
            step(106, 6, "from args := ... argument (assign-pair)"),
            step(106, 6, "flow: {heap} = args"),
            step(106, 6, "from sinkArgs = args (assign)"),
        ),
        inlined="Logf",
    ),
    state=NEW,
    induced=True,
    suppressed=None,
    before=2,
    after=3,
    ordinal=0,
    new_function=False,
    inlined_from=Location(GO, 100, 6),
)

FINDINGS = (NEW_POINT, JOINED_CONCAT, JOINED_A, DESCRIBE, BUFFER, ADD_LEAK, CALL_LOGF)


def summary(f: Finding, line: int, new: int, *, changed: bool = True) -> FunctionSummary:
    return FunctionSummary(
        f.function, f.display, GO, line, changed, f.new_function, f.before, f.after, new
    )


OUTCOME = Outcome(
    base=BaseChoice(BASE, "merge base of HEAD and origin/main"),
    head_commit=HEAD,
    head_label="HEAD",
    findings=FINDINGS,
    functions=(
        summary(NEW_POINT, 16, 1),
        summary(JOINED_CONCAT, 50, 0),
        summary(DESCRIBE, 29, 0),
        summary(BUFFER, 55, 0),
        summary(ADD_LEAK, 22, 0),
        summary(CALL_LOGF, 105, 1, changed=False),
    ),
    skipped=(
        Skipped("geom/geom_test.go", "test file (use --tests)"),
        Skipped("broken", "does not compile at base"),
    ),
    warnings=("geom/geom.go:50: //goescape:ignore without a reason",),
    go_version="go1.27.3",
    count_leaks=False,
    fail_on_induced=False,
)
