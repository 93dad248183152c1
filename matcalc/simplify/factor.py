"""The factored form: 2*X'*X*w - 2*X'*y -> 2*X'*(X*w - y). The common coefficient and scalar
atoms first, then common elementwise factors, then the left or right matrix factor most terms
share, repeated until no two terms share one."""

from fractions import Fraction
from math import gcd, lcm

from .. import ast
from ..shapes import as_pair, is_diagonal, normalize, pair_of, shape_of
from .engine import canon, seed, transpose_node
from .order import key, ordered
from .poly import (Term, broadcast_scalars, merge_monomials, merge_scalars, monomial,
                   monomial_node, mul_node, scale_monomial, splice, term_node, to_node, zero)
from .sharing import name_shared


def factored(node):
    """The cheap form: common factors pulled out of sums, shared subexpressions named."""
    poly = canon(node)
    expanded_root = to_node(poly)
    # the expanded tree's own canonical form is the polynomial it was printed from: seeding
    # it spares a second canonicalization of the whole (often huge) sum
    seed(expanded_root, poly)
    memo = {}
    try:
        for n in ast.postorder(expanded_root):
            if not isinstance(n, ast.Add):
                memo[n] = n.rebuild([memo[c] for c in n.children])
                continue
            poly = canon(n)
            terms = [(c, Term(tuple((memo.get(a, a), e) for a, e in t.scalars),
                              tuple(memo.get(f, f) for f in t.factors)))
                     for t, c in broadcast_scalars(ordered(poly.terms.items()))]
            memo[n] = _factor_terms(terms, poly.shape)
    except RecursionError:
        # grouping recurses once per factor pulled out: products of hundreds of factors
        # (logdet of 300 X'*X) keep their expanded form, which is built without recursion
        return name_shared(expanded_root)
    return name_shared(memo[expanded_root])


def _factor_terms(terms, shape):
    """Pull common coefficient and scalars, then group by common left or right factors."""
    if not terms:
        return zero(shape)
    terms = _common_kron_sides(terms)
    if len(terms) == 1:
        c, t = terms[0]
        return term_node(c, t)
    if all(len(t.factors) == 1 and is_diagonal(t.factors[0]) for _, t in terms):
        # diag(a) - diag(b) = diag(a - b): one diagonal, never an n x n sum
        inside = [(c, Term(t.scalars, (t.factors[0].arg,))) for c, t in terms]
        return ast.Diag(_factor_terms(inside, (as_pair(shape)[0],)))
    common_c, common_s, terms = pull_common_scalars(terms)
    body = _common_elementwise(terms, shape)
    if body is None and not _shared_by_all(terms):
        # after A*(...)*B is pulled out of all: an outer product, else common rests
        body = _outer_product(terms, shape) or _common_rest(terms, shape)
    if body is None:
        body = _group(terms, shape)
    if common_c == 1 and not common_s:
        return body
    return term_node(common_c, Term(common_s, ()), (body,))


def _common_kron_sides(terms):
    """kron(A, B) + c*kron(A, C) = kron(A, B + c*C), and the same on the right: Kronecker
    products that share a side become one (where the first of them stood)."""
    if not any(len(t.factors) == 1 and isinstance(t.factors[0], ast.Kron) for _, t in terms):
        return terms                      # the usual case
    for side in (0, 1):
        groups = {}                       # a Kronecker side, or a term's own place -> terms
        for i, (c, t) in enumerate(terms):
            f = t.factors[0] if len(t.factors) == 1 else None
            groups.setdefault(f.children[side] if isinstance(f, ast.Kron) else i, []).append(
                (c, t))
        terms = []
        for shared, group in groups.items():
            if len(group) == 1:
                terms.append(group[0])
                continue
            others = [(c, Term(t.scalars, (t.factors[0].children[1 - side],))) for c, t in group]
            inner = _factor_terms(others, shape_of(others[0][1].factors[0]))
            pair = (shared, inner) if side == 0 else (inner, shared)
            terms.append((Fraction(1), Term((), (ast.Kron(*pair),))))
    return terms


def _outer_product(terms, shape):
    """sum_ij c_ij u_i*v_j' = k*(sum a_i u_i)*(sum b_j v_j)' when the table c is of rank one:
    -x*x' + x*m' + m*x' - m*m' = -(x - m)*(x - m)'. Each term must split into a column
    times a row (X*w*y' = (X*w)*y'). None when it does not apply."""
    if len(terms) < 3 or any(t.scalars for _, t in terms):
        return None
    table = {}
    for c, t in terms:
        split = _column_row(t.factors)
        if split is None:
            return None
        table[split] = table.get(split, 0) + c
    columns = sorted({u for u, _ in table}, key=key)
    rows = sorted({v for _, v in table}, key=key)
    if len(columns) < 2 or len(rows) < 2:
        return None
    i0, j0 = next(iter(table))
    pivot = table[i0, j0]
    a = {u: Fraction(table.get((u, j0), 0)) for u in columns}
    b = {v: Fraction(table.get((i0, v), 0)) / pivot for v in rows}
    if any(table.get((u, v), 0) != a[u] * b[v] for u in columns for v in rows):
        return None
    scale_a, a = _primitive(a, columns)
    scale_b, b = _primitive(b, rows)
    if scale_a * scale_b < 0:                 # the sign goes to the row side where it can
        scale_b, b = -scale_b, {v: -c for v, c in b.items()}
    left = _linear_combination(a, shape_of(columns[0]))
    transposed = {transpose_node(v): c for v, c in b.items()}
    if transposed in (a, {u: -c for u, c in a.items()}):
        if transposed != a:
            scale_b, b = -scale_b, {v: -c for v, c in b.items()}
        right = ast.Transpose(left)                                   # (x - m)'
    else:
        right = _linear_combination(b, shape_of(rows[0]))
    return term_node(scale_a * scale_b, Term((), ()), (left, right))


def _shared_by_all(terms):
    """Do all terms begin (or all end) with the same factor, with more after it?"""
    if any(len(t.factors) < 2 for _, t in terms):
        return False
    return any(len({t.factors[side] for _, t in terms}) == 1 for side in (0, -1))


def _column_row(factors):
    """(the column, the row) whose product the factors are, or None."""
    for i in range(len(factors) - 1):
        if len(shape_of(factors[i])) == 1 or as_pair(shape_of(factors[i]))[1] == 1:
            return mul_node(list(factors[:i + 1])), mul_node(list(factors[i + 1:]))
    return None


def _content(coefficients):
    """The greatest rational c such that every coefficient is an integer multiple of c."""
    return Fraction(gcd(*(c.numerator for c in coefficients)),
                    lcm(*(c.denominator for c in coefficients)))


def _primitive(coefficients, order):
    """(s, c/s) with c/s integers of greatest common divisor 1, the last nonzero one (in
    `order`) positive."""
    scale = _content(coefficients.values())
    last = next(coefficients[f] for f in reversed(order) if coefficients[f])
    scale = -scale if last < 0 else scale
    return scale, {f: c / scale for f, c in coefficients.items()}


def _linear_combination(coefficients, shape):
    terms = sorted(((c, Term((), (f,))) for f, c in coefficients.items() if c),
                   key=lambda item: (item[0] < 0, key(item[1].factors[0])))
    return _factor_terms(terms, shape)


def _common_elementwise(terms, shape):
    """a .* b - a .* c = a .* (b - c): common factors of elementwise products, pulled out."""
    if shape == () or not all(len(t.factors) == 1 for _, t in terms):
        return None
    monomials = [monomial(t.factors[0]) for _, t in terms]
    common = _common_exponents(monomials)
    if not common:
        return None
    inverse = scale_monomial(common, -1)
    rests = [merge_monomials(mono, inverse) for mono in monomials]
    if not any(rests):             # a*x + b*x: a scalar sum times x, not x .* (a*vector(1) ...)
        scalar = _factor_terms([(c, Term(t.scalars, ())) for c, t in terms], ())
        return mul_node([scalar, monomial_node(common, shape)])
    inside = [(c, Term(t.scalars, (monomial_node(rest, shape),)))
              for (c, t), rest in zip(terms, rests)]
    return ast.Hadamard(monomial_node(common, shape), _factor_terms(inside, shape))


def _common_exponents(monomials):
    """The factors every monomial has, each to its smallest power of one sign."""
    common = dict(monomials[0]) if monomials else {}
    for mono in monomials[1:]:
        common = {f: (min(e, mono[f]) if e > 0 else max(e, mono[f])) for f, e in common.items()
                  if f in mono and (e > 0) == (mono[f] > 0)}
    return common


def pull_common_scalars(terms):
    """[(c_i, s_i*t_i)] -> (c, s, [(c_i/c, s_i/s*t_i)]): the greatest common coefficient c
    (negative when every c_i is) and the scalar atoms s common to every term, pulled out."""
    common = _content([c for c, _ in terms])
    if all(c < 0 for c, _ in terms):
        common = -common
    shared = _common_exponents([dict(t.scalars) for _, t in terms])
    common_s = tuple(sorted(shared.items(), key=lambda item: key(item[0])))
    inverse = tuple((a, -e) for a, e in common_s)
    return common, common_s, [(c / common, Term(merge_scalars(t.scalars, inverse), t.factors))
                              for c, t in terms]


def _common_rest(terms, shape):
    """f*R + g*R = (f + g)*R and R*f + R*g = R*(f + g): the terms, grouped by their first (or
    last) factor, leave proportional rests (inv(S)*(m - x) + inv(S')*(m - x), the
    Mahalanobis gradient). None when they do not."""
    if len(terms) < 4 or any(t.scalars or len(t.factors) < 2 for _, t in terms):
        return None
    for side in (0, -1):
        groups = {}
        for c, t in terms:
            rest = t.factors[1:] if side == 0 else t.factors[:-1]
            groups.setdefault(t.factors[side], {})[rest] = c
        if len(groups) < 2:
            continue
        scaled = []
        for factor, rests in groups.items():
            first = rests[min(rests, key=lambda r: tuple(key(f) for f in r))]
            scaled.append((first, factor, {r: c / first for r, c in rests.items()}))
        if any(rests != scaled[0][2] for _, _, rests in scaled[1:]):
            continue
        outer = _factor_terms([(c, Term((), (f,))) for c, f, _ in scaled],
                              shape_of(scaled[0][1]))
        (rows, cols), (f_rows, f_cols) = as_pair(shape), pair_of(scaled[0][1])
        inner = _factor_terms([(c, Term((), r)) for r, c in scaled[0][2].items()],
                              normalize(f_cols, cols) if side == 0 else normalize(rows, f_rows))
        return mul_node([outer, inner] if side == 0 else [inner, outer])
    return None


def _group(terms, shape):
    if len(terms) == 1:
        c, t = terms[0]
        return term_node(c, t)
    best = None
    for side in (0, -1):
        counts = {}
        for _, t in terms:
            if len(t.factors) >= 2:
                counts[t.factors[side]] = counts.get(t.factors[side], 0) + 1
        for factor, count in counts.items():
            if count >= 2 and (best is None or count > best[0]):
                best = (count, side, factor)
    if best is None:
        terms = [(c, t) for t, c in broadcast_scalars([(t, c) for c, t in terms])]
        nodes = [term_node(c, t, first=(i == 0)) for i, (c, t) in enumerate(terms)]
        # a factor factored inside (-(x + 1) .* exp(y)) may lead a later term with '-'
        return ast.Add(nodes[0], *(_negation(n) for n in nodes[1:]))
    _, side, factor = best
    inside, outside = [], []
    for c, t in terms:
        if len(t.factors) >= 2 and t.factors[side] is factor:
            rest = t.factors[1:] if side == 0 else t.factors[:-1]
            inside.append((c, Term(t.scalars, rest)))
        else:
            outside.append((c, t))
    (rows, cols), (f_rows, f_cols) = as_pair(shape), pair_of(factor)
    inner = _factor_terms(inside, normalize(f_cols, cols) if side == 0 else
                          normalize(rows, f_rows))
    inner_parts = splice(inner) if not isinstance(inner, ast.Add) else [inner]
    negative, parts = _signs_to_front([factor] + inner_parts if side == 0 else
                                      inner_parts + [factor])
    if negative:                              # the sign on the first factor, as term_node
        parts = [ast.Neg(parts[0])] + parts[1:]
    grouped = mul_node(parts)
    if not outside:
        return grouped
    rest = _group(outside, shape)
    if isinstance(rest, ast.Add):
        return ast.Add(grouped, _negation(rest.children[0]), *rest.children[1:])
    return ast.Add(grouped, _negation(rest))


def _negation(term):
    """A sum's leading term moved inside a sum: its '-' on the first factor (-X'*y,
    -y .* z) written as a negation, so that the sum prints '... - X'*y', never '+ -X'*y'."""
    if isinstance(term, ast.Mul) and isinstance(term.children[0], ast.Neg):
        return ast.Neg(mul_node([term.children[0].arg] + list(term.children[1:])))
    if isinstance(term, (ast.Hadamard, ast.ElemDiv)) and _leading_neg(term):
        return ast.Neg(_unsigned(term))
    return term


def _leading_neg(node):
    while isinstance(node, (ast.Hadamard, ast.ElemDiv)):
        node = node.left
    return isinstance(node, ast.Neg)


def _unsigned(node):
    if isinstance(node, (ast.Hadamard, ast.ElemDiv)):
        return type(node)(_unsigned(node.left), node.right)
    return node.arg


def _signs_to_front(parts):
    """(negative, factors): the negations among a product's factors (and inside its nested
    products) taken out, so that A*(-B*C) prints -A*B*C. A 1 x 1 product (y'*z) stays one
    factor: spliced into A*(y'*z)*w it would read as (A*y')*z*w."""
    negative, out, stack = False, [], list(reversed(parts))
    while stack:
        part = stack.pop()
        if isinstance(part, ast.Neg):
            negative = not negative
            stack.append(part.arg)
        elif isinstance(part, ast.Mul) and shape_of(part) != ():
            stack.extend(reversed(part.children))
        else:
            out.append(part)
    return negative, out
