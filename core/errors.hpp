// The three kinds of failure a user sees. Each message is one line written for a user.
//   InputError  - bad command line, missing or malformed image/ELF: exit status 2.
//   GuestError  - the guest reached a state prevt cannot continue from (triple fault,
//                 unsupported feature, halted forever): exit status 3 with a register dump.
//   HostError   - the host refused something prevt needs (a system call failed, a limit was
//                 reached): exit status 4, the message names the call and its errno text.
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

class HostError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace prevt
