"""How the report runner starts kernels: quietly, over local sockets, with figures on.

Kept apart from :mod:`zeerec.report` so that the runner reads as the steps it takes.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

KERNEL_ENV = {"MPLBACKEND": "module://matplotlib_inline.backend_inline"}
"""Figures must reach the HTML whatever backend the caller's shell asks for (CI sets
MPLBACKEND=Agg, under which plt.show() in a kernel draws nothing)."""


def quiet_transport(
    log: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    on_launch: Callable[[int], None] | None = None,
) -> dict:
    """Kernels over local Unix sockets where there are any, their own stderr in ``log``.

    Over TCP, ipykernel 7 warns once per notebook that traffic is unencrypted; IPC
    sockets live in Jupyter's runtime folder (one name per kernel), are removed with the
    kernel and open no port. Windows has no IPC transport in ZeroMQ, so there the
    default (TCP) stays.
    A kernel process also logs its own hiccups on stderr (an "Invalid message" traceback
    when a message crosses a shutdown): they go to ``log``, not to the terminal of
    someone who ran ``make report``. What the cells print reaches the notebook as before.
    ``env`` is added to this kernel's environment only (the runner's own is untouched, so
    two kernels started side by side can each be told their own metrics file); ``cwd`` is
    its working directory (papermill's ``cwd=`` would change the whole process's, which
    two notebooks side by side cannot share); ``on_launch`` is told its process id once
    it is launched (the runner keeps it to interrupt the kernel on Ctrl-C).
    """
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.paths import jupyter_runtime_dir
    from traitlets import default

    class QuietKernelManager(AsyncKernelManager):
        @default("transport")
        def _default_transport(self) -> str:
            return "ipc" if os.name == "posix" else "tcp"

        @default("ip")
        def _default_ip(self) -> str:  # jupyter_client's is one path, "kernel-ipc", for all
            if self.transport != "ipc":  # kernels: two side by side would share its sockets
                return super()._ip_default()
            runtime = Path(jupyter_runtime_dir())  # short: a socket path has ~100 bytes
            runtime.mkdir(parents=True, exist_ok=True)
            return str(runtime / f"zeerec-{uuid.uuid4().hex[:12]}-ipc")

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            log.parent.mkdir(parents=True, exist_ok=True)
            own = {**(kw.get("env") or os.environ), **KERNEL_ENV, **(env or {})}
            where = {"cwd": str(cwd)} if cwd is not None else {}
            with log.open("ab") as sink:  # the kernel process keeps its own copy
                await super()._async_launch_kernel(
                    kernel_cmd, **{**kw, "stderr": sink, "env": own, **where}
                )
            pid = getattr(self.provisioner, "pid", None)  # a local process's
            if on_launch is not None and pid is not None:
                on_launch(pid)

    return {"kernel_manager_class": QuietKernelManager}
