"""CPU per submission: the portal's CPU for one upload and one submit, one client at a time.

The deadline rush is CPU-bound: with its 32 clients the latency is about 32 over the rate, and the rate is the
machine's cores over the portal's CPU per submission. This measures that CPU directly, without the
contention: the same world as ``deadline_rush.py`` (fresh database, companies with live sessions and drafts,
2 MiB PDFs), ``portal serve --workers 1`` as in production, then the companies upload and submit one after
another over one keep-alive connection each. The first ``--warm`` submissions are not counted. The CPU is
read from /proc for the server's processes (the worker, its fork server and document-checking processes),
user and kernel apart, before and after each submission (upload and submit together).

Run: ``.venv/bin/python bench/submission_cpu.py --db postgresql``. Ends with one line:
``submission_cpu db=... submissions=... user_ms=... sys_ms=... total_ms=...`` (means per submission). ``--profile PATH`` runs the worker under cProfile instead (its
figures are then the profiler's, not the portal's) and shows where the time went.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from statistics import mean

import deadline_rush as rush
from common import ROOT, free_port, log, process_tree
from common import stop as stop_server

sys.path.insert(0, str(ROOT))


def _cpu(pids: list[int]) -> tuple[float, float]:
    """User and system CPU seconds of the processes, with their waited-for children's."""
    ticks = os.sysconf("SC_CLK_TCK")
    user = system = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        user += int(fields[11]) + int(fields[13])
        system += int(fields[12]) + int(fields[14])
    return user / ticks, system / ticks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--pg-server", default=rush.PG_SERVER)
    parser.add_argument("--proposals", type=int, default=120)
    parser.add_argument("--warm", type=int, default=20, help="Submissions first, not counted.")
    parser.add_argument("--pdf-mb", type=float, default=2)
    parser.add_argument("--profile", type=Path, help="Run the worker under cProfile, write its stats here.")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-submission-cpu-"))
    data_dir = work / "data"
    data_dir.mkdir()
    server = None
    try:
        with rush.fresh_database(args.db, data_dir, args.pg_server) as url:
            companies, _deadline = rush.prepare(url, count=args.proposals, deadline_minutes=60)
            for company in companies:
                text = f"Solution brief of {company.legal_name} (KvK {company.kvk_number})"
                company.body = rush.pdf_document(text, args.pdf_mb)
                company.sha256 = hashlib.sha256(company.body).hexdigest()
            port = free_port()
            server = rush.start_server(
                url=url, data_dir=data_dir, port=port, workers=1, log_file=work / "server.log", profile=args.profile
            )
            for company in companies:
                company.csrf_cookie = rush.csrf_cookie(port)
                if rush.open_form(port, company) != 200:
                    raise RuntimeError("the documents page did not answer 200")
            uploads: list[tuple[float, float]] = []
            for number, company in enumerate(companies):
                pids = process_tree(server.pid)
                before = _cpu(pids)
                outcome = rush.submit_one(port, company)
                if not outcome.ok:
                    raise RuntimeError(outcome.error)
                after = _cpu(sorted(set(pids) | set(process_tree(server.pid))))
                if number >= args.warm:
                    uploads.append((after[0] - before[0], after[1] - before[1]))
            stop_server(server)
            server = None
            if args.profile is not None:
                rush.show_profile(args.profile)
            check = rush.verify(url, data_dir / "blobs", companies)
            if check.lost or check.duplicated or check.corrupt:
                raise RuntimeError(f"lost {check.lost}, duplicated {check.duplicated}, corrupt {check.corrupt}")
        user = mean(u for u, _ in uploads) * 1000
        system = mean(s for _, s in uploads) * 1000
        print(
            f"submission_cpu db={args.db} submissions={len(uploads)} user_ms={user:.1f} sys_ms={system:.1f} "
            f"total_ms={user + system:.1f}"
        )
    finally:
        if server is not None:
            stop_server(server)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    log(f"{time.perf_counter() - started:.0f} s")
