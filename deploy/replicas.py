"""N `streamlit run app.py` replicas behind nginx with cookie affinity, on loopback.

    python deploy/replicas.py 3                 # nginx on 127.0.0.1:8080, replicas on free ports; Ctrl-C stops all
    python deploy/replicas.py 3 --listen 0.0.0.0:8080   # serve the room (put TLS in front for the open internet)

Every replica gets the same server.cookieSecret (from $STREAMLIT_SERVER_COOKIE_SECRET, else a random one for this
run), so the XSRF cookie a browser got from one replica stays valid should it ever be moved to another. nginx runs
from a temporary folder (config, pid, logs) made from deploy/nginx.conf.template. bench/replicas.py and
tests/test_deploy.py use `Replicas` from here.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("nginx.conf.template")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port(host: str = "127.0.0.1") -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def nginx_config(listen: str, replicas: list[int], folder: Path) -> str:
    """deploy/nginx.conf.template for nginx listening on `listen` (host:port) in front of loopback ports `replicas`."""
    upstreams = "\n".join(f"        server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;" for port in replicas)
    text = TEMPLATE.read_text()
    return text.replace("@LISTEN@", listen).replace("@UPSTREAMS@", upstreams).replace("@PREFIX@", str(folder))


@dataclass
class Replicas:
    """Running replicas and the nginx in front of them; `stop()` ends them all."""

    listen: str
    ports: list[int]
    folder: Path
    servers: list[subprocess.Popen] = field(default_factory=list)
    nginx: subprocess.Popen | None = None

    @property
    def host_port(self) -> tuple[str, int]:
        host, port = self.listen.rsplit(":", 1)
        return ("127.0.0.1" if host in ("0.0.0.0", "") else host), int(port)

    @property
    def access_log(self) -> Path:
        return self.folder / "access.log"

    def stop(self) -> None:
        for process in [self.nginx, *self.servers]:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in [self.nginx, *self.servers]:
            if process is None:
                continue
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _healthy(port: int) -> bool:
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        return opener.open(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok"
    except OSError:
        return False


def _wait_healthy(replicas: Replicas, processes: list[subprocess.Popen], ports: list[int], timeout: float) -> None:
    give_up, waiting = time.monotonic() + timeout, set(ports)
    while waiting and time.monotonic() < give_up:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[0]} exited with {process.returncode}; see {replicas.folder}")
        waiting = {port for port in waiting if not _healthy(port)}
        if waiting:
            time.sleep(0.25)
    if waiting:
        raise RuntimeError(f"not healthy within {timeout:.0f} s: ports {sorted(waiting)}; see {replicas.folder}")


def start(
    count: int, listen: str | None = None, *, app: str = "app.py", cwd: Path = ROOT, timeout: float = 120,
    python: str = sys.executable,
) -> Replicas:  # fmt: skip
    """Start `count` replicas of `streamlit run app` (cwd) on free loopback ports and nginx on `listen`; return once
    every replica and nginx answer /_stcore/health."""
    if not os.path.exists(NGINX):
        raise RuntimeError("nginx is not installed (Debian: apt-get install nginx)")
    folder = Path(tempfile.mkdtemp(prefix="descent_replicas_"))
    (folder / "tmp").mkdir()
    listen = listen or f"127.0.0.1:{free_port()}"
    replicas = Replicas(listen, [free_port() for _ in range(count)], folder)
    secret = os.environ.get("STREAMLIT_SERVER_COOKIE_SECRET") or secrets.token_hex(32)
    try:
        for index, port in enumerate(replicas.ports):
            command = [python, "-m", "streamlit", "run", app, "--server.headless", "true", "--server.port", str(port)]
            command += ["--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
            log = open(folder / f"replica{index}.log", "wb")  # noqa: SIM115  (the child keeps it)
            environment = {**os.environ, "STREAMLIT_SERVER_COOKIE_SECRET": secret}
            replicas.servers.append(
                subprocess.Popen(
                    command,
                    cwd=cwd,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=environment,
                    start_new_session=True,
                )
            )
            log.close()
        _wait_healthy(replicas, replicas.servers, replicas.ports, timeout)
        config = folder / "nginx.conf"
        config.write_text(nginx_config(listen, replicas.ports, folder))
        command = [NGINX, "-p", str(folder), "-c", str(config), "-e", str(folder / "error.log"), "-g", "daemon off;"]
        replicas.nginx = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
        _wait_healthy(replicas, [replicas.nginx], [replicas.host_port[1]], 30)  # nginx only once they all are up
        return replicas
    except BaseException:
        replicas.stop()
        raise


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=2, help="number of replicas (default 2)")
    parser.add_argument("--listen", default="127.0.0.1:8080", help="nginx's address (default 127.0.0.1:8080)")
    args = parser.parse_args()
    replicas = start(args.count, args.listen)
    print(f"http://{args.listen}/ -> replicas on 127.0.0.1:{', '.join(map(str, replicas.ports))}")
    print(f"logs and nginx config: {replicas.folder}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while all(process.poll() is None for process in [replicas.nginx, *replicas.servers]):
            time.sleep(1)
        print("a process exited; stopping the others", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        replicas.stop()


if __name__ == "__main__":
    sys.exit(main())
