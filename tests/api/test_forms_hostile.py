"""Every HTML form, crawled from the pages, answers hostile values without a server error.

The crawler reads each page's forms (action, method, fields) and submits each field in turn with NUL
bytes, numbers past every bound, malformed lists and deeply nested JSON, the other fields keeping the
values the page filled in. Nothing may answer 5xx.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from django.test import Client

from costs.models import CostOperation
from models_selection.runs.models import Job
from preferences.kinds import KINDS
from preferences.models import CustomAudienceProfile, CustomPromptTemplate

pytestmark = pytest.mark.django_db

# Tried on every field.
HOSTILE_VALUES = ["a\x00b", "99999999999999999999"]
# Tried on number fields as well.
HOSTILE_NUMBERS = ["1e999", "-1", "NaN"]
# Tried on every textarea as well (lists, budgets, templates, imports are typed there).
HOSTILE_TEXT = [
    "OpenAI = abc\nGemini = 1e999",
    "OpenAI = 99999999999999999999",
    "1, x, 1e999",
    "[" * 5000 + "]" * 5000,
    '{"version": "1.0", "audienceProfiles": [{"name": "x", "createdAt": -1}]}',
]


class FormParser(HTMLParser):
    """Each <form>: its action, method and (name, value) fields, with the first option of each select."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            method = (a.get("method") or ("post" if a.get("hx-post") else "get")).lower()
            self.forms.append({"action": a.get("action") or a.get("hx-post") or "", "method": method,
                               "fields": {}, "textareas": set(), "numbers": set()})
        elif not self.forms:
            return
        elif tag == "textarea" and a.get("name"):
            self.forms[-1]["textareas"].add(a["name"])
            self.forms[-1]["fields"].setdefault(a["name"], "")
        elif tag == "input" and a.get("name"):
            if a.get("type") == "number":
                self.forms[-1]["numbers"].add(a["name"])
            unchecked = a.get("type") in {"checkbox", "radio"} and "checked" not in a
            if unchecked:
                self.forms[-1]["fields"].setdefault(a["name"], "")
            else:
                self.forms[-1]["fields"][a["name"]] = a.get("value", "")
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self.forms[-1]["fields"].setdefault(a["name"], "")
        elif tag == "option" and self._select and not self.forms[-1]["fields"].get(self._select):
            self.forms[-1]["fields"][self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


@pytest.fixture
def pages(owner) -> list[str]:
    profile = CustomAudienceProfile.objects.create(name="Crawled")
    template = CustomPromptTemplate.objects.create(name="Crawled", template_text="About {{topic}}")
    Job.objects.create(id="job-crawl", brief="b", status="Blocked")
    CostOperation.objects.create(idempotency_key="k", job_id="job-crawl", stage="script", provider="OpenAI",
                                 cost=1, cost_source="reported")
    return ["/preferences/", "/preferences/import-export/", "/models/", "/models/audit/", "/costs/",
            "/costs/jobs/job-crawl/", "/models/jobs/job-crawl/",
            f"/preferences/audience-profiles/{profile.pk}/", f"/preferences/prompt-templates/{template.pk}/",
            *[f"/preferences/{k.slug}/new/" for k in KINDS], *[f"/preferences/{k.slug}/" for k in KINDS]]


def _forms(client: Client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = FormParser()
    parser.feed(response.content.decode())
    for form in parser.forms:
        form["action"] = urljoin(url, form["action"] or url)
    return [f for f in parser.forms if f["action"].startswith("/") and "logout" not in f["action"]]


@pytest.mark.slow
def test_every_form_answers_hostile_values_without_a_server_error(owner, pages):
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    seen, submitted, failures = set(), 0, []
    for url in pages:
        for form in _forms(client, url):
            key = (form["action"].split("?")[0], form["method"], tuple(sorted(form["fields"])))
            if key in seen:
                continue
            seen.add(key)
            for name in [n for n in form["fields"] if n != "csrfmiddlewaretoken"]:
                extra = (HOSTILE_TEXT if name in form["textareas"] else []) + (
                    HOSTILE_NUMBERS if name in form["numbers"] else [])
                for value in HOSTILE_VALUES + extra:
                    data = {**form["fields"], name: value}
                    send = client.post if form["method"] == "post" else client.get
                    response = send(form["action"], data)
                    submitted += 1
                    if response.status_code >= 500:
                        failures.append(f"{form['method'].upper()} {form['action']} {name}={value[:30]!r}: "
                                        f"{response.status_code}")
    assert submitted > 200, submitted  # the crawler found the forms
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("url", ["/models/jobs/a%00b/", "/costs/jobs/a%00b/", "/costs/jobs/a%00b/meter/",
                                 "/preferences/audience-profiles/?q=a%00b", "/models/audit/?job=a%00b"])
def test_a_nul_byte_in_a_page_address_is_a_400(owner, url):
    client = Client()
    client.force_login(owner)
    assert client.get(url).status_code == 400
