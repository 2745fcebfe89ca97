"""Keep the server's memory near its working set when many sessions come and go.

glibc gives each thread that allocates under contention its own malloc arena (up to 8 per core), and
memory freed in an arena mostly stays with the process. Streamlit runs every session's script on its
own thread, so a room full of students leaves many arenas behind. Capping them at two (as
MALLOC_ARENA_MAX=2 would, which Community Cloud does not let us set) measured with bench/load_test.py,
20 sessions: 539 MB at the peak and after they left, instead of 577 MB (the warm server: 460 MB).
"""

import ctypes
import ctypes.util
import functools

_M_ARENA_MAX = -8  # from glibc's malloc.h


@functools.cache
def cap_malloc_arenas(arenas: int = 2) -> bool:
    """Ask glibc for at most `arenas` malloc arenas; False (and nothing done) on other C libraries."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False
