"""The two spellings of a shape: the (rows, cols) pair the laws work on, and the public form.

A scalar is 1 x 1 and a column d x 1, so one pair form covers all three kinds; the public
form drops what the pair repeats: () for a scalar, (d,) for a column, (m, n) otherwise.
"""


def normalize(rows, cols):
    """(rows, cols) -> the public shape: () scalar, (d,) column, (m, n) otherwise."""
    if rows == 1 and cols == 1:
        return ()
    if cols == 1:
        return (rows,)
    return (rows, cols)


def as_pair(shape):
    """The public shape -> (rows, cols)."""
    if len(shape) == 0:
        return (1, 1)
    if len(shape) == 1:
        return (shape[0], 1)
    return tuple(shape)


def describe(shape):
    """'scalar', 'n-vector', 'n x d' for messages."""
    if shape == ():
        return "scalar"
    if len(shape) == 1:
        return f"{shape[0]}-vector"
    return f"{shape[0]} x {shape[1]}"


def is_scalar(shape):
    return shape == ()
