"""Cost curve of the whole report (issue 14): wall time and peak memory per notebook.

Run: .venv/bin/python benchmarks/bench_scale.py --scale 1 [--scale 5 ...]
     then .venv/bin/python benchmarks/bench_scale.py [--dry-run]

For each ``--scale`` (millions of synthetic ratings, in the shape of the MovieLens release
nearest that size: 1 is ML-1M's, 5 and 10 ML-10M's, 25 ML-25M's) this generates the sample
(timed apart) and runs ``python -m zeerec report`` on it as ``make report DATA=sample
SCALE=…`` would, without Spark, in a scratch folder (``--work``), leaving ``reports/``
alone, with the runner's ``--jobs`` (default: its own, two notebooks side by side). While
it runs, every Jupyter kernel below it is polled twice a second for its peak resident
memory (``VmHWM`` in ``/proc/PID/status``, the kernel's own high-water mark, so a peak
between two polls is not missed), named by the notebook the runner puts in its
environment (``ZEEREC_NOTEBOOK``); the sum of the kernels' resident memory at each poll
gives the machine's peak when notebooks run side by side. Wall times are the runner's:
per notebook, and the whole run's.

Each run is kept in ``benchmarks/results/bench_scale.json`` under its scale and, above one,
its jobs (a rerun replaces it), with the one-minute load average before it started. The
per-notebook tables, the reading and the chart use the one-job runs only: with two
notebooks side by side each one's time includes its neighbour's competition. Without ``--scale``
the script writes the "## Cost curve (issue 14)" section of BENCHMARKS.md and the log-log
chart ``benchmarks/results/bench_scale.png`` from the kept runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from common import ROOT, log, markdown_table, publish

from zeerec.report import DEFAULT_JOBS

SECTION = "## Cost curve (issue 14)"
RESULTS = Path(__file__).resolve().parent / "results" / "bench_scale.json"
CHART = RESULTS.with_suffix(".png")
POLL_S = 0.5
DONE = re.compile(r"\[\d+/\d+\] (\S+) done in ([\d.]+) s")
FAILED = re.compile(r"Notebook (\S+)\.ipynb (?:failed|stopped)")  # the runner's ReportError
NOTEBOOK = b"ZEEREC_NOTEBOOK="  # the runner names each kernel's notebook in its environment


def _children(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc; a vanished process is skipped)."""
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in kids.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _kernel_memory(pid: int) -> tuple[str, int, int, float] | None:
    """A kernel's notebook, peak and current resident memory in bytes, and the CPU
    seconds it has used (all its threads); None when ``pid`` is not a kernel the runner
    started."""
    try:
        if b"ipykernel" not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return None
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    name = next((v[len(NOTEBOOK) :] for v in environ if v.startswith(NOTEBOOK)), None)
    peak = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    now = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    if name is None or peak is None or now is None:
        return None
    return name.decode(), int(peak.group(1)) * 1024, int(now.group(1)) * 1024, cpu


def run_report(folder: Path, work: Path, jobs: int | None = None) -> dict:
    """``zeerec report`` on ``folder``; per notebook: wall seconds and the kernel's peak RSS;
    the largest sum of the kernels' RSS seen at one poll."""
    cmd = [
        sys.executable, "-m", "zeerec", "report", "--data", str(folder),
        "--processed", str(work / "processed"), "--models", str(work / "models"),
        "--reports", str(work / "reports"), "--notebooks", str(ROOT / "notebooks"),
        *(["--jobs", str(jobs)] if jobs else []),
    ]  # fmt: skip
    env = {**os.environ, "ZEEREC_SPARK": "0"}
    log_path = work / "report.log"
    start = time.perf_counter()
    with log_path.open("w") as sink:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
        peaks: dict[str, int] = {}  # notebook -> its kernel's peak bytes
        cpus: dict[str, float] = {}  # notebook -> its kernel's CPU seconds at the last poll
        together = 0  # the most the kernels held at one poll
        while proc.poll() is None:
            now = 0
            for pid in _children(proc.pid):
                seen = _kernel_memory(pid)
                if seen is not None:
                    name, peak, rss, cpu = seen
                    peaks[name] = max(peaks.get(name, 0), peak)
                    cpus[name] = max(cpus.get(name, 0.0), cpu)
                    now += rss
            together = max(together, now)
            time.sleep(POLL_S)
    total = time.perf_counter() - start
    text = log_path.read_text()
    walls = [(name, float(s)) for name, s in DONE.findall(text)]
    failed = FAILED.findall(text)
    missed = [name for name, _ in walls if name not in peaks]
    if missed:  # a kernel came and went between two polls
        log(f"no kernel seen for {', '.join(missed)}: their peaks are left out")
    rows = [
        {
            "notebook": name,
            "wall_s": wall,
            "peak_rss_gb": peaks[name] / 2**30 if name in peaks else None,
            "cpu_s": cpus.get(name),  # up to the last poll before the kernel ended
        }
        for name, wall in sorted(walls)
    ]
    if failed:
        tail = text.strip().splitlines()[-12:]
        rows.append({"notebook": failed[0], "wall_s": None, "peak_rss_gb": None})
        log(f"{failed[0]} failed:\n" + "\n".join(tail))
    return {
        "ok": proc.returncode == 0,
        "returncode": proc.returncode,
        "failed": failed[0] if failed else None,
        "total_s": total,
        "jobs": jobs or DEFAULT_JOBS,
        "kernels_together_gb": together / 2**30,
        "notebooks": rows,
    }


def _commit() -> str | None:
    """The commit measured (None outside a git checkout), with "+" if the tree was dirty."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+" if dirty else "")  # fmt: skip


def measure(scale: float, work_root: Path, seed: int, jobs: int | None = None) -> dict:
    from zeerec.synthetic import ensure_sample, shape_for

    work = work_root / f"scale-{scale:g}"
    work.mkdir(parents=True, exist_ok=True)
    reused = (work / "sample" / "zeerec-synthetic.json").is_file()
    start = time.perf_counter()
    folder = ensure_sample(work / "sample", scale=scale, seed=seed)
    generate_s = time.perf_counter() - start
    marker = json.loads((folder / "zeerec-synthetic.json").read_text())
    load = os.getloadavg()[0]
    log(f"scale {scale:g}: {marker['n_ratings']:,} ratings ({marker['shape']} shape); load {load}")
    result = run_report(folder, work, jobs)
    log(
        f"scale {scale:g}: report {'ok' if result['ok'] else 'FAILED'} in {result['total_s']:.0f} s"
    )
    return {
        "scale": scale,
        "shape": shape_for(scale).name,
        "seed": seed,
        "n_ratings": marker["n_ratings"],
        "n_users": marker["n_users"],
        "n_movies": marker["n_movies"],
        "generate_s": generate_s,
        "sample_reused": reused and generate_s < 5,  # an earlier run's sample, not timed here
        "loadavg_before": load,
        "cpus": os.cpu_count(),
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "commit": _commit(),
        **result,
    }


def _table(runs: list[dict]) -> pd.DataFrame:
    rows = []
    for run in runs:
        for nb in run["notebooks"]:
            rows.append({"ratings": run["n_ratings"], **nb})
    return pd.DataFrame(rows)


def chart(runs: list[dict], path: Path = CHART) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = _table(runs).dropna(subset=["wall_s"])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, part in table.groupby("notebook"):
        part = part.sort_values("ratings")
        axes[0].plot(part["ratings"], part["wall_s"], "o-", label=name)
        axes[1].plot(part["ratings"], part["peak_rss_gb"], "o-", label=name)
    for ax, label in zip(axes, ("wall time (s)", "kernel peak RSS (GB)"), strict=True):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("synthetic ratings")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    axes[1].legend(fontsize=8, loc="upper left")
    fig.suptitle("zeerec report: cost per notebook against data size (2 cores)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _reading(runs: list[dict], table: pd.DataFrame) -> list[str]:
    """What dominates at the largest size, and how each notebook's time grows (the slope of
    log time against log ratings between the smallest and the largest complete run)."""
    done = [r for r in runs if r["ok"]]
    if len(done) < 2:
        return []
    small, big = done[0], done[-1]
    walls = {nb["notebook"]: nb["wall_s"] for nb in big["notebooks"]}
    top = max(walls, key=walls.get)
    peak = max(big["notebooks"], key=lambda nb: nb["peak_rss_gb"] or 0)
    ratio = np.log(big["n_ratings"] / small["n_ratings"])
    slopes = []
    for nb in small["notebooks"]:
        name = nb["notebook"]
        if name in walls and nb["wall_s"] and walls[name]:
            slopes.append(f"{name} {np.log(walls[name] / nb['wall_s']) / ratio:.2f}")
    return [
        f"At {big['n_ratings']:,} ratings the report took {big['total_s']:,.0f} s; "
        f"{top} took the largest share ({walls[top]:,.0f} s, "
        f"{walls[top] / sum(walls.values()):.0%} of the notebooks' time) and "
        f"{peak['notebook']} the most memory ({peak['peak_rss_gb']:.1f} GB). Growth of each "
        f"notebook's time with the data, as the log-log slope from "
        f"{small['n_ratings'] / 1e6:.0f}M to {big['n_ratings'] / 1e6:.0f}M ratings (1: "
        f"proportional, 0: flat): {', '.join(slopes)}.",
        "",
    ]


def section(runs: list[dict]) -> list[str]:
    runs = sorted(runs, key=lambda r: r["n_ratings"])
    lines = [
        SECTION,
        "",
        "`benchmarks/bench_scale.py --scale S` runs the whole report (notebooks 01–07, no "
        "Spark) on S million synthetic ratings in the shape of the nearest MovieLens release, "
        "on this 2-core, 24 GB machine, and records each notebook's wall time (the runner's) "
        "and its kernel's peak resident memory (VmHWM, polled twice a second). `jobs`: "
        "notebooks run side by side; `report s` is the whole run's wall time, `peak GB` the "
        "most the kernels held at once (with one job, the largest kernel's peak).",
        "",
    ]
    summary = pd.DataFrame(
        [
            {
                "scale": f"{r['scale']:g}",
                "shape": r["shape"],
                "ratings": r["n_ratings"],
                "users": r["n_users"],
                "movies": r["n_movies"],
                "sample s": (
                    f"{r['sample_timed_apart']['seconds']:.0f} (apart)"
                    if r.get("sample_timed_apart")
                    else "reused"
                    if r.get("sample_reused")
                    else f"{r['generate_s']:.0f}"
                ),
                "jobs": r.get("jobs", 1),  # runs before issue 14's runner change: one at a time
                "report s": round(r["total_s"]),
                "peak GB": max(
                    r.get("kernels_together_gb", 0),
                    *((nb["peak_rss_gb"] or 0) for nb in r["notebooks"]),
                )
                or None,
                "outcome": "ok" if r["ok"] else f"failed in {r['failed']}",
                "load before": r["loadavg_before"],
                "finished": r["when"],
                "commit": r.get("commit") or "–",
            }
            for r in runs
        ]
    )
    lines += [markdown_table(summary, digits=2, seconds_digits=0), ""]
    for r in runs:
        apart = r.get("sample_timed_apart")
        if apart:
            lines += [
                f"The {r['n_ratings']:,}-rating sample was generated before its run: "
                f"{apart['seconds']:.0f} s, peak {apart['peak_rss_gb']:.1f} GB ({apart['how']}).",
                "",
            ]
    for r in runs:
        cpu = {nb["notebook"]: nb.get("cpu_s") for nb in r["notebooks"]}
        if r["ok"] and cpu and all(v is not None for v in cpu.values()):
            total, most = sum(cpu.values()), max(cpu, key=cpu.get)
            lines += [
                f"CPU time at {r['n_ratings']:,} ratings (every thread of every kernel): "
                f"{total:,.0f} s in all, {most} {cpu[most]:,.0f} s of it; with that much "
                f"CPU time no schedule on {r['cpus']} cores finishes in less than "
                f"{total / r['cpus']:,.0f} s (side by side, threads that wait for cores "
                "count too, so the work itself may be somewhat less). The run took "
                f"{r['total_s']:,.0f} s with "
                f"{r.get('jobs', 1)} job(s). Per notebook: "
                + ", ".join(f"{name} {v:,.0f} s" for name, v in cpu.items())
                + ".",
                "",
            ]
    runs = [r for r in runs if r.get("jobs", 1) == 1]  # the curve: one notebook at a time
    table = _table(runs)
    lines += _reading(runs, table)
    wall = table.pivot(index="notebook", columns="ratings", values="wall_s")
    rss = table.pivot(index="notebook", columns="ratings", values="peak_rss_gb")
    for frame in (wall, rss):
        frame.columns = [f"{c / 1e6:.0f}M" for c in frame.columns]
    lines += [
        "Wall time per notebook (s):",
        "",
        markdown_table(wall.reset_index(), digits=0),
        "",
        "Kernel peak RSS per notebook (GB):",
        "",
        markdown_table(rss.reset_index(), digits=2),
        "",
        f"![cost per notebook, log-log]({CHART.relative_to(ROOT / 'benchmarks').as_posix()})",
        "",
    ]
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scale", type=float, action="append", help="millions of ratings; repeatable")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--work", type=Path, default=Path("/tmp/zeerec-bench-scale"))
    p.add_argument("--jobs", type=int, help="the runner's --jobs (default: its own)")
    p.add_argument("--dry-run", action="store_true")
    args = p.parse_args()
    kept = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    for scale in args.scale or []:
        run = measure(scale, args.work, args.seed, args.jobs)
        kept[f"{scale:g}" + ("" if run["jobs"] == 1 else f" jobs {run['jobs']}")] = run
        RESULTS.write_text(json.dumps(kept, indent=2) + "\n")
    if args.scale:
        return
    runs = list(kept.values())
    if not runs:
        sys.exit(f"no runs kept in {RESULTS}: run with --scale first")
    if not args.dry_run:
        chart([r for r in runs if r.get("jobs", 1) == 1])
    publish(SECTION, section(runs), dry_run=args.dry_run)


if __name__ == "__main__":
    main()
