#pragma once
// Typed errors. Every message names the op (or file) and the shapes involved, so a user can
// find the offending line without a debugger.

#include <stdexcept>
#include <string>

namespace tg {

class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Shapes that do not fit an op: broadcasting, matmul inner dimensions, reshape counts.
class ShapeError : public Error {
  public:
    using Error::Error;
};

// float and double mixed in one op.
class DTypeError : public Error {
  public:
    using Error::Error;
};

// A bad argument that is not a shape: an axis out of range, an empty tensor, a bad option.
class ValueError : public Error {
  public:
    using Error::Error;
};

// Misuse of the tape: non-scalar backward without grad_outputs, grad of something that does
// not require a gradient, a tensor modified in place after it was saved.
class GraphError : public Error {
  public:
    using Error::Error;
};

// A tensor whose tape node no longer exists: the tape was reset, or it belongs to another
// thread's tape.
class StaleTensorError : public GraphError {
  public:
    using GraphError::GraphError;
};

// Backward through a part of the graph that an earlier backward already freed.
class FreedGraphError : public GraphError {
  public:
    using GraphError::GraphError;
};

// Anomaly mode: a NaN or Inf appeared, or an input left an op's domain.
class NumericError : public Error {
  public:
    using Error::Error;
};

// A file that cannot be read or written, or whose contents are corrupt. Names the file.
class IOError : public Error {
  public:
    using Error::Error;
};

}  // namespace tg
