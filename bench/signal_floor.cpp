// The floors a trap-and-emulate monitor cannot go below on this host, measured with Google
// Benchmark in the same run as the guest figures (bench/run_nanobench.sh):
//   CompatCallout     enter 32-bit compatibility mode with iretq, leave with a far jump to 0x33
//   BareSignalTrap    a native `cli` in compatibility mode -> SIGSEGV -> handler skips it ->
//                     sigreturn: the cheapest possible trap, with nothing emulated
//   NativeSignal64    the same round trip from 64-bit code (ud2 -> SIGILL), for comparison
//   HiddenFaultFloor  a shadow MMU's hidden fault at its cheapest: compatibility-mode code reads
//                     a PROT_NONE page -> SIGSEGV -> the handler maps a memfd page there ->
//                     the read re-runs; then the page is made PROT_NONE again (as invlpg
//                     does). Compare with the guest's invlpg_and_refill.
// The project's trap engine adds its world switch, decoding and emulation on top of these.
#include <asm/ldt.h>
#include <benchmark/benchmark.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <sys/mman.h>

#include <cstdint>
#include <cstring>

extern "C" {
uint64_t floor_saved_rsp;
void floor_back();
void floor_enter(uint64_t eip, uint64_t cs, uint64_t esp, uint64_t ss);
}

asm(R"(
    .text
floor_back:
    mov floor_saved_rsp(%rip), %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret
floor_enter:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, floor_saved_rsp(%rip)
    mov %ecx, %ds
    mov %ecx, %es
    push %rcx
    push %rdx
    pushq $0x202
    push %rsi
    push %rdi
    iretq
)");

namespace {

constexpr uint64_t kPage = 0x7f000000;  // below 4 GiB, outside anything the process uses
constexpr uint64_t kFaultOffset = 0x8000;
uint8_t* g_code = nullptr;
int g_memfd = -1;

void map_memfd_page(int, siginfo_t*, void*) {
    mmap(reinterpret_cast<void*>(kPage + kFaultOffset), 4096, PROT_READ | PROT_WRITE,
         MAP_SHARED | MAP_FIXED, g_memfd, 0);
}

void skip_one_byte(int, siginfo_t*, void* ucv) {
    static_cast<ucontext_t*>(ucv)->uc_mcontext.gregs[REG_RIP] += 1;
}
void skip_two_bytes(int, siginfo_t*, void* ucv) {
    static_cast<ucontext_t*>(ucv)->uc_mcontext.gregs[REG_RIP] += 2;
}

bool setup() {
    if (g_code) return true;
    void* p = mmap(reinterpret_cast<void*>(kPage), 0x10000, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED) return false;
    g_code = static_cast<uint8_t*>(p);
    user_desc d{};
    d.entry_number = 0;
    d.limit = 0xfffff;
    d.seg_32bit = 1;
    d.contents = MODIFY_LDT_CONTENTS_CODE;
    d.limit_in_pages = 1;
    d.useable = 1;
    if (syscall(SYS_modify_ldt, 1, &d, sizeof d) != 0) return false;
    d.entry_number = 1;
    d.contents = MODIFY_LDT_CONTENTS_DATA;
    if (syscall(SYS_modify_ldt, 1, &d, sizeof d) != 0) return false;
    // 64-bit exit stub at +0xf00: movabs $floor_back,%rax; jmp *%rax
    uint8_t stub[12] = {0x48, 0xb8};
    const auto back = reinterpret_cast<uint64_t>(&floor_back);
    memcpy(stub + 2, &back, 8);
    stub[10] = 0xff;
    stub[11] = 0xe0;
    memcpy(g_code + 0xf00, stub, sizeof stub);
    // +0x000: ljmp $0x33,$stub          (a bare callout)
    // +0x100: cli; ljmp $0x33,$stub     (a trap, then the callout)
    const uint32_t target = static_cast<uint32_t>(kPage + 0xf00);
    uint8_t ljmp[7] = {0xea, 0, 0, 0, 0, 0x33, 0x00};
    memcpy(ljmp + 1, &target, 4);
    memcpy(g_code, ljmp, 7);
    g_code[0x100] = 0xfa;
    memcpy(g_code + 0x101, ljmp, 7);
    // +0x200: mov kFaultPage,%eax; ljmp $0x33,$stub   (a read of the page the handler maps)
    const uint32_t fault_page = static_cast<uint32_t>(kPage + kFaultOffset);
    g_code[0x200] = 0xa1;
    memcpy(g_code + 0x201, &fault_page, 4);
    memcpy(g_code + 0x205, ljmp, 7);
    return true;
}

constexpr uint64_t kCs = (0 << 3) | 4 | 3, kSs = (1 << 3) | 4 | 3;

void CompatCallout(benchmark::State& state) {
    if (!setup()) return state.SkipWithError("cannot map low memory or write the LDT");
    for (auto _ : state) floor_enter(kPage, kCs, kPage + 0xe000, kSs);
}
BENCHMARK(CompatCallout);

void BareSignalTrap(benchmark::State& state) {
    if (!setup()) return state.SkipWithError("cannot map low memory or write the LDT");
    struct sigaction sa {
    }, old{};
    sa.sa_sigaction = skip_one_byte;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, &old);
    for (auto _ : state) floor_enter(kPage + 0x100, kCs, kPage + 0xe000, kSs);
    sigaction(SIGSEGV, &old, nullptr);
}
BENCHMARK(BareSignalTrap);

void NativeSignal64(benchmark::State& state) {
    struct sigaction sa {
    }, old{};
    sa.sa_sigaction = skip_two_bytes;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGILL, &sa, &old);
    for (auto _ : state) asm volatile("ud2" ::: "memory");
    sigaction(SIGILL, &old, nullptr);
}
BENCHMARK(NativeSignal64);

void HiddenFaultFloor(benchmark::State& state) {
    if (!setup()) return state.SkipWithError("cannot map low memory or write the LDT");
    if (g_memfd < 0) g_memfd = memfd_create("floor", 0);
    if (g_memfd < 0 || ftruncate(g_memfd, 4096) != 0) return state.SkipWithError("memfd");
    struct sigaction sa {
    }, old{};
    sa.sa_sigaction = map_memfd_page;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, &old);
    for (auto _ : state) {
        mmap(reinterpret_cast<void*>(kPage + kFaultOffset), 4096, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
        floor_enter(kPage + 0x200, kCs, kPage + 0xe000, kSs);
    }
    sigaction(SIGSEGV, &old, nullptr);
}
BENCHMARK(HiddenFaultFloor);

}  // namespace

BENCHMARK_MAIN();
