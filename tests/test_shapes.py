"""Shape inference: declarations, usage-forced kinds, first-letter defaults, errors."""

import pytest
import sympy

import matcalc
from matcalc import dims
from matcalc import ast, registry, shapes
from matcalc.shapes import Dim


def shapes_of(text, **kw):
    return matcalc.parse(text, **kw).symbols()


def test_first_document_needs_no_declarations():
    e = matcalc.parse("(X*w - y)'*(X*w - y)")
    assert e.shape == ()
    assert e.symbols() == {"X": ("n", "d"), "w": ("d",), "y": ("n",)}


def test_second_document_needs_no_declarations():
    e = matcalc.parse("1/N*sum((Y - A*W).^2)")
    assert e.shape == ()
    assert e.symbols() == {"N": (), "Y": ("n", "d"), "A": ("n", "m"), "W": ("m", "d")}


@pytest.mark.parametrize("text, expected", [
    ("a*X", {"a": (), "X": ("n", "d")}),                       # a-g scalars
    ("x + y", {"x": ("n",), "y": ("n",)}),                     # h-z columns
    ("lambda*w'*w", {"lambda": (), "w": ("n",)}),               # Greek names scalars
    ("Sigma*x", {"Sigma": ("n", "d"), "x": ("d",)}),            # capitalized Greek: matrix
    ("x/y", {"x": ("n",), "y": ()}),                            # a divisor is a scalar
    ("1/N*x", {"N": (), "x": ("n",)}),
    ("tr(A)", {"A": ("n", "n")}),                               # tr needs square
    ("det(A) + logdet(B)", {"A": ("n", "n"), "B": ("d", "d")}),
    ("A^2", {"A": ("n", "n")}),                                 # integer power: square
    ("x*w'", {"x": ("n",), "w": ("d",)}),                      # outer product
    ("diag(x)*A", {"x": ("n",), "A": ("n", "d")}),
    ("A + I", {"A": ("n", "n")}),
])
def test_inferred_kinds(text, expected):
    assert shapes_of(text) == expected


def test_declarations_fix_shapes():
    e = matcalc.parse("X*w", shapes={"X": ("n", "d"), "w": ("d",)})
    assert e.shape == ("n",)
    e = matcalc.parse("X*w", shapes={"X": (3, 2)})
    assert e.shape == (3,) and e.symbols()["w"] == (2,)


def test_distinct_declared_dimensions_never_unify():
    with pytest.raises(matcalc.ShapeError) as info:
        matcalc.parse("X*y", shapes={"X": ("n", "d"), "y": ("n",)})
    message = info.value.message
    assert "n x d" in message and "n-vector" in message and "column 1" in message
    assert "d and n differ" in message


def test_declared_dimension_is_never_one():
    with pytest.raises(matcalc.ShapeError):
        matcalc.parse("x/y", shapes={"y": ("n",)})


@pytest.mark.parametrize("text, fragment", [
    ("x + X", "cannot add"),
    ("tr(X)", "tr needs a square matrix"),
    ("X^2", "a matrix power needs a square matrix"),
    ("X .* Y", "cannot multiply entrywise"),
    ("inv(X)", "inv needs a square matrix"),
])
def test_shape_errors_name_the_place(text, fragment):
    decls = {"X": ("n", "d"), "x": ("n",), "Y": ("d", "n")}
    with pytest.raises(matcalc.ShapeError) as info:
        matcalc.parse(text, shapes=decls)
    assert fragment in info.value.message
    assert f"'{text}'" in info.value.message and "column 1" in info.value.message


def test_a_one_by_one_is_a_scalar_everywhere():
    e = matcalc.parse("(x'*y)*A + exp(x'*y) / (y'*x)")
    assert e.shape == ("d", "m")       # x, y take n; A is free: d x m
    assert matcalc.parse("x'*y").shape == ()


def test_scalar_broadcasts_in_sums():
    assert matcalc.parse("1 + exp(x)").shape == ("n",)
    assert matcalc.parse("vector(1) + exp(x)").shape == ("n",)


def test_bad_declarations():
    with pytest.raises(matcalc.MatcalcError, match="3 dimensions"):
        matcalc.parse("X", shapes={"X": ("n", "d", "k")})
    with pytest.raises(matcalc.MatcalcError, match="not a dimension"):
        matcalc.parse("X", shapes={"X": ("n", 1.5)})
    with pytest.raises(matcalc.MatcalcError, match="at least 1"):
        matcalc.parse("X", shapes={"X": (0, 2)})
    with pytest.raises(matcalc.ShapeError, match="not square"):
        matcalc.parse("A", shapes={"A": ("n", "d")}, symmetric={"A"})


def test_declaration_spellings():
    assert shapes_of("X*w", shapes={"X": "n x d"})["X"] == ("n", "d")
    assert shapes_of("c*x", shapes={"c": "scalar"})["c"] == ()
    assert shapes_of("X*w", shapes={"X": (sympy.Symbol("n"), sympy.Symbol("d"))})["X"] == \
        ("n", "d")
    assert shapes_of("x", shapes={"x": ("n", 1)})["x"] == ("n",)


def test_symmetric_undeclared_is_square():
    assert shapes_of("x'*A*x", symmetric={"A"})["A"] == ("n", "n")


def test_dims_compare_with_strings_not_sympy():
    assert Dim("n") == "n" and Dim("n") == Dim("n") and Dim("n") != "d"
    # equal only to what hashes like it: a SymPy Symbol of the same name is another object
    assert Dim("n") != sympy.Symbol("n") and sympy.Symbol("n") != Dim("n")
    # SymPy symbols become Dims where they enter
    assert matcalc.parse("x", shapes={"x": (sympy.Symbol("n"),)}).shape == (Dim("n"),)


def test_equal_dims_hash_equal():
    for a, b in [(Dim("n"), "n"), (Dim("n"), Dim("n")), ("n", Dim("n"))]:
        assert a == b and hash(a) == hash(b)
    assert len({Dim("n"), "n", Dim("n")}) == 1
    assert {Dim("n"): 1}["n"] == 1 and {"n": 1}[Dim("n")] == 1
    # a product equals its normal form's text (names sorted), and only that text
    nd = dims.product(Dim("n"), Dim("d"))
    assert nd == "d*n" and hash(nd) == hash("d*n") and nd != "n*d"
    assert nd == dims.from_text("n*d") and hash(nd) == hash(dims.from_text("n*d"))
    assert {nd: 1}["d*n"] == 1


def test_where_bindings_have_shapes():
    e = matcalc.parse("t1 where t0 = X*w - y, t1 = t0'*t0")
    assert e.shape == ()
    assert e.symbols() == {"X": ("n", "d"), "w": ("d",), "y": ("n",)}


def test_sides_with_where_take_their_constants_sizes_in_order():
    # each side's bindings, then its body: the sizes of I and vector(1) are met in the
    # order they are given back (the base walked every side's bindings before any body)
    left, right = matcalc.api.parse_together(["I*t where t = x", "s + y where s = vector(1)"])
    assert left.shape == right.shape == ("n",)
    left, right = matcalc.api.parse_together(["A*I*t where t = x", "s where s = matrix(2)*y"])
    assert left.shape == right.shape == ("d",)


def test_identity_sizes_per_place():
    e = matcalc.parse("x'*I*x + tr(A*I)", shapes={"x": ("n",), "A": ("m", "m")})
    assert e.shape == ()


def test_diff_term_shapes():
    assert matcalc.parse("diff(x'*A*x, x)").shape == ("n",)
    assert matcalc.parse("diff(A*x, x)").shape == ("d", "n")
    # past two indices: the matrix form d vec(F) / d vec(W), size(W) x size(F) (SPEC 2b)
    shapes = {"A": ("p", "m"), "X": ("m", "n"), "t": ()}
    assert matcalc.parse("diff(A*X, X)", shapes).shape == ("m*n", "n*p")
    assert matcalc.parse("diff(A*X, t)", shapes).shape == ("p", "n")     # F's shape
    assert matcalc.parse("diff(A*X, X)", shapes).shape[0] == \
        matcalc.parse("vec(X)", shapes).shape[0]


def test_redeclaring_an_expr_must_agree():
    e = matcalc.parse("X*w")
    assert matcalc.parse(e, shapes={"X": ("n", "d")}) == e
    with pytest.raises(matcalc.ShapeError, match="now declared"):
        matcalc.parse(e, shapes={"X": ("n", "n")})


# ----------------------------------------------------------------- products of dimensions

@pytest.mark.parametrize("text, shapes, expected", [
    ("kron(A, B)", {"A": ("m", "n"), "B": ("p", "q")}, ("m*p", "n*q")),
    ("vec(X)", {"X": ("m", "n")}, ("m*n",)),
    ("commutation(m, n)", {}, ("m*n", "m*n")),
    ("I(n*d)", {}, ("d*n", "d*n")),
    ("unvec(v, m, n)", {}, ("m", "n")),
    ("kron(x, y)", {"x": ("n",), "y": ("d",)}, ("d*n",)),
    ("kron(w, I(m))", {"w": ("d",)}, ("d*m", "m")),
    ("softmax(x)", {}, ("n",)),
    ("logsumexp(x)", {}, ()),
    ("kron(A, B)*vec(X)", {"A": ("m", "n"), "B": ("p", "q")}, ("m*p",)),   # X: q x n
])
def test_product_dimensions(text, shapes, expected):
    e = matcalc.parse(text, shapes)
    assert e.shape == expected
    assert matcalc.parse(str(e), shapes) == e


def test_products_unify_both_ways():
    # vec(X) must have n*q entries: X gets one factor per dimension
    e = matcalc.parse("kron(A, B)*vec(X)", {"A": ("m", "n"), "B": ("p", "q")})
    assert set(e.symbols()["X"]) == {"n", "q"}
    # an unknown factor is solved from the known ones
    e = matcalc.parse("vec(Y*C) + v", {"C": ("k", "n"), "v": ("n*q",)})
    assert e.symbols()["Y"] == ("q", "k")
    with pytest.raises(matcalc.ShapeError, match="cannot"):
        matcalc.parse("vec(Y*C) + v", {"C": ("k", "n"), "v": ("m*q",)})
    # v must be an (n*d)-vector; a declared product dimension reads in any order, and is
    # written (and compares equal to strings) in its normal form, names sorted
    e = matcalc.parse("unvec(v, n, d)", {"v": ("n*d",)})
    assert e.shape == ("n", "d") and e.symbols()["v"] == ("d*n",)
    with pytest.raises(matcalc.ShapeError, match="unvec to n x d"):
        matcalc.parse("unvec(v, n, d)", {"v": ("n",)})


def test_undeclared_products_are_made_consistent():
    # kron(A, B') = d(A*X*B)/dX needs A and B square: the shapes that make it valid
    e = matcalc.parse("diff(A*X*B, X) + kron(A, B')")
    shapes = e.symbols()
    assert shapes["A"][0] == shapes["A"][1] and shapes["B"][0] == shapes["B"][1]


@pytest.mark.parametrize("text, fragment", [
    ("softmax(X)", "softmax takes a vector"),
    ("logsumexp(X')", "logsumexp takes a vector"),
    ("kron(x, y) + z", "cannot add"),
])
def test_new_function_shape_errors(text, fragment):
    with pytest.raises(matcalc.ShapeError, match=fragment):
        matcalc.parse(text, {"X": ("m", "n"), "x": ("m",), "y": ("n",), "z": ("m",)})


def test_product_declarations():
    assert matcalc.parse("v", {"v": "n*d"}).shape == ("d*n",)
    assert matcalc.parse("V", {"V": "n*d x m"}).shape == ("d*n", "m")
    with pytest.raises(matcalc.MatcalcError, match="not a dimension"):
        matcalc.parse("v", {"v": ("n+d",)})


# ----------------------------------------------------------------- one table of shape laws

def test_every_node_type_and_every_record_has_a_shape_law():
    function_nodes = {record.node for record in registry.FUNCTIONS.values()}
    for cls in ast.NODE_TYPES:
        assert cls in shapes.RULES or cls in function_nodes, cls.__name__
    for record in registry.FUNCTIONS.values():
        assert record.shape in shapes.LAWS, record.name


# law -> [(argument shapes, the result's shape)]; None: a ShapeError in both modes
LAW_CASES = {
    "elementwise": [((("m", "n"),), ("m", "n")), ((("n",),), ("n",)), (((),), ())],
    "square -> scalar": [((("n", "n"),), ()), ((("m", "n"),), None)],
    "square -> same": [((("n", "n"),), ("n", "n")), ((("m", "n"),), None)],
    "any -> scalar": [((("m", "n"),), ()), ((("n",),), ())],
    "diag": [((("n",),), ("n", "n")), ((("n", "n"),), ("n",)), ((("m", "n"),), None)],
    "vec": [((("m", "n"),), ("m*n",)), ((("n",),), ("n",))],
    "vector -> same": [((("n",),), ("n",)), ((("m", "n"),), None)],
    "vector -> scalar": [((("n",),), ()), ((("m", "n"),), None)],
    "kron": [((("m", "n"), ("p", "q")), ("m*p", "n*q")), ((("m",), ("p", "q")), ("m*p", "q"))],
}


@pytest.mark.parametrize("record", list(registry.FUNCTIONS.values()),
                         ids=lambda record: record.name)
def test_each_function_law_in_both_modes(record):
    for arguments, expected in LAW_CASES[record.shape]:
        names = ["A", "B"][:len(arguments)]
        declared = dict(zip(names, arguments))
        text = f"{record.name}({', '.join(names)})"
        typed = registry.build(record.name, *(ast.Symbol(name, tuple(Dim(d) for d in shape))
                                              for name, shape in declared.items()))
        if expected is None:
            with pytest.raises(matcalc.ShapeError):
                matcalc.parse(text, shapes=declared)
            with pytest.raises(matcalc.ShapeError):
                shapes.shape_of(typed)
        else:
            assert matcalc.parse(text, shapes=declared).shape == expected     # inference
            assert shapes.shape_of(typed) == expected                         # typed tree


def test_typed_trees_are_checked_by_the_same_laws():
    X, w = matcalc.symbols("X w", shapes={"X": ("n", "d"), "w": ("m",)})
    with pytest.raises(matcalc.ShapeError, match="cannot multiply n x d by m-vector"):
        X @ w
    with pytest.raises(matcalc.ShapeError, match="cannot add"):
        X + w
    with pytest.raises(matcalc.ShapeError, match="an exponent must be a scalar"):
        X ** w
    with pytest.raises(matcalc.ShapeError, match="tr needs a square matrix"):
        matcalc.functions["tr"](X)
    # the derivative's shape, by a scalar, a vector and a matrix
    assert shapes.derivative_shape((), ("n", "d")) == ("n", "d")
    assert shapes.derivative_shape(("n",), ()) == (1, "n")
    assert shapes.derivative_shape(("n",), ("d",)) == ("d", "n")
    assert shapes.derivative_shape(("m", "n"), ("p", "q")) == ("p*q", "m*n")


def test_entrywise_power_of_a_scalar_by_a_vector_is_refused_in_both_modes():
    # inference leaves it to the check of its typed result: x could still turn out 1 x 1
    with pytest.raises(matcalc.ShapeError, match="cannot be made consistent: an entrywise"):
        matcalc.parse("2 .^ x", shapes={"x": ("n",)})
    assert matcalc.parse("2 .^ x + 1/x").symbols()["x"] == ()
    with pytest.raises(matcalc.ShapeError, match="entrywise exponent"):
        shapes.shape_of(ast.ElemPower(ast.Number(2), ast.Symbol("x", (Dim("n"),))))
    assert matcalc.parse("x .^ y").symbols() == {"x": ("n",), "y": ("n",)}
