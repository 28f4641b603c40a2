// The two kinds of failure a user sees. Each message is one line written for a user.
//   InputError  - bad command line, missing or malformed image/ELF: exit status 2.
//   GuestError  - the guest reached a state prevt cannot continue from (triple fault,
//                 unsupported feature, halted forever): exit status 3 with a register dump.
#pragma once

#include <stdexcept>
#include <string>

namespace prevt {

class InputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class GuestError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace prevt
