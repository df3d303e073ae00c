"""Run every benchmark module and collect their markdown tables.

``python -m benchmarks [NAME ...]`` runs ``benchmarks/bench_NAME.py`` (all of them by default)
and writes the combined report to ``benchmarks/results/latest.md``.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    report = [f"# Benchmarks — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
              f"{platform.processor() or platform.machine()}, Python {platform.python_version()}", ""]
    failed = 0
    for name in names:
        print(f"== {name}", flush=True)
        buf = io.StringIO()
        t0 = time.perf_counter()
        try:
            module = importlib.import_module(f"benchmarks.bench_{name}")
            with contextlib.redirect_stdout(_Tee(buf, sys.stdout)):
                module.main()
        except Exception as exc:  # one broken benchmark must not hide the others
            failed += 1
            print(f"   FAILED: {type(exc).__name__}: {exc}", flush=True)
            buf.write(f"\n**{name} failed:** {type(exc).__name__}: {exc}\n")
        report += [f"## {name} ({time.perf_counter() - t0:.0f} s)", buf.getvalue(), ""]
    out = HERE / "results" / "latest.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(report))
    print(f"report: {out}")
    return 1 if failed else 0


class _Tee(io.TextIOBase):
    def __init__(self, *streams: io.TextIOBase) -> None:
        self.streams = streams

    def write(self, s: str) -> int:
        for stream in self.streams:
            stream.write(s)
        return len(s)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
