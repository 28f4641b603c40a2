#include "devices/deadline_queue.hpp"

namespace prevt::devices {

DeadlineQueue::Served DeadlineQueue::serve(bool timer_fired, bool waiting) {
    bool touched = false;
    for (Entry& e : devices_)
        if (e.device->touches() != e.touches_seen) touched = true;
    if (!timer_fired && !waiting && !touched) return {};
    return {true, advance_all()};
}

uint64_t DeadlineQueue::advance_all() {
    uint64_t next = 0;
    for (Entry& e : devices_) {
        e.device->advance();
        e.touches_seen = e.device->touches();
        if (const auto d = e.device->next_deadline_ns(); d && (next == 0 || *d < next)) next = *d;
    }
    return next;
}

}  // namespace prevt::devices
