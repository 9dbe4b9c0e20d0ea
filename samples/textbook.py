"""The example of the seeds (Baydin et al. 2018): f(x1, x2) = ln x1 + x1 x2 - sin x2."""
import numpy as np


def f(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


if __name__ == "__main__":
    print(f"f(2, 5) = {f(2.0, 5.0):.3f}")
