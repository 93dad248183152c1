"""Derivations shown step by step, in the documents' style.

Chain route (the first document): pick the intermediate v through which every dependence on
w passes (the residual X*w - y), write u in terms of v, and apply du/dw = dv/dw * du/dv:
du/dv is the derivative of u by v; dv/dw * du/dv is the backward rule of v applied to it
(for vectors, the Jacobian dv/dw is shown too); the product is then simplified.

Expansion route (the first document's appendix): expand u into its canonical terms and
differentiate term by term with d(w'*B*w)/dw = (B + B')*w and d(s'*w)/dw = s.

Past two indices (a matrix by anything, anything but a scalar by a matrix), the chain route
works in matrix form (SPEC 2b): the differential dF, then each of its terms identified
(A*dX*B -> kron(B, A')), and with an intermediate V the documents' chain rule
dU/dW = dV/dW * dU/dV as a product of matrix forms.
"""

from typing import NamedTuple

from . import ast, printing, registry
from .ast import inline_where
from .calculus import along, derivative, differential, identify, zero
from .calculus.graph import contains as _contains, depends_on
from .shapes import as_pair, shape_of
from .simplify import canon, expanded, mul_node, to_node


class Step(NamedTuple):
    rule: str         # the rule or identity applied
    label: str        # what this step computes, e.g. "du/dv"
    node: object      # the expression (an AST node)
    source: object = None    # for a rewriting step (a term -> its matrix form): the term


def dominators(root, wrt):
    """Nodes that lie on every path from root to wrt, from the root down."""
    order = ast.postorder(root)
    depends = depends_on(order, wrt)
    dom = {root: {root}}
    parents = {}
    for node in order:
        for child in node.children:
            if depends[child] and depends[node]:
                parents.setdefault(child, []).append(node)
    for node in reversed(order):
        if node is root or not depends[node]:
            continue
        sets = [dom[p] for p in parents.get(node, []) if p in dom]
        if not sets:
            continue
        dom[node] = set.intersection(*sets) | {node}
    if wrt not in dom:
        return []
    position = {node: i for i, node in enumerate(reversed(order))}
    return sorted(dom[wrt], key=lambda n: position[n])


def affine_nodes(root, wrt):
    """The nodes of root that are affine in wrt (constants included)."""
    affine = {}
    order = ast.postorder(root)
    depends = depends_on(order, wrt)
    for node in order:
        kids = node.children
        if isinstance(node, ast.Symbol) or not any(depends[c] for c in kids):
            affine[node] = True
        elif isinstance(node, (ast.Add, ast.Neg, ast.Transpose, ast.Sum, ast.Trace)):
            affine[node] = all(affine[c] for c in kids)
        elif isinstance(node, (ast.Mul, ast.Hadamard)):
            dependent = [c for c in kids if depends[c]]
            affine[node] = len(dependent) <= 1 and all(affine[c] for c in kids)
        elif isinstance(node, ast.Div):
            affine[node] = affine[kids[0]] and not depends[kids[1]]
        else:
            affine[node] = False
    return affine


def choose_intermediate(root, wrt):
    """The v of the chain rule: the outermost node, below the root, that every path to w
    passes through and that is affine in w (X*w - y; -y .* (X*w)); None if u is itself
    affine or no such node stands between u and w."""
    affine = affine_nodes(root, wrt)
    if affine.get(root):
        return None
    return next((n for n in dominators(root, wrt) if n is not root and n is not wrt and
                 affine.get(n) and n.children), None)


def fresh_name(taken, preferred):
    name, i = preferred, 1
    while name in taken:
        name, i = f"{preferred}{i}", i + 1
    return name


def substitute(root, old, new):
    """root with the node `old` replaced by `new` wherever it occurs."""
    return ast.transform(root, lambda n: new if n is old else n)


def chain_route(root, wrt):
    """Steps and the raw result of du/dw by the documents' chain rule."""
    root = inline_where(root)
    v_node = choose_intermediate(root, wrt)
    w = wrt.name
    steps = []
    if v_node is None:
        result = derivative(root, wrt)
        steps.append(Step("differentiate directly (no intermediate variable)" +
                          _recognized(root, expanded(result)), f"du/d{w}", expanded(result)))
        return steps, result
    taken = {n.name for n in ast.postorder(root) if isinstance(n, ast.Symbol)}
    v_name = fresh_name(taken, "v")
    u_name = fresh_name(taken | {v_name}, "u")
    v = ast.Symbol(v_name, shape_of(v_node))
    u_in_v = substitute(root, v_node, v)
    steps.append(Step("introduce the intermediate variable", v_name, v_node))
    steps.append(Step("write the function in terms of it", u_name, u_in_v))
    du_dv = expanded(derivative(u_in_v, v))
    steps.append(Step(f"differentiate {u_name} by {v_name}" + _recognized(u_in_v, du_dv),
                      f"d{u_name}/d{v_name}", du_dv))
    if len(shape_of(v_node)) <= 1 and len(shape_of(wrt)) <= 1:
        jacobian = expanded(derivative(v_node, wrt))
        steps.append(Step(f"Jacobian of {v_name} by {w} (denominator layout)",
                          f"d{v_name}/d{w}", jacobian))
        combined = ast.Mul(jacobian, substitute(du_dv, v, v_node))
    else:
        # dv/dw is a tensor here; its product with du/dv is the backward rule of v
        adjoint = ast.Symbol(fresh_name(taken | {v_name, u_name}, "G"), shape_of(v_node))
        pairing = ast.Sum(ast.Hadamard(adjoint, v_node)) if shape_of(v_node) != () else \
            ast.Mul(adjoint, v_node)
        rule = expanded(derivative(pairing, wrt))
        steps.append(Step(f"backward rule of {v_name} (d{v_name}/d{w} * G for G = "
                          f"d{u_name}/d{v_name})", f"d{v_name}/d{w} * G", rule))
        combined = substitute(rule, adjoint, substitute(du_dv, v, v_node))
    steps.append(Step("chain rule, the documents' order",
                      f"d{u_name}/d{w} = d{v_name}/d{w} * d{u_name}/d{v_name}", combined))
    return steps, combined


# what the simplifier recognized, said where a derivative shows a function its input lacks
RECOGNITIONS = {
    "sigmoid": "exp(v) ./ (1 + exp(v)) = 1 ./ (1 + exp(-v)) is the logistic function sigmoid(v)",
    "softplus": "log(1 + exp(v)) is softplus(v)",
    "tr": "sum(A .* I) is tr(A)",
}


def _recognized(before, after):
    """'; recognized: ...' for the functions the simplified `after` shows and `before` lacks."""
    names = [n for n in RECOGNITIONS if n in _functions(after) - _functions(before)]
    return "; recognized: " + "; ".join(RECOGNITIONS[n] for n in names) if names else ""


def _functions(root):
    return {registry.name_of(n) for n in ast.postorder(root)} - {None}


def past_two_indices(root, wrt):
    """Does d root / d wrt take the matrix form (SPEC 2b)?"""
    f, w = shape_of(root), shape_of(wrt)
    return f != () and (len(f) == 2 or len(w) == 2 or (w == () and len(f) == 2))


def matrix_route(root, wrt):
    """Steps and the raw result past two indices: differential, identification, and the
    chain rule in matrix form through an intermediate V when there is one."""
    root = inline_where(root)
    taken = {n.name for n in ast.postorder(root) if isinstance(n, ast.Symbol)}
    w = wrt.name
    v_node = choose_intermediate(root, wrt)
    if v_node is not None and (shape_of(v_node) == () or shape_of(wrt) == () or v_node is wrt):
        v_node = None             # the matrix-form chain needs a non-scalar V and W
    if v_node is None:
        return _identified(root, wrt, fresh_name(taken, "d" + w), "F")
    v_name = fresh_name(taken, "V")
    u_name = fresh_name(taken | {v_name}, "U")
    v = ast.Symbol(v_name, shape_of(v_node))
    u_in_v = substitute(root, v_node, v)
    steps = [Step("introduce the intermediate variable", v_name, v_node),
             Step("write the function in terms of it", u_name, u_in_v)]
    dv_steps, dv_dw = _identified(v_node, wrt, fresh_name(taken, "d" + w), v_name)
    du_steps, du_dv = _identified(u_in_v, v, fresh_name(taken | {v_name}, "d" + v_name), u_name)
    steps += dv_steps + du_steps
    combined = ast.Mul(dv_dw, substitute(du_dv, v, v_node))
    shown = ast.Mul(expanded(dv_dw), expanded(substitute(du_dv, v, v_node)))
    steps.append(Step("chain rule in matrix form, the documents' order",
                      f"d{u_name}/d{w} = d{v_name}/d{w} * d{u_name}/d{v_name}", shown))
    return steps, combined


def _identified(root, wrt, d_name, f_name):
    """The differential of root (labelled d<f_name>), then its matrix form term by term."""
    d_symbol = ast.Symbol(d_name, shape_of(wrt))
    dF = differential(root, wrt, d_symbol)
    dF = zero(shape_of(root)) if dF is None else dF
    shown = expanded(dF)
    steps = [Step("the differential: d(A*B) = dA*B + A*dB, d inv(A) = -inv(A)*dA*inv(A), "
                  "d f(A) = f'(A) .* dA, ...", f"d{f_name}", shown)]
    if shape_of(wrt) == ():
        by_scalar = along(root, wrt, ast.Number(1))
        steps.append(Step(f"by a scalar: d{f_name}/d{wrt.name} is d{f_name} with {d_name} = 1",
                          f"d{f_name}/d{wrt.name}", expanded(by_scalar)))
        return steps, by_scalar
    poly = canon(shown)
    for term, coefficient in poly.terms.items():
        single = to_node(type(poly)({term: coefficient}, poly.shape))
        form = identify(single, d_symbol)
        steps.append(Step(f"identification: {_pattern(single, d_symbol)}",
                          f"{printing.to_text(single)} ->", expanded(form), single))
    result = identify(shown, d_symbol)
    steps.append(Step("the matrix form d vec(F)/d vec(X), size(X) x size(F)",
                      f"d{f_name}/d{wrt.name}", expanded(result)))
    return steps, result


def _pattern(term, d_symbol):
    """The identification rule a term of dF follows, as the textbooks state it."""
    nodes = set(ast.postorder(term))
    if ast.Transpose(d_symbol) in nodes:
        rows, cols = as_pair(shape_of(d_symbol))
        if cols == 1:
            return "A*dx'*B -> kron(B, A') (dx' and dx have the same vec)"
        return f"A*dX'*B -> commutation({cols}, {rows})*kron(B, A')"
    if any(isinstance(n, ast.Hadamard) and d_symbol in n.children for n in nodes):
        return "H .* dX -> diag(vec(H))"
    if any(shape_of(n) == () and d_symbol in set(ast.postorder(n)) for n in nodes
           if n is not term):
        return "s(dX)*M -> vec(G)*vec(M)' for the scalar s(dX) = tr(G'*dX)"
    return "A*dX*B -> kron(B, A')"


def expansion_route(root, wrt):
    """Steps and the raw result of du/dw by expanding u and differentiating term by term.

    Each term's derivative comes from the one rule set (calculus/); where the term is one
    of the forms the first document's appendix differentiates by a textbook identity, the
    step is named by it and shows the identity's instance too."""
    root = inline_where(root)
    poly = canon(root)
    w = wrt.name
    steps = [Step("expand the function", "u", to_node(poly))]
    parts = []
    for term, coefficient in poly.terms.items():
        single = to_node(type(poly)({term: coefficient}, poly.shape))
        result = derivative(single, wrt)
        simplified = expanded(result)
        rule, instance = _textbook_identity(term, coefficient, wrt)
        label = f"d({printing.to_text(single)})/d{w}"
        if instance is not None and expanded(instance) is simplified:
            label += f" = {printing.to_text(instance)}"
        steps.append(Step(rule, label, simplified))
        parts.append(result)
    total = parts[0] if len(parts) == 1 else ast.Add(*parts) if parts else \
        derivative(ast.Number(0), wrt)
    steps.append(Step("add the terms' derivatives", f"du/d{w}", expanded(total)))
    return steps, total


def _textbook_identity(term, coefficient, wrt):
    """(the identity a canonical term's derivative follows, its instance for this term or
    None): d(w'*B*w)/dw = (B + B')*w, d(w'*s)/dw = d(s'*w)/dw = s, a constant, or the chain
    rule for any other term."""
    scalars = [(a, e) for a, e in term.scalars if _contains(a, wrt)]
    others = [(a, e) for a, e in term.scalars if not _contains(a, wrt)]
    if not scalars and not any(_contains(f, wrt) for f in term.factors):
        return "a constant", None
    if len(scalars) != 1 or scalars[0][1] != 1 or term.factors or len(shape_of(wrt)) != 1 \
            or not isinstance(scalars[0][0], ast.Mul):
        return "chain rule on the term", None
    atom = scalars[0][0]
    scale = ([ast.Number(coefficient)] if coefficient != 1 else []) + \
        [a if e == 1 else ast.Power(a, ast.Number(e)) for a, e in others]
    first, last, middle = atom.children[0], atom.children[-1], atom.children[1:-1]
    if first is ast.Transpose(wrt) and last is wrt and middle and \
            not any(_contains(m, wrt) for m in middle):
        B = mul_node(middle)
        return "d(w'*B*w)/dw = (B + B')*w", mul_node(scale + [ast.Add(B, ast.Transpose(B)), wrt])
    if first is ast.Transpose(wrt) and not _contains(mul_node(atom.children[1:]), wrt):
        return "d(w'*s)/dw = s", mul_node(scale + [mul_node(atom.children[1:])])
    if last is wrt and not _contains(mul_node(atom.children[:-1]), wrt):
        return "d(s'*w)/dw = s", mul_node(scale + [ast.Transpose(mul_node(atom.children[:-1]))])
    return "chain rule on the term", None
