"""The picture of the access graph (``DIR/graph.html``, rolecall.model.accounts.picture): what the
page holds, read back from its HTML and, in headless Chromium (``-m browser``), from the DOM the
browser built and from a screenshot."""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from rolecall.conformance.cli import main
from rolecall.model.accounts import load_snapshot
from rolecall.model.accounts.findings import SEVERITIES, Finding, findings
from rolecall.model.accounts.graph import AccessGraph, Edge, Node, Stats
from rolecall.model.accounts.picture import AGGREGATE_NODES, TABLE_ROWS, picture_html
from tests.accounts.browser import colours, demo_snapshot_doc, dump_dom, png_pixels, screenshot
from tests.accounts.world import A, B, arn

_SEVERITY_RGB = {"critical": b"\xb0\x00\x2a", "high": b"\xe4\x57\x2e", "medium": b"\xe0\x9f\x00"}


class _Page(HTMLParser):
    """The elements of a page by tag, with their attributes; the page's external references."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def having(self, tag: str, cls: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and cls in a.get("class", "").split()]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``rolecall graph`` over the demo organization: the directory it wrote."""
    tmp = tmp_path_factory.mktemp("picture")
    snap = tmp / "demo.json"
    snap.write_text(json.dumps(demo_snapshot_doc()))
    out, err = io.StringIO(), io.StringIO()
    assert main(["graph", str(snap), "--out", str(tmp / "report")], stdout=out, stderr=err) == 0, err.getvalue()
    return tmp / "report"


def _check_page(text: str, report: Path) -> None:
    """Every node and edge of edges.json, and every finding of findings.json, is in the page."""
    page = _Page(text)
    edges = json.loads((report / "edges.json").read_text())
    found = json.loads((report / "findings.json").read_text())
    drawn = {(a["data-from"], a["data-to"], a["data-door"]): a for a in page.having("g", "edge")}
    assert len(drawn) == len(page.having("g", "edge")) == len(edges)
    for e in edges:
        g = drawn[(e["from"], e["to"], e["door"])]
        assert ("conditional" in g["class"].split()) == (e["conditional"] and e["status"] == "edge")
        assert g["data-conditions"].split() == e["conditions"]
    nodes = {a["data-id"]: a for a in page.having("g", "node")}
    assert {e["from"] for e in edges} | {e["to"] for e in edges} <= set(nodes)
    snapshot = demo_snapshot_doc()
    for account in snapshot["accounts"]:
        for kind in ("user", "role"):
            for p in account.get(f"{kind}s", []):
                assert arn(account["id"], kind, p["name"]) in nodes
    listed = [
        (a["data-kind"], a["data-role"], a["data-principal"])
        for t, a in page.elements
        if "data-kind" in a and t == "li"
    ]
    assert listed == [(f["kind"], f["role"], f["principal"]) for f in found]
    # the findings are highlighted: the role and the principal of each, coloured by the worst severity
    for f in found:
        for who in (f["role"], f["principal"]):
            sev = {c.removeprefix("sev-") for c in nodes[who]["class"].split() if c.startswith("sev-")}
            assert sev and SEVERITIES.index(sev.pop()) <= SEVERITIES.index(f["severity"]), who
    # outside the snapshot is marked, outside the organization more so
    assert {"external", "outside-org"} <= set(nodes["444455556666"]["class"].split())
    assert "outside-org" in nodes["*"]["class"].split()
    assert "external" not in nodes[arn(A, "user", "alice")]["class"].split()
    frames = [t for t, a in page.elements if t == "g" and "frame-account" in a.get("class", "")]
    assert len(frames) == 2


def test_the_graph_command_writes_the_page(report: Path) -> None:
    text = (report / "graph.html").read_text()
    assert text.startswith("<!DOCTYPE html>")
    _check_page(text, report)
    assert 'data-mode="full"' in text
    assert "Root / Workloads" in text and "Root / Sandbox" in text
    assert f"{A} · production" in text and f"{B} · sandbox" in text


def test_the_page_needs_no_network(report: Path) -> None:
    text = (report / "graph.html").read_text()
    page = _Page(text)
    assert not [a for t, a in page.elements if t in ("link", "img", "iframe", "object", "embed")]
    assert not [a for t, a in page.elements if t == "script" and "src" in a]
    assert "@import" not in text and not re.search(r"url\((?!#)", text)
    # the one absolute URL is the SVG namespace, which is a name, not a fetch
    assert re.findall(r"https?://[^\s\"'<]+", text) == ["http://www.w3.org/2000/svg"]


def test_the_page_is_deterministic(report: Path) -> None:
    snapshot = load_snapshot(demo_snapshot_doc())
    edges = json.loads((report / "edges.json").read_text())
    graph = _graph_of(edges, snapshot)
    found = findings(snapshot, graph)
    assert picture_html(snapshot, graph, found) == picture_html(snapshot, graph, found)


def _graph_of(edges: list[dict[str, Any]], snapshot: Any) -> AccessGraph:
    """An AccessGraph from edges.json (the scenarios kept), nodes as the command's."""
    from rolecall.model.accounts.graph import build_graph

    graph = build_graph(snapshot)
    assert [e.to_json()["from"] for e in graph.all_edges()] == [e["from"] for e in edges]
    return graph


_EC2 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def _large() -> tuple[Any, AccessGraph, list[Finding]]:
    """A hand-built graph above the size threshold: 3 accounts of 120 users and 20 roles each,
    every user of an account reaching every role of the next one, conditionally for odd users,
    and an outside account reaching the first role."""
    accounts = [f"{n:012d}" for n in (111111111111, 222222222222, 333333333333)]
    doc = {
        "format": "rolecall-snapshot/1",
        "accounts": [
            {
                "id": a,
                "name": f"team-{i}",
                "users": [{"name": f"u{k}"} for k in range(120)],
                "roles": [{"name": f"r{k}", "trust_policy": _EC2} for k in range(20)],
            }
            for i, a in enumerate(accounts)
        ],
    }
    snapshot = load_snapshot(doc)
    nodes = {u.arn("aws"): Node(u.arn("aws"), "user", u.account) for u in snapshot.users()}
    nodes |= {r.arn("aws"): Node(r.arn("aws"), "role", r.account) for r in snapshot.roles()}
    nodes["444455556666"] = Node("444455556666", "account", "444455556666", external=True)
    edges = []
    for i, a in enumerate(accounts):
        b = accounts[(i + 1) % 3]
        for k in range(120):
            for r in range(0, 20, 4):
                cond = k % 2 == 1
                edges.append(
                    Edge(arn(a, "user", f"u{k}"), arn(b, "role", f"r{r}"), "edge", cond, ("aws:SourceIp",) * cond, {})
                )
    outside = Edge("444455556666", arn(accounts[0], "role", "r0"), "edge", False, (), {})
    edges.append(outside)
    edges.sort(key=lambda e: (e.to, e.source, e.door))
    graph = AccessGraph(nodes=dict(sorted(nodes.items())), edges=edges, stats=Stats(361, 60, 21660, 1801))
    found = [Finding("no-external-id", "high", outside.to, outside.source, "no ExternalId", (outside,))]
    return snapshot, graph, found


def test_a_large_graph_is_drawn_by_account_with_tables() -> None:
    snapshot, graph, found = _large()
    assert len(graph.nodes) > AGGREGATE_NODES
    page = _Page(text := picture_html(snapshot, graph, found))
    assert 'data-mode="aggregated"' in text and "too many to draw one by one" in text
    drawn = page.having("g", "edge")
    # 3 account-to-account arrows and the outside account's, standing for every edge
    assert sorted((a["data-from"], a["data-to"], int(a["data-count"])) for a in drawn) == [
        ("111111111111", "222222222222", 600),
        ("222222222222", "333333333333", 600),
        ("333333333333", "111111111111", 600),
        ("outside:444455556666", "111111111111", 1),
    ]
    nodes = {a["data-id"]: a for a in page.having("g", "node")}
    assert set(nodes) == {"111111111111", "222222222222", "333333333333", "outside:444455556666"}
    assert {"sev-high", "outside-org"} <= set(nodes["outside:444455556666"]["class"].split())
    assert "120 user(s) · 20 role(s)" in text
    rows = [a for t, a in page.elements if t == "tr" and "data-from" in a]
    assert len(rows) == len(graph.edges) == 1801 < TABLE_ROWS
    assert {(r["data-from"], r["data-to"]) for r in rows} == {(e.source, e.to) for e in graph.edges}
    assert [a["data-kind"] for t, a in page.elements if t == "li" and "data-kind" in a] == ["no-external-id"]


def test_a_small_graph_can_be_drawn_aggregated(report: Path) -> None:
    snapshot = load_snapshot(demo_snapshot_doc())
    graph = _graph_of(json.loads((report / "edges.json").read_text()), snapshot)
    found = findings(snapshot, graph)
    page = _Page(picture_html(snapshot, graph, found, aggregate=True))
    counted = sum(int(a["data-count"]) for a in page.having("g", "edge"))
    assert counted == len(graph.all_edges())


# --------------------------------------------------------------------------- in a real browser


@pytest.mark.browser
def test_chromium_renders_the_page(report: Path) -> None:
    page = report / "graph.html"
    dom = dump_dom(page)
    assert 'data-ready="1"' in dom  # the page's script ran to its end
    _check_page(dom, report)
    png = report / "graph.png"
    screenshot(page, png, 1200, 800)
    width, height, rows = png_pixels(png)
    assert (width, height) == (1200, 800)
    count = colours(rows)
    _, most = count.most_common(1)[0]
    assert most < 0.9 * width * height, "the screenshot is almost one colour"
    assert len(count) > 200
    # the findings' colours are on the screen (the header's pills, the nodes and edges in findings)
    for sev, rgb in _SEVERITY_RGB.items():
        assert count[rgb] > 50, sev


@pytest.mark.browser
def test_chromium_renders_the_aggregated_page(tmp_path: Path) -> None:
    snapshot, graph, found = _large()
    page = tmp_path / "graph.html"
    page.write_text(picture_html(snapshot, graph, found))
    dom = dump_dom(page)
    assert 'data-ready="1"' in dom
    parsed = _Page(dom)
    assert len(parsed.having("g", "edge")) == 4
    assert len([a for t, a in parsed.elements if t == "tr" and "data-from" in a]) == len(graph.edges)
    png = tmp_path / "graph.png"
    screenshot(page, png, 1000, 700)
    width, height, rows = png_pixels(png)
    assert (width, height) == (1000, 700)
    assert colours(rows).most_common(1)[0][1] < 0.9 * width * height
