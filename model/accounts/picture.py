"""The picture of an access graph: one self-contained HTML page (``rolecall graph`` writes it as
``DIR/graph.html``; docs/graph.md).

The page holds an inline SVG, its CSS and a few lines of JavaScript, and nothing it must fetch: it
opens from the file system, without a server or a network. The layout is computed here,
deterministically (the same graph gives the same bytes):

* the organization's OUs are boxes stacked top to bottom, in the tree's order (``Root / Prod``);
  inside each, the accounts of the snapshot attached there are clusters in a grid, labelled with
  the account's id and name; accounts outside the organization (or every account, when the
  snapshot has none) form a last box;
* inside an account, a column of users (and the account's identity providers), then its roles in
  columns by the depth of the role chains within the account (a role assumed by another role of
  the account stands to its right);
* everything outside the snapshot stands in a column on the left: ``*``, every other account
  (one dashed box each, marked when it is outside the organization, with the principals a trust
  policy names in it), AWS services and identity providers no account of the snapshot holds;
* an edge is a curve from the caller to the role: solid when unconditional, dashed when
  conditional (its condition keys in its title, shown on hover), dotted when ``unknown`` or
  ``error``;
* the edges and nodes a finding rests on are coloured by the worst severity among them, and the
  findings are listed beside the picture, each a link that scrolls to its role and lights up its
  edges.

Above :data:`AGGREGATE_NODES` nodes or :data:`AGGREGATE_EDGES` edges the picture aggregates: an
account is one node with its counts, an edge between two of them stands for every edge between
their principals, and tables list the edges (the first :data:`TABLE_ROWS`; ``edges.json`` has
them all). The page says so.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from .findings import SEVERITIES, Finding
from .graph import AccessGraph, Edge, Node
from .snapshot import Snapshot

__all__ = ["AGGREGATE_EDGES", "AGGREGATE_NODES", "TABLE_ROWS", "picture_html"]

AGGREGATE_NODES = 300
"""Above this many nodes (or :data:`AGGREGATE_EDGES` edges), accounts are drawn as aggregated nodes."""
AGGREGATE_EDGES = 800
TABLE_ROWS = 5000
"""The most rows a table of the page lists (the JSON files hold everything)."""

_NODE_W, _NODE_H, _GAP, _COL_GAP = 168, 24, 8, 28
_PAD, _TITLE = 12, 30
_LEFT_W = 210  # the nodes outside the snapshot, in the left column
_AGG_W, _AGG_H = 230, 58
_ROW_WIDTH = 1000  # an OU box starts a new row of account clusters beyond this width
_MAX_DEPTH = 4  # role columns beyond this depth share the last one
_CHAR_W = 6.9  # the width of a character of the labels (12px sans-serif), to shorten long labels
_ACCOUNT = re.compile(r"[0-9]{12}")
_KIND_LETTER = {
    "user": "U",
    "role": "R",
    "account": "A",
    "principal": "P",
    "public": "*",
    "service": "S",
    "federated": "F",
    "aggregate": "Σ",
}


# =========================================================================== geometry


@dataclass
class _Box:
    """A positioned node (``kind`` from the graph, or ``aggregate``)."""

    id: str
    kind: str
    label: str
    title: str
    x: float = 0
    y: float = 0
    w: float = _NODE_W
    h: float = _NODE_H
    external: bool = False
    outside_org: bool = False
    sub: str | None = None
    """A second line (an aggregated account's counts)."""


@dataclass
class _Frame:
    """A labelled box around nodes: an OU, an account, an outside account, a group."""

    label: str
    cls: str
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = 0
    title: str = ""


@dataclass
class _Layout:
    boxes: dict[str, _Box] = field(default_factory=dict)
    frames: list[_Frame] = field(default_factory=list)
    width: float = 0
    height: float = 0


def _account_of(node_id: str, node: Node | None) -> str | None:
    if node is not None and node.account is not None:
        return node.account
    if node_id.startswith("arn:") and node_id.count(":") >= 5:
        account = node_id.split(":")[4]
        return account if _ACCOUNT.fullmatch(account) else None
    return node_id if _ACCOUNT.fullmatch(node_id) else None


def _short(node_id: str, kind: str) -> str:
    if kind == "public":
        return "* (anyone)"
    if kind == "account":
        return node_id
    if node_id.startswith("arn:") and node_id.count(":") >= 5:
        return node_id.split(":", 5)[5]
    return node_id


def _fit(text: str, width: float) -> str:
    n = max(4, int((width - 34) / _CHAR_W))
    return text if len(text) <= n else text[: n - 1] + "…"


def _column(boxes: Sequence[_Box], x: float, y: float) -> float:
    """Stack ``boxes`` at ``x`` from ``y``; the y below the last."""
    for b in boxes:
        b.x, b.y = x, y
        y += b.h + _GAP
    return y


# =========================================================================== the organization's tree


def _ou_groups(snapshot: Snapshot) -> list[tuple[str, str, list[str]]]:
    """(label, id, accounts of the snapshot attached there) for each root and OU holding some, in
    the tree's order; then the accounts outside the organization."""
    accounts = sorted(snapshot.accounts)
    org = snapshot.organization
    if org is None:
        return [("Accounts (no organization in the snapshot)", "", accounts)] if accounts else []
    children: dict[str | None, list[str]] = {}
    for n in org.nodes.values():
        children.setdefault(n.parent, []).append(n.id)
    out: list[tuple[str, str, list[str]]] = []
    placed: set[str] = set()

    def walk(node_id: str, path: str, seen: frozenset[str]) -> None:
        kids = sorted(children.get(node_id, []))
        here = [k for k in kids if _ACCOUNT.fullmatch(k) and k in snapshot.accounts]
        if here:
            out.append((path, node_id, here))
            placed.update(here)
        for k in kids:
            if not _ACCOUNT.fullmatch(k) and k not in seen:
                unit = org.nodes[k]
                walk(k, f"{path} / {unit.name or k}", seen | {k})

    for root in sorted(children.get(None, [])):
        unit = org.nodes[root]
        if _ACCOUNT.fullmatch(root):
            continue
        walk(root, unit.name or "Root", frozenset({root}))
    rest = [a for a in accounts if a not in placed]
    if rest:
        out.append((f"Accounts outside organization {org.id}", "", rest))
    return out


# =========================================================================== the full picture


def _depths(roles: Sequence[str], edges: Iterable[Edge]) -> dict[str, int]:
    """The depth of each role in the chains of role edges among ``roles`` (longest path from a role
    no other of them reaches, cycles broken in sorted order), capped at :data:`_MAX_DEPTH`."""
    inside = set(roles)
    preds: dict[str, list[str]] = {r: [] for r in roles}
    for e in edges:
        if e.source in inside and e.to in inside and e.source != e.to:
            preds[e.to].append(e.source)
    depth: dict[str, int] = {}
    visiting: set[str] = set()

    def d(r: str) -> int:
        if r in depth:
            return depth[r]
        if r in visiting:
            return -1  # a cycle: this predecessor does not push r further
        visiting.add(r)
        value = min(_MAX_DEPTH, 1 + max([d(p) for p in sorted(preds[r])], default=-1))
        visiting.discard(r)
        depth[r] = value
        return value

    for r in sorted(roles):
        d(r)
    return depth


def _full_layout(snapshot: Snapshot, nodes: Mapping[str, Node], edges: Sequence[Edge], members: set[str]) -> _Layout:
    return _FullLayout(snapshot, nodes, edges, members).layout()


class _FullLayout:
    """The full picture's layout: what stands outside the snapshot in a left column, then the organization's
    OUs, each holding its accounts' clusters in rows."""

    def __init__(self, snapshot: Snapshot, nodes: Mapping[str, Node], edges: Sequence[Edge], members: set[str]) -> None:
        self.snapshot, self.nodes, self.edges, self.members = snapshot, nodes, edges, members
        self.lay = _Layout()

    def layout(self) -> _Layout:
        """Place every node; the layout's size covers both columns."""
        by_account, outside = self._split()
        left_bottom, left = self._left_column(outside)
        y, right = 20.0, left
        for label, unit_id, account_ids in _ou_groups(self.snapshot):
            ou = self._ou(label, unit_id, account_ids, by_account, left, y)
            right = max(right, left + ou.w)
            y += ou.h + 20
        self.lay.width = max(right, left) + 20
        self.lay.height = max(y, left_bottom) + 10
        return self.lay

    def _split(self) -> tuple[dict[str, list[str]], list[str]]:
        """The snapshot's users, roles and providers by account; every other node is outside."""
        by_account: dict[str, list[str]] = {}
        outside: list[str] = []
        for nid, node in self.nodes.items():
            account = _account_of(nid, node)
            if account is not None and account in self.snapshot.accounts and node.kind in ("user", "role", "federated"):
                by_account.setdefault(account, []).append(nid)
            else:
                outside.append(nid)
        return by_account, outside

    def box(self, nid: str, width: float = _NODE_W) -> _Box:
        """The node's box (marked outside the org when it is public or an external account's), laid out."""
        node = self.nodes[nid]
        account = _account_of(nid, node)
        out_org = node.kind == "public" or (
            node.external
            and account is not None
            and account not in self.snapshot.accounts
            and account not in self.members
        )
        b = _Box(nid, node.kind, _short(nid, node.kind), nid, w=width, external=node.external, outside_org=out_org)
        self.lay.boxes[nid] = b
        return b

    def _outside_groups(self, outside: list[str]) -> list[tuple[str, str, list[str]]]:
        """The left column's frames: anyone, each outside account (in the org or not), services, identity
        providers, other principals."""
        nodes = self.nodes
        groups: list[tuple[str, str, list[str]]] = []
        public = [n for n in outside if nodes[n].kind == "public"]
        if public:
            groups.append(("Anyone", "frame-public", public))
        accounts: dict[str, list[str]] = {}
        for n in outside:
            if nodes[n].kind in ("account", "principal"):
                accounts.setdefault(_account_of(n, nodes[n]) or "?", []).append(n)
        for account in sorted(accounts):
            members_of = sorted(accounts[account], key=lambda n: (nodes[n].kind != "account", n))
            if account in self.members:
                groups.append((f"{account} · in the org, not in the snapshot", "frame-external", members_of))
            else:
                groups.append((f"{account} · outside the org", "frame-outside", members_of))
        services = sorted(n for n in outside if nodes[n].kind == "service")
        if services:
            groups.append(("AWS services", "frame-group", services))
        providers = sorted(n for n in outside if nodes[n].kind == "federated")
        if providers:
            groups.append(("Identity providers", "frame-group", providers))
        other = sorted(
            n for n in outside if nodes[n].kind not in ("public", "account", "principal", "service", "federated")
        )
        if other:
            groups.append(("Other principals", "frame-group", other))
        return groups

    def _left_column(self, outside: list[str]) -> tuple[float, float]:
        """The left column's frames placed; the y below them and the x where the organization starts."""
        x, y = 20.0, 20.0
        col_w = _LEFT_W + 2 * _PAD
        groups = self._outside_groups(outside)
        for label, cls, ids in groups:
            frame = _Frame(label, cls, x, y, col_w)
            bottom = _column([self.box(n, _LEFT_W) for n in ids], x + _PAD, y + _TITLE)
            frame.h = bottom - y + _PAD - _GAP
            self.lay.frames.append(frame)
            y = frame.y + frame.h + 16
        return y, (x + col_w + 44 if groups else 20.0)

    def _ou(
        self, label: str, unit_id: str, account_ids: list[str], by_account: dict[str, list[str]], left: float, y: float
    ) -> _Frame:
        """An OU's frame at (``left``, ``y``), its accounts' clusters in rows no wider than the row width."""
        ou = _Frame(label, "frame-ou", left, y, title=unit_id)
        self.lay.frames.append(ou)
        cx, cy, row_h, in_row = left + _PAD, y + _TITLE, 0.0, 0
        ou_right = cx
        for account in account_ids:
            columns = self._account_columns(by_account.get(account, []))
            w = max(len(columns) * (_NODE_W + _COL_GAP) - _COL_GAP + 2 * _PAD, 180.0)
            h = _TITLE + max([len(c) for c in columns], default=0) * (_NODE_H + _GAP) - _GAP + _PAD
            if in_row and cx + w > left + _ROW_WIDTH:
                cx, cy, row_h, in_row = left + _PAD, cy + row_h + 16, 0.0, 0
            self._account_cluster(account, columns, cx, cy, w, h)
            row_h = max(row_h, h)
            cx += w + 20
            ou_right = max(ou_right, cx - 20)
            in_row += 1
        ou.w = ou_right - left + _PAD
        ou.h = cy + row_h - y + _PAD
        return ou

    def _account_columns(self, ids: list[str]) -> list[list[str]]:
        """An account's columns: its users (and providers), then its roles by depth in the assume chains."""
        users = sorted(n for n in ids if self.nodes[n].kind != "role")
        roles = sorted(n for n in ids if self.nodes[n].kind == "role")
        depth = _depths(roles, self.edges)
        columns: list[list[str]] = [users] if users else []
        for level in range(_MAX_DEPTH + 1):
            col = [r for r in roles if depth[r] == level]
            if col:
                columns.append(col)
        return columns

    def _account_cluster(
        self, account: str, columns: list[list[str]], cx: float, cy: float, w: float, h: float
    ) -> None:
        """An account's frame at (``cx``, ``cy``) with its columns of boxes inside."""
        name = self.snapshot.accounts[account].name
        frame = _Frame(f"{account}" + (f" · {name}" if name else ""), "frame-account", cx, cy, w, h, account)
        self.lay.frames.append(frame)
        colx = cx + _PAD
        for col in columns:
            _column([self.box(n) for n in col], colx, cy + _TITLE)
            colx += _NODE_W + _COL_GAP


# =========================================================================== the aggregated picture


def _group_of(nid: str, node: Node, snapshot: Snapshot) -> str:
    account = _account_of(nid, node)
    if account in snapshot.accounts and node.kind in ("user", "role", "federated"):
        return account or ""
    if node.kind == "public":
        return "*"
    if node.kind == "service":
        return "services"
    if node.kind == "federated":
        return "providers"
    return f"outside:{account}" if account else f"outside:{nid}"


def _aggregate_layout(
    snapshot: Snapshot, nodes: Mapping[str, Node], groups: Mapping[str, list[str]], members: set[str]
) -> _Layout:
    lay = _Layout()
    x, y = 20.0, 20.0
    col_w = _AGG_W + 2 * _PAD
    left_ids = sorted((g for g in groups if g not in snapshot.accounts), key=lambda g: (g != "*", g))
    if left_ids:
        frame = _Frame("Outside the snapshot", "frame-group", x, y, col_w)
        yy = y + _TITLE
        for g in left_ids:
            ids = groups[g]
            kinds = sorted({nodes[n].kind for n in ids})
            if g == "*":
                label, out_org = "* (anyone)", True
            elif g == "services":
                label, out_org = "AWS services", False
            elif g == "providers":
                label, out_org = "identity providers", False
            else:
                account = g.removeprefix("outside:")
                out_org = account not in members
                label = f"{account} · " + ("outside the org" if out_org else "in the org")
            sub = f"{len(ids)} principal(s): {', '.join(kinds)}"
            b = _Box(g, "aggregate", label, "\n".join(ids[:50]), x + _PAD, yy, _AGG_W, _AGG_H, True, out_org, sub)
            lay.boxes[g] = b
            yy += _AGG_H + _GAP
        frame.h = yy - y + _PAD - _GAP
        lay.frames.append(frame)
        x += col_w + 60
    left, y, right = x, 20.0, x
    for label, unit_id, account_ids in _ou_groups(snapshot):
        ou = _Frame(label, "frame-ou", left, y, title=unit_id)
        lay.frames.append(ou)
        per_row = 4
        rows = 0
        for i, account in enumerate(account_ids):
            ids = groups.get(account, [])
            users = sum(nodes[n].kind == "user" for n in ids)
            roles = sum(nodes[n].kind == "role" for n in ids)
            name = snapshot.accounts[account].name
            bx = left + _PAD + (i % per_row) * (_AGG_W + 16)
            by = y + _TITLE + (i // per_row) * (_AGG_H + 12)
            rows = i // per_row + 1
            sub = f"{users} user(s) · {roles} role(s)" + (
                f" · {len(ids) - users - roles} other" if len(ids) > users + roles else ""
            )
            lay.boxes[account] = _Box(
                account,
                "aggregate",
                f"{account}" + (f" · {name}" if name else ""),
                account,
                bx,
                by,
                _AGG_W,
                _AGG_H,
                sub=sub,
            )
        ou.w = _PAD * 2 + min(per_row, len(account_ids)) * (_AGG_W + 16) - 16
        ou.h = _TITLE + rows * (_AGG_H + 12) + _PAD - 12
        right = max(right, left + ou.w)
        y += ou.h + 20
    lay.width = right + 20
    lay.height = max(y, max((b.y + b.h for b in lay.boxes.values()), default=0) + 20) + 10
    return lay


# =========================================================================== drawing


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _worst(severities: Iterable[str]) -> str | None:
    found = [s for s in severities if s in SEVERITIES]
    return min(found, key=SEVERITIES.index) if found else None


def _curve(a: _Box, b: _Box, bend: float = 0) -> str:
    sx, sy = a.x + a.w, a.y + a.h / 2
    tx, ty = b.x, b.y + b.h / 2
    if tx > sx + 10:
        dx = max(30.0, (tx - sx) / 2)
        return f"M{sx:.1f},{sy:.1f} C{sx + dx:.1f},{sy + bend:.1f} {tx - dx:.1f},{ty + bend:.1f} {tx:.1f},{ty:.1f}"
    # a target to the left (or in the same column): an arch from the top of one to the top of the other
    sx, sy = a.x + a.w / 2, a.y
    tx, ty = b.x + b.w / 2 + 12, b.y
    up = 18 + abs(sx - tx) / 10 + abs(sy - ty) / 4 + bend
    top = min(sy, ty) - up
    return f"M{sx:.1f},{sy:.1f} C{sx:.1f},{top:.1f} {tx:.1f},{top:.1f} {tx:.1f},{ty:.1f}"


def _svg_box(b: _Box, dom_id: str, sev: str | None, count: int) -> str:
    classes = ["node", f"k-{b.kind}"]
    if b.external:
        classes.append("external")
    if b.outside_org:
        classes.append("outside-org")
    if sev:
        classes.append(f"sev-{sev}")
    title = b.title + (f"\n{count} finding(s), worst {sev}" if sev else "")
    parts = [
        f'<g class="{" ".join(classes)}" id="{dom_id}" data-id="{_e(b.id)}" data-kind="{_e(b.kind)}" tabindex="0">',
        f"<title>{_e(title)}</title>",
        f'<rect x="{b.x:.1f}" y="{b.y:.1f}" width="{b.w:.1f}" height="{b.h:.1f}" rx="5"/>',
        f'<text class="kind" x="{b.x + 11:.1f}" y="{b.y + 16:.1f}">{_e(_KIND_LETTER.get(b.kind, "?"))}</text>',
        f'<text x="{b.x + 24:.1f}" y="{b.y + 16:.1f}">{_e(_fit(b.label, b.w - (22 if b.outside_org else 0)))}</text>',
    ]
    if b.sub:
        parts.append(f'<text class="sub" x="{b.x + 24:.1f}" y="{b.y + 36:.1f}">{_e(_fit(b.sub, b.w))}</text>')
    if b.outside_org:
        parts.append(f'<text class="badge" x="{b.x + b.w - 6:.1f}" y="{b.y + 11:.1f}">EXT</text>')
    if sev:
        parts.append(f'<circle class="dot" cx="{b.x + b.w:.1f}" cy="{b.y:.1f}" r="7"/>')
        parts.append(f'<text class="dot-n" x="{b.x + b.w:.1f}" y="{b.y + 3.5:.1f}">{count}</text>')
    parts.append("</g>")
    return "".join(parts)


def _svg_frame(f: _Frame) -> str:
    title = f"<title>{_e(f.title)}</title>" if f.title else ""
    return (
        f'<g class="frame {f.cls}">{title}<rect x="{f.x:.1f}" y="{f.y:.1f}" width="{f.w:.1f}" height="{f.h:.1f}" '
        f'rx="8"/><text x="{f.x + 10:.1f}" y="{f.y + 19:.1f}">{_e(f.label)}</text></g>'
    )


_CSS = """
:root{--critical:#b0002a;--high:#e4572e;--medium:#e09f00;--low:#3d7ddb;--edge:#8a94a6;--unknown:#8e5bb5}
*{box-sizing:border-box}
body{margin:0;font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1d2330;
background:#f6f7f9}
header{padding:10px 18px;background:#1f2a3c;color:#fff;display:flex;gap:18px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:17px;margin:0;font-weight:600}
header .figures{color:#cfd6e3;font-size:12px}
.pill{display:inline-block;padding:0 7px;border-radius:9px;font-size:11px;font-weight:600;color:#fff}
.pill.critical{background:var(--critical)}.pill.high{background:var(--high)}
.pill.medium{background:var(--medium)}.pill.low{background:var(--low)}
main{display:grid;grid-template-columns:minmax(0,1fr) 340px;height:calc(100vh - 84px)}
#picture{overflow:auto;background:#fff;border-right:1px solid #d9dde5}
#picture.fit svg{width:100%;height:auto}
.legend button{font:inherit;font-size:12px;padding:0 8px;border:1px solid #9aa4b6;border-radius:4px;background:#fff;
cursor:pointer}
aside{overflow:auto;padding:10px 12px;background:#f6f7f9}
aside h2,section h2{font-size:14px;margin:6px 0 8px}
.legend{padding:5px 18px;background:#e9edf3;border-bottom:1px solid #d9dde5;font-size:12px;display:flex;gap:16px;
flex-wrap:wrap;align-items:center;column-gap:14px;row-gap:2px}
.legend svg{vertical-align:middle}
.note{background:#fff6d6;border:1px solid #e8d27a;padding:6px 10px;margin:8px 0;border-radius:6px}
ol.findings{list-style:none;margin:0;padding:0}
ol.findings li{background:#fff;border:1px solid #dde2ea;border-left:5px solid var(--edge);border-radius:6px;
margin:0 0 7px;padding:6px 8px;cursor:pointer}
ol.findings li.critical{border-left-color:var(--critical)}ol.findings li.high{border-left-color:var(--high)}
ol.findings li.medium{border-left-color:var(--medium)}ol.findings li.low{border-left-color:var(--low)}
ol.findings li.on{outline:2px solid #1f2a3c}
ol.findings a{color:inherit;text-decoration:none}
ol.findings .kind{font-weight:600}
ol.findings .msg{color:#4a5366;font-size:12px;word-break:break-word}
svg text{font-size:12px;fill:#1d2330}
.frame rect{fill:none;stroke:#c4cad6;stroke-width:1}
.frame text{font-size:12px;font-weight:600;fill:#4a5366}
.frame-ou>rect{fill:#f3f5f9;stroke:#b4bccb}
.frame-account>rect{fill:#fff;stroke:#7d8aa3;stroke-width:1.3}
.frame-account>text{fill:#1f2a3c}
.frame-outside>rect{fill:#fff5f3;stroke:var(--high);stroke-dasharray:6 4;stroke-width:1.3}
.frame-outside>text{fill:#a8321a}
.frame-external>rect{fill:#fafbfc;stroke:#7d8aa3;stroke-dasharray:6 4}
.frame-public>rect{fill:#fff0f2;stroke:var(--critical);stroke-dasharray:6 4}
.frame-group>rect{fill:#fafbfc;stroke:#c4cad6;stroke-dasharray:3 3}
.node rect{fill:#eef3fb;stroke:#7f97c2;stroke-width:1}
.node.k-role rect{fill:#edf8f0;stroke:#6aa57c}
.node.k-service rect{fill:#fff6e6;stroke:#d39a3a}
.node.k-federated rect{fill:#f5edfb;stroke:#9a6cc0}
.node.k-account rect,.node.k-principal rect{fill:#fdf1ee;stroke:#c77865}
.node.k-public rect{fill:#ffe7eb;stroke:var(--critical)}
.node.k-aggregate rect{fill:#eef3fb;stroke:#7f97c2}
.node.external rect{stroke-dasharray:4 3}
.node text.kind{font-weight:700;fill:#5b6478;text-anchor:middle}
.node text.sub{font-size:11px;fill:#5b6478}
.node text.badge{font-size:9px;font-weight:700;fill:#a8321a;text-anchor:end}
.node .dot{stroke:#fff;stroke-width:1.5}
.node text.dot-n{font-size:9px;font-weight:700;fill:#fff;text-anchor:middle}
.node.sev-critical rect{stroke:var(--critical);stroke-width:2.5}.node.sev-critical .dot{fill:var(--critical)}
.node.sev-high rect{stroke:var(--high);stroke-width:2.5}.node.sev-high .dot{fill:var(--high)}
.node.sev-medium rect{stroke:var(--medium);stroke-width:2.5}.node.sev-medium .dot{fill:var(--medium)}
.node.sev-low rect{stroke:var(--low);stroke-width:2.5}.node.sev-low .dot{fill:var(--low)}
.node{cursor:pointer}
.edge path{fill:none;stroke:var(--edge);stroke-width:1.4}
.edge.conditional path{stroke-dasharray:7 4}
.edge.unknown path,.edge.error path{stroke:var(--unknown);stroke-dasharray:2 3;stroke-width:1.8}
.edge.sev-critical path{stroke:var(--critical);stroke-width:2.6}.edge.sev-high path{stroke:var(--high);stroke-width:2.4}
.edge.sev-medium path{stroke:var(--medium);stroke-width:2.2}.edge.sev-low path{stroke:var(--low);stroke-width:2.2}
.edge:hover path{stroke-width:4}
.edge text{font-size:10px;fill:#4a5366}
svg.focusing .edge:not(.on),svg.focusing .node:not(.on){opacity:.18}
svg.focusing .edge.on path{stroke-width:4}
.node:target rect{stroke:#1f2a3c;stroke-width:3}
section{padding:8px 18px 20px}
table{border-collapse:collapse;background:#fff;font-size:12px;width:100%}
th,td{border:1px solid #dde2ea;padding:3px 6px;text-align:left;vertical-align:top;word-break:break-all}
th{background:#e9edf3}
details summary{cursor:pointer;font-weight:600;margin:6px 0}
"""

_JS = """
(function(){
  var svg=document.getElementById('graph');
  var pic=document.getElementById('picture');
  var fit=document.getElementById('fit');
  // fit the picture to the window unless that would shrink it below two thirds of its size
  if(svg.width.baseVal.value*2>pic.clientWidth*3){pic.classList.remove('fit');}
  function fitLabel(){fit.textContent=pic.classList.contains('fit')?'actual size':'fit to window';}
  fit.addEventListener('click',function(){pic.classList.toggle('fit');fitLabel();});
  fitLabel();
  function clear(){
    svg.classList.remove('focusing');
    document.querySelectorAll('.on').forEach(function(x){x.classList.remove('on');});
  }
  function light(ids,item){
    clear();
    if(item){item.classList.add('on');}
    svg.classList.add('focusing');
    var first=null;
    ids.forEach(function(id){var x=document.getElementById(id);if(x){x.classList.add('on');first=first||x;}});
    return first;
  }
  document.querySelectorAll('ol.findings li').forEach(function(li){
    li.addEventListener('click',function(ev){
      ev.preventDefault();
      if(li.classList.contains('on')){clear();return;}
      var ids=(li.dataset.edges+' '+li.dataset.nodes).split(' ').filter(Boolean);
      var target=document.getElementById(li.dataset.target);
      light(ids,li);
      if(target){target.scrollIntoView({block:'center',inline:'center',behavior:'smooth'});}
    });
  });
  svg.querySelectorAll('.node').forEach(function(n){
    n.addEventListener('click',function(){
      if(n.classList.contains('on')&&svg.classList.contains('focusing')){clear();return;}
      var ids=[n.id];
      svg.querySelectorAll('.edge').forEach(function(e){
        if(e.dataset.fromNode===n.id||e.dataset.toNode===n.id){ids.push(e.id,e.dataset.fromNode,e.dataset.toNode);}
      });
      light(ids,null);
    });
  });
  document.addEventListener('keydown',function(ev){if(ev.key==='Escape'){clear();}});
  document.body.dataset.ready='1';
})();
"""


def _legend() -> str:
    def line(cls: str, dash: str, colour: str) -> str:
        return (
            f'<svg width="38" height="10" class="{cls}"><path d="M2,5 L36,5" stroke="{colour}" stroke-width="2" '
            f'stroke-dasharray="{dash}" fill="none"/></svg>'
        )

    def swatch(fill: str, stroke: str, dash: str = "") -> str:
        return (
            f'<svg width="18" height="12"><rect x="1" y="1" width="16" height="10" rx="3" fill="{fill}" '
            f'stroke="{stroke}" stroke-dasharray="{dash}"/></svg>'
        )

    items = [
        f"{swatch('#eef3fb', '#7f97c2')} U user",
        f"{swatch('#edf8f0', '#6aa57c')} R role",
        f"{swatch('#fdf1ee', '#c77865', '3 2')} A/P other account, its principal",
        f"{swatch('#ffe7eb', '#b0002a', '3 2')} * anyone",
        f"{swatch('#fff6e6', '#d39a3a', '3 2')} S service",
        f"{swatch('#f5edfb', '#9a6cc0', '3 2')} F identity provider",
        '<b style="color:#a8321a;font-size:10px">EXT</b> outside the org',
        f"{line('', '', '#8a94a6')} can assume",
        f"{line('', '7 4', '#8a94a6')} if conditions (hover)",
        f"{line('', '2 3', '#8e5bb5')} unknown / error",
        " ".join(f'<span class="pill {s}">{s}</span>' for s in SEVERITIES[:3]) + " finding",
    ]
    return (
        '<div class="legend"><button id="fit" type="button">fit to window</button>'
        + "".join(f"<span>{i}</span>" for i in items)
        + "</div>"
    )


def _edge_title(e: Edge, sevs: Sequence[str]) -> str:
    lines = [f"{e.source} → {e.to}"]
    if e.status != "edge":
        lines.append(f"{e.status}: {e.reason or ''}")
    elif e.conditional:
        lines.append(f"conditional on: {', '.join(e.conditions)}")
    else:
        lines.append("unconditional" + (f" (condition keys: {', '.join(e.conditions)})" if e.conditions else ""))
    if e.door != "AssumeRole":
        lines.append(f"door: {e.door}")
    if sevs:
        lines.append(f"findings: {', '.join(sevs)}")
    return "\n".join(lines)


def _edge_classes(e: Edge, sev: str | None) -> str:
    classes = ["edge", e.status if e.status != "edge" else ("conditional" if e.conditional else "unconditional")]
    if sev:
        classes.append(f"sev-{sev}")
    return " ".join(classes)


def _edges_table(edges: Sequence[Edge], edge_sev: Mapping[int, list[str]], caption: str) -> str:
    rows = []
    for i, e in enumerate(edges[:TABLE_ROWS]):
        sev = _worst(edge_sev.get(i, []))
        kind = e.status if e.status != "edge" else ("conditional" if e.conditional else "unconditional")
        rows.append(
            f'<tr data-from="{_e(e.source)}" data-to="{_e(e.to)}"><td>{_e(e.source)}</td><td>{_e(e.to)}</td>'
            f"<td>{_e(kind)}</td><td>{_e(', '.join(e.conditions))}</td><td>{_e(e.door)}</td>"
            f"<td>{f'<span class={chr(34)}pill {sev}{chr(34)}>{sev}</span>' if sev else ''}</td></tr>"
        )
    more = (
        f'<p class="note">The first {TABLE_ROWS} of {len(edges)} edges; edges.json lists them all.</p>'
        if len(edges) > TABLE_ROWS
        else ""
    )
    return (
        f'<h2>{_e(caption)}</h2>{more}<table class="edges"><thead><tr><th>from</th><th>to</th><th>kind</th>'
        "<th>condition keys</th><th>door</th><th>finding</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def picture_html(
    snapshot: Snapshot,
    graph: AccessGraph,
    found: Sequence[Finding],
    *,
    aggregate: bool | None = None,
    title: str = "Access graph",
) -> str:
    """The page of the module docstring: every node and edge of ``graph`` (``edges``, ``unknown`` and
    ``errors``, in ``edges.json``'s order) and every finding of ``found``. ``aggregate``: draw
    accounts as aggregated nodes (``None``: above :data:`AGGREGATE_NODES` nodes or
    :data:`AGGREGATE_EDGES` edges)."""
    edges = graph.all_edges()
    nodes = _all_nodes(snapshot, graph, edges)
    org = snapshot.organization
    members = (set(org.members) | {org.management_account}) if org else set()
    if aggregate is None:
        aggregate = len(nodes) > AGGREGATE_NODES or len(edges) > AGGREGATE_EDGES
    marks = _finding_marks(found, edges)
    draw = _aggregated_drawing if aggregate else _full_drawing
    drawing = draw(snapshot, nodes, edges, members, found, marks)
    svg = _svg(drawing, aggregate)
    if aggregate:
        tables = _edges_table(edges, marks.edge_sev, f"Edges ({len(edges)})")
    else:
        table = _edges_table(edges, marks.edge_sev, "")
        tables = f"<details><summary>Every edge as a table ({len(edges)})</summary>{table}</details>"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_CSS}</style></head><body>"
        f"<header><h1>rolecall · {_e(title)}</h1>{_header_figures(snapshot, graph, nodes, found)}</header>"
        f'{_legend()}<main><div id="picture" class="fit">{drawing.note}{svg}</div>'
        f"{_findings_aside(found, drawing.finding_dom)}</main>"
        f"<section>{tables}</section>"
        f"<script>{_JS}</script></body></html>\n"
    )


class _Marks(NamedTuple):
    """Which findings touch which edges and nodes: severities by edge index and by node, and each
    finding's edge indices."""

    edge_sev: dict[int, list[str]]
    node_sev: dict[str, list[str]]
    finding_edges: list[list[int]]


class _Drawing(NamedTuple):
    """A drawn picture: its layout, edges and boxes as SVG, each finding's (edge ids, node ids, target)
    in the DOM, and a note above it."""

    lay: _Layout
    edges: list[str]
    finding_dom: list[tuple[list[str], list[str], str]]
    boxes: list[str]
    note: str


def _all_nodes(snapshot: Snapshot, graph: AccessGraph, edges: Sequence[Edge]) -> dict[str, Node]:
    """The graph's nodes, every user and role of the snapshot, and every edge's end (an unknown one
    external: a federated source, or a principal), sorted by id."""
    nodes: dict[str, Node] = dict(graph.nodes)
    for u in snapshot.users():
        nodes.setdefault(u.arn(snapshot.partition), Node(u.arn(snapshot.partition), "user", u.account))
    for r in snapshot.roles():
        nodes.setdefault(r.arn(snapshot.partition), Node(r.arn(snapshot.partition), "role", r.account))
    for e in edges:
        for end in (e.source, e.to):
            if end not in nodes:
                kind = "federated" if e.door != "AssumeRole" and end == e.source else "principal"
                nodes[end] = Node(end, kind, _account_of(end, None), external=True)
    return dict(sorted(nodes.items()))


def _finding_marks(found: Sequence[Finding], edges: Sequence[Edge]) -> _Marks:
    """Which findings touch which edges (those of their path) and nodes (their role and principal)."""
    index = {(e.source, e.to, e.door, e.status): i for i, e in enumerate(edges)}
    edge_sev: dict[int, list[str]] = {}
    node_sev: dict[str, list[str]] = {}
    finding_edges: list[list[int]] = []
    for f in found:
        ids = [index[k] for k in ((p.source, p.to, p.door, p.status) for p in f.path) if k in index]
        finding_edges.append(ids)
        for i in ids:
            edge_sev.setdefault(i, []).append(f.severity)
        for n in {f.role, f.principal}:
            node_sev.setdefault(n, []).append(f.severity)
    return _Marks(edge_sev, node_sev, finding_edges)


def _aggregated_drawing(
    snapshot: Snapshot,
    nodes: Mapping[str, Node],
    edges: Sequence[Edge],
    members: set[str],
    found: Sequence[Finding],
    marks: _Marks,
) -> _Drawing:
    """The aggregated picture: one node per account or group, one arrow per pair of groups with its count."""
    groups: dict[str, list[str]] = {}
    owner = {nid: _group_of(nid, node, snapshot) for nid, node in nodes.items()}
    for nid, g in owner.items():
        groups.setdefault(g, []).append(nid)
    for a in snapshot.accounts:
        groups.setdefault(a, [])
    lay = _aggregate_layout(snapshot, nodes, groups, members)
    dom = {g: f"n{i}" for i, g in enumerate(sorted(lay.boxes))}
    pairs: dict[tuple[str, str], list[int]] = {}
    for i, e in enumerate(edges):
        pairs.setdefault((owner[e.source], owner[e.to]), []).append(i)
    group_sev: dict[str, list[str]] = {}
    for n, sevs in marks.node_sev.items():
        if n in owner:
            group_sev.setdefault(owner[n], []).extend(sevs)
    drawn_edges = [
        _aggregated_edge(k, a, b, ids, edges, marks.edge_sev, lay, dom)
        for k, ((a, b), ids) in enumerate(sorted(pairs.items()))
    ]
    finding_dom = [
        (
            sorted({f"e{k}" for k, (pair, ids) in enumerate(sorted(pairs.items())) if set(ids) & set(fe)}),
            sorted({dom[owner[n]] for n in (f.role, f.principal) if n in owner}),
            dom.get(owner.get(f.role, ""), ""),
        )
        for f, fe in zip(found, marks.finding_edges, strict=True)
    ]
    boxes_svg = [
        _svg_box(b, dom[g], _worst(group_sev.get(g, [])), len(group_sev.get(g, [])))
        for g, b in sorted(lay.boxes.items())
    ]
    note = (
        f'<p class="note">{len(nodes)} nodes and {len(edges)} edges: too many to draw one by one. Each account '
        "is one node with its counts, and an arrow between two stands for every edge between their principals "
        "(its number on it); the tables below list the edges.</p>"
    )
    return _Drawing(lay, drawn_edges, finding_dom, boxes_svg, note)


def _aggregated_edge(
    k: int,
    a: str,
    b: str,
    ids: list[int],
    edges: Sequence[Edge],
    edge_sev: Mapping[int, list[str]],
    lay: _Layout,
    dom: Mapping[str, str],
) -> str:
    """The arrow from group ``a`` to group ``b`` standing for the edges ``ids``: conditional when all are,
    unknown when none is decided, its worst finding's severity, and the count on it."""
    sev = _worst(s for i in ids for s in edge_sev.get(i, []))
    cond = sum(edges[i].conditional for i in ids)
    undecided = sum(edges[i].status != "edge" for i in ids)
    cls = "edge " + ("conditional" if cond == len(ids) else "unconditional") + (f" sev-{sev}" if sev else "")
    if undecided == len(ids):
        cls = "edge unknown" + (f" sev-{sev}" if sev else "")
    tip = f"{a} → {b}: {len(ids)} edge(s), {cond} conditional, {undecided} unknown or error"
    sa, sb = lay.boxes[a], lay.boxes[b]
    d = _curve(sa, sb) if a != b else _loop(sa)
    mx, my = _middle(sa, sb) if a != b else (sa.x + sa.w + 26, sa.y + 4)
    return (
        f'<g class="{cls}" id="e{k}" data-from="{_e(a)}" data-to="{_e(b)}" data-count="{len(ids)}" '
        f'data-from-node="{dom[a]}" data-to-node="{dom[b]}"><title>{_e(tip)}</title>'
        f'<path d="{d}" marker-end="url(#arrow-{sev or "plain"})"/>'
        f'<text x="{mx:.1f}" y="{my:.1f}">{len(ids)}</text></g>'
    )


def _full_drawing(
    snapshot: Snapshot,
    nodes: Mapping[str, Node],
    edges: Sequence[Edge],
    members: set[str],
    found: Sequence[Finding],
    marks: _Marks,
) -> _Drawing:
    """The full picture: every node and every edge."""
    lay = _full_layout(snapshot, nodes, edges, members)
    dom = {nid: f"n{i}" for i, nid in enumerate(nodes)}
    drawn_edges = []
    for i, e in enumerate(edges):
        sevs = marks.edge_sev.get(i, [])
        sev = _worst(sevs)
        sa, sb = lay.boxes[e.source], lay.boxes[e.to]
        d = _curve(sa, sb) if e.source != e.to else _loop(sa)
        drawn_edges.append(
            f'<g class="{_edge_classes(e, sev)}" id="e{i}" data-from="{_e(e.source)}" data-to="{_e(e.to)}" '
            f'data-door="{_e(e.door)}" data-status="{_e(e.status)}" data-conditions="{_e(" ".join(e.conditions))}" '
            f'data-from-node="{dom[e.source]}" data-to-node="{dom[e.to]}">'
            f"<title>{_e(_edge_title(e, sevs))}</title>"
            f'<path d="{d}" marker-end="url(#arrow-{sev or ("unknown" if e.status != "edge" else "plain")})"/></g>'
        )
    finding_dom = [
        (
            [f"e{i}" for i in fe],
            sorted({dom[n] for n in (f.role, f.principal) if n in dom} | {dom[edges[i].source] for i in fe}),
            dom.get(f.role, ""),
        )
        for f, fe in zip(found, marks.finding_edges, strict=True)
    ]
    boxes_svg = [
        _svg_box(b, dom[nid], _worst(marks.node_sev.get(nid, [])), len(marks.node_sev.get(nid, [])))
        for nid, b in sorted(lay.boxes.items())
    ]
    return _Drawing(lay, drawn_edges, finding_dom, boxes_svg, "")


def _svg(drawing: _Drawing, aggregate: bool) -> str:
    """The picture's SVG: the arrowheads, the frames, the edges, then the nodes."""
    lay = drawing.lay
    markers = "".join(
        f'<marker id="arrow-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" '
        f'markerUnits="userSpaceOnUse" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        for name, colour in (
            ("plain", "#8a94a6"),
            ("unknown", "#8e5bb5"),
            ("critical", "#b0002a"),
            ("high", "#e4572e"),
            ("medium", "#e09f00"),
            ("low", "#3d7ddb"),
        )
    )
    return (
        f'<svg id="graph" xmlns="http://www.w3.org/2000/svg" width="{lay.width:.0f}" height="{lay.height:.0f}" '
        f'viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" data-mode="{"aggregated" if aggregate else "full"}">'
        f"<defs>{markers}</defs>"
        + "".join(_svg_frame(f) for f in lay.frames)
        + '<g class="edges">'
        + "".join(drawing.edges)
        + '</g><g class="nodes">'
        + "".join(drawing.boxes)
        + "</g></svg>"
    )


def _findings_aside(found: Sequence[Finding], finding_dom: list[tuple[list[str], list[str], str]]) -> str:
    """The findings beside the picture (the first :data:`TABLE_ROWS`), each naming its edges, nodes and target."""
    items = []
    for k, (f, (edge_ids, node_ids, target)) in enumerate(zip(found, finding_dom, strict=True)):
        if k == TABLE_ROWS:
            items.append(f'<li class="note">… and {len(found) - TABLE_ROWS} more: findings.json lists them all.</li>')
            break
        items.append(
            f'<li class="{_e(f.severity)}" id="f{k}" data-kind="{_e(f.kind)}" data-role="{_e(f.role)}" '
            f'data-principal="{_e(f.principal)}" data-edges="{" ".join(edge_ids)}" data-nodes="{" ".join(node_ids)}" '
            f'data-target="{target}"><a href="#{target}"><span class="pill {_e(f.severity)}">{_e(f.severity)}</span> '
            f'<span class="kind">{_e(f.kind)}</span> · {_e(_short(f.role, "role"))}<div class="msg">{_e(f.message)}'
            "</div></a></li>"
        )
    return (
        f"<aside><h2>Findings ({len(found)})</h2>"
        + ("<p>None.</p>" if not found else "")
        + f'<ol class="findings">{"".join(items)}</ol></aside>'
    )


def _header_figures(snapshot: Snapshot, graph: AccessGraph, nodes: Mapping[str, Node], found: Sequence[Finding]) -> str:
    """The header's figures (accounts, organization, nodes, edges, pairs decided) and a pill per severity."""
    org = snapshot.organization
    by_sev = {s: sum(f.severity == s for f in found) for s in SEVERITIES}
    s = graph.stats
    figures = (
        f"{len(snapshot.accounts)} account(s) · organization {org.id if org else 'none'} · {len(nodes)} nodes · "
        f"{len(graph.edges)} edges ({sum(e.conditional for e in graph.edges)} conditional) · "
        f"{len(graph.unknown)} unknown · {len(graph.errors)} errors"
        + (f" · {s.candidate_pairs} of {s.all_pairs} pairs decided" if s else "")
    )
    pills = " ".join(f'<span class="pill {k}">{v} {k}</span>' for k, v in by_sev.items() if v)
    return f'<span class="figures">{_e(figures)}</span>{pills}'


def _loop(b: _Box) -> str:
    sx, sy = b.x + b.w, b.y + b.h / 2
    return f"M{sx:.1f},{sy - 5:.1f} C{sx + 40:.1f},{sy - 30:.1f} {sx + 40:.1f},{sy + 30:.1f} {sx:.1f},{sy + 5:.1f}"


def _middle(a: _Box, b: _Box) -> tuple[float, float]:
    return ((a.x + a.w + b.x) / 2, (a.y + b.y + a.h) / 2 - 3)
