"""How the report runner starts kernels: quietly, over local sockets, with figures on.

Kept apart from :mod:`zeerec.report` so that the runner reads as the steps it takes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def quiet_transport(log: Path) -> dict:
    """Kernels over local Unix sockets where there are any, their own stderr in ``log``.

    Over TCP, ipykernel 7 warns once per notebook that traffic is unencrypted; IPC
    sockets live in Jupyter's runtime folder, are removed with the kernel and open no
    port. Windows has no IPC transport in ZeroMQ, so there the default (TCP) stays.
    A kernel process also logs its own hiccups on stderr (an "Invalid message" traceback
    when a message crosses a shutdown): they go to ``log``, not to the terminal of
    someone who ran ``make report``. What the cells print reaches the notebook as before.
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class QuietKernelManager(AsyncKernelManager):
        @default("transport")
        def _default_transport(self) -> str:
            return "ipc" if os.name == "posix" else "tcp"

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("ab") as sink:  # the kernel process keeps its own copy
                await super()._async_launch_kernel(kernel_cmd, **{**kw, "stderr": sink})

    return {"kernel_manager_class": QuietKernelManager}


@contextlib.contextmanager
def kernel_environment(metrics_env: str) -> Iterator[None]:
    """Figures must reach the HTML whatever backend the caller's shell asks for (CI sets
    MPLBACKEND=Agg, under which plt.show() in a kernel draws nothing); the metrics file
    variable is set per notebook. Both are restored afterwards."""
    saved = {name: os.environ.get(name) for name in (metrics_env, "MPLBACKEND")}
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
