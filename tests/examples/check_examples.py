#!/usr/bin/env python3
"""Runs one example program on awkward command lines and checks that it fails cleanly or works.

    check_examples.py NAME BINARY     the cases of examples/NAME, run with BINARY
    check_examples.py --skip          exit 77 (meson: skipped), for builds without the examples

Each case runs the program with the smallest sizes it takes, on a tiny MNIST-format data set
written here (random pixels), in a scratch folder that is also the working directory:

  - output paths holding ', ", $(...) and `...` (as a shell or gnuplot would read them): the run
    works, its PNG files are real PNGs where they should be, and no command in the path ran;
  - an output folder that does not exist: a one-line error before any work, nothing on stdout;
  - sizes that cannot fit in memory: a one-line error naming the flag, exit status 1 (not an
    abort);
  - a number flag given text: the error says it is not a number, in one short line;
  - a gnuplot that fails (a fake one first on the PATH, which also writes bytes to stdout): the
    program exits non-zero and none of gnuplot's stdout reaches its own.
"""

import os
import shutil
import struct
import subprocess
import sys
import tempfile

PNG_MAGIC = b"\x89PNG"
# A folder name that a shell would run commands from, and that breaks gnuplot's quoting.
AWKWARD = "it's \"q\" $(touch pwned) `touch pwned2`"
FAILURES = []


def check(condition, what, result=None):
    if not condition:
        detail = ""
        if result is not None:
            detail = "\n    exit status %d\n    stdout: %r\n    stderr: %r" % (
                result.returncode, result.stdout[-600:], result.stderr[-600:])
        FAILURES.append(what + detail)
        print("FAIL: " + what + detail)
    else:
        print("ok:   " + what)


def write_mnist(folder, split, count, seed):
    """An MNIST-format split of `count` images of random pixels and labels 0..9."""
    os.makedirs(folder, exist_ok=True)
    pixels = bytes((i * 7919 + seed * 104729 + (i >> 5) * 31) % 256 for i in range(count * 784))
    with open(os.path.join(folder, split + "-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, count, 28, 28) + pixels)
    with open(os.path.join(folder, split + "-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 0x801, count) + bytes(i % 10 for i in range(count)))


class Scratch:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="tapegrad-examples-")
        # The data folder's name is shown in plot titles: make it awkward too.
        self.data = os.path.join(self.root, "data 'x'")
        write_mnist(self.data, "train", 40, 1)
        write_mnist(self.data, "t10k", 20, 2)
        self.fake_bin = os.path.join(self.root, "fake-bin")
        os.makedirs(self.fake_bin)
        fake = os.path.join(self.fake_bin, "gnuplot")
        with open(fake, "w") as f:
            f.write("#!/bin/sh\ncat > /dev/null\nprintf '\\211PNG from a failing gnuplot'\n"
                    "exit 1\n")
        os.chmod(fake, 0o755)

    def awkward_dir(self, tag):
        path = os.path.join(self.root, tag + " " + AWKWARD)
        os.makedirs(path, exist_ok=True)
        return path

    def run(self, args, fake_gnuplot=False):
        env = dict(os.environ)
        if fake_gnuplot:
            env["PATH"] = self.fake_bin + os.pathsep + env.get("PATH", "")
        return subprocess.run(args, cwd=self.root, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=120)

    def no_command_ran(self):
        for _, _, files in os.walk(self.root):
            if "pwned" in files or "pwned2" in files:
                return False
        return True

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)


def is_png(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == PNG_MAGIC
    except OSError:
        return False


def override(args, flag, value):
    """args with `flag`'s value replaced by `value` (or the two appended)."""
    args = list(args)
    if flag in args:
        args[args.index(flag) + 1] = value
        return args
    return args + [flag, value]


def lines(text):
    return [l for l in text.decode(errors="replace").splitlines() if l.strip()]


def one_line_error(result, words, what):
    """Exit status 1, nothing on stdout, and one stderr line holding every word of `words`."""
    err = lines(result.stderr)
    check(result.returncode == 1, what + ": exit status 1", result)
    check(result.stdout == b"", what + ": nothing on stdout (no work started)", result)
    check(len(err) == 1 and all(w in err[0] for w in words),
          what + ": one line on stderr naming " + ", ".join(words), result)


def not_a_number(s, binary, flag, extra=()):
    r = s.run([binary, *extra, flag, "abc"])
    text = r.stderr.decode(errors="replace")
    check(r.returncode != 0 and "%s: 'abc' is not a number" % flag in text,
          "%s abc: says it is not a number" % flag, r)
    r = s.run([binary, *extra, flag, "1e999"])
    first = lines(r.stderr)[0] if lines(r.stderr) else ""
    check(r.returncode != 0 and flag in first and ("out of range" in first or "too large" in first),
          "%s 1e999: says it is out of range" % flag, r)
    check(len(first) < 120, "%s 1e999: a short message (%d characters)" % (flag, len(first)), r)


def plots_fine(s, result, pngs, what):
    check(result.returncode == 0, what + ": exit status 0", result)
    check(PNG_MAGIC not in result.stdout, what + ": no PNG bytes on stdout", result)
    if shutil.which("gnuplot"):
        for png in pngs:
            check(is_png(png), what + ": a PNG at " + os.path.basename(png), result)
    check(s.no_command_ran(), what + ": no command in the path ran", result)


def failing_gnuplot(s, args, what):
    r = s.run(args, fake_gnuplot=True)
    check(r.returncode != 0, what + ": a failed gnuplot gives a non-zero exit status", r)
    check(PNG_MAGIC not in r.stdout, what + ": none of gnuplot's stdout on the program's", r)


# ---- the examples ------------------------------------------------------------------------------

def train_cnn(s, binary):
    tiny = [binary, "--data", s.data, "--epochs", "1", "--batch", "8", "--channels", "2,2"]
    d = s.awkward_dir("cnn")
    model, png = os.path.join(d, "model's.npz"), os.path.join(d, "curve $(touch pwned).png")
    r = s.run(tiny + ["--out", model, "--plot", png])
    plots_fine(s, r, [png], "awkward --out and --plot")
    check(os.path.exists(model) and os.path.getsize(model) > 0, "awkward --out: the model was saved",
          r)

    missing = os.path.join(s.root, "missing")
    r = s.run(tiny + ["--out", "", "--plot", os.path.join(missing, "x.png")])
    one_line_error(r, ["--plot", "does not exist"], "--plot in a missing folder")
    r = s.run(tiny + ["--plot", "", "--out", os.path.join(missing, "m.npz")])
    one_line_error(r, ["--out", "does not exist"], "--out in a missing folder")

    # A newline would end a gnuplot command inside the file name: refused.
    r = s.run(tiny + ["--out", "", "--plot", "a\n!touch pwned\n.png"])
    one_line_error(r, ["--plot", "control character"], "--plot with a newline")
    check(s.no_command_ran(), "--plot with a newline: no command ran", r)
    r = s.run(override(tiny, "--hidden", "99999999999"))
    one_line_error(r, ["--hidden 99999999999", "memory"], "--hidden 99999999999")
    r = s.run(override(tiny, "--channels", "100000,100000"))
    one_line_error(r, ["--channels 100000,100000", "memory"], "--channels 100000,100000")

    not_a_number(s, binary, "--lr")
    r = s.run(tiny + ["--limit", "-1"])
    check(r.returncode != 0 and b"--limit: -1 is out of range" in r.stderr,
          "--limit -1 is refused (not taken as 2^64 - 1)", r)
    failing_gnuplot(s, tiny + ["--out", "", "--plot", os.path.join(s.root, "c.png")],
                    "train_cnn")


def optimizers(s, binary):
    fast = [binary, "--part", "landscapes", "--tolerance", "1", "--condition", "2"]
    d = s.awkward_dir("opt")
    r = s.run(fast + ["--out", d])
    plots_fine(s, r, [os.path.join(d, "optimizers.png"), os.path.join(d, "optimizers_loss.png")],
               "landscapes in an awkward --out")
    mnist = [binary, "--part", "mnist", "--data", s.data, "--train", "20", "--test", "10",
             "--budget", "2", "--hidden", "3", "--methods", "sgd"]
    r = s.run(mnist + ["--out", d])
    plots_fine(s, r, [os.path.join(d, "optimizers_mnist.png")], "mnist in an awkward --out")

    a_file = os.path.join(s.root, "a-file")
    open(a_file, "w").close()
    r = s.run(fast + ["--out", os.path.join(a_file, "sub")])
    one_line_error(r, ["--out", "cannot create"], "--out below a file")

    r = s.run([binary, "--part", "mnist", "--data", s.data, "--hidden", "99999999999"])
    one_line_error(r, ["--hidden 99999999999", "memory"], "--hidden 99999999999")
    not_a_number(s, binary, "--sgd-lr")
    failing_gnuplot(s, fast + ["--out", os.path.join(s.root, "out")], "optimizers")


def custom_op(s, binary):
    tiny = [binary, "--data", s.data, "--epochs", "1", "--batch", "8", "--hidden", "4",
            "--train-size", "16"]
    d = s.awkward_dir("op")
    r = s.run(tiny + ["--out", d])
    plots_fine(s, r, [os.path.join(d, "custom_op.png")], "an awkward --out")
    if shutil.which("dot"):
        check(is_png(os.path.join(d, "swish_graph.png")), "dot rendered the graph", r)

    r = s.run(override(tiny, "--hidden", "99999999999"))
    one_line_error(r, ["--hidden 99999999999", "memory"], "--hidden 99999999999")
    not_a_number(s, binary, "--lr")
    failing_gnuplot(s, tiny + ["--out", os.path.join(s.root, "out")], "custom_op")


def hessian_spectrum(s, binary):
    tiny = [binary, "--data", s.data, "--epochs", "1", "--batch", "8", "--hidden", "3",
            "--train-size", "20", "--hessian-batches", "1", "--hessian-batch-size", "10",
            "--top-k", "2", "--lanczos-iter", "5", "--power-iter", "5", "--trace-samples", "10",
            "--slq-vectors", "1", "--slq-steps", "5", "--grid", "3"]
    d = s.awkward_dir("hessian")
    r = s.run(tiny + ["--out", d])
    plots_fine(s, r, [os.path.join(d, "density.png"), os.path.join(d, "surface.png")],
               "an awkward --out")
    r = s.run(override(tiny, "--hidden", "99999999999"))
    one_line_error(r, ["--hidden 99999999999", "memory"], "--hidden 99999999999")
    not_a_number(s, binary, "--lr")


def vanishing_gradients(s, binary):
    d = s.awkward_dir("vg")
    r = s.run([binary, "--run", "exploding,graph", "--out", d])
    plots_fine(s, r, [os.path.join(d, "unstable_chain.png")], "an awkward --out")
    if shutil.which("dot"):
        check(is_png(os.path.join(d, "chain_graph.png")), "dot rendered the graph", r)

    r = s.run([binary, "--data", s.data, "--samples", "10", "--run", "training", "--epochs", "1",
               "--train-layers", "784,99999999999,10"])
    one_line_error(r, ["--train-layers [784,99999999999,10]", "memory"],
                   "--train-layers 784,99999999999,10")
    not_a_number(s, binary, "--eta")
    failing_gnuplot(s, [binary, "--run", "exploding", "--out", os.path.join(s.root, "out")],
                    "vanishing_gradients")


def gradcheck_model(s, binary):
    r = s.run([binary, "--seed", "abc"])
    check(r.returncode != 0 and b"--seed: 'abc' is not a number" in r.stderr,
          "--seed abc: says it is not a number", r)
    r = s.run([binary, "--batch", "1"])
    first = lines(r.stderr)[0] if lines(r.stderr) else ""
    check(r.returncode != 0 and first == "--batch: 1 is out of range (must be in [2, 64])",
          "--batch 1: says the range", r)


CASES = {f.__name__: f for f in [train_cnn, optimizers, custom_op, hessian_spectrum,
                                  vanishing_gradients, gradcheck_model]}


def main():
    if sys.argv[1:] == ["--skip"]:
        print("the examples are not built (-Dexamples=false)")
        return 77
    name, binary = sys.argv[1], os.path.abspath(sys.argv[2])
    s = Scratch()
    try:
        CASES[name](s, binary)
    finally:
        s.remove()
    print("%d failed" % len(FAILURES) if FAILURES else "all passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
