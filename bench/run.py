"""``make bench``: each performance goal of issue 7 measured beside its reference, in one run.

Every measured command runs in a fresh subprocess (so imports and start-up count, as they do for a
user) and is repeated; the table shows medians. Peak memory is the peak resident set of the whole
process tree (a run may use a helper process), summed from each process's high-water mark.
Inputs are synthetic (see ``synth.py``) and written to a temporary folder that is removed at exit.

Environment knobs: ``BENCH_REPEAT`` (default 3), ``BENCH_QUICK=1`` (smaller inputs, no 300k file).
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import synth

from bulk_invite.sandbox import DEMO_API_KEY, Sandbox, SandboxConfig, max_requests_in_window

PYTHON = sys.executable
BIN = Path(sys.executable).parent
REPEAT = max(1, int(os.environ.get("BENCH_REPEAT", "3")))
QUICK = os.environ.get("BENCH_QUICK") == "1"
CHECK_ROWS = 30_000 // (10 if QUICK else 1)
BIG_ROWS = 300_000 // (10 if QUICK else 1)
SEND_ROWS = 600
LATENCY = 0.25


@dataclass(frozen=True)
class Sample:
    """One finished subprocess: wall seconds, CPU seconds, peak RSS of its process tree (bytes)."""

    wall: float
    cpu: float
    rss: int
    returncode: int


@dataclass(frozen=True)
class Line:
    """One row of the results table."""

    scenario: str
    figure: str
    reference: str
    ratio: str
    goal: str
    met: bool | None


def _status_kib(pid: int, key: str) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                children = [int(c) for c in task.read_text().split()]
            except OSError:
                continue
            found.extend(children)
            todo.extend(children)
    return found


def measure(args: Sequence[str], *, env: dict[str, str] | None = None) -> Sample:
    """Run ``args`` to the end; wall time, CPU time (it and its children) and peak tree RSS."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        list(args),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    # Each process's high-water mark is read while it lives; their sum bounds the tree's peak.
    peaks: dict[int, int] = {}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            for pid in [proc.pid, *_descendants(proc.pid)]:
                peaks[pid] = max(peaks.get(pid, 0), _status_kib(pid, "VmHWM:"))
            done.wait(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    watcher.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    if proc.returncode not in (0, 1):
        sys.stderr.write(stderr.decode(errors="replace"))
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(args)}")
    # ru_maxrss (KiB) covers the process itself and any helper it waited for: a floor for the sum.
    rss_kib = max(sum(peaks.values()), usage.ru_maxrss)
    return Sample(wall, usage.ru_utime + usage.ru_stime, rss_kib * 1024, proc.returncode)


def medians(samples: Sequence[Sample]) -> Sample:
    """The median of each figure over repeated samples."""
    return Sample(
        statistics.median(s.wall for s in samples),
        statistics.median(s.cpu for s in samples),
        int(statistics.median(s.rss for s in samples)),
        samples[0].returncode,
    )


def side_by_side(commands: dict[str, Callable[[int], Sequence[str]]]) -> dict[str, Sample]:
    """Run each command ``REPEAT`` times, interleaved so drift hits them all alike; medians."""
    runs: dict[str, list[Sample]] = {name: [] for name in commands}
    for i in range(REPEAT):
        for name, command in commands.items():
            runs[name].append(measure(command(i)))
    return {name: medians(samples) for name, samples in runs.items()}


def script(code: str, *args: str) -> list[str]:
    """A Python one-off in a fresh interpreter."""
    return [PYTHON, "-c", textwrap.dedent(code), *args]


# The floor writes what check writes on its Results sheet for a valid row of these inputs: the
# input cells, the status, the warning every row gets (the file has no tele_state column) and the
# attempt count; the other result columns are empty for a check. Cells are written as text.
FLOOR = """
    import sys, python_calamine, xlsxwriter
    from bulk_invite.report import RESULT_COLUMNS
    book = python_calamine.CalamineWorkbook.from_path(sys.argv[1])
    rows = book.get_sheet_by_index(0).iter_rows()
    out = xlsxwriter.Workbook(sys.argv[2], {"constant_memory": True})
    sheet = out.add_worksheet("Results")
    headers = [str(v) for v in next(rows)]
    sheet.write_row(0, 0, headers + list(RESULT_COLUMNS))
    width = len(headers)
    WARNING = ("tele_state: not given, so the telehealth state was taken from State (NY); fill in "
               "tele_state if the patient will be in another state during the visit.")
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            sheet.write_string(r, c, str(value))
        sheet.write_string(r, width, "valid")
        sheet.write_string(r, width + 5, WARNING)
        sheet.write_number(r, width + 6, 0)
    out.close()
"""
NAIVE = """
    import sys, pandas
    frame = pandas.read_excel(sys.argv[1], engine="openpyxl", dtype=str)
    for name in ("status", "meeting_url", "meeting_uuid", "patient_exam_ids", "error",
                 "warnings", "attempts", "http_status", "sent_at"):
        frame[name] = "valid" if name == "status" else ""
    frame.to_excel(sys.argv[2], index=False)
"""


def check_command(path: Path, out: Path) -> list[str]:
    """``bulk-invite check`` as an operator runs it."""
    return [str(BIN / "bulk-invite"), "check", str(path), "-o", str(out), "-q", "--no-progress"]


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b else "n/a"


def bench_check(tmp: Path) -> list[Line]:
    """Check speed on an XLSX: the tool against the floor and the naive pandas way."""
    xlsx = synth.write_xlsx(tmp / "check.xlsx", CHECK_ROWS)
    out = tmp / "out.xlsx"
    got = side_by_side(
        {
            "check": lambda i: check_command(xlsx, out),
            "floor": lambda i: script(FLOOR, str(xlsx), str(out)),
            "naive": lambda i: script(NAIVE, str(xlsx), str(out)),
        }
    )
    check, floor, naive = got["check"].wall, got["floor"].wall, got["naive"].wall
    rows = f"{CHECK_ROWS:,}-row XLSX"
    return [
        Line(
            f"check {rows}",
            f"{check:.2f} s",
            f"floor {floor:.2f} s",
            _ratio(check, floor),
            "≤ 1.50× floor",
            check <= 1.5 * floor,
        ),
        Line(
            f"check {rows}",
            f"{check:.2f} s",
            f"naive {naive:.2f} s",
            f"naive/check {naive / check:.2f}×",
            "≥ 1.50×",
            naive / check >= 1.5,
        ),
    ]


def bench_memory(tmp: Path) -> list[Line]:
    """Peak RSS of check on a big CSV against the same on a tenth of it."""
    big = synth.write_csv(tmp / "big.csv", BIG_ROWS)
    small = synth.write_csv(tmp / "small.csv", BIG_ROWS // 10)
    out = tmp / "out.xlsx"
    got = side_by_side(
        {
            "big": lambda i: check_command(big, out),
            "small": lambda i: check_command(small, out),
        }
    )
    big_mb, small_mb = got["big"].rss / 2**20, got["small"].rss / 2**20
    return [
        Line(
            f"check {BIG_ROWS:,}-row CSV: peak RSS",
            f"{big_mb:.0f} MB",
            "250 MB",
            _ratio(big_mb, 250),
            "≤ 250 MB",
            big_mb <= 250,
        ),
        Line(
            f"check {BIG_ROWS:,}-row CSV: peak RSS",
            f"{big_mb:.0f} MB",
            f"{BIG_ROWS // 10:,} rows {small_mb:.0f} MB",
            _ratio(big_mb, small_mb),
            "≤ 1.50×",
            big_mb <= 1.5 * small_mb,
        ),
        Line(
            f"check {BIG_ROWS:,}-row CSV: time",
            f"{got['big'].wall:.1f} s",
            f"{BIG_ROWS // 10:,} rows {got['small'].wall:.1f} s",
            _ratio(got["big"].wall, got["small"].wall),
            "(for information)",
            None,
        ),
    ]


def bench_startup(tmp: Path) -> list[Line]:
    """Start-up: ``--help`` and a 50-row check against an empty interpreter."""
    tiny = synth.write_csv(tmp / "tiny.csv", 50)
    out = tmp / "tiny.xlsx"
    runs = max(REPEAT, 5)
    samples: dict[str, list[Sample]] = {"pass": [], "help": [], "check": []}
    for _ in range(runs):
        samples["pass"].append(measure([PYTHON, "-c", "pass"]))
        samples["help"].append(measure([str(BIN / "bulk-invite"), "--help"]))
        samples["check"].append(measure(check_command(tiny, out)))
    empty, helps, check = (medians(samples[k]).wall for k in ("pass", "help", "check"))
    reference = f"python -c pass {empty * 1000:.0f} ms"
    return [
        Line("bulk-invite --help", f"{helps * 1000:.0f} ms", reference, _ratio(helps, empty),
             "(quick: report)", None),
        Line("check 50-row CSV", f"{check * 1000:.0f} ms", reference, _ratio(check, empty),
             "(quick: report)", None),
    ]  # fmt: skip


def bench_send(tmp: Path, rate: float) -> list[Line]:
    """A 600-row send at ``rate`` against a sandbox answering in 250 ms, default concurrency."""
    source = synth.write_csv(tmp / f"send{rate:g}.csv", SEND_ROWS, clean=True)
    env = {**os.environ, "QUALIPHY_API_KEY": DEMO_API_KEY}
    base = check_command(source, tmp / "send.xlsx")
    # The CPU of a check of the same file is subtracted to isolate the send path.
    check_cpu = medians([measure(base) for _ in range(REPEAT)]).cpu
    achieved, peaks, cpu_per_row, wall = [], [], [], []
    for i in range(REPEAT):
        with Sandbox(SandboxConfig(latency=LATENCY)) as sandbox:
            args = [
                str(BIN / "bulk-invite"), "send", str(source), "-o", str(tmp / "send.xlsx"),
                "-q", "--no-progress", "--base-url", sandbox.base_url, "--rate", f"{rate:g}",
                "--journal", str(tmp / f"journal-{rate:g}-{i}.sqlite"),
            ]  # fmt: skip
            sample = measure(args, env=env)
            # The key check on /api/exam_list shares the pacer, so it counts in the windows.
            every = [r.monotonic for r in sandbox.requests()]
            times = [
                r.monotonic for r in sandbox.requests() if r.path.startswith("/api/exam_invite")
            ]
        if len(times) != SEND_ROWS:
            raise SystemExit(f"send at {rate:g}/s made {len(times)} requests, not {SEND_ROWS}")
        span = max(times) - min(times)
        # n requests span n - 1 intervals at the allowed rate.
        achieved.append((len(times) - 1) / span)
        peaks.append(max_requests_in_window(every, 1.0))
        cpu_per_row.append((sample.cpu - check_cpu) / SEND_ROWS)
        wall.append(sample.wall)
    got, worst = statistics.median(achieved), max(peaks)
    cost = statistics.median(cpu_per_row) * 1000
    name = f"send {SEND_ROWS} rows --rate {rate:g}, 250 ms server"
    return [
        Line(name, f"{got:.2f} req/s", f"R = {rate:g}/s", f"{got / rate:.3f}", "≥ 0.97",
             got >= 0.97 * rate),
        Line(name, f"max {worst} in 1 s", f"R = {rate:g}", _ratio(worst, rate), "≤ R",
             worst <= rate),
        Line(name, f"{cost:.2f} ms CPU/row", "2 ms", _ratio(cost, 2.0), "≤ 2 ms/row",
             cost <= 2.0),
        Line(name, f"{statistics.median(wall):.1f} s wall", f"ideal {SEND_ROWS / rate:.1f} s",
             _ratio(statistics.median(wall), SEND_ROWS / rate), "(for information)", None),
    ]  # fmt: skip


def machine() -> list[str]:
    """The machine and the versions that matter, for the README."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    libs = ("bulk-invite", "python-calamine", "xlsxwriter", "pandas", "openpyxl", "requests",
            "phonenumbers", "email-validator")  # fmt: skip
    versions = []
    for lib in libs:
        try:
            versions.append(f"{lib} {importlib.metadata.version(lib)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{lib} (not installed)")
    return [
        f"Machine: {cores} cores, {model}, {platform.system()} {platform.release()}",
        f"Python {platform.python_version()} ({platform.python_implementation()}); "
        + ", ".join(versions),
        f"Medians of {REPEAT} runs; each command in a fresh process.",
    ]


def table(lines: Sequence[Line]) -> str:
    """The results as a Markdown table."""
    head = ("scenario", "figure", "reference", "ratio", "goal", "met?")
    cells = [head] + [
        (ln.scenario, ln.figure, ln.reference, ln.ratio, ln.goal,
         "—" if ln.met is None else "yes" if ln.met else "NO")
        for ln in lines
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in cells) for i in range(len(head))]

    def fmt(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([fmt(cells[0]), rule, *(fmt(r) for r in cells[1:])])


def main(argv: Sequence[str]) -> int:
    """Run the scenarios named in ``argv`` (default: all) and print the table."""
    scenarios: dict[str, Callable[[Path], list[Line]]] = {
        "check": bench_check,
        "memory": bench_memory,
        "startup": bench_startup,
        "send": lambda tmp: bench_send(tmp, 20.0) + bench_send(tmp, 50.0),
    }
    chosen = list(argv) or list(scenarios)
    unknown = [name for name in chosen if name not in scenarios]
    if unknown:
        print(f"unknown scenario(s) {unknown}; choose from {list(scenarios)}", file=sys.stderr)
        return 2
    for line in machine():
        print(line)
    lines: list[Line] = []
    with tempfile.TemporaryDirectory(prefix="bulk-invite-bench-") as folder:
        for name in chosen:
            began = time.perf_counter()
            print(f"… {name}", file=sys.stderr, flush=True)
            lines += scenarios[name](Path(folder))
            print(f"  {name} took {time.perf_counter() - began:.0f} s", file=sys.stderr)
    print()
    print(table(lines))
    missed = [ln for ln in lines if ln.met is False]
    print()
    print("All goals met." if not missed else f"{len(missed)} goal(s) not met.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
