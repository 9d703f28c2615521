"""Build work: the engine worker's side of a build (`penumbra.work.build.<bld_id>`).

The builds service stores a build as Accepted and queues its id. A worker here
fetches the job over BuildWork.GetBuildJob, reports Initialising (sources: the
code, or a `git clone` of the repository at Commit/Branch), In Progress
(compiling with `engine.build`), stores the artifacts in the blob store and
reports the result (Completed / Failed / Cancelled, with stats and, when asked,
the program's variables read from DWARF). While it works it polls
ReportBuildStatus every HEARTBEAT_S; a cancel kills the compiler (or git).

Blob layout, `builds/<bld_id>/`: `output.txt` (compiler output, always),
`prog` (the binary) and `build.json` (what `load_build` needs), on success.

load_build(store, build_id, dest_dir) -> engine.BuildResult   (for task workers)
    store:     the blob store (services.common.blobs.open_store(settings)).
    build_id:  a build that reached Completed. Ownership is not checked here:
               the caller has already checked, as the task's owner, that the
               build is theirs and Completed (BuildService.GetBuild).
    dest_dir:  a directory private to the caller (created if missing; an
               existing `prog` in it is replaced). engine.run binds it read-only,
               so give engine.run a work_dir outside it.
    returns:   BuildResult(status="ok", core=CoreSpec of the build's
               BuildCoreSpecs, language, executor, artifact=dest_dir/"prog",
               out_dir=dest_dir, trace_labels={int: "file:line expr"}, stats)
               ready for engine.run(result, args=…, work_dir=…).
    raises:    BuildNotStored (an engine.EngineError) when the build has no
               stored binary (never completed, failed, or deleted).
"""
from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import posixpath
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import grpc

import engine
from engine import worker
from engine.executors import _safe_cflags, collect_sources, detect_language
from engine.sandbox import COMPILE_LIMITS, run_sandboxed
from engine.toolchain import native_dir
from penumbra.v1 import builds_pb2, internal_pb2, internal_pb2_grpc
from services.common import blobs, config, identity, lifecycle, log

SUBJECT = "penumbra.work.build."
BINARY, OUTPUT, META = "prog", "output.txt", "build.json"
HEARTBEAT_S = 0.5
GIT_TIMEOUT_S = 120
SOURCE_NAMES = {"C": "main.c", "C++": "main.cpp", "Fortran": "main.f90"}

logger = logging.getLogger("engine.build")


class BuildNotStored(engine.EngineError):
    pass


def blob_prefix(build_id: str) -> str:
    return f"builds/{build_id}/"


def blob_key(build_id: str, name: str) -> str:
    return blob_prefix(build_id) + name


# ------------------------------------------------------------------ stored builds
def save_build(store, build_id: str, result: engine.BuildResult) -> int:
    """Stores the binary and what load_build needs; returns the binary's size."""
    store.put_file(blob_key(build_id, BINARY), result.artifact)
    meta = {"core": result.core.to_dict(), "language": result.language, "executor": result.executor,
            "trace_labels": {str(k): v for k, v in result.trace_labels.items()}, "stats": result.stats}
    store.put(blob_key(build_id, META), json.dumps(meta).encode())
    return store.size(blob_key(build_id, BINARY))


def load_build(store, build_id: str, dest_dir: Path) -> engine.BuildResult:
    """See the module docstring for the contract."""
    try:
        meta = json.loads(store.get(blob_key(build_id, META)))
        dest_dir = Path(dest_dir).resolve()
        dest_dir.mkdir(parents=True, exist_ok=True)
        artifact = dest_dir / BINARY
        tmp = dest_dir / f".{BINARY}.tmp"
        with store.open(blob_key(build_id, BINARY)) as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst)
    except blobs.BlobNotFound:
        raise BuildNotStored(f"build {build_id} has no stored binary: it did not complete, or was "
                             f"deleted") from None
    os.chmod(tmp, 0o755)
    os.replace(tmp, artifact)
    return engine.BuildResult(
        status="ok", message="", core=engine.CoreSpec(**meta["core"]), language=meta["language"],
        artifact=artifact, out_dir=dest_dir, executor=meta["executor"],
        trace_labels={int(k): v for k, v in meta["trace_labels"].items()}, stats=meta["stats"])


# ------------------------------------------------------------------ the work handler
_state: dict = {}
_state_lock = threading.Lock()


def _services():
    """(settings, BuildWork stub, blob store, metadata), made once per process."""
    with _state_lock:
        if not _state:
            settings = config.load()
            channel = grpc.insecure_channel(settings.service_addr("builds"))
            _state.update(settings=settings, stub=internal_pb2_grpc.BuildWorkStub(channel),
                          store=blobs.open_store(settings),
                          md=identity.internal_metadata(settings.internal_token),
                          worker=f"{socket.gethostname()}:{os.getpid()}")
    return _state


async def handle(data: bytes, headers: dict) -> None:
    await asyncio.to_thread(run_job, data.decode(), int(headers.get("Penumbra-Delivery", "1")))


worker.HANDLERS[SUBJECT] = handle


class _Stop(Exception):
    """The build was cancelled or handed to another worker while this one worked."""


class Job:
    def __init__(self, build_id: str, attempt: int):
        st = _services()
        self.build_id, self.attempt = build_id, attempt
        self.stub, self.store, self.md, self.worker = st["stub"], st["store"], st["md"], st["worker"]
        self.cancel = threading.Event()     # set when the user cancels (or we were superseded)
        self.superseded = False
        work_root = st["settings"].data_dir / "work"
        work_root.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix=f"{build_id}-", dir=work_root))

    # -- reports --------------------------------------------------------------------
    def status(self, status: str, message: str = ""):
        ack = self.stub.ReportBuildStatus(internal_pb2.ReportBuildStatusRequest(
            build_id=self.build_id, worker_id=self.worker, attempt=self.attempt, status=status,
            message=message), metadata=self.md, timeout=10)
        if not ack.accepted:
            self.superseded = True
            self.cancel.set()
        elif ack.cancel_requested:
            self.cancel.set()
        return ack

    def watch(self, stop: threading.Event) -> None:
        """Heartbeat: learns of a cancel within HEARTBEAT_S and stops the work."""
        while not stop.wait(HEARTBEAT_S):
            try:
                self.status("")
            except grpc.RpcError:
                continue
            if self.cancel.is_set():
                _kill_children_using(self.root)
                return

    def result(self, status: str, message: str, *, build_ms: int = 0, size: int = 0,
               variables=(), artifact: bool = False) -> None:
        self.stub.ReportBuildResult(internal_pb2.ReportBuildResultRequest(
            build_id=self.build_id, worker_id=self.worker, attempt=self.attempt, status=status,
            message=message, artifact_available=artifact,
            stats=builds_pb2.BuildStats(build_time_in_milliseconds=build_ms, build_size_in_bytes=size),
            variables=[builds_pb2.Variable(object="Variable", **v) for v in variables]),
            metadata=self.md, timeout=30)

    def output(self, text: str) -> None:
        self.store.put(blob_key(self.build_id, OUTPUT), text.encode())

    def check(self) -> None:
        if self.cancel.is_set():
            raise _Stop()


def run_job(build_id: str, attempt: int) -> None:
    st = _services()
    try:
        job = st["stub"].GetBuildJob(internal_pb2.GetBuildJobRequest(
            build_id=build_id, worker_id=st["worker"], attempt=attempt), metadata=st["md"], timeout=10)
    except grpc.RpcError as exc:
        if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION):
            log.event(logger, "build work dropped", build_id=build_id, reason=exc.details())
            return          # deleted, cancelled, finished or superseded: nothing to do
        raise               # the builds service is unreachable: redeliver later
    work = Job(build_id, attempt)
    stop = threading.Event()
    watcher = threading.Thread(target=work.watch, args=(stop,), name=f"watch-{build_id}", daemon=True)
    try:
        _build(work, job, watcher)
    except _Stop:
        if not work.superseded:
            work.output("build cancelled by the user\n")
            work.result(lifecycle.CANCELLED, "cancelled by the user")
    finally:
        stop.set()
        if watcher.is_alive():
            watcher.join()
        shutil.rmtree(work.root, ignore_errors=True)


def _build(work: Job, job, watcher: threading.Thread) -> None:
    repo = job.application_type == "Repository"
    work.status(lifecycle.INITIALISING, f"cloning {job.remote_url}" if repo else "preparing the source code")
    work.check()
    watcher.start()
    if repo:
        try:
            src = _clone(work, job)
        except _CloneError as exc:
            work.output(exc.output)
            work.result(lifecycle.FAILED, str(exc))
            return
        language = None
    else:
        src = work.root / "src"
        src.mkdir()
        (src / SOURCE_NAMES[job.language]).write_text(job.code)
        if job.config_mk:
            (src / "config.mk").write_text(job.config_mk)
        language = job.language
    work.check()
    spec = job.core_specs
    core = engine.CoreSpec(spec.core_class, spec.microarchitecture, spec.precision, spec.memory_size,
                           spec.correlation_tracking)
    work.status(lifecycle.IN_PROGRESS, f"compiling for {spec.core_class} {spec.microarchitecture} "
                                       f"(precision {spec.precision})")
    work.check()
    started = time.monotonic()
    traces = [{"File": SOURCE_NAMES[job.language] if not repo else tv.file,
               "LineNumber": tv.line_number, "Expression": tv.expression} for tv in job.trace_variables]
    kwargs = {"cancel": work.cancel} if "cancel" in _BUILD_PARAMS else {}
    try:
        result = engine.build(src, core=core, language=language, out_dir=work.root / "out",
                              limits=COMPILE_LIMITS, trace_variables=traces or None, **kwargs)
    except Exception as exc:       # an engine bug must fail the build, not loop on it
        logger.exception("engine.build raised", extra={"fields": {"build_id": job.build_id}})
        work.check()
        work.output(f"internal engine error: {exc!r}\n")
        work.result(lifecycle.FAILED, f"internal engine error: {exc}")
        return
    work.check()
    variables = []
    if result.ok and job.discover_variables:
        variables = discover_variables(src, language or result.language, work.root / "dwarf")
        work.check()
    build_ms = int((time.monotonic() - started) * 1000)
    work.output(result.compiler_output or (result.message + "\n" if not result.ok else ""))
    if not result.ok:
        work.result(lifecycle.FAILED, result.message or "compilation failed", build_ms=build_ms)
        return
    size = save_build(work.store, job.build_id, result)
    work.result(lifecycle.COMPLETED, "build completed", build_ms=build_ms, size=size, variables=variables,
                artifact=True)


_BUILD_PARAMS = inspect.signature(engine.build).parameters


# ------------------------------------------------------------------ git
class _CloneError(Exception):
    def __init__(self, message: str, output: str):
        super().__init__(message)
        self.output = output


def _git(work: Job, args: list[str], cwd: Path | None = None) -> str:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work.root),
           "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1",
           # ext:: and other transports run commands: allow plain fetch transports only.
           "GIT_ALLOW_PROTOCOL": "file:http:https:git"}
    proc = subprocess.Popen(["git", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + GIT_TIMEOUT_S
    while proc.poll() is None:
        if work.cancel.is_set() or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            work.check()
            raise _CloneError(f"git {args[0]} took longer than {GIT_TIMEOUT_S} s", "")
        time.sleep(0.02)
    out = proc.stdout.read().decode(errors="replace")
    if proc.returncode != 0:
        lines = out.strip().splitlines() or [f"exit status {proc.returncode}"]
        raise _CloneError(f"git {args[0]} failed: {next((l for l in lines if l.startswith('fatal:')), lines[-1])}",
                          out)
    return out


def _clone(work: Job, job) -> Path:
    repo = work.root / "repo"
    url = job.remote_url
    if url.startswith("/"):
        url = "file://" + url     # a plain path would let git hard-link and read its hooks config
    _git(work, ["clone", "--quiet", "--no-checkout", "--", url, str(repo)])
    commit = job.commit if job.commit not in ("", "HEAD") else f"origin/{job.branch}"
    if job.commit in ("", "HEAD") and not job.branch:
        commit = "HEAD"
    _git(work, ["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit, "--"],
         cwd=repo)
    src = (repo / job.build_directory).resolve() if job.build_directory else repo
    if repo.resolve() not in [src, *src.parents] or not src.is_dir():
        raise _CloneError(f"BuildDirectory {job.build_directory!r} is not a folder of the repository "
                          f"at {commit}", "")
    return src


def _kill_children_using(path: Path) -> None:
    """Kills this process's children (the compile sandbox) whose command line
    names `path`; bwrap's --die-with-parent then ends the whole sandbox."""
    me, needle = str(os.getpid()), str(path).encode()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = f.read().rsplit(")", 1)[1].split()[1]
            if ppid == me and needle in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(int(pid), signal.SIGKILL)
        except (OSError, IndexError):
            continue


# ------------------------------------------------------------------ variables
def discover_variables(src: Path, language: str, work_dir: Path) -> list[dict]:
    """Variables and parameters of the program's own sources, from the DWARF of a
    `-g -O0 -c` compile (sandboxed, like every compile of user code)."""
    from elftools.elf.elffile import ELFFile
    files, cflags, root = collect_sources(src)
    language = language or detect_language(files)
    work_dir.mkdir(parents=True)
    shutil.copytree(root, work_dir / "src", ignore=shutil.ignore_patterns(".git"))
    nd = native_dir()
    compiler = {"C": "gcc", "C++": "g++", "Fortran": "gfortran"}[language]
    cmd = [compiler, "-g", "-O0", "-c", "-w", "-I", str(nd)]
    if language == "Fortran":
        cmd += ["-J", "/work"]
    cmd += _safe_cflags(cflags) + ["src/" + str(f.relative_to(root)) for f in files]
    res = run_sandboxed(cmd, work_dir=work_dir, limits=COMPILE_LIMITS, ro_binds=[nd])
    if not res.ok:
        # The build itself succeeded; only the listing is lost. Say why in the log.
        logger.warning("variable discovery compile failed", extra={"fields": {
            "status": res.status, "message": res.message, "stderr": res.stderr[-2000:].decode(errors="replace")}})
        return []
    found, seen = [], set()
    for obj in sorted(work_dir.glob("*.o")):
        with open(obj, "rb") as f:
            elf = ELFFile(f)
            if not elf.has_dwarf_info():
                continue
            dwarf = elf.get_dwarf_info()
            for cu in dwarf.iter_CUs():
                names = _file_names(dwarf, cu)
                _walk(cu.get_top_DIE(), "", names, found, seen)
    return found


def _file_names(dwarf, cu) -> dict[int, str]:
    """DWARF file index -> path relative to the build directory, for the user's files only."""
    lp = dwarf.line_program_for_CU(cu)
    if lp is None:
        return {}
    dirs = [d.decode() if isinstance(d, bytes) else d for d in lp["include_directory"]]
    base = 0 if lp.header.version >= 5 else 1
    out = {}
    for i, entry in enumerate(lp["file_entry"]):
        name = entry.name.decode() if isinstance(entry.name, bytes) else entry.name
        d = entry.dir_index - (0 if lp.header.version >= 5 else 1)
        if not name.startswith("/") and 0 <= d < len(dirs):
            name = posixpath.join(dirs[d], name)
        name = posixpath.normpath(name)
        for prefix in ("/work/src/", "src/"):
            if name.startswith(prefix):
                out[i + base] = name[len(prefix):]
    return out


def _walk(die, function: str, names: dict, found: list, seen: set) -> None:
    for child in die.iter_children():
        tag, attrs = child.tag, child.attributes
        if tag == "DW_TAG_subprogram":
            if "DW_AT_artificial" in attrs:     # compiler-made, e.g. gfortran's main()
                continue
            name = attrs["DW_AT_name"].value.decode() if "DW_AT_name" in attrs else function
            _walk(child, name, names, found, seen)
        elif tag in ("DW_TAG_lexical_block", "DW_TAG_module"):
            _walk(child, function, names, found, seen)
        elif tag in ("DW_TAG_variable", "DW_TAG_formal_parameter"):
            if "DW_AT_name" not in attrs or "DW_AT_declaration" in attrs or "DW_AT_artificial" in attrs:
                continue
            file = names.get(attrs["DW_AT_decl_file"].value) if "DW_AT_decl_file" in attrs else None
            if file is None:
                continue
            var = {"name": attrs["DW_AT_name"].value.decode(errors="replace"),
                   "type": "Variable" if tag == "DW_TAG_variable" else "Parameter", "file": file,
                   "line": attrs["DW_AT_decl_line"].value if "DW_AT_decl_line" in attrs else 0,
                   "function": function}
            key = tuple(var.values())
            if key not in seen:
                seen.add(key)
                found.append(var)
