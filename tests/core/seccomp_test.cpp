// The seccomp filter's allowlist for the monitor (core/native/seccomp.hpp): after it is
// installed, what the monitor needs still works, and what an escaped payload would want - a
// file, executable memory, a process, another ABI - ends the process (status 4 with a
// message, or SIGSYS for another ABI). Each case runs in a death-test child.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>

#include "core/native/seccomp.hpp"
#include "core/native/signals.hpp"

namespace prevt::native {
namespace {

void install() {
    install_signal_handlers();
    install_guest_syscall_filter();
}

TEST(SeccompDeathTest, WhatTheMonitorNeedsStillWorks) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            install();
            void* p =
                mmap(nullptr, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED || mprotect(p, 4096, PROT_READ) != 0) _exit(10);
            if (write(STDERR_FILENO, "ok\n", 3) != 3) _exit(11);
            timespec t = {};
            t.tv_nsec = 1000;
            nanosleep(&t, nullptr);
            _exit(0);
        },
        testing::ExitedWithCode(0), "ok");
}

TEST(SeccompDeathTest, OpeningAFileEndsTheProcess) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            install();
            syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
            _exit(0);
        },
        testing::ExitedWithCode(4), "seccomp filter forbids");
}

TEST(SeccompDeathTest, ExecutableMemoryEndsTheProcess) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            install();
            mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            _exit(0);
        },
        testing::ExitedWithCode(4), "seccomp filter forbids");
    EXPECT_EXIT(
        {
            void* p = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            install();
            mprotect(p, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
            _exit(0);
        },
        testing::ExitedWithCode(4), "seccomp filter forbids");
}

TEST(SeccompDeathTest, ExecForkAndSignalHandlersEndTheProcess) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            install();
            syscall(SYS_execve, "/bin/true", nullptr, nullptr);
            _exit(0);
        },
        testing::ExitedWithCode(4), "forbids");
    EXPECT_EXIT(
        {
            install();
            syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
            _exit(0);
        },
        testing::ExitedWithCode(4), "forbids");
    EXPECT_EXIT(
        {
            install();
            struct sigaction sa = {};
            sa.sa_handler = SIG_IGN;
            syscall(SYS_rt_sigaction, SIGSYS, &sa, nullptr, 8);
            _exit(0);
        },
        testing::ExitedWithCode(4), "forbids");
    EXPECT_EXIT(
        {
            install();
            syscall(SYS_ioctl, 0, 0x5412 /* TIOCSTI */, "x");
            _exit(0);
        },
        testing::ExitedWithCode(4), "forbids");
}

TEST(SeccompDeathTest, TheI386AbiFromTheMonitorKills) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            install();
            long r;
            asm volatile("int $0x80" : "=a"(r) : "a"(20) : "memory");  // i386 getpid
            _exit(0);
        },
        testing::KilledBySignal(SIGSYS), "");
}

}  // namespace
}  // namespace prevt::native
