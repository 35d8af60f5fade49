"""HTML → PDF with a headless Chromium, when one is installed (Debian: ``/usr/bin/chromium``).

Chromium prints exactly what a browser shows (inline SVG, CJK fonts, tables), with no extra
Python dependency. When no Chromium is found the caller simply gets no PDF.

A report starts :class:`PdfPrinter` before it draws its figures. The browser starts and, in a
background thread, opens a page and prints a small warm-up page in the report's fonts (the
first print of a browser loads fonts and starts its helper processes: about half of a cold
print's time). All of that overlaps the drawing; printing the report is then a few messages
on the DevTools pipe (``--remote-debugging-pipe``: JSON messages ending in a NUL byte, on file
descriptors 3 and 4). Should the pipe fail, the one-shot ``--print-to-pdf`` command is used.
"""

from __future__ import annotations

import base64
import fcntl
import json
import logging
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

log = logging.getLogger(__name__)

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")


def find_chromium() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def profile_root() -> str | None:
    """Where the browser's throwaway profile goes: memory (``/dev/shm``) where there is one.
    Chromium writes ~190 files there, some with fsync (its SQLite databases); on a disk,
    removing them alone took 0.3–0.5 s at the end of every report."""
    shm = "/dev/shm"  # noqa: S108 (a private mkdtemp folder inside it)
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


def _print_once(exe: str, html: Path, pdf: Path, timeout_s: float) -> Path | None:
    """Start Chromium, print, quit: the fallback when the DevTools pipe is not usable."""
    with tempfile.TemporaryDirectory(prefix="rescity-pdf-", dir=profile_root()) as profile:
        cmd = [exe, *FLAGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
               f"--print-to-pdf={pdf.resolve()}", html.resolve().as_uri()]
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=timeout_s)  # noqa: S603
        except (subprocess.SubprocessError, OSError) as exc:
            log.warning("PDF conversion with %s failed: %s", exe, exc)
            return None
    return pdf if pdf.is_file() and pdf.stat().st_size > 0 else None


class _Spawned:
    """A process started with ``posix_spawn``, given file descriptors at chosen numbers.

    ``subprocess`` can only keep descriptors at their numbers (or move them in a
    ``preexec_fn``, Python code between fork and exec: unsafe next to the progress bar's
    thread); ``posix_spawn`` moves them itself.
    """

    def __init__(self, exe: str, args: list[str], fds: dict[int, int]) -> None:
        # A descriptor already at one of the chosen numbers would be overwritten before it is
        # moved: copy such ones out of the way first.
        moved = {n: fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) if fd in fds else fd
                 for n, fd in fds.items()}
        actions: list[tuple[Any, ...]] = [
            (os.POSIX_SPAWN_OPEN, n, os.devnull, os.O_RDWR, 0) for n in (0, 1, 2)]
        actions += [(os.POSIX_SPAWN_DUP2, fd, n) for n, fd in moved.items()]
        try:
            # Signals Python ignores (SIGPIPE) back to their defaults, as subprocess does.
            self.pid = os.posix_spawn(exe, [exe, *args], os.environ, file_actions=actions,
                                      setsigdef=(signal.SIGPIPE, signal.SIGXFSZ))
        finally:
            for n, fd in moved.items():
                if fd != fds[n]:
                    os.close(fd)
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0.0)
            time.sleep(0.02)
        assert self.returncode is not None
        return self.returncode

    def kill(self) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)

    def terminate(self) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal.SIGTERM)


WARM_UP_TIMEOUT_S = 60.0
_PIXEL_PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQ"
              "AAAABJRU5ErkJggg==")
WARM_UP_HTML = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>
body {{ font-family: "Noto Sans CJK SC", "Noto Sans", "DejaVu Sans", sans-serif; }}
</style></head><body><h1>韧性评估 Resilience</h1><table><tr><th>指数</th><td>0.512</td></tr>
</table><p><i>Ħal Qormi</i> 生活服务指数 Life-service index</p>
<img alt="" src="data:image/png;base64,{_PIXEL_PNG}"></body></html>"""
"""Like the report: its fonts (Chinese, Latin, italic), a table and a PNG."""


class DevToolsError(RuntimeError):
    """The browser answered with an error, closed the pipe, or did not answer in time."""


class PdfPrinter:
    """A headless Chromium started now, to print one or more HTML files later.

    Use as a context manager (the browser is closed and its temporary profile removed on
    exit). Without a Chromium, :meth:`print` returns None.
    """

    def __init__(self, chromium: str | None = None, *, warm_up: bool = True) -> None:
        self.exe = chromium or find_chromium()
        self._proc: _Spawned | None = None
        self._profile: str | None = None
        self._out: IO[bytes] | None = None
        self._in: IO[bytes] | None = None
        self._buf = b""
        self._id = 0
        self._events: list[str] = []
        """Events (method names) that arrived while waiting for an answer."""
        self._page: tuple[str, str] | None = None
        """(target, session) of the page printed in, once the warm-up has opened it."""
        self._warm_failed: Exception | None = None
        self._warming: threading.Thread | None = None
        if self.exe is None:
            log.info("no Chromium found: skipping the PDF")
            return
        try:
            self._start(self.exe)
        except OSError as exc:
            log.info("could not start %s for the PDF (%s); will print in one go", self.exe,
                     exc)
            self._stop()
            return
        if warm_up:
            self._warming = threading.Thread(target=self._warm_up, name="pdf-warm-up",
                                             daemon=True)
            self._warming.start()

    def _start(self, exe: str) -> None:
        self._profile = tempfile.mkdtemp(prefix="rescity-pdf-", dir=profile_root())
        cmd_r, cmd_w = os.pipe()  # the browser reads commands on its fd 3
        ans_r, ans_w = os.pipe()  # and writes answers on its fd 4
        try:
            self._proc = _Spawned(exe, [*FLAGS, f"--user-data-dir={self._profile}",
                                        "--remote-debugging-pipe", "about:blank"],
                                  {3: cmd_r, 4: ans_w})
        finally:
            os.close(cmd_r)
            os.close(ans_w)
        self._out = os.fdopen(cmd_w, "wb", buffering=0)
        self._in = os.fdopen(ans_r, "rb", buffering=0)

    def _send(self, method: str, params: dict[str, Any] | None = None,
              session: str | None = None) -> int:
        assert self._out is not None
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self._out.write(json.dumps(msg).encode() + b"\0")
        return self._id

    def _receive(self, deadline: float) -> dict[str, Any]:
        assert self._in is not None
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise DevToolsError("no answer from the browser in time")
            chunk = os.read(self._in.fileno(), 1 << 20)
            if not chunk:
                raise DevToolsError("the browser closed the pipe")
            self._buf += chunk
        msg, _, self._buf = self._buf.partition(b"\0")
        out: dict[str, Any] = json.loads(msg)
        return out

    def _call(self, method: str, params: dict[str, Any] | None = None,
              session: str | None = None, *, deadline: float) -> dict[str, Any]:
        wanted = self._send(method, params, session)
        while True:
            msg = self._receive(deadline)
            if "method" in msg:
                self._events.append(msg["method"])
            elif msg.get("id") == wanted:
                if "error" in msg:
                    raise DevToolsError(f"{method}: {msg['error']}")
                result: dict[str, Any] = msg.get("result", {})
                return result

    def _open_page(self, deadline: float) -> tuple[str, str]:
        target = self._call("Target.createTarget", {"url": "about:blank"},
                            deadline=deadline)["targetId"]
        session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True},
                             deadline=deadline)["sessionId"]
        self._call("Page.enable", session=session, deadline=deadline)
        return target, session

    def _print_page(self, session: str, html: Path, deadline: float) -> bytes:
        self._events.clear()
        log.debug("printing %s: loading", html.name)
        self._call("Page.navigate", {"url": html.resolve().as_uri()}, session=session,
                   deadline=deadline)
        while "Page.loadEventFired" not in self._events:
            self._events.append(self._receive(deadline).get("method", ""))
        log.debug("printing %s: loaded", html.name)
        # The defaults of the command line's --print-to-pdf: Letter, 1 cm margins, no
        # backgrounds; and no header or footer.
        data = self._call("Page.printToPDF", {"displayHeaderFooter": False},
                          session=session, deadline=deadline)["data"]
        log.debug("printing %s: printed", html.name)
        return base64.b64decode(data)

    def _warm_up(self) -> None:
        """Open the page the report will be printed in and print a small page in its fonts
        there (runs in a thread; :meth:`print` waits for it)."""
        assert self._profile is not None
        page = Path(self._profile) / "warm-up.html"
        page.write_text(WARM_UP_HTML, encoding="utf-8")
        try:
            deadline = time.monotonic() + WARM_UP_TIMEOUT_S
            self._page = self._open_page(deadline)
            self._print_page(self._page[1], page, deadline)
        except (DevToolsError, OSError, KeyError, ValueError) as exc:
            self._warm_failed = exc

    def print(self, html: Path, pdf: Path, *, timeout_s: float = 180.0) -> Path | None:
        """Print ``html`` to ``pdf``; None (and a log line) when no Chromium is available or
        it fails."""
        if self.exe is None:
            return None
        if self._warming is not None:
            self._warming.join()
            self._warming = None
        if self._proc is not None and self._warm_failed is None:
            try:
                deadline = time.monotonic() + timeout_s
                _, session = self._page or self._open_page(deadline)
                pdf.write_bytes(self._print_page(session, html, deadline))
                return pdf if pdf.stat().st_size > 0 else None
            except (DevToolsError, OSError, KeyError, ValueError) as exc:
                self._warm_failed = exc
        if self._proc is not None:
            log.info("printing over the DevTools pipe failed (%s); printing in one go",
                     self._warm_failed)
            self._stop()
        return _print_once(self.exe, html, pdf, timeout_s)

    def _stop(self) -> None:
        """Stop the browser with SIGTERM: it exits in ~0.05 s (its helpers ~0.1 s later),
        where ``Browser.close`` takes ~0.5 s, the last thing a report waited for. Its
        profile is a throwaway, so nothing of a clean shutdown is needed."""
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                # Also asked over the pipe: it reaches the browser even where a wrapper
                # script started it without exec (the signal then stops only the script).
                if self._out is not None and proc.poll() is None:
                    self._send("Browser.close")
            except OSError:
                pass
            try:
                proc.terminate()
                proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
        if self._warming is not None:  # it gives up once the browser is gone
            self._warming.join(timeout=15)
            self._warming = None
        for f in (self._out, self._in):
            if f is not None:
                f.close()
        self._out = self._in = None
        if self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)
            if Path(self._profile).exists():  # a helper still exiting wrote into it
                time.sleep(0.2)
                shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    def close(self) -> None:
        self._stop()

    def __enter__(self) -> PdfPrinter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def html_to_pdf(html: Path, pdf: Path, *, chromium: str | None = None,
                timeout_s: float = 180.0) -> Path | None:
    """Print ``html`` to ``pdf``; None (and a log line) when no Chromium is available or it
    fails."""
    with PdfPrinter(chromium) as printer:
        return printer.print(html, pdf, timeout_s=timeout_s)
