"""Enters a per-environment sandbox, then runs ``shim.py`` inside it (Linux; standard library only).

Started by LocalStack as ``<function python> -u shim_sandbox.py '<json spec>'``. A process with
threads cannot create a user namespace (EINVAL), and LocalStack runs ~80 of them, so the sandbox is
entered here, in a fresh single-threaded interpreter, never in LocalStack:

1. ``unshare(user | mount | pid)``, mapping the caller's uid/gid to root of the new user namespace
   (no privilege needed on kernels that allow unprivileged user namespaces).
2. ``fork``: the child is pid 1 of a new pid namespace, so a fresh ``/proc`` shows only the
   environment's processes (with the host's ``/proc``, ``/proc/<pid>/root`` of any process of the
   same user would lead back to the writable host file system). This process stays outside as a
   supervisor: it reports the child's exit status as its own (the executor's ``Runtime.ExitError``
   wording) and kills the child if LocalStack goes away.
3. The child builds a new root on a tmpfs from read-only bind mounts of the host's top-level
   directories, with ``/root``, ``/home`` and the user's home hidden (only the interpreter's own
   directories are bound back), the code at ``/var/task``, the runtime at ``/var/runtime``, and the
   environment's own host directory at ``/tmp`` (the only writable place), then ``pivot_root``.
4. A second user + mount namespace, with the function's uid 993 (AWS's ``sbx_user1051``), locks
   every mount: the function cannot unmount or remount anything to undo the sandbox.
5. ``shim.py`` runs in this interpreter (``runpy``), so the sandbox costs no second interpreter start.

``--probe`` builds the same sandbox around an empty task and exits 0: the executor runs it once at
start to decide between this and the fallback (a per-environment ``TMPDIR`` only).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import platform
import resource
import select
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
MNT_DETACH = 0x2
AT_FDCWD = -100
AT_RECURSIVE = 0x8000
MOUNT_ATTR_RDONLY = 0x1
MOUNT_ATTR_NOSUID = 0x2
PR_SET_PDEATHSIG = 1
SYSCALLS = {  # (pivot_root, mount_setattr); mount_setattr has one number on every architecture
    "x86_64": (155, 442),
    "aarch64": (41, 442),
    "arm64": (41, 442),
}
# AWS runs functions as sbx_user1051 (uid 993, gid 990).
FUNCTION_UID = 993
FUNCTION_GID = 990
# Top-level host directories never bound into the sandbox: replaced (proc, tmp, var) or hidden.
NOT_BOUND = {"proc", "tmp", "var", "run", "root", "home", "lost+found", "mnt", "media", "srv", "boot"}
SETUP_FAILED = 70

_libc = ctypes.CDLL(None, use_errno=True)


class MountAttr(ctypes.Structure):
    _fields_ = [
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    ]


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    def encode(text: str | None) -> bytes | None:
        return text.encode() if text is not None else None

    result = _libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data))
    _check(result, f"mount {target}")


def _bind(source: str, target: str) -> None:
    _mount(source, target, None, MS_BIND | MS_REC)


def _syscall(number: int, *args: object) -> int:
    return int(_libc.syscall(number, *args))


def _numbers() -> tuple[int, int]:
    machine = platform.machine().lower()
    if machine not in SYSCALLS:
        raise OSError(38, f"no pivot_root/mount_setattr number known for {machine}")
    return SYSCALLS[machine]


def _make_read_only(path: str) -> None:
    """Read-only (and nosuid) for the mount at ``path`` and every mount below it, in one call."""
    attr = MountAttr(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, 0, 0, 0)
    result = _syscall(
        _numbers()[1], AT_FDCWD, path.encode(), AT_RECURSIVE, ctypes.byref(attr), ctypes.sizeof(attr)
    )
    _check(result, f"mount_setattr {path}")


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def _map_ids(inside_uid: int, outside_uid: int, inside_gid: int, outside_gid: int) -> None:
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{inside_uid} {outside_uid} 1")
    _write("/proc/self/gid_map", f"{inside_gid} {outside_gid} 1")


def _unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def _inside(root: str, path: str) -> str:
    return str(Path(root, path.lstrip("/")))


def _under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def interpreter_dirs() -> list[str]:
    """What this interpreter needs at its own paths: prefixes, its executable's directory, sys.path."""
    found = {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sys.base_exec_prefix,
        str(Path(sys.executable).resolve().parent),
        str(Path(sys.executable).absolute().parent),
    }
    here = str(Path(__file__).absolute().parent)
    found.update(p for p in sys.path if p and Path(p).is_dir() and not _under(p, here))
    return sorted({os.path.realpath(p) for p in found} | found)


def build_root(spec: dict[str, Any]) -> None:
    """Mount the sandbox's file system at spec['root'] and pivot into it (run as pid 1 of the new ns)."""
    root = str(spec["root"])
    hide = [os.path.realpath(str(p)) for p in spec.get("hide", []) if p]
    hide = [path for path in hide if path != "/"]
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID, "mode=0755,size=16m")
    for entry in sorted(path.name for path in Path("/").iterdir()):
        source = "/" + entry
        target = _inside(root, entry)
        if Path(source).is_symlink():
            Path(target).symlink_to(Path(source).readlink())
        elif Path(source).is_dir():
            Path(target).mkdir(0o755)
            if entry not in NOT_BOUND and source not in hide:
                _bind(source, target)
    for required in ("proc", "tmp", "var", "dev", "sys"):
        Path(_inside(root, required)).mkdir(0o755, parents=True, exist_ok=True)
    # a home inside a bound tree (e.g. /work/alice) is covered; /root and /home are simply not bound
    for hidden in hide:
        target = _inside(root, hidden)
        top = hidden.strip("/").split("/")[0]
        if top not in NOT_BOUND and Path(target).is_dir() and hidden != "/" + top:
            _mount("tmpfs", target, "tmpfs", MS_NOSUID, "mode=0755,size=1m")
    bound: list[str] = []
    for keep in interpreter_dirs():
        target = _inside(root, keep)
        if any(_under(keep, done) for done in bound) or not Path(keep).is_dir():
            continue
        top = keep.strip("/").split("/")[0]
        covered = top in NOT_BOUND or any(_under(keep, h) for h in hide)
        if covered:
            Path(target).mkdir(0o755, parents=True, exist_ok=True)
            _bind(keep, target)
            bound.append(keep)
    resolv = os.path.realpath("/etc/resolv.conf")
    if _under(resolv, "/run") and Path(resolv).is_file():
        Path(_inside(root, resolv)).parent.mkdir(parents=True, exist_ok=True)
        Path(_inside(root, resolv)).touch()
        _bind(resolv, _inside(root, resolv))
    mounts = {"/var/task": str(spec["code"]), "/var/runtime": str(spec["runtime"])}
    for index, layer in enumerate(spec.get("layers", [])):
        mounts[f"/var/layers/{index}"] = str(layer)
    for inside, source in mounts.items():
        Path(_inside(root, inside)).mkdir(0o755, parents=True, exist_ok=True)
        _bind(source, _inside(root, inside))
    _make_read_only(root)
    _bind(str(spec["tmp"]), _inside(root, "tmp"))  # after the read-only pass: the one writable mount
    # An interpreter that lives under /tmp (a CI job's fresh clone, say) would be hidden by the private
    # /tmp: botocore reads its data files lazily, long after the imports. Bind it again on top, read-only.
    for keep in bound:
        if _under(keep, "/tmp"):
            target = _inside(root, keep)
            Path(target).mkdir(0o755, parents=True, exist_ok=True)
            _bind(keep, target)
            _make_read_only(target)
    _mount("proc", _inside(root, "proc"), "proc", MS_NOSUID)
    os.chdir(root)
    _check(_syscall(_numbers()[0], b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "umount old root")
    os.chdir("/")


def lock(outside_uid: int, outside_gid: int) -> None:
    """A nested user + mount namespace: every mount becomes locked, the function runs as uid 993."""
    _unshare(CLONE_NEWUSER | CLONE_NEWNS)
    _map_ids(FUNCTION_UID, outside_uid, FUNCTION_GID, outside_gid)


def supervise(child: int) -> None:
    """Wait for the child; exit as it did (same code or same signal); kill it if LocalStack goes away."""
    parent = os.getppid()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda number, _frame: os.kill(child, signal.SIGKILL))
    pidfd = os.pidfd_open(child) if hasattr(os, "pidfd_open") else None
    while True:
        if pidfd is not None:
            with contextlib.suppress(InterruptedError):
                select.select([pidfd], [], [], 0.5)
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            break
        if pidfd is None:
            signal.sigtimedwait([signal.SIGCHLD], 0.5)
        if os.getppid() != parent:
            os.kill(child, signal.SIGKILL)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else SETUP_FAILED)


def enter(spec: dict[str, Any]) -> None:
    """Steps 1-4; returns in the sandboxed child (pid 1), never in the supervisor."""
    uid, gid = os.getuid(), os.getgid()
    _unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID)
    _map_ids(0, uid, 0, gid)
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child:
        supervise(child)
    try:
        _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
        # pid 1 ignores signals it has no handler for: the executor's stop() sends SIGTERM first
        signal.signal(signal.SIGTERM, lambda _n, _f: os._exit(128 + signal.SIGTERM))
        build_root(spec)
        lock(0, 0)
        limit = int(spec.get("tmp_bytes") or 0)
        if limit:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    except Exception as exc:
        sys.stderr.write(f"scones sandbox: cannot enter the sandbox: {exc}\n")
        sys.stderr.flush()
        os._exit(SETUP_FAILED)


def probe() -> None:
    """Build a sandbox around an empty task and check what the function would see."""
    with tempfile.TemporaryDirectory(prefix="scones-sandbox-probe-") as work:
        for sub in ("code", "tmp", "root"):
            Path(work, sub).mkdir()
        here = str(Path(__file__).absolute().parent)
        spec: dict[str, Any] = {
            "root": f"{work}/root",
            "code": f"{work}/code",
            "tmp": f"{work}/tmp",
            "runtime": here,
        }
        spec["hide"] = [str(Path("~").expanduser())]
        needed = interpreter_dirs()
        pid = os.fork()
        if pid == 0:
            enter(spec)
            try:
                assert Path("/var/runtime/shim.py").is_file()
                missing = [path for path in needed if not Path(path).is_dir()]
                assert not missing, f"the interpreter's directories are not visible: {missing}"
                assert os.getuid() == FUNCTION_UID
                open("/tmp/probe", "w").close()
                try:
                    open("/var/task/probe", "w").close()
                except OSError:
                    pass
                else:
                    raise AssertionError("/var/task is writable")
            except BaseException as exc:
                sys.stderr.write(f"scones sandbox probe: {exc!r}\n")
                os._exit(1)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        sys.exit(0 if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else 1)


def main(argv: list[str]) -> None:
    if argv[1:] == ["--probe"]:
        probe()
        return
    spec = json.loads(argv[1])
    enter(spec)
    os.chdir("/var/task")
    sys.argv = ["/var/runtime/shim.py"]
    sys.path[0] = "/var/runtime"
    import runpy

    runpy.run_path("/var/runtime/shim.py", run_name="__main__")


if __name__ == "__main__":
    main(sys.argv)
