"""The load test's virtual users (locust), started by `bench/load.py`; not meant to be run by hand.

Three kinds of signed-in users work as people do in a county, each with a pause between actions:

- 录入员 of the townships (6 in 10): browse and search the ledger, open cases, register new disputes and
  carry their own cases through the workflow (分流交办 → 开始调解 → 调解记录 → 调解成功 → 回访 →
  结案归档), and correct a registration now and then;
- 考评员 (2 in 10): open an assessment round, enter scores for some targets, look at the dashboard;
- 文书 (2 in 10): search the ledger, print 受理登记表 and 协议书 (PDF, each an issued document),
  start a batch of 考评结果通知书 now and then and follow its progress.

Every action the portal confirmed (a case number, a step, a saved score, a printed document's sha256, a
batch job) is appended to the ledger file (LOAD_LEDGER, JSON lines), and every score about to be posted
is noted before the post, so `bench/load_check.py` can tell a lost write from one whose answer was cut
off by a fault. Each user comes from its own address (X-Forwarded-For, PROXY_FIX=1), as behind nginx.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from locust import FastHttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_forms import flashes, main_form  # noqa: E402

from portal import clock  # noqa: E402

CONFIG = json.loads(Path(os.environ["LOAD_CONFIG"]).read_text(encoding="utf-8"))
LEDGER = open(os.environ["LOAD_LEDGER"], "a", encoding="utf-8")  # noqa: SIM115 - open for the whole run
_LOCK = threading.Lock()
_SERIAL = itertools.count(1)
_NEXT = {role: itertools.count() for role in ("entry", "evaluator", "clerk")}
WAIT = [float(x) for x in os.environ.get("LOAD_WAIT", "2,8").split(",")]
#: The workflow an entry user takes its own cases through, step by step.
FLOW = ("assign", "start", "session", "settle", "follow_up", "archive")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
CASE_ID = re.compile(r"/admin/cases/details/\?id=(\d+)")
NUMBER = re.compile(r'class="[^"]*\bcase-number\b[^"]*"[^>]*>\s*([^<]+?)\s*<')


_TIMES: list[dict[str, Any]] = []


@events.request.add_listener
def _timed(
    request_type: str, name: str, response_time: float, response_length: int, exception=None, **kw
) -> None:
    """Keep every request's time, so bench/load_check.py computes exact percentiles per action and overall."""
    _TIMES.append(
        {"name": name, "ms": round(response_time, 1), "error": str(exception)[:200] if exception else ""}
    )


@events.user_error.add_listener
def _task_error(user_instance: Any, exception: Exception, tb: Any, **kw: Any) -> None:
    """A task that raised is an error of the run too (it shows in the report by its message)."""
    _TIMES.append(
        {"name": "task error", "ms": 0.0, "error": f"{type(exception).__name__}: {exception}"[:200]}
    )


@events.quitting.add_listener
def _write_times(environment: Any, **kw: Any) -> None:
    with open(os.environ["LOAD_TIMES"], "w", encoding="utf-8") as handle:
        for row in _TIMES:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def note(entry: str, /, **fields: Any) -> None:
    """Append one confirmed (or attempted) write to the ledger file."""
    with _LOCK:
        LEDGER.write(
            json.dumps({"t": entry, "at": clock.utcnow().timestamp(), **fields}, ensure_ascii=False) + "\n"
        )
        LEDGER.flush()


def today() -> str:
    return CONFIG["today"]


class PortalUser(FastHttpUser):
    abstract = True
    role = ""
    wait_time = between(*WAIT)

    def on_start(self) -> None:
        pool = CONFIG["users"][self.role]
        self.username = pool[next(_NEXT[self.role]) % len(pool)]
        serial = next(_SERIAL)
        self.address = f"10.{serial // 65536 % 256}.{serial // 256 % 256}.{serial % 256 or 1}"
        self.case_ids: list[int] = []
        self.sign_in()

    def headers(self) -> dict[str, str]:
        return {"X-Forwarded-For": self.address}

    def get(self, url: str, name: str, **kwargs: Any) -> Any:
        options = {"name": name, "headers": self.headers(), "catch_response": True, **kwargs}
        with self.client.get(url, **options) as response:
            signed_out = "/login" in (response.url or "") and not url.startswith("/login")
            if response.status_code != 200 or signed_out:
                response.failure(f"{response.status_code} {url}{' (signed out)' if signed_out else ''}")
            _ = response.content  # read the body before the connection goes back to the pool
            return response

    def post(self, url: str, name: str, data: dict[str, Any], expect: int = 302) -> Any:
        """POST a form (lists as repeated fields, as a browser sends a multiple select)."""
        headers = {**self.headers(), "Content-Type": "application/x-www-form-urlencoded"}
        body = urlencode(data, doseq=True)
        options = {"name": name, "headers": headers, "allow_redirects": False, "catch_response": True}
        with self.client.post(url, data=body, **options) as response:
            _ = response.content  # read the body before the connection goes back to the pool
            if response.status_code != expect:
                why = "; ".join(flashes(response.text or "")) if response.status_code == 200 else ""
                response.failure(f"{response.status_code} {url} {why}"[:300])
            return response

    def sign_in(self) -> None:
        page = self.get("/login", "sign-in form")
        form = main_form(page.text or "")
        data = {**(form.data() if form else {}), "username": self.username, "password": CONFIG["password"]}
        self.post("/login", "sign in", data)

    # --- shared reading actions ----------------------------------------------------------------

    def ledger(self, query: str = "", name: str = "ledger list") -> None:
        page = self.get(f"/admin/cases/{query}", name)
        found = [int(x) for x in CASE_ID.findall(page.text or "")]
        if found:
            self.case_ids = found

    @task(4)
    def browse(self) -> None:
        if random.random() < 0.5:
            self.ledger()
        else:
            self.ledger(f"?page={random.randint(1, 20)}", "ledger page")

    @task(3)
    def search(self) -> None:
        term = random.choice(CONFIG["search_terms"]) if random.random() < 0.6 else random.choice(SURNAMES)
        self.ledger(f"?search={term}", "ledger search")

    @task(2)
    def details(self) -> None:
        if self.case_ids:
            self.get(f"/admin/cases/details/?id={random.choice(self.case_ids)}", "case details")


class EntryUser(PortalUser):
    """A township's 录入员: registers disputes and carries them through the workflow."""

    role = "entry"
    weight = 6

    def on_start(self) -> None:
        super().on_start()
        self.open_cases: dict[int, int] = {}  # case id → index of its next step in FLOW

    @task(2)
    def register(self) -> None:
        page = self.get("/admin/cases/new/", "case form")
        form = main_form(page.text or "")
        if form is None:
            return
        data = form.data()
        applicant = random.choice(SURNAMES) + random.choice("秀英明华建国玉兰志强桂芳德胜")
        data.update(
            source="application",
            dispute_type=str(random.choice(CONFIG["register_types"])),
            accepted_on=today(),
            summary=f"{applicant}与邻居因宅前排水沟堵塞发生争执，双方多次协商未果，申请调解。",
            claims="疏通排水沟，赔偿损失",
            people_involved="2",
            risk_level="low",
            difficulty="simple",
            **{
                "parties-0-role": "applicant",
                "parties-0-kind": "person",
                "parties-0-name": applicant,
                "parties-0-gender": "female",
                "parties-1-role": "respondent",
                "parties-1-kind": "person",
                "parties-1-name": random.choice(SURNAMES) + "德胜",
                "parties-1-gender": "male",
            },
        )
        response = self.post("/admin/cases/new/", "case register", data)
        found = CASE_ID.search(response.headers.get("Location") or "")
        if response.status_code != 302 or not found:
            return
        case_id = int(found.group(1))
        shown = self.get(f"/admin/cases/details/?id={case_id}", "case details")
        number = NUMBER.search(shown.text or "")
        note("case", id=case_id, number=number.group(1) if number else None, user=self.username)
        self.open_cases[case_id] = 0

    @task(5)
    def advance(self) -> None:
        if not self.open_cases:
            return
        case_id = random.choice(list(self.open_cases))
        step = FLOW[self.open_cases[case_id]]
        url = f"/admin/cases/act/{step}/?id={case_id}"
        page = self.get(url, f"step form {step}")
        form = main_form(page.text or "")
        if form is None:
            return
        data = form.data()
        data.update(self.step_fields(step, form))
        response = self.post(url, f"step {step}", data)
        if response.status_code == 302:
            note("step", case=case_id, kind=step, user=self.username)
            self.open_cases[case_id] += 1
            if self.open_cases[case_id] == len(FLOW):
                del self.open_cases[case_id]

    def step_fields(self, step: str, form: Any) -> dict[str, Any]:
        if step == "assign":
            orgs = form.selects["organization"].choices()
            committee = next((v for v, label in orgs if "委员会" in label), orgs[0][0] if orgs else "")
            mediators = form.selects["mediators"].choices()
            person = mediators[0] if mediators else ("", "")
            return {
                "organization": committee,
                "mediators": [person[0]],
                "responsible_person": person[1].split("（")[0][:50] or "承办调解员",
                "responsible_unit": "本调委会",
                "deadline": CONFIG["deadline"],
                "measures": "走访双方了解诉求，约双方到调解室面对面协商。",
            }
        if step == "session":
            mediators = form.selects.get("mediators")
            return {
                "place": "司法所调解室",
                "content": "释明相关法律规定，双方同意协商解决。",
                "result": "agreed",
                "mediators": [mediators.choices()[0][0]] if mediators and mediators.choices() else [],
            }
        if step == "settle":
            return {
                "form": "written",
                "signed_on": today(),
                "terms": "双方自愿和解，被申请人于十日内疏通排水沟。",
            }
        if step == "follow_up":
            return {
                "method": "phone",
                "visitor": "承办调解员",
                "person_visited": "申请人",
                "performance": "full",
                "satisfaction": "5",
                "evaluation": "satisfied",
                "remaining_risk": "none",
                "notes": "电话回访，协议已履行，双方满意。",
            }
        return {"note": "按期办理"}

    @task(1)
    def correct(self) -> None:
        if not self.open_cases:
            return
        case_id = random.choice(list(self.open_cases))
        url = f"/admin/cases/edit/?id={case_id}"
        page = self.get(url, "case edit form")
        form = main_form(page.text or "")
        if form is None:
            return
        data = form.data()
        summary = f"{data.get('summary', '')[:80]}（更正{random.randint(1, 10**6)}）"
        data["summary"] = summary
        note("edit_try", case=case_id, summary=summary)
        response = self.post(url, "case edit", data)
        if response.status_code == 302:
            note("edit", case=case_id, summary=summary, user=self.username)


class EvaluatorUser(PortalUser):
    """A 考评员: enters scores in an open round."""

    role = "evaluator"
    weight = 2

    @task(2)
    def round_page(self) -> None:
        self.get(f"/admin/assessment_rounds/details/?id={random.choice(CONFIG['rounds'])}", "round details")

    @task(5)
    def score(self) -> None:
        round_id = random.choice(CONFIG["rounds"])
        url = f"/admin/assessment_rounds/score/?id={round_id}"
        page = self.get(url, "score form")
        form = main_form(page.text or "")
        if form is None:
            return
        fields = [name for name in form.values if name.startswith("s-")]
        chosen = random.sample(fields, min(6, len(fields)))
        data = {k: v for k, v in form.data().items() if not k.startswith(("s-", "c-"))}
        entries = {}
        for name in chosen:
            top = float(form.maxima.get(name) or 10)
            entries[name] = f"{random.uniform(0, top):.1f}"
        data.update(entries)
        note("score_try", round=round_id, user=self.username, entries=entries)
        response = self.post(url, "score save", data)
        if response.status_code == 302:
            note("score", round=round_id, user=self.username, entries=entries)

    @task(1)
    def dashboard(self) -> None:
        self.get("/admin/", "dashboard")


class ClerkUser(PortalUser):
    """A 文书: prints documents, single and in batches."""

    role = "clerk"
    weight = 2

    def print_pdf(self, kind: str, case_id: int) -> None:
        token = self.csrf()
        url = f"/admin/cases/print/{kind}/?id={case_id}"
        response = self.post(url, f"print {kind}", {"csrf_token": token}, expect=200)
        body = response.content or b""
        if response.status_code == 200 and body.startswith(b"%PDF"):
            note("doc", case=case_id, kind=kind, sha256=hashlib.sha256(body).hexdigest(), user=self.username)
        elif response.status_code == 200:
            response.failure(f"not a PDF: {url}")

    def csrf(self) -> str:
        if not getattr(self, "_csrf", None):
            form = main_form(self.get("/admin/print_jobs/", "print jobs").text or "")
            self._csrf = form.values.get("csrf_token", "") if form else ""
        return self._csrf

    @task(2)
    def print_acceptance(self) -> None:
        self.print_pdf("acceptance", random.choice(CONFIG["print_cases"]))

    @task(1)
    def print_agreement(self) -> None:
        self.print_pdf("agreement", random.choice(CONFIG["agreement_cases"]))

    @task(1)
    def batch(self) -> None:
        if random.random() > CONFIG.get("batch_share", 0.2):
            self.get("/admin/print_jobs/", "print jobs")
            return
        data = {"csrf_token": self.csrf(), "round_id": str(CONFIG["batch_round"])}
        response = self.post("/admin/print_jobs/start/evaluations/", "batch start", data)
        found = re.search(r"id=(\d+)", response.headers.get("Location") or "")
        if response.status_code != 302 or not found:
            return
        job_id = int(found.group(1))
        note("batch", job=job_id, user=self.username)
        for _ in range(3):  # follow the progress bar a little, as a person would
            time.sleep(1)
            self.get(f"/admin/print_jobs/progress/?id={job_id}", "batch progress")
