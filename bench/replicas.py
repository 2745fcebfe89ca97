"""Replicas behind nginx: students from distinct loopback addresses spread over the replicas and keep to theirs.

    .venv/bin/python bench/replicas.py                        # 3 replicas, 12 students for 60 s
    .venv/bin/python bench/replicas.py --students 6 --seconds 0 --check   # the short run of tests/test_deploy.py

It starts the container's entry command (the CMD of deploy/Dockerfile, run directly: deploy/replicas.py with
REPLICAS=3 and nginx on a free loopback port). Each student is a browser from its own source address (127.0.0.2,
127.0.0.3, ...): it loads / (nginx sets the affinity cookie), /_stcore/health (Streamlit's XSRF cookie), opens the
websocket and runs the home page. Uploaders (the first two students) then open "Fitting a line", switch the data to
"Upload CSV", ask for an upload URL over the websocket, PUT a CSV to /_stcore/upload_file/... with the XSRF token,
rerun with the file, check the page fitted it, and download the trajectory CSV (the deferred st.download_button
asked over the websocket to write it, as a click does, then its media URL). Until the deadline, every student
reruns pages in turn. nginx's access log says which replica served what: sessions per replica, and whether every
request of a browser (one affinity cookie) reached one replica.
Errors: an HTTP status >= 400, an exception element or st.error box, a wrong page, a failed upload or download,
a timeout, a dropped connection, a browser served by two replicas.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.WidgetStates_pb2 import WidgetState

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ is not a package: its modules import each other
import st_client
from st_client import ROOT, XSRF_COOKIE, http_request, multipart

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lessons import PAGES as REGISTERED

PAGES = [page.url_path for page in REGISTERED]  # url paths, from the lesson registry
UPLOAD_PAGE = "fitting-a-line"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
CSV = "hours,score\n" + "".join(f"{x / 10:.1f},{3 * x / 10 + 2 + (x % 7 - 3) / 10:.2f}\n" for x in range(60))


@dataclass
class Report:
    """What the run saw: per replica the sessions it served, and every error."""

    replicas: list[int]  # the replicas' ports
    sessions: Counter = field(default_factory=Counter)  # replica port -> websocket sessions served
    requests: Counter = field(default_factory=Counter)  # replica port -> requests served
    reruns: int = 0
    uploads: int = 0  # CSV files uploaded and fitted
    downloads: int = 0  # trajectory CSVs downloaded
    errors: list[str] = field(default_factory=list)
    split_browsers: int = 0  # affinity cookies whose requests reached more than one replica
    extra_students: int = 0  # visitors added to see a second replica (see `run`)

    @property
    def replicas_used(self) -> int:
        return sum(1 for port in self.replicas if self.sessions[port])


def entry_command() -> list[str]:
    """The CMD of deploy/Dockerfile (exec form)."""
    line = next(line for line in DOCKERFILE.read_text().splitlines() if line.startswith("CMD "))
    return json.loads(line[4:])


def start_entry(replicas: int) -> tuple[subprocess.Popen, str, int, list[int], Path]:
    """Run the entry command with REPLICAS and LISTEN set; (process, host, port, replica ports, log folder)."""
    listen = f"127.0.0.1:{st_client.free_port()}"
    env = {**os.environ, "REPLICAS": str(replicas), "LISTEN": listen}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # `python` is this interpreter
    process = subprocess.Popen(
        entry_command(), cwd=ROOT, env=env, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        start_new_session=True,
    )  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)  # two lines once all is up
    reader.start()
    give_up = time.monotonic() + 150
    while time.monotonic() < give_up and process.poll() is None and not any("logs and" in line for line in lines):
        time.sleep(0.2)
    text = "".join(lines)
    found = re.search(r"replicas on 127\.0\.0\.1:([\d, ]+)\n.*config: (\S+)", text)
    if not found:
        stop_entry(process)
        raise RuntimeError(f"the entry command did not come up: {text!r}")
    ports = [int(port) for port in found.group(1).split(",")]
    return process, "127.0.0.1", int(listen.rsplit(":", 1)[1]), ports, Path(found.group(2))


def stop_entry(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()  # deploy/replicas.py stops nginx and the replicas on SIGTERM
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=10)


def check_run(run: st_client.Run, page: str, report: Report) -> None:
    if run.status != "success" or run.page != page:
        report.errors.append(f"/{page}: finished {run.status}, ran /{run.page}")
    for _, element in run.elements:
        if element == "page_not_found":
            report.errors.append(f"/{page}: page not found")
        elif isinstance(element, str):
            continue
        elif element.WhichOneof("type") == "exception":
            report.errors.append(f"/{page}: exception {element.exception.message[:120]}")
        elif element.WhichOneof("type") == "alert" and element.alert.format == Alert.ERROR:
            report.errors.append(f"/{page}: st.error {element.alert.body[:120]}")


def first(run: st_client.Run, kind: str, label: str | None = None):
    """The first element of this kind (and label) the run sent, or None."""
    for _, element in run.elements:
        if not isinstance(element, str) and element.WhichOneof("type") == kind:
            proto = getattr(element, kind)
            if label is None or proto.label == label:
                return proto
    return None


async def upload_and_download(client: st_client.Client, host: str, port: int, source: str, report: Report) -> None:
    """Fitting a line on an uploaded CSV, then the trajectory CSV downloaded: all through nginx."""
    run = await client.rerun(UPLOAD_PAGE)
    radio = first(run, "radio", "Data")
    if radio is None:
        report.errors.append("upload: no Data radio on the page")
        return
    choose = WidgetState(id=radio.id, string_value="Upload CSV")  # a radio sends its option, formatted
    run = await client.rerun(UPLOAD_PAGE, [choose])
    uploader = first(run, "file_uploader")
    if uploader is None:
        report.errors.append("upload: no file uploader after choosing Upload CSV")
        return
    (urls,) = await client.file_urls(["hours.csv"])
    body, content_type = multipart("UploadedFile", "hours.csv", CSV.encode())
    headers = {"Content-Type": content_type, "X-Xsrftoken": client.cookies.get(XSRF_COOKIE, "")}
    status, answer = await asyncio.to_thread(
        http_request, host, port, "PUT", urls.upload_url, body=body, headers=headers, cookies=client.cookies,
        source=source,
    )  # fmt: skip
    if status >= 300:
        report.errors.append(f"upload: PUT {urls.upload_url} answered {status} {answer[:120]!r}")
        return
    state = WidgetState(id=uploader.id)
    info = state.file_uploader_state_value.uploaded_file_info.add()
    info.file_id, info.name, info.size = urls.file_id, "hours.csv", len(CSV)
    info.file_urls.CopyFrom(urls)
    run = await client.rerun(UPLOAD_PAGE, [choose, state])
    check_run(run, UPLOAD_PAGE, report)
    texts = " ".join(e.markdown.body for _, e in run.elements if not isinstance(e, str) and e.HasField("markdown"))
    if "60 points from hours.csv" not in texts.replace("\\", ""):  # the page escapes the file name's markdown
        report.errors.append("upload: the page does not say it fitted the 60 points of hours.csv")
        return
    report.uploads += 1
    button = first(run, "download_button")
    if button is None or not button.deferred_file_id:
        report.errors.append("download: no deferred download button (every button of the app writes when clicked)")
        return
    url = await client.deferred_file(button.deferred_file_id)  # the click: the server writes the CSV now
    status, data = await asyncio.to_thread(http_request, host, port, "GET", url, cookies=client.cookies, source=source)
    header = data.split(b"\n", 1)[0].decode(errors="replace")
    if status != 200 or "loss" not in header.split(","):
        report.errors.append(f"download: GET {url} answered {status}, first line {header[:80]!r}")
        return
    report.downloads += 1


async def student(index: int, host: str, port: int, deadline: float, uploads: bool, report: Report) -> None:
    """One browser from 127.0.0.<index + 2>: its cookies, one websocket session, the pages in turn."""
    source, cookies = f"127.0.0.{index + 2}", {}
    try:
        for path in ("/", "/_stcore/health"):  # the page (affinity cookie), then the health probe (XSRF cookie)
            status, _ = await asyncio.to_thread(http_request, host, port, "GET", path, cookies=cookies, source=source)
            if status != 200:
                report.errors.append(f"GET {path} answered {status}")
        async with st_client.session(host, port, source=source, cookies=cookies) as client:
            check_run(await client.rerun(""), "", report)
            report.reruns += 1
            if uploads:
                await upload_and_download(client, host, port, source, report)
            turn = index
            while time.monotonic() < deadline:
                page = PAGES[turn % len(PAGES)]
                check_run(await client.rerun(page), page, report)
                report.reruns += 1
                turn += 1
    except TimeoutError:
        report.errors.append(f"student {index}: timeout")
    except OSError as error:
        report.errors.append(f"student {index}: {error!r}")


def read_log(folder: Path, report: Report) -> None:
    """Sessions and requests per replica, HTTP errors, and browsers split over replicas, from nginx's access log."""
    replicas_of = defaultdict(set)
    for line in (folder / "access.log").read_text().splitlines():
        _, key, upstream, status, _, uri = line.split(" ", 5)
        last = upstream.split(",")[-1].strip()  # nginx lists every replica it tried; the last one answered
        replica = int(last.rsplit(":", 1)[1]) if ":" in last else 0
        report.requests[replica] += 1
        replicas_of[key].add(replica)
        if uri == "/_stcore/stream" and status == "101":
            report.sessions[replica] += 1
        if int(status) >= 400:
            report.errors.append(f"HTTP {status} for {uri}")
    report.split_browsers = sum(1 for replicas in replicas_of.values() if len(replicas) > 1)
    report.errors += [f"a browser was served by replicas {sorted(r)}" for r in replicas_of.values() if len(r) > 1]


def run(replicas: int = 3, students: int = 12, seconds: float = 60, uploaders: int = 2, spread: int = 10) -> Report:
    """Start the entry command, drive `students` (the first `uploaders` upload and download) for `seconds`.

    Affinity cookies are random, so a few students may all land on one replica (4 students on 3 replicas: 1 run in
    27); then up to `spread` more visit the home page, one at a time, until a second replica has served a session.
    """
    process, host, port, ports, folder = start_entry(replicas)
    report = Report(ports)
    try:

        async def everyone() -> None:
            deadline = time.monotonic() + seconds
            await asyncio.gather(*(student(i, host, port, deadline, i < uploaders, report) for i in range(students)))

        asyncio.run(everyone())
        for extra in range(students, students + spread):
            time.sleep(0.5)  # nginx logs a websocket when it closes
            if sum(1 for n in sessions_so_far(folder).values() if n) >= 2:
                break
            asyncio.run(student(extra, host, port, 0, False, report))
            report.extra_students += 1
        time.sleep(0.5)
    finally:
        stop_entry(process)
    read_log(folder, report)
    return report


def sessions_so_far(folder: Path) -> Counter:
    """Websocket sessions per replica in nginx's access log (those that have closed)."""
    probe = Report([])
    read_log(folder, probe)
    return probe.sessions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--students", type=int, default=12, help="browsers, each from its own loopback address")
    parser.add_argument("--seconds", type=float, default=60, help="how long they rerun pages after the first visit")
    parser.add_argument("--check", action="store_true", help="exit 1 on any error or fewer than 2 replicas used")
    args = parser.parse_args()
    started = time.monotonic()
    report = run(args.replicas, args.students, args.seconds)
    print(f"{args.students} students, {args.replicas} replicas behind nginx, {time.monotonic() - started:.0f} s")
    for index, port in enumerate(report.replicas):
        print(f"  replica {index} (:{port}): {report.sessions[port]} sessions, {report.requests[port]} requests")
    print(f"reruns {report.reruns}, uploads fitted {report.uploads}, downloads {report.downloads}")
    print(f"browsers served by more than one replica: {report.split_browsers}; extra visitors: {report.extra_students}")
    print(f"errors: {len(report.errors)}" + "".join(f"\n  {error}" for error in report.errors[:10]))
    failed = bool(report.errors) or report.replicas_used < 2
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
