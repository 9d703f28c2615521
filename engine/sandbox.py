"""Run untrusted commands under bubblewrap with limits.

What a sandboxed command gets (checked in this container, bwrap 0.8, running as root):

* ``--unshare-all`` (network, IPC, PID, UTS, cgroup and user namespaces): no network,
  its own PID 1, and ``--die-with-parent`` so nothing outlives the engine.
* read-only ``/usr /bin /sbin /lib /lib64 /etc`` and any extra ``ro_binds`` (the build);
  a private writable working directory at ``/work`` (the task's ``work_dir``) with
  ``/tmp`` bound to ``work_dir/.tmp``; fresh ``/proc`` and ``/dev``; an empty environment
  plus what the caller passes.
* a dedicated unprivileged uid per sandbox (when the engine runs as root): bwrap is
  started through ``Popen(user=…)``; the uid only exists for this sandbox, so
  RLIMIT_NPROC counts exactly the sandbox's processes. (Running as root, RLIMIT_NPROC is
  not enforced at all; not being root, we fall back to the engine's own uid, and the
  process limit then also counts the engine's other processes.)
* rlimits set by util-linux ``prlimit`` just before ``exec bwrap``: RLIMIT_AS (memory:
  ``max(limit, MEMORY_FLOOR)`` per process), RLIMIT_CPU (per process, SIGXCPU then
  SIGKILL), RLIMIT_NPROC, RLIMIT_FSIZE (bytes per written file), RLIMIT_CORE 0.
  cgroups are mounted read-only here, so no cgroup memory/pids controller: memory is per
  process (a fork server's workers each get the limit) and total CPU is checked after the
  run from rusage (the wall-time limit bounds it during the run).

Limits are reported by name: the engine kills on wall time, output bytes, cancellation and
a process table at the limit; it infers a CPU kill from SIGXCPU/SIGKILL with the CPU time at
the limit, and a memory failure from an abnormal end with the peak RSS near the limit or an
allocation-failure message on stderr (RLIMIT_AS makes malloc fail rather than kill).
"""
from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BWRAP = shutil.which("bwrap") or "/usr/bin/bwrap"
PRLIMIT = shutil.which("prlimit") or "/usr/bin/prlimit"
MEMORY_FLOOR = 64 * 1024 * 1024  # a glibc process needs a few tens of MB of address space
SANDBOX_UID_BASE = 200_000
_uid_counter = itertools.count()
_uid_lock = threading.Lock()

ALLOC_MARKERS = (b"Cannot allocate memory", b"bad_alloc", b"out of memory", b"Out of memory",
                 b"MemoryError", b"Allocation would exceed memory limit", b"virtual memory exhausted")


@dataclass
class Limits:
    wall_s: float = 10.0
    cpu_s: float = 10.0
    memory_bytes: int = 256 * 1024 * 1024
    processes: int = 64
    output_bytes: int = 1 << 20        # per stream (stdout, stderr)
    file_bytes: int = 256 * 1024 * 1024  # largest file a program may write

    def describe_memory(self) -> str:
        return f"{self.memory_bytes / (1024 * 1024):.0f} MB"


COMPILE_LIMITS = Limits(wall_s=120, cpu_s=120, memory_bytes=3 << 30, processes=64,
                        output_bytes=1 << 20, file_bytes=1 << 30)


@dataclass
class SandboxResult:
    status: str  # ok | exit_nonzero | signaled | wall_time | cpu_time | memory | processes | output | cancelled | sandbox_error
    message: str
    returncode: int | None
    stdout: bytes = b""
    stderr: bytes = b""
    wall_ms: float = 0.0
    cpu_ms: float = 0.0
    maxrss_kb: int = 0
    truncated: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _pick_uid() -> int | None:
    if os.geteuid() != 0:
        return None
    with _uid_lock:
        # pid_max is at most 2^22, so no two live engine processes share a block of
        # uids; within a process the counter wraps after 1000 concurrent sandboxes.
        return SANDBOX_UID_BASE + os.getpid() * 1000 + next(_uid_counter) % 1000


def _count_uid_procs(uid: int) -> int:
    n = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.stat(f"/proc/{d}").st_uid == uid:
                    n += 1
            except OSError:
                pass
    return n


def _make_traversable(path: Path) -> None:
    """bwrap runs as the sandbox uid and must reach the bind sources: add search (x, not
    read) permission for others on ancestors we own that lack it (e.g. mkdtemp's 0700)."""
    for a in [path, *path.parents]:
        try:
            st = os.stat(a)
        except OSError:
            continue
        if not st.st_mode & 0o001 and st.st_uid == os.geteuid():
            os.chmod(a, st.st_mode | 0o001)


def _chown_tree(path: Path, uid: int) -> None:
    os.chown(path, uid, uid)
    for root, dirs, files in os.walk(path):
        for n in dirs + files:
            try:
                os.chown(os.path.join(root, n), uid, uid, follow_symlinks=False)
            except OSError:
                pass


def run_sandboxed(argv: list[str], *, work_dir: Path, limits: Limits | None = None,
                  env: dict[str, str] | None = None, ro_binds: list[Path] = (),
                  rw_binds: list[Path] = (), cancel: threading.Event | None = None,
                  stdin_bytes: bytes | None = None, cwd: str = "/work") -> SandboxResult:
    """Run argv inside the sandbox; paths in argv are as seen inside (binds keep their paths,
    work_dir is /work)."""
    lim = limits or Limits()
    work_dir = Path(work_dir).resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / ".tmp").mkdir(exist_ok=True)
    uid = _pick_uid()
    if uid is not None:
        _chown_tree(work_dir, uid)
        for p in rw_binds:
            _chown_tree(Path(p), uid)
    if uid is not None:
        for p in [work_dir, *ro_binds, *rw_binds]:
            _make_traversable(Path(p))
    mem = max(int(lim.memory_bytes), MEMORY_FLOOR)
    cpu = max(1, int(round(lim.cpu_s)))
    nproc = lim.processes + 3  # bwrap's own two processes and the pid-1 init
    cmd = [PRLIMIT, f"--as={mem}", f"--cpu={cpu}:{cpu + 1}", f"--nproc={nproc}",
           f"--fsize={int(lim.file_bytes)}", "--core=0", "--",
           BWRAP, "--unshare-all", "--die-with-parent", "--new-session",
           "--hostname", "sandbox"]
    for d in ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32", "/etc"):
        if os.path.exists(d):
            cmd += ["--ro-bind", d, d]
    cmd += ["--proc", "/proc", "--dev", "/dev",
            "--bind", str(work_dir), "/work", "--bind", str(work_dir / ".tmp"), "/tmp"]
    for p in ro_binds:
        cmd += ["--ro-bind", str(p), str(p)]
    for p in rw_binds:
        cmd += ["--bind", str(p), str(p)]
    cmd += ["--chdir", cwd, "--clearenv"]
    base_env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/work", "TMPDIR": "/tmp", "LANG": "C.UTF-8"}
    base_env.update(env or {})
    for k, v in base_env.items():
        cmd += ["--setenv", k, v]
    from .toolchain import native_dir
    nd = native_dir()
    cmd += ["--ro-bind", str(nd), str(nd)]
    rusage_file = work_dir / ".rusage"
    if rusage_file.exists():
        rusage_file.unlink()
    cmd += ["--", str(nd / "pexec"), "/work/.rusage"] + list(argv)

    t0 = time.monotonic()
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin_bytes is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                                user=uid, group=uid, extra_groups=[] if uid is not None else None)
    except OSError as e:
        return SandboxResult("sandbox_error", f"could not start the sandbox: {e}", None)

    bufs = {"stdout": bytearray(), "stderr": bytearray()}
    over = {"stdout": False, "stderr": False}
    overflow = threading.Event()

    def reader(name: str, f) -> None:
        while True:
            chunk = f.read1(65536) if hasattr(f, "read1") else f.read(65536)
            if not chunk:
                break
            room = lim.output_bytes - len(bufs[name])
            if room > 0:
                bufs[name] += chunk[:room]
            if len(chunk) > room:
                over[name] = True
                overflow.set()
                break
        f.close()

    threads = [threading.Thread(target=reader, args=(n, getattr(proc, n)), daemon=True) for n in bufs]
    for t in threads:
        t.start()
    if stdin_bytes is not None:
        try:
            proc.stdin.write(stdin_bytes)
            proc.stdin.close()
        except OSError:
            pass

    killed_for = None
    at_limit = 0
    last_proc_check = 0.0
    status_word = None
    ru = None
    while True:
        pid, st, r = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            status_word, ru = st, r
            break
        now = time.monotonic()
        reason = None
        if cancel is not None and cancel.is_set():
            reason = "cancelled"
        elif now - t0 > lim.wall_s:
            reason = "wall_time"
        elif overflow.is_set():
            reason = "output"
        elif uid is not None and now - last_proc_check > 0.25:
            last_proc_check = now
            at_limit = at_limit + 1 if _count_uid_procs(uid) >= nproc - 1 else 0
            if at_limit >= 3:
                reason = "processes"
        if reason:
            if reason == "wall_time" and uid is not None and _count_uid_procs(uid) >= nproc - 1:
                reason = "processes"
            killed_for = reason
            _kill(proc.pid, uid)
            _, status_word, ru = os.wait4(proc.pid, 0)
            break
        time.sleep(0.002 if now - t0 < 0.05 else 0.01)
    proc.returncode = os.waitstatus_to_exitcode(status_word)
    if uid is not None:
        _kill_uid(uid)  # stragglers that escaped the process group (none with a PID namespace)
    for t in threads:
        t.join(timeout=2)
    wall_ms = (time.monotonic() - t0) * 1000
    cpu_ms = (ru.ru_utime + ru.ru_stime) * 1000 if ru else 0.0
    maxrss = ru.ru_maxrss if ru else 0
    try:  # pexec's totals over the program and all its descendants (see pexec.c)
        _st, ut, stt, mr = (int(x) for x in rusage_file.read_text().split())
        cpu_ms, maxrss = (ut + stt) / 1000, max(maxrss, mr)
    except (OSError, ValueError):
        pass
    out, err = bytes(bufs["stdout"]), bytes(bufs["stderr"])
    res = SandboxResult("ok", "", proc.returncode, out, err, wall_ms, cpu_ms, maxrss,
                        {k: v for k, v in over.items() if v})
    rc = proc.returncode
    if killed_for is None and any(over.values()):
        killed_for = "output"  # the program died of SIGPIPE after we stopped reading
    if killed_for == "cancelled":
        res.status, res.message = "cancelled", "cancelled"
    elif killed_for == "wall_time":
        res.status, res.message = "wall_time", f"wall time limit of {lim.wall_s:g} s exceeded"
    elif killed_for == "output":
        which = " and ".join(k for k, v in over.items() if v)
        res.status, res.message = "output", f"output limit of {_fmt_bytes(lim.output_bytes)} exceeded on {which}"
    elif killed_for == "processes":
        res.status, res.message = "processes", f"process limit of {lim.processes} exceeded"
    elif rc == 0:
        pass
    else:
        # bwrap passes the exit code through; a signal death shows as 128+sig from its init
        sig = -rc if rc < 0 else (rc - 128 if rc > 128 else 0)
        if sig in (signal.SIGXCPU, signal.SIGKILL) and cpu_ms >= cpu * 1000 * 0.95:
            res.status, res.message = "cpu_time", f"CPU time limit of {cpu} s exceeded"
        elif (maxrss * 1024 >= 0.7 * mem) or any(m in err for m in ALLOC_MARKERS):
            res.status, res.message = "memory", f"memory limit of {lim.describe_memory()} exceeded"
        elif sig:
            res.status = "signaled"
            res.message = f"terminated by signal {sig} ({_signame(sig)})"
        else:
            res.status, res.message = "exit_nonzero", f"exited with status {rc}"
    if res.status == "ok" and cpu_ms > lim.cpu_s * 1000 * 1.5 and lim.cpu_s > 0:
        # total CPU over several processes (a fork server's workers) is only known afterwards
        res.status, res.message = "cpu_time", f"CPU time limit of {cpu} s exceeded (total {cpu_ms / 1000:.1f} s)"
    return res


def _kill(pid: int, uid: int | None) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if uid is not None:
        _kill_uid(uid)


def _kill_uid(uid: int) -> None:
    # The uid belongs to this sandbox alone, so everything it owns is ours to stop.
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.stat(f"/proc/{d}").st_uid == uid:
                    os.kill(int(d), signal.SIGKILL)
            except (OSError, ProcessLookupError):
                pass


def _signame(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return "?"


def _fmt_bytes(n: int) -> str:
    if n >= 1 << 20:
        return f"{n / (1 << 20):g} MB"
    if n >= 1 << 10:
        return f"{n / (1 << 10):g} KB"
    return f"{n} B"
