"""The campaign's flow as a graph for the diagram: a node per step and an edge per way it can
go, labelled with the condition, the event awaited, the timeout or the split's share."""

from __future__ import annotations

from goteo.engine.flow_graph import flow_graph
from goteo.engine.parser import parse_campaign

FLOW = """\
key: graph
trigger: {event: added_to_cart}
goal: {event: purchase, within: 7d}
steps:
  - id: hello
    send: email
    template: hi
  - id: pause
    wait: 2d
  - id: vip
    branch: {score: {gte: 50}}
    then: ask
  - id: text
    send: sms
    template: short
    next: test
  - id: ask
    wait_for: {event: page_view, where: {url: {contains: /pricing}}, timeout: 5d}
    then: done
  - id: test
    split:
      - {name: a, weight: 3, next: done}
      - {name: b, weight: 1}
      - {name: rest, weight: 1, holdout: true}
  - id: last
    send: email
    template: hi
  - id: done
    exit: saw the pricing page
templates:
  hi: {en: {subject: Hi, html: "<p>Hi</p>"}}
  short: {en: {text: Hi}}
"""


def test_every_step_is_a_node_and_every_way_out_an_edge() -> None:  # no step runs past the end
    graph = flow_graph(parse_campaign(FLOW))
    nodes = {n["id"]: (n["kind"], n["detail"], n["channel"]) for n in graph["nodes"]}
    assert nodes == {
        "@start": ("start", "event added_to_cart", ""),
        "hello": ("send", "hi", "email"),
        "pause": ("wait", "2d", ""),
        "vip": ("branch", "score gte 50", ""),
        "text": ("send", "short", "sms"),
        "ask": ("wait_for", "page_view, 5d", ""),
        "test": ("split", "", ""),
        "last": ("send", "hi", "email"),
        "done": ("exit", "saw the pricing page", ""),
        "@holdout": ("holdout", "", ""),
        "@goal": ("goal", "purchase within 1w", ""),
    }
    edges = [(e["source"], e["target"], e["kind"], e["text"]) for e in graph["edges"]]
    assert edges == [
        ("@start", "hello", "next", ""),
        ("hello", "pause", "next", ""),
        ("pause", "vip", "next", ""),
        ("vip", "ask", "then", "score gte 50"),
        ("vip", "text", "else", ""),  # else: the step below
        ("text", "test", "next", ""),  # an explicit next
        ("ask", "done", "event", "page_view where url contains /pricing"),
        ("ask", "test", "timeout", "5d"),
        ("test", "done", "variant", "a 60%"),
        ("test", "last", "variant", "b 20%"),
        ("test", "@holdout", "variant", "rest 20%"),
        ("last", "done", "next", ""),
    ]


def test_the_end_appears_only_when_a_step_runs_past_the_last() -> None:
    ends = parse_campaign(FLOW.replace("    exit: saw the pricing page", "    wait: 1d"))
    graph = flow_graph(ends)
    assert ("done", "@end") in {(e["source"], e["target"]) for e in graph["edges"]}
    assert "@end" in {n["id"] for n in graph["nodes"]}
    segment = parse_campaign(
        "key: s\ntrigger: {segment: {tags: {contains: vip}}}\nsteps:\n"
        "  - {send: email, template: hi}\n"
        'templates: {hi: {en: {subject: Hi, html: "<p>Hi</p>"}}}\n'
    )
    graph = flow_graph(segment)
    assert graph["nodes"][0]["detail"] == "segment: tags contains vip"
    assert [n["id"] for n in graph["nodes"]] == ["@start", "step-1", "@end"]  # no goal
