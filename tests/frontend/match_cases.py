"""A function with a ``match`` statement (Python >= 3.10 syntax): imported by
test_errors.py only where the syntax exists."""


def uses_match(x):
    match x:  # ERR match
        case 0:
            return "zero"
        case _:
            return "other"
