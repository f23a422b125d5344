#pragma once
// Options structs in the style of libtorch's C++ frontend: each option is a chained setter and a
// getter of the same name, with a default,
//
//     Conv2dOptions(1, 8, 5).stride(2).padding(kSame)        SGDOptions(0.1).momentum(0.9)
//
// TG_OPTION(T, name) = default; declares the setter, the getter and the stored value. It leaves
// the struct in a private section, so an options struct lists its constructors first.

#define TG_OPTION(T, name)            \
  public:                             \
    auto& name(const T& new_##name) { \
        this->name##_ = new_##name;   \
        return *this;                 \
    }                                 \
    const T& name() const noexcept {  \
        return this->name##_;         \
    }                                 \
                                      \
  private:                            \
    T name##_
