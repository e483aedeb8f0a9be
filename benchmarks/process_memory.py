"""Resident memory of a process and its descendants, read from /proc (Linux only)."""

from __future__ import annotations

import threading
from pathlib import Path


def process_tree(pid: int) -> list[int]:
    """Return `pid` and its descendants, read from /proc/<pid>/task/*/children."""
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            pids.extend(process_tree(int(child)))
    return pids


def status_kib(pid: int, field: str) -> int:
    """Return one field of /proc/<pid>/status in KiB (VmRSS, VmHWM), or 0 once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_memory_mib(pid: int) -> dict[str, float]:
    """Return the current (VmRSS) and peak (VmHWM) resident memory of a process tree, in MiB.

    The peak is the sum of each process's own peak, an upper bound for the tree's peak.
    """
    pids = process_tree(pid)
    return {
        "rss_mib": round(sum(status_kib(p, "VmRSS") for p in pids) / 1024, 1),
        "peak_mib": round(sum(status_kib(p, "VmHWM") for p in pids) / 1024, 1),
        "processes": len(pids),
    }


class TreeMemorySampler:
    """Samples the summed VmRSS of a process tree every `interval` seconds in a thread.

    `peak_mib` is the largest sum seen. A peak shorter than the interval can be missed,
    so it is a lower bound; `largest_process_mib` is the largest VmHWM of one process.
    """

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_mib = 0.0
        self.largest_process_mib = 0.0
        self.max_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = process_tree(self.pid)
            total = sum(status_kib(p, "VmRSS") for p in pids) / 1024
            largest = max((status_kib(p, "VmHWM") for p in pids), default=0) / 1024
            self.peak_mib = max(self.peak_mib, round(total, 1))
            self.largest_process_mib = max(self.largest_process_mib, round(largest, 1))
            self.max_processes = max(self.max_processes, len(pids))
            self._stop.wait(self.interval)
