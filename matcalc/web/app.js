// matcalc's page: every input change (debounced) asks the local server for the derivative,
// its steps and its stationary point, and typesets them with KaTeX. The inputs live in the
// page's URL too, so a derivation can be linked.
"use strict";

const FIELDS = ["expr", "wrt", "shapes", "symmetric", "form", "layout", "lhs", "rhs"];
const DEBOUNCE_MS = 300;
const $ = (id) => document.getElementById(id);
let timer = null;
let generation = 0;

// "X: n x d, w: d" -> {"X": "n x d", "w": "d"}; a name before each colon starts a new one
function parseShapes(text) {
  const shapes = {};
  for (const part of text.split(/,\s*(?=[A-Za-z][A-Za-z0-9_]*\s*:)/)) {
    if (!part.trim()) continue;
    const colon = part.indexOf(":");
    if (colon < 0) throw new Error(`shapes: write NAME: DIMS, e.g. X: n x d (got '${part.trim()}')`);
    shapes[part.slice(0, colon).trim()] = part.slice(colon + 1).trim();
  }
  return shapes;
}

function names(text) {
  return text.split(/[\s,]+/).filter((n) => n);
}

function typeset(element, latex, display = true) {
  katex.render(latex, element, { throwOnError: false, displayMode: display });
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  let data;
  try {
    data = await response.json();
  } catch (error) {
    data = { error: `the server answered ${response.status} without JSON` };
  }
  return { ok: response.ok, data };
}

function showError(element, data) {
  element.hidden = false;
  element.textContent = data.error + (data.context ? "\n" + data.context : "");
}

function values() {
  const found = {};
  for (const field of FIELDS) found[field] = $(field).value;
  return found;
}

function saveToUrl(found) {
  const params = new URLSearchParams();
  for (const field of FIELDS) if (found[field]) params.set(field, found[field]);
  history.replaceState(null, "", params.toString() ? "?" + params.toString() : "/");
}

function loadFromUrl() {
  const params = new URLSearchParams(location.search);
  for (const field of FIELDS) if (params.has(field)) $(field).value = params.get(field);
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(update, DEBOUNCE_MS);
}

async function update() {
  const mine = ++generation;
  const found = values();
  saveToUrl(found);
  $("expr-error").hidden = true;
  if (!found.expr.trim()) {
    $("output").hidden = true;
    $("status").textContent = "";
  } else if (!found.wrt.trim()) {
    $("status").textContent = "type the variable to differentiate by";
  } else {
    await derive(found, mine);
  }
  if (found.lhs.trim() && found.rhs.trim()) await check(found, mine);
}

function request(found) {
  return { expr: found.expr, wrt: found.wrt.trim(), shapes: parseShapes(found.shapes),
           symmetric: names(found.symmetric), layout: found.layout };
}

async function derive(found, mine) {
  let body;
  try {
    body = request(found);
  } catch (error) {
    showError($("expr-error"), { error: error.message });
    return;
  }
  $("status").textContent = "working...";
  const [diff, solve] = await Promise.all([post("/api/diff", body), post("/api/solve", body)]);
  if (mine !== generation) return;                 // a newer input is on its way
  $("status").textContent = "";
  if (!diff.ok) {
    showError($("expr-error"), diff.data);
    return;
  }
  const d = diff.data;
  $("output").hidden = false;
  typeset($("result"), d.latex[found.form]);
  $("result-text").textContent = d.result[found.form];
  $("shape").textContent = d.shape.length ? "(" + d.shape.join(" x ") + ")" : "(scalar)";
  // the shapes each name was read with (SPEC 1: defaults, and those that gave way)
  $("shapes-used").textContent = "shapes: " + Object.entries(d.shapes).map(([name, s]) =>
    `${name} ${s.length === 0 ? "scalar" : s.length === 1 ? s[0] + "-vector" : s.join(" x ")}`
  ).join(", ");
  const v = d.verification;
  const verdict = v.passed === true ? "passed" : v.passed === false ? "FAILED" : "inconclusive";
  $("verification").className = "verification " + (v.passed === false ? "failed" : "passed");
  $("verification").textContent = `numeric check ${verdict}: ${v.draws} random instances` +
    (v.worst_relative_error !== null ? `, worst relative error ${v.worst_relative_error.toExponential(1)}` : "") +
    (v.message ? ` (${v.message})` : "");
  const steps = $("steps");
  steps.replaceChildren();
  for (const step of d.steps || []) {
    const item = document.createElement("li");
    const math = document.createElement("span");
    if (step.source_latex) {
      typeset(math, step.source_latex + " \\mapsto " + step.latex, false);
    } else {
      const label = document.createElement("span");
      label.textContent = step.label + " = ";
      item.append(label);
      typeset(math, step.latex, false);
    }
    const rule = document.createElement("div");
    rule.className = "rule";
    rule.textContent = step.rule;
    item.append(math, rule);
    steps.append(item);
  }
  if (solve.ok) {
    typeset($("solution"), `${found.wrt.trim()} = ${solve.data.latex}`);
    $("solution-note").textContent = `${solve.data.kind}: ${solve.data.why}`;
  } else {
    $("solution").replaceChildren();
    $("solution-note").textContent = solve.data.error;
  }
}

async function check(found, mine) {
  $("check-error").hidden = true;
  let body;
  try {
    body = { lhs: found.lhs, rhs: found.rhs, shapes: parseShapes(found.shapes),
             symmetric: names(found.symmetric) };
  } catch (error) {
    showError($("check-error"), { error: error.message });
    return;
  }
  const answer = await post("/api/check", body);
  if (mine !== generation) return;
  if (!answer.ok) {
    $("check-result").textContent = "";
    showError($("check-error"), answer.data);
    return;
  }
  $("check-result").textContent = answer.data.text;
}

document.addEventListener("DOMContentLoaded", () => {
  loadFromUrl();
  for (const field of FIELDS) {
    $(field).addEventListener("input", schedule);
    $(field).addEventListener("change", schedule);
  }
  update();
});
