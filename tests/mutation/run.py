"""Mutation testing of the billing and safety core: ``python tests/mutation/run.py``.

Not part of ``./dev test`` or CI (it takes tens of minutes). Install the tool with
``.venv/bin/pip install -e '.[mutation]'`` (mutmut). The project is copied to a
work directory (``--workdir``, kept between runs so mutmut only re-runs what
changed) with a ``setup.cfg`` naming the modules to mutate and the unit tests
that may kill them; mutmut runs each mutant against only the tests that reach
the mutated function, niced (``nice -n 15``) and one child at a time by default:
the machines it runs on are shared.

At the end it prints, per module, how many mutants the tests killed, and the
share of those tried (the target is 90%; an interrupted run reports the mutants
it has not tried as "not checked"); ``--survivors`` lists the surviving
mutants' names (``mutmut show NAME`` in the work directory shows the diff).
A module's unchanged functions keep their verdicts between runs, except that
the survivors are always tried again: a test added since may kill them.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Target:
    """A module to mutate and the unit tests that are meant to kill its mutants."""

    path: str
    tests: tuple[str, ...]


EVSE_TESTS = ("tests/unit/evse",)
TARGETS = (
    Target("edge/evse/state_machine.py", EVSE_TESTS),
    Target("edge/evse/observations.py", EVSE_TESTS),
    Target("edge/evse/cards.py", EVSE_TESTS),
    Target("edge/evse/charging.py", EVSE_TESTS),
    Target("edge/evse/remote_commands.py", EVSE_TESTS),
    Target("edge/evse/periods.py", EVSE_TESTS),
    Target("edge/evse/reading_judge.py", EVSE_TESTS),
    Target("edge/evse/relay.py", EVSE_TESTS),
    Target("edge/evse/limits.py", EVSE_TESTS),
    Target("edge/tariff/engine.py", ("tests/unit/tariff",)),
    Target("edge/tariff/periods.py", ("tests/unit/tariff",)),
    Target("edge/tariff/quote.py", ("tests/unit/tariff",)),
    Target("edge/tariff/restrictions.py", ("tests/unit/tariff",)),
    Target("edge/tariff/result.py", ("tests/unit/tariff",)),
    Target(
        "drivers/modbus/coalesce.py",
        (
            "tests/unit/drivers/test_coalesce.py",
            "tests/unit/drivers/test_coalesce_edges.py",
            "tests/unit/drivers/test_scheduler_plan.py",
        ),
    ),
)
PYTEST_ARGS = (
    "-p",
    "no:cacheprovider",
    "-q",
    "--timeout=900",  # the first runs trace every call: far slower than usual
    # The Hypothesis suites (hundreds of examples each) would take each mutant of
    # the state machine or the tariff engine tens of seconds: a run would not end
    # on a shared machine. The scores are thus those of the example tests alone, a
    # lower bound; ``--with-properties`` puts them back.
)
PROPERTIES = (
    "tests/unit/evse/test_state_machine_properties.py",
    "tests/unit/tariff/test_properties.py",
)
COPIED = ("edge", "drivers", "hal_sim", "tests", "pyproject.toml")
STATUS = re.compile(r"^\s*(?P<name>[\w.]+__mutmut_\d+): (?P<status>[\w ]+)$")
KILLED = ("killed", "caught by type check", "timeout")
"""Detected: a mutant that makes the tests hang is caught by their timeout."""


def say(line: str) -> None:
    """One line on stdout, now."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def chosen(names: list[str]) -> list[Target]:
    """The targets that exist here (reading_judge.py may not yet), or those named."""
    targets = [t for t in TARGETS if (ROOT / t.path).exists()]
    if not names:
        return targets
    picked = [t for t in targets if any(n in t.path for n in names)]
    if not picked:
        known = [t.path for t in targets]
        raise SystemExit(f"no module matches {names}; known: {known}")
    return picked


def prepare(workdir: Path, targets: list[Target], properties: bool) -> None:
    """Copy the project (mtimes kept: mutmut re-runs only what changed) and config."""
    workdir.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, workdir / name, ignore=ignore, dirs_exist_ok=True)
        else:
            shutil.copy2(src, workdir / name)
    tests = sorted({t for target in targets for t in target.tests})
    ignored = [] if properties else [f"--ignore={p}" for p in PROPERTIES]
    args = [*PYTEST_ARGS, *ignored]
    lines = [
        "[mutmut]",
        "source_paths =\n    edge\n    drivers\n    hal_sim",
        "only_mutate =\n" + "\n".join(f"    {t.path}" for t in targets),
        "pytest_add_cli_args_test_selection =\n" + "\n".join(f"    {t}" for t in tests),
        "pytest_add_cli_args =\n" + "\n".join(f"    {a}" for a in args),
        "use_git_change_detection = false",
        "",
    ]
    (workdir / "setup.cfg").write_text("\n".join(lines))


def mutmut(workdir: Path, *args: str, check: bool = True) -> str:
    """Run ``mutmut ARGS`` niced in the work directory; return its stdout."""
    exe = Path(sys.executable).with_name("mutmut")
    if not exe.exists():
        raise SystemExit(
            "mutmut is not installed: .venv/bin/pip install -e '.[mutation]'"
        )
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = ["nice", "-n", "15", str(exe), *args]
    log = workdir / f"mutmut-{args[0]}.log"
    with log.open("w") as out:
        done = subprocess.run(
            cmd, cwd=workdir, env=env, text=True, stdout=out, stderr=subprocess.STDOUT
        )
    text = log.read_text()
    if check and done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}), see {log}")
    return text


def module_of(name: str, targets: list[Target]) -> str | None:
    """The target a mutant belongs to (``edge.evse.remote_commands.x_f__mutmut_3``)."""
    for t in targets:
        dotted = t.path.removesuffix(".py").replace("/", ".")
        if name.startswith(dotted + "."):
            return t.path
    return None


def statuses(results: str, targets: list[Target]) -> list[tuple[str, str, str]]:
    """(module, mutant name, status) of each of the targets' mutants."""
    out = []
    for line in results.splitlines():
        m = STATUS.match(line)
        if m is None:
            continue
        module = module_of(m["name"], targets)
        if module is not None:
            out.append((module, m["name"], m["status"]))
    return out


def surviving(results: str, targets: list[Target]) -> list[str]:
    """The names of the mutants tried and not killed."""
    return [
        name
        for _, name, status in statuses(results, targets)
        if status not in (*KILLED, "not checked")
    ]


def report(
    results: str, targets: list[Target], show_survivors: bool
) -> dict[str, Counter[str]]:
    """Per module, the count of each status; print the table."""
    by: dict[str, Counter[str]] = {t.path: Counter() for t in targets}
    survivors: list[str] = []
    for module, name, status in statuses(results, targets):
        by[module][status] += 1
        if status not in (*KILLED, "not checked"):
            survivors.append(f"{name}: {status}")
    say(f"{'module':36} {'mutants':>7} {'tried':>6} {'killed':>6} {'share':>6}  rest")
    for path, counts in by.items():
        total = sum(counts.values())
        tried = total - counts["not checked"]
        killed = sum(counts[k] for k in KILLED)
        share = f"{100 * killed / tried:5.1f}%" if tried else "    -"
        other = ", ".join(f"{k} {v}" for k, v in counts.items() if k not in KILLED)
        say(f"{path:36} {total:7d} {tried:6d} {killed:6d} {share:>6}  {other}")
    if show_survivors:
        for line in survivors:
            say("  " + line)
    return by


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    p = argparse.ArgumentParser(prog="python tests/mutation/run.py")
    p.add_argument("modules", nargs="*", help="only these (a part of the path)")
    p.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / f"edge-mutation-{ROOT.name}",
    )
    p.add_argument("--max-children", type=int, default=1)
    p.add_argument("--survivors", action="store_true", help="list the survivors")
    p.add_argument(
        "--with-properties",
        action="store_true",
        help="let the Hypothesis suites kill mutants too (hours)",
    )
    p.add_argument(
        "--report-only", action="store_true", help="report the last run's results"
    )
    args = p.parse_args(argv)
    targets = chosen(args.modules)
    if not args.report_only:
        prepare(args.workdir, targets, args.with_properties)
        say(f"mutating {len(targets)} modules in {args.workdir} (log: mutmut-run.log)")
        children = ("--max-children", str(args.max_children))
        mutmut(args.workdir, "run", *children)
        # mutmut keeps a verdict until the mutated function changes, even when
        # tests were added since: the survivors are tried again with today's tests.
        stale = surviving(mutmut(args.workdir, "results", "--all", "true"), targets)
        if stale:
            say(f"trying the {len(stale)} survivors again with the current tests")
            mutmut(args.workdir, "run", *children, *stale)
    results = mutmut(args.workdir, "results", "--all", "true")
    report(results, targets, args.survivors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
