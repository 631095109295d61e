"""The page around `backprop_view`'s SVG: HTML skeleton, CSS and the small vanilla script.

Kept apart from the Python logic so each reads on its own. The script holds no graph knowledge: every
`<li>` of the step list says which SVG node is current (`data-node`), which nodes and edges to mark
(`data-related`, `data-edges`); node `v{i}` shows its value from step i+1 and its gradient from
step 2n−i (n nodes); before that its `data`/`grad` text reads "data ?"/"grad ?". Without scripts
(e.g. a sandboxed notebook output) the page still shows the final graph and every step as a list.
"""

from __future__ import annotations

import html

__all__ = ["render_page"]

CSS = """
:root { --fwd: #1f6fb4; --bwd: #c8202a; --rel: #f08c00;
        font-family: system-ui, "Segoe UI", Helvetica, Arial, sans-serif; }
body { margin: 0; color: #222; background: #fff; }
header { position: sticky; top: 0; z-index: 1; background: #fafafa; border-bottom: 1px solid #ddd;
         padding: .5rem 1rem; }
h1 { font-size: 1.1rem; margin: 0 0 .4rem; font-weight: 600; }
#controls { display: none; align-items: center; gap: .4rem; flex-wrap: wrap; }
.js #controls { display: flex; }
#controls button { font-size: 1rem; min-width: 2.4rem; padding: .2rem .5rem; cursor: pointer; }
#slider { flex: 1 1 12rem; max-width: 32rem; }
#step { font-variant-numeric: tabular-nums; min-width: 8rem; font-weight: 600; }
main { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 1rem; padding: 1rem; }
#graph { flex: 1 1 30rem; overflow: auto; max-height: 80vh; border: 1px solid #eee;
         min-width: 0; max-width: 100%; box-sizing: border-box; }
#graph svg { display: block; }
#graph.fit svg { max-width: 100%; height: auto; }
#controls #zoom { font-size: .85rem; margin-left: auto; }
#panel { flex: 0 1 24rem; min-width: 18rem; }
main.stacked { flex-direction: column; align-items: stretch; }
main.stacked #graph { flex: 0 0 auto; max-height: 60vh; }
main.stacked #panel { flex: 0 0 auto; display: flex; flex-wrap: wrap; gap: 0 2rem; }
main.stacked #steps { flex: 1 1 30rem; }
main.stacked .legend { flex: 0 1 20rem; margin-top: 0; border-top: 0; }
#steps { margin: 0; padding-left: 1.6rem; }
.js #steps { list-style: none; padding: 0; }
#steps li { margin-bottom: 1rem; }
#steps h2 { font-size: 1rem; margin: 0 0 .4rem; }
li.forward h2 { color: var(--fwd); }
li.backward h2 { color: var(--bwd); }
.eq { font-size: 1.05rem; line-height: 1.6; padding-left: 1.2rem; text-indent: -1.2rem; }
#steps h2, .eq, table.uses td { white-space: pre-wrap; }  /* labels keep their spaces, as typed */
table.uses { border-collapse: collapse; margin-top: .6rem; font-size: .9rem; }
table.uses th, table.uses td { border: 1px solid #ddd; padding: .15rem .4rem; text-align: right; }
table.uses th:first-child, table.uses td:first-child { text-align: left; }
.legend { font-size: .85rem; color: #555; margin-top: 1rem; border-top: 1px solid #eee;
          padding-top: .5rem; }
.legend .key { display: block; margin-bottom: .2rem; }
.legend p { margin: .4rem 0 0; }
.swatch { display: inline-block; width: .8rem; height: .8rem; border: 3px solid; vertical-align: middle;
          margin-right: .2rem; }
#graph text { font-family: Helvetica, sans-serif; font-size: 11px; }
g.node text.unknown { fill: #aaa; }
[data-phase=forward] g.node.current polygon,
[data-phase=forward] g.node.current ellipse { stroke: var(--fwd); stroke-width: 4px; }
[data-phase=backward] g.node.current polygon,
[data-phase=backward] g.node.current ellipse { stroke: var(--bwd); stroke-width: 4px; }
g.node.current text.data, [data-phase=backward] g.node.current text.grad { font-weight: bold; }
g.node.related polygon, g.node.related ellipse { stroke: var(--rel); stroke-width: 2.5px; }
[data-phase=forward] g.edge.active path { stroke: var(--fwd); stroke-width: 2.5px; }
[data-phase=forward] g.edge.active polygon { stroke: var(--fwd); fill: var(--fwd); }
[data-phase=backward] g.edge.active path { stroke: var(--bwd); stroke-width: 2.5px; }
[data-phase=backward] g.edge.active polygon { stroke: var(--bwd); fill: var(--bwd); }
"""

JS = """
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var items = Array.prototype.slice.call(document.querySelectorAll("#steps > li"));
  var last = items.length - 1, n = last / 2;
  var slider = document.getElementById("slider"), counter = document.getElementById("step");
  var box = document.getElementById("graph");
  var nodes = {}, edges = {};
  box.querySelectorAll("g.node").forEach(function (g) { nodes[g.id] = g; });
  box.querySelectorAll("g.edge").forEach(function (g) {
    (edges[g.getAttribute("data-edge")] = edges[g.getAttribute("data-edge")] || []).push(g);
  });
  function words(li, name) { return (li.getAttribute(name) || "").split(" ").filter(Boolean); }
  box.querySelectorAll("text.data, text.grad").forEach(function (text) { text.full = text.textContent; });
  function field(text, known) {
    text.textContent = known ? text.full : text.getAttribute("class").split(" ")[0] + " ?";
    text.classList.toggle("unknown", !known);
  }
  function scrollTo(g) {
    var a = g.getBoundingClientRect(), b = box.getBoundingClientRect();
    if (a.left < b.left || a.right > b.right) box.scrollLeft += (a.left + a.right - b.left - b.right) / 2;
    if (a.top < b.top || a.bottom > b.bottom) box.scrollTop += (a.top + a.bottom - b.top - b.bottom) / 2;
  }
  function show(k, remember) {
    k = Math.max(0, Math.min(last, Math.floor(k) || 0));
    var li = items[k];
    items.forEach(function (item, j) { item.hidden = j !== k; item.classList.toggle("current", j === k); });
    for (var i = 0; i < n; i++) {
      var g = nodes["v" + i];
      field(g.querySelector("text.data"), k > i);
      field(g.querySelector("text.grad"), k > n && i >= 2 * n - k);
    }
    box.querySelectorAll(".current, .related, .active").forEach(function (el) {
      el.classList.remove("current", "related", "active");
    });
    words(li, "data-related").forEach(function (id) { if (nodes[id]) nodes[id].classList.add("related"); });
    words(li, "data-edges").forEach(function (key) {
      (edges[key] || []).forEach(function (g) { g.classList.add("active"); });
    });
    var node = nodes[li.getAttribute("data-node")];
    if (node) { node.classList.add("current"); scrollTo(node); }
    document.body.setAttribute("data-phase", li.getAttribute("data-phase"));
    slider.value = k;
    counter.textContent = "step " + k + " / " + last;
    document.getElementById("first").disabled = document.getElementById("prev").disabled = k === 0;
    document.getElementById("last").disabled = document.getElementById("next").disabled = k === last;
    current = k;
    if (remember) {
      try { history.replaceState(null, "", "#step=" + k); } catch (e) { /* sandboxed frame: no URL to update */ }
    }
  }
  function fromHash() { var m = /step=(\\d+)/.exec(location.hash); return m ? +m[1] : 0; }
  var current = 0;
  var moves = { first: function () { return 0; }, prev: function () { return current - 1; },
                next: function () { return current + 1; }, last: function () { return last; } };
  Object.keys(moves).forEach(function (id) {
    document.getElementById(id).addEventListener("click", function () { show(moves[id](), true); });
  });
  var zoom = document.getElementById("zoom"), svg = box.querySelector("svg");
  // Fit the graph to the page unless that would shrink its text below ~60 %.
  if (svg && box.clientWidth < 0.6 * svg.width.baseVal.value) box.classList.remove("fit");
  zoom.textContent = box.classList.contains("fit") ? "actual size" : "fit to page";
  zoom.addEventListener("click", function () {
    var fit = box.classList.toggle("fit");
    zoom.textContent = fit ? "actual size" : "fit to page";
    show(current, false);
  });
  slider.addEventListener("input", function () { show(+slider.value, true); });
  document.addEventListener("keydown", function (e) {
    if (e.target === slider || e.altKey || e.ctrlKey || e.metaKey) return;
    var key = { ArrowLeft: "prev", ArrowRight: "next", Home: "first", End: "last" }[e.key];
    if (key) { e.preventDefault(); show(moves[key](), true); }
  });
  window.addEventListener("hashchange", function () { show(fromHash(), false); });
  show(fromHash(), false);
})();
"""

LEGEND = (
    '<div class="legend"><span class="key"><span class="swatch" style="border-color: var(--fwd)"></span> value '
    'being computed (forward)</span> <span class="key"><span class="swatch" style="border-color: var(--bwd)">'
    '</span> gradient being completed (backward)</span> <span class="key"><span class="swatch" '
    'style="border-color: var(--rel)"></span> its inputs (forward), the nodes using it (backward)</span>'
    "<p>Keys: ← → Home End. The address ends in <code>#step=N</code>: copy it to link to a step.</p></div>"
)


def render_page(title: str, svg: str, items: str, last: int, wide: bool) -> str:
    """The whole document: `title` is plain text, `svg` and `items` (the `<li>` steps) are markup.
    A `wide` graph gets the full width with the step panel under it instead of beside it."""
    title = html.escape(title)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{CSS}</style>
</head>
<body data-phase="start">
<header>
<h1>{title}</h1>
<nav id="controls" aria-label="steps">
<button id="first" type="button" title="first step (Home)">|&#x25C0;</button>
<button id="prev" type="button" title="previous step (&#x2190;)">&#x25C0;</button>
<input id="slider" type="range" min="0" max="{last}" value="0" aria-label="step">
<button id="next" type="button" title="next step (&#x2192;)">&#x25B6;</button>
<button id="last" type="button" title="last step (End)">&#x25B6;|</button>
<span id="step">step 0 / {last}</span>
<button id="zoom" type="button" title="fit the graph to the page, or show it at its actual size">
actual size</button>
</nav>
<noscript><p>Scripts are off here, so the graph shows the final values and gradients and every step is
listed below. Open the saved page in a browser to step through it.</p></noscript>
</header>
<main class="{"stacked" if wide else "side"}">
<div id="graph" class="fit">{svg}</div>
<aside id="panel">
<ol id="steps" start="0">
{items}
</ol>
{LEGEND}
</aside>
</main>
<script>{JS}</script>
</body>
</html>
"""
