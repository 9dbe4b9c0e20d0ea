"""A small multilayer perceptron trained on synthetic data.

Parameters live in a dict; s2sad.grad returns a dict of gradients with the
same keys.  tanh hidden layer, softmax cross-entropy loss.
"""
import numpy as np


def loss(params, X, labels):
    h = np.tanh(X @ params["W1"] + params["b1"])
    logits = h @ params["W2"] + params["b2"]
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(log_probs * labels, axis=1))


if __name__ == "__main__":
    import s2sad

    rng = np.random.default_rng(1)
    n, classes = 300, 3
    X = rng.normal(size=(n, 2))
    k = (np.arctan2(X[:, 1], X[:, 0]) + np.pi) / (2 * np.pi) * classes
    labels = np.eye(classes)[k.astype(int) % classes]
    params = {"W1": 0.5 * rng.normal(size=(2, 16)), "b1": np.zeros(16),
              "W2": 0.5 * rng.normal(size=(16, classes)), "b2": np.zeros(classes)}
    step = s2sad.value_and_grad(loss)
    for epoch in range(300):
        value, grads = step(params, X, labels)
        params = {name: params[name] - 0.5 * grads[name] for name in params}
    predicted = np.argmax(np.tanh(X @ params["W1"] + params["b1"]) @ params["W2"]
                          + params["b2"], axis=1)
    print(f"loss {value:.3f}, training accuracy {np.mean(predicted == labels.argmax(1)):.1%}")
