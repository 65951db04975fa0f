/* Goteo: a campaign's flow drawn as SVG. The graph (nodes with their figures, edges with
   their labels) comes from the page as JSON (console/flow_diagram.py); elkjs lays it out
   (layered, top to bottom); this script only draws. Every text goes in as textContent. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var FONT = "13px system-ui, -apple-system, 'Segoe UI', sans-serif";
  var COUNT_FONT = "600 " + FONT;
  var LINE = 17, PAD = 8, MIN_W = 150, MAX_W = 260, DETAIL_MAX = 40;
  var ORDER = ["waiting", "sent", "opened", "clicked", "converted", "exited", "completed", "held out"];
  var canvas = document.createElement("canvas").getContext("2d");

  function width(text, font) {
    canvas.font = font || FONT;
    return Math.ceil(canvas.measureText(text).width);
  }

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function short(text) {
    return text.length > DETAIL_MAX ? text.slice(0, DETAIL_MAX - 1) + "…" : text;
  }

  function fit(text, font) {  // cut to the widest node, the whole text kept for its title
    var room = MAX_W - 2 * PAD, cut = text;
    while (cut.length > 1 && width(cut, font) > room) cut = cut.slice(0, -2) + "…";
    return cut;
  }

  function figures(node, words) {
    var counts = node.counts || {};
    var step = node.id.charAt(0) !== "@";
    return ORDER.filter(function (k) {
      var always = !step || k === "waiting" || (k === "sent" && (node.kind === "send" || node.kind === "touch"));
      return k in counts && (counts[k] > 0 || always);
    }).map(function (k) { return counts[k] + " " + (words[k] || k); });
  }

  function lines(node, words) {
    var head = words[node.kind] || node.kind;
    if (node.channel) head += " · " + node.channel;
    var out = [{ text: fit(head, "bold " + FONT), bold: true }];
    if (node.id.charAt(0) !== "@") out.push({ text: fit(node.id), code: true });
    if (node.detail) out.push({ text: fit(node.detail), full: node.detail });
    var line = "";
    figures(node, words).forEach(function (fig) {  // as many as fit on a line
      var longer = line ? line + " · " + fig : fig;
      if (line && width(longer, COUNT_FONT) > MAX_W - 2 * PAD) {
        out.push({ text: line, count: true });
        longer = fig;
      }
      line = longer;
    });
    if (line) out.push({ text: line, count: true });
    return out;
  }

  function edgeText(edge, words) {
    var word = words[edge.kind];
    if (edge.kind === "next" || edge.kind === "variant") return edge.text;
    return edge.text ? word + ": " + edge.text : word;
  }

  function layout(data) {
    var words = data.words, graph = data.graph;
    var children = graph.nodes.map(function (node) {
      var texts = lines(node, words);
      var w = texts.reduce(function (m, t) {
        return Math.max(m, width(t.text, t.bold ? "bold " + FONT : t.count ? COUNT_FONT : FONT));
      }, 0);
      return {
        id: node.id, node: node, texts: texts,
        width: Math.min(MAX_W, Math.max(MIN_W, w + 2 * PAD)),
        height: texts.length * LINE + 2 * PAD,
      };
    });
    var edges = graph.edges.map(function (edge, i) {
      var text = edgeText(edge, words);
      var item = { id: "e" + i, sources: [edge.source], targets: [edge.target], edge: edge };
      if (text) item.labels = [{ text: short(text), full: text, width: width(short(text)) + 6, height: LINE }];
      return item;
    });
    return new ELK().layout({
      id: "root",
      layoutOptions: {
        "elk.algorithm": "layered",
        "elk.direction": "DOWN",
        "elk.edgeRouting": "ORTHOGONAL",
        "elk.layered.spacing.nodeNodeBetweenLayers": "46",
        "elk.spacing.nodeNode": "36",
        "elk.spacing.edgeLabel": "4",
        "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
      },
      children: children,
      edges: edges,
    });
  }

  function draw(figure, laid, words) {
    var svg = el("svg", {
      role: "img", "aria-label": words.diagram, class: "flow-svg",
      width: laid.width + 2, height: laid.height + 2, viewBox: "-1 -1 " + (laid.width + 2) + " " + (laid.height + 2),
    });
    var defs = el("defs", {}, svg);
    var marker = el("marker", { id: "flow-arrow", viewBox: "0 0 10 10", refX: 10, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
    el("path", { d: "M0,0 L10,5 L0,10 z", class: "flow-arrowhead" }, marker);
    laid.edges.forEach(function (edge) {
      (edge.sections || []).forEach(function (s) {
        var pts = [s.startPoint].concat(s.bendPoints || [], [s.endPoint]);
        el("polyline", {
          points: pts.map(function (p) { return p.x + "," + p.y; }).join(" "),
          class: "flow-edge flow-edge-" + edge.edge.kind, "marker-end": "url(#flow-arrow)",
        }, svg);
      });
      (edge.labels || []).forEach(function (label) {
        var g = el("g", { class: "flow-edge-label" }, svg);
        el("rect", { x: label.x, y: label.y, width: label.width, height: label.height, rx: 3 }, g);
        var t = el("text", { x: label.x + 3, y: label.y + LINE - 4 }, g);
        t.textContent = label.text;
        if (label.full !== label.text) el("title", {}, g).textContent = label.full;
      });
    });
    laid.children.forEach(function (child) {
      var node = child.node;
      var g = el("g", { class: "flow-node flow-" + node.kind, "data-step": node.id,
        transform: "translate(" + child.x + "," + child.y + ")" }, svg);
      el("rect", { width: child.width, height: child.height, rx: 6 }, g);
      el("title", {}, g).textContent = child.texts.map(function (line) {
        return line.full || line.text;
      }).join("\n");
      child.texts.forEach(function (line, i) {
        var t = el("text", { x: PAD, y: PAD + (i + 1) * LINE - 4,
          class: line.bold ? "flow-kind" : line.code ? "flow-id" : line.count ? "flow-count" : "flow-detail" }, g);
        t.textContent = line.text;
      });
    });
    figure.replaceChildren(svg);
  }

  function start() {
    var figure = document.getElementById("flow-diagram");
    var source = document.getElementById("flow-data");
    if (!figure || !source || typeof ELK === "undefined") return;
    var data = JSON.parse(source.textContent);
    layout(data).then(function (laid) { draw(figure, laid, data.words); }, function (error) {
      figure.querySelector("[data-flow-status]").textContent = String(error);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
