"""Linking step 3, cluster: a blocked, date-ordered sweep that attaches each mention to its best-scoring compatible
cluster (score.match) or opens a new one; a second pass merges clusters of one story group; dateless mentions are
attached last, to a unique best cluster only.

Rule (documented in linking.yaml): a mention joins the cluster with the best (rule, score) among its candidates,
`actors` links before `story` links; a cluster's profile is filled by its members, so a later member must agree
with every value already seen (no chaining A-B-C through a vague B); the cluster's anchor interval is the tightest
stated one seen (no drift in time).
"""
from __future__ import annotations

import heapq
from collections import defaultdict
from typing import Any

from pipelines.core.link.block import Mention, content_key
from pipelines.core.link.score import Cluster, Decision, StorySim, better, clusters_compatible, match, story_cfg


def join(c: Cluster, m: Mention, d: Decision, links: list) -> None:
    links.append((m.idx, c.members[0], d))
    c.members.append(m.idx)
    c.stories.add(m.story_key)
    if m.sgroup is not None:
        c.sgroups.add(m.sgroup)
    c.terms |= m.terms
    if m.qty is not None:
        c.qtys.add(m.qty)
    src = (m.tgt_id, m.tgt_cty) if d.swapped else (m.src_id, m.src_cty)
    tgt = (m.src_id, m.src_cty) if d.swapped else (m.tgt_id, m.tgt_cty)
    c.src_id = c.src_id or src[0]
    c.src_cty = c.src_cty or src[1]
    c.tgt_id = c.tgt_id or tgt[0]
    c.tgt_cty = c.tgt_cty or tgt[1]
    c.loc_cty = c.loc_cty or m.loc_cty
    # the anchor interval is the tightest one seen, so the cluster cannot drift in time
    if m.lo is not None and ((m.hi - m.lo) < (c.hi - c.lo) or (m.dated and not c.dated)):
        c.lo, c.hi, c.dated = m.lo, m.hi, m.dated


def windows(family: str, rules: dict) -> tuple[int, int]:
    windows = rules.get("windows_days") or {}
    window = int(windows.get(family, windows.get("default", 2)))
    scfg = story_cfg(rules)
    sw = scfg.get("window_days", window)
    story_window = window if sw is None else int(sw)
    return window, story_window


def cluster_block(ms: list[Mention], family: str, rules: dict, generic, links: list,
                  sim: StorySim | None = None) -> list[Cluster]:
    window, story_window = windows(family, rules)
    reach = 2 * max(window, story_window)
    symmetric = family in set(rules.get("symmetric_families") or [])
    # an actors link needs one side at level >= 2, which needs the same actor id: candidates come from an id
    # index; a story link needs the same story group: candidates also come from a story-group index
    by_id = int(rules.get("min_best_side", 2)) >= 2
    ms = sorted(ms, key=lambda m: (m.lo, m.hi) + content_key(m))
    clusters: list[Cluster] = []
    alive: set[int] = set()
    expiry: list[tuple[int, int]] = []  # heap of (last useful day ordinal, cluster index)
    index: dict[str, set[int]] = defaultdict(set)
    gindex: dict[int, set[int]] = defaultdict(set)

    def ids(c: Cluster) -> set:
        return {c.src_id, c.tgt_id} - {None}

    for m in ms:
        lo = m.lo.toordinal()
        # retire clusters that can no longer match anything (mentions come in increasing `lo`)
        while expiry and expiry[0][0] < lo:
            _, i = heapq.heappop(expiry)
            c = clusters[i]
            if c.hi.toordinal() + reach >= lo:  # its anchor moved later since it was queued
                heapq.heappush(expiry, (c.hi.toordinal() + reach, i))
                continue
            alive.discard(i)
            for k in ids(c):
                index[k].discard(i)
            for g in c.sgroups:
                gindex[g].discard(i)
        if by_id:
            keys = {m.src_id, m.tgt_id} - {None}
            cand = set().union(*(index[k] for k in keys)) if keys else set()
        else:
            cand = set(alive)
        if m.sgroup is not None:
            cand |= gindex.get(m.sgroup, set())
        best, best_c = None, None
        for i in sorted(cand):
            d = match(m, clusters[i], window, symmetric, rules, generic, story_window, sim)
            if d is not None and better(d, best):
                best, best_c = d, clusters[i]
        if best_c is None:
            i = len(clusters)
            c = Cluster([m.idx], m.src_id, m.src_cty, m.tgt_id, m.tgt_cty, m.loc_cty, m.lo, m.hi, m.dated,
                         m.story_id, {m.story_key}, set(m.terms), {m.qty} if m.qty else set(), pos=i,
                         sgroups={m.sgroup} if m.sgroup is not None else set())
            clusters.append(c)
            alive.add(i)
            heapq.heappush(expiry, (c.hi.toordinal() + reach, i))
            for k in ids(c):
                index[k].add(i)
            if m.sgroup is not None:
                gindex[m.sgroup].add(i)
            continue
        c = best_c
        before, gbefore = ids(c), set(c.sgroups)
        join(c, m, best, links)
        for k in ids(c) - before:
            index[k].add(c.pos)
        for g in c.sgroups - gbefore:
            gindex[g].add(c.pos)
    return clusters


def merge_in_groups(clusters: list[Cluster], family: str, rules: dict, generic, links: list,
                    sim: StorySim | None = None) -> list[Cluster]:
    """Second pass of the story rule: two clusters of one block that hold mentions of the same story group merge
    when their profiles are compatible (the story rule between two clusters: no conflicting actor or location
    when the vetoes are on, dates within the story window). The sweep attaches a mention to one cluster only, so
    the mentions of one story that came first can sit in separate clusters; this pass joins them once another
    story of the group bridges them. Clusters are visited in creation (content) order: deterministic."""
    scfg = story_cfg(rules)
    if not scfg.get("merge_clusters", True):
        return clusters
    window, story_window = windows(family, rules)
    symmetric = family in set(rules.get("symmetric_families") or [])
    parent = list(range(len(clusters)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    by_group: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(clusters):
        for g in sorted(c.sgroups):
            by_group[g].append(i)
    # clusters_compatible rejects pairs further apart than this: test it first, on plain day numbers (a fast path,
    # same result; roots are still tried in their order)
    undated = scfg.get("undated_window_days")
    reach = max(story_window, int(undated) if undated is not None else 0)
    for g in sorted(by_group):
        roots: list[int] = []
        in_roots: set[int] = set()
        for i in by_group[g]:
            ri = find(i)
            if ri in in_roots:
                continue
            merged = False
            b = clusters[ri]
            b_lo, b_hi = b.lo.toordinal() - reach, b.hi.toordinal() + reach
            for rj in roots:
                rj = find(rj)
                if rj == ri:
                    merged = True
                    break
                a = clusters[rj]
                if a.lo.toordinal() > b_hi or a.hi.toordinal() < b_lo:
                    continue
                d = clusters_compatible(a, b, window, story_window, symmetric, rules, generic, sim)
                if d is None:
                    continue
                links.append((b.members[0], a.members[0], d))
                for m_idx in b.members:
                    a.members.append(m_idx)
                a.stories |= b.stories
                a.sgroups |= b.sgroups
                a.terms |= b.terms
                a.qtys |= b.qtys
                src = (b.tgt_id, b.tgt_cty) if d.swapped else (b.src_id, b.src_cty)
                tgt = (b.src_id, b.src_cty) if d.swapped else (b.tgt_id, b.tgt_cty)
                a.src_id, a.src_cty = a.src_id or src[0], a.src_cty or src[1]
                a.tgt_id, a.tgt_cty = a.tgt_id or tgt[0], a.tgt_cty or tgt[1]
                a.loc_cty = a.loc_cty or b.loc_cty
                if (b.hi - b.lo) < (a.hi - a.lo) or (b.dated and not a.dated):
                    a.lo, a.hi, a.dated = b.lo, b.hi, b.dated
                b.members = []
                parent[ri] = rj
                merged = True
                break
            if not merged:
                roots.append(ri)
                in_roots.add(ri)
    return [c for c in clusters if c.members]


def attach_dateless(ms: list[Mention], clusters: list[Cluster], family: str, rules: dict, generic,
                    links: list, sim: StorySim | None = None) -> list[list[int]]:
    """Mentions with no date at all (no stated date, no publication date) join an existing cluster of their block
    only on strong evidence (min_link_score_nodate, or a story link) and only when one cluster is the unique
    best; otherwise they stay alone. Candidates come from an actor and a story-group index, not all clusters."""
    symmetric = family in set(rules.get("symmetric_families") or [])
    window, story_window = windows(family, rules)
    index: dict[Any, list[int]] = defaultdict(list)
    for i, c in enumerate(clusters):
        for k in {c.src_id, c.tgt_id, c.src_cty, c.tgt_cty} - {None}:
            index[k].append(i)
        for g in c.sgroups:
            index[("group", g)].append(i)
    alone: list[list[int]] = []
    for m in sorted(ms, key=content_key):
        keys = {m.src_id, m.tgt_id, m.src_cty, m.tgt_cty} - {None}
        if m.sgroup is not None:
            keys.add(("group", m.sgroup))
        cands = sorted({i for k in keys for i in index.get(k, [])})
        scored = []
        for i in cands:
            d = match(m, clusters[i], 0, symmetric, rules, generic, story_window, sim)
            if d is not None:
                scored.append(((d.rule == "actors", d.score), i, d))
        scored.sort(key=lambda x: (x[0], -x[1]), reverse=True)
        if scored and (len(scored) == 1 or scored[0][0] > scored[1][0]):
            c, d = clusters[scored[0][1]], scored[0][2]
            links.append((m.idx, c.members[0], d))
            c.members.append(m.idx)
            c.stories.add(m.story_key)
        else:
            alone.append([m.idx])
    return alone
