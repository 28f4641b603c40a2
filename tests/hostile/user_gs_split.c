/* user_gs_split -- a hostile process inside a guest: the user_split machine (a Linux-like
 * 3G/1G split, the kernel's supervisor alias at 0xC0000000, system calls through int $0x80 and
 * sysenter/sysexit), with the user's %gs a flat DPL-3 segment (i386 glibc's TLS register).
 * After the system calls (the sysenter handler calls out once, so bt's last entry before the
 * inline sysexit to ring 3 is made for the kernel) the user reads
 * and writes the kernel's alias through gs:. bt runs copied gs: accesses with FS holding the
 * guest's GS shadow: that shadow must be the user variant (ending at the user ceiling), or
 * ring 3 reads the kernel's memory the shadow keeps mapped. Oracle: #PF 5 and 7 through gs:
 * as through ds: (QEMU's golden). */
#define USER_ALIAS_SEG "%gs:"
#define SYSENTER_PROLOGUE \
    "    inb $0x80, %al\n" /* a callout at CPL 0: the next entry is for the kernel */
#define USER_GS 1
#define TITLE "a 3G/1G split, the user's gs: flat: the kernel's alias at 0xC0000000\n"
#include "../guests/user_split.c"
