"""Hypothesis strategies: random well-shaped expressions with an independent numpy oracle.

Each strategy draws (text, reference) where `reference(values)` computes the same quantity
directly with numpy, so evaluation is checked against code that shares nothing with matcalc.
"""

import os

import numpy as np
from hypothesis import strategies as st


def examples(n):
    """How many examples a property test draws: n, or a tenth under `make quick`
    (HYPOTHESIS_PROFILE=quick)."""
    return max(10, n // 10) if os.environ.get("HYPOTHESIS_PROFILE") == "quick" else n

DECLS = {"A": ("m", "m"), "B": ("m", "m"), "x": ("m",), "z": ("m",), "a": (), "b": ()}
SIZES = {"m": 3}


def values_for(rng):
    return {"A": rng.normal(size=(3, 3)), "B": rng.normal(size=(3, 3)),
            "x": rng.normal(size=3), "z": rng.normal(size=3),
            "a": float(rng.uniform(0.5, 1.5)), "b": float(rng.uniform(0.5, 1.5))}


def _leaf(names):
    return st.sampled_from([(n, (lambda v, n=n: np.asarray(v[n], dtype=float)))
                            for n in names])


def _number():
    return st.sampled_from([("2", lambda v: 2.0), ("0.5", lambda v: 0.5), ("3", lambda v: 3.0)])


def expressions(max_leaves=12):
    """A strategy of (text, reference, kind) with kind in scalar/vector/matrix."""
    scalar_leaf = st.one_of(_leaf(["a", "b"]), _number())
    vector_leaf = _leaf(["x", "z"])
    matrix_leaf = _leaf(["A", "B"])

    def extend(children):
        s, v, m = (children.map(lambda triple, i=i: triple[i]) for i in range(3))
        return st.tuples(
            st.one_of(
                s,
                st.builds(lambda p, q: (f"({p[0]} + {q[0]})", lambda V: p[1](V) + q[1](V)), s, s),
                st.builds(lambda p, q: (f"({p[0]})*({q[0]})", lambda V: p[1](V) * q[1](V)), s, s),
                st.builds(lambda p: (f"-({p[0]})", lambda V: -p[1](V)), s),
                st.builds(lambda p, q: (f"({p[0]})'*({q[0]})", lambda V: p[1](V) @ q[1](V)), v, v),
                st.builds(lambda p: (f"tr({p[0]})", lambda V: np.trace(p[1](V))), m),
                st.builds(lambda p: (f"sum({p[0]})", lambda V: np.sum(p[1](V))), v),
                st.builds(lambda p: (f"norm2({p[0]})", lambda V: np.linalg.norm(p[1](V))), v),
                st.builds(lambda p: (f"tanh({p[0]})", lambda V: np.tanh(p[1](V))), s),
            ),
            st.one_of(
                v,
                st.builds(lambda p, q: (f"({p[0]})*({q[0]})", lambda V: p[1](V) @ q[1](V)), m, v),
                st.builds(lambda p, q: (f"({p[0]})*({q[0]})", lambda V: p[1](V) * q[1](V)), s, v),
                st.builds(lambda p, q: (f"({p[0]}) - ({q[0]})", lambda V: p[1](V) - q[1](V)), v, v),
                st.builds(lambda p, q: (f"({p[0]}) .* ({q[0]})", lambda V: p[1](V) * q[1](V)), v, v),
                st.builds(lambda p: (f"sigmoid({p[0]})", lambda V: 1 / (1 + np.exp(-p[1](V)))), v),
                st.builds(lambda p: (f"diag({p[0]})", lambda V: np.diag(p[1](V)).copy()), m),
            ),
            st.one_of(
                m,
                st.builds(lambda p, q: (f"({p[0]})*({q[0]})", lambda V: p[1](V) @ q[1](V)), m, m),
                st.builds(lambda p: (f"({p[0]})'", lambda V: p[1](V).T), m),
                st.builds(lambda p, q: (f"({p[0]}) + ({q[0]})", lambda V: p[1](V) + q[1](V)), m, m),
                st.builds(lambda p, q: (f"({p[0]})*({q[0]})'", lambda V: np.outer(p[1](V), q[1](V))),
                          v, v),
                st.builds(lambda p: (f"diag({p[0]})", lambda V: np.diag(p[1](V))), v),
                st.builds(lambda p: (f"I + ({p[0]})", lambda V: np.eye(3) + p[1](V)), m),
            ),
        )

    base = st.tuples(scalar_leaf, vector_leaf, matrix_leaf)
    return st.recursive(base, extend, max_leaves=max_leaves)
